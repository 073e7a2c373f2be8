package leviathan.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jfree.chart.JFreeChart;

/**
 * The study's PNGs: validation loss against step and against training seconds, one panel per context
 * length, a line per mixer (the mean over its seeds of the trainer's periodic estimates); and the final
 * whole-split losses, mean ± standard error over seeds, per mixer and context.
 */
final class StudyCharts {
    static final String LOSS_VS_STEP = "study-loss-vs-step.png";
    static final String LOSS_VS_TIME = "study-loss-vs-time.png";
    static final String FINAL = "study-final.png";
    static final int PANEL_WIDTH = 620, PANEL_HEIGHT = 440, FINAL_WIDTH = 760, FINAL_HEIGHT = 480;

    private StudyCharts() {}

    static List<Path> write(Path dir, StudyReport report) throws IOException {
        if (report.sections.isEmpty()) {
            return List.of();
        }
        List<JFreeChart> bySteps = new ArrayList<>(), bySeconds = new ArrayList<>();
        for (StudyReport.Section s : report.sections) {
            JFreeChart steps = Charts.lines("validation loss, context " + s.context, "step", "val loss (nats)", false, false);
            JFreeChart seconds = Charts.lines("validation loss, context " + s.context, "training seconds", "val loss (nats)", false, false);
            int colour = 0;
            for (StudyReport.Row r : s.rows) {
                double[][] curve = meanCurve(r);
                if (curve[0].length > 0) {
                    String label = r.mixer + " (n=" + r.n() + ")";
                    java.awt.Color c = Charts.PALETTE[colour % Charts.PALETTE.length];
                    Charts.line(steps, label, curve[0], curve[2], c, Charts.Style.SOLID);
                    Charts.line(seconds, label, curve[1], curve[2], c, Charts.Style.SOLID);
                }
                colour++;
            }
            bySteps.add(steps);
            bySeconds.add(seconds);
        }
        int columns = report.sections.size();
        Path step = dir.resolve(LOSS_VS_STEP), time = dir.resolve(LOSS_VS_TIME), last = dir.resolve(FINAL);
        Charts.writePng(step, Charts.figure(PANEL_WIDTH, PANEL_HEIGHT, columns, bySteps.toArray(new JFreeChart[0])));
        Charts.writePng(time, Charts.figure(PANEL_WIDTH, PANEL_HEIGHT, columns, bySeconds.toArray(new JFreeChart[0])));
        Charts.writePng(last, Charts.figure(FINAL_WIDTH, FINAL_HEIGHT, 1, finalLosses(report)));
        return List.of(step, time, last);
    }

    /**
     * {steps, mean seconds, mean loss} at the evaluation steps every finished seed of the row has (a
     * resumed seed may have one more, at the step it stopped at).
     */
    static double[][] meanCurve(StudyReport.Row r) {
        Map<Integer, double[]> sums = new TreeMap<>(); // step → {seconds, loss, count}
        int seeds = 0;
        for (CellResult c : r.cells) {
            if (!c.completed()) {
                continue;
            }
            seeds++;
            for (double[] p : c.valCurve) {
                double[] s = sums.computeIfAbsent((int) p[0], k -> new double[3]);
                s[0] += p[1];
                s[1] += p[2];
                s[2]++;
            }
        }
        final int all = seeds;
        sums.values().removeIf(s -> s[2] != all);
        double[][] out = new double[3][sums.size()];
        int i = 0;
        for (Map.Entry<Integer, double[]> e : sums.entrySet()) {
            out[0][i] = e.getKey();
            out[1][i] = e.getValue()[0] / all;
            out[2][i] = e.getValue()[1] / all;
            i++;
        }
        return out;
    }

    /** Mixers along x, one series per context: the whole-split loss, mean ± s.e. over seeds. */
    private static JFreeChart finalLosses(StudyReport report) {
        List<String> mixers = new ArrayList<>();
        for (StudyReport.Section s : report.sections) {
            for (StudyReport.Row r : s.rows) {
                if (!mixers.contains(r.mixer)) {
                    mixers.add(r.mixer);
                }
            }
        }
        mixers.sort(StudyReport.MIXER_ORDER);
        Map<String, Charts.MeanSeries> series = new LinkedHashMap<>();
        for (StudyReport.Section s : report.sections) {
            double[] means = new double[mixers.size()], errors = new double[mixers.size()];
            java.util.Arrays.fill(means, Double.NaN);
            java.util.Arrays.fill(errors, Double.NaN);
            for (StudyReport.Row r : s.rows) {
                int i = mixers.indexOf(r.mixer);
                means[i] = r.mean;
                errors[i] = r.standardError;
            }
            series.put("context " + s.context, new Charts.MeanSeries(means, errors));
        }
        return Charts.means("validation loss (whole split), mean ± s.e. over seeds", "val loss (nats)", mixers, series);
    }
}
