package leviathan.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.jfree.chart.JFreeChart;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * {@code leviathan plot}: the loss curves of one or more runs from their {@code metrics.jsonl} — the
 * training loss (mean over each log interval, solid) and the validation loss (dashed, a dot per
 * evaluation), one colour per run, against step or seconds of training. It reads whatever has been
 * written, so it works on a run that is still training (a half-written last line is skipped).
 */
final class PlotCommand implements Main.Command {
    static final int WIDTH = 900;
    static final int HEIGHT = 560;

    /** One run's curves, as read from its metrics file. */
    record RunCurves(String label, double[] trainX, double[] trainLoss, double[] valX, double[] valLoss, int skippedLines) {}

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        String x = args.get("x", "step");
        String out = args.get("out", null);
        args.rejectUnused("plot", Integer.MAX_VALUE);
        if (!x.equals("step") && !x.equals("time")) {
            throw new CliException("--x must be step or time, got '" + x + "'", 2);
        }
        if (args.positional.isEmpty()) {
            throw new CliException("give at least one run directory: leviathan plot RUN_DIR... (see leviathan plot --help)", 2);
        }
        List<RunCurves> runs = new ArrayList<>();
        for (String dir : args.positional) {
            runs.add(read(Paths.get(dir), x.equals("time")));
        }
        Path file = out != null ? Paths.get(out)
                : runs.size() == 1 ? runDirectory(Paths.get(args.positional.get(0))).resolve("loss.png") : Paths.get("loss.png");
        Cli.checkOutputFile(file.toString(), "--out");
        Charts.writePng(file, Charts.figure(WIDTH, HEIGHT, 1, chart(runs, x.equals("time"))));
        for (RunCurves r : runs) {
            System.out.println(String.format("%s: %d training points, %d evaluations%s", r.label, r.trainX.length, r.valX.length,
                    r.skippedLines > 0 ? ", " + r.skippedLines + " unreadable line(s) skipped" : ""));
        }
        System.out.println("wrote " + file);
        return 0;
    }

    /** The chart: run i in {@code Charts.PALETTE[i]}, its training loss solid and its validation loss dashed. */
    static JFreeChart chart(List<RunCurves> runs, boolean time) {
        JFreeChart chart = Charts.lines("loss", time ? "seconds of training" : "step", "loss (nats per character)", false, false);
        for (int i = 0; i < runs.size(); i++) {
            RunCurves r = runs.get(i);
            java.awt.Color c = Charts.PALETTE[i % Charts.PALETTE.length];
            Charts.line(chart, r.label + " train", r.trainX, r.trainLoss, c, Charts.Style.SOLID);
            Charts.line(chart, r.label + " validation", r.valX, r.valLoss, c, Charts.Style.DASHED);
        }
        // The training curve has a point per log interval: dots there would hide the line.
        var renderer = (org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
        for (int i = 0; i < runs.size(); i++) {
            renderer.setSeriesShapesVisible(2 * i, false);
        }
        return chart;
    }

    /** A run's curves: {@code path} is a run directory or a metrics.jsonl file. */
    static RunCurves read(Path path, boolean time) throws IOException {
        Path dir = runDirectory(path);
        Path metrics = Files.isDirectory(path) ? path.resolve("metrics.jsonl") : path;
        if (!Files.exists(path)) {
            throw new CliException(path + " does not exist", 1);
        }
        if (!Files.isRegularFile(metrics)) {
            throw new CliException(path + " is not a run directory: it has no metrics.jsonl", 1);
        }
        List<double[]> train = new ArrayList<>(), val = new ArrayList<>();
        List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
        int skipped = 0;
        for (String line : lines) {
            JsonObject o;
            try {
                o = JsonParser.parseString(line).getAsJsonObject();
            } catch (RuntimeException e) {
                skipped++;   // a line being written as we read, or damage: the rest still plots
                continue;
            }
            if (!o.has("step")) {
                skipped++;
                continue;
            }
            if (time && !o.has("elapsed_s")) {
                throw new CliException(metrics + " has no elapsed_s (written by an earlier version); plot it with --x step", 1);
            }
            double xv = time ? o.get("elapsed_s").getAsDouble() : o.get("step").getAsDouble();
            if (o.has("train_loss_mean")) {
                train.add(new double[] {xv, o.get("train_loss_mean").getAsDouble()});
            }
            if (o.has("eval_val_loss")) {
                val.add(new double[] {xv, o.get("eval_val_loss").getAsDouble()});
            }
        }
        if (train.isEmpty() && val.isEmpty()) {
            throw new CliException(metrics + " holds no losses yet (the first comes after --log_interval steps)", 1);
        }
        return new RunCurves(mixerOf(dir) + " (" + dir + ")", column(train, 0), column(train, 1), column(val, 0), column(val, 1), skipped);
    }

    private static Path runDirectory(Path path) {
        Path p = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        return p == null ? Paths.get(".") : p;
    }

    /** The mixer recorded in the run's config.json; "run" when there is none (a run from before config files). */
    private static String mixerOf(Path dir) {
        Path config = dir.resolve("config.json");
        try {
            JsonObject o = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
            return o.has("mixer") ? o.get("mixer").getAsString() : "run";
        } catch (IOException | RuntimeException e) {
            return "run";
        }
    }

    private static double[] column(List<double[]> rows, int c) {
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = rows.get(i)[c];
        }
        return v;
    }
}
