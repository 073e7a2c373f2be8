package leviathan.tools;

import static leviathan.tools.CliRunner.assertCleanError;
import static leviathan.tools.CliRunner.run;
import static leviathan.tools.CliRunner.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plot} draws what the metrics hold: at every logged point of every series, a pixel of that
 * run's colour lies where the axes put the point, inside the plot area; a colour no run has is absent.
 */
class PlotCommandTest {
    @TempDir
    static Path shared;
    static Path attention;
    static Path leviathan;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainTwoRuns() throws IOException {
        Path data = CliRunner.textFile(shared, 3000);
        attention = shared.resolve("attention");
        leviathan = shared.resolve("leviathan");
        String[] common = {"--data=" + data, "--steps=12", "--log_interval=2", "--eval_interval=4"};
        assertEquals(0, train(concat(common, "--out=" + attention)).code());
        assertEquals(0, train(concat(common, "--out=" + leviathan, "--mixer=leviathan", "--lr=3e-3")).code());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void everyPointOfEverySeriesIsDrawnInItsRunsColour() throws IOException {
        for (boolean time : new boolean[] {false, true}) {
            Path png = tmp.resolve(time ? "time.png" : "step.png");
            CliRunner.Result r = time ? run("plot", attention.toString(), leviathan.toString(), "--out=" + png, "--x=time")
                    : run("plot", attention.toString(), leviathan.toString(), "--out=" + png);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("attention (" + attention + "): 6 training points, 3 evaluations"), r.out());
            assertTrue(r.out().contains("leviathan (" + leviathan + ")"), "the legend names each run's mixer and directory:\n" + r.out());
            BufferedImage image = ImageIO.read(png.toFile());
            assertEquals(PlotCommand.WIDTH, image.getWidth());
            assertEquals(PlotCommand.HEIGHT, image.getHeight());

            List<PlotCommand.RunCurves> runs = List.of(PlotCommand.read(attention, time), PlotCommand.read(leviathan, time));
            JFreeChart chart = PlotCommand.chart(runs, time);
            Rectangle2D area = Charts.figure(PlotCommand.WIDTH, PlotCommand.HEIGHT, 1, chart).dataAreas().get(0);
            for (int i = 0; i < runs.size(); i++) {
                PlotCommand.RunCurves c = runs.get(i);
                assertEquals(6, c.trainX().length);
                assertEquals(3, c.valX().length);
                assertDrawn(image, chart, area, c.trainX(), c.trainLoss(), Charts.PALETTE[i], c.label() + " train");
                assertDrawn(image, chart, area, c.valX(), c.valLoss(), Charts.PALETTE[i], c.label() + " validation");
            }
            assertEquals(0, countNear(image, area, Charts.PALETTE[2]), "no third run, so no third colour");
        }
    }

    /** At each (x, y), a pixel within 3 px of where the axes put it has the series' colour. */
    private static void assertDrawn(BufferedImage image, JFreeChart chart, Rectangle2D area, double[] x, double[] y, Color color, String what) {
        XYPlot plot = chart.getXYPlot();
        for (int k = 0; k < x.length; k++) {
            int px = (int) Math.round(plot.getDomainAxis().valueToJava2D(x[k], area, RectangleEdge.BOTTOM));
            int py = (int) Math.round(plot.getRangeAxis().valueToJava2D(y[k], area, RectangleEdge.LEFT));
            assertTrue(near(area, px, py), what + " point " + k + " outside the plot area");
            boolean found = false;
            for (int dx = -3; dx <= 3 && !found; dx++) {
                for (int dy = -3; dy <= 3 && !found; dy++) {
                    int qx = px + dx, qy = py + dy;
                    found = qx >= 0 && qy >= 0 && qx < image.getWidth() && qy < image.getHeight() && close(new Color(image.getRGB(qx, qy)), color);
                }
            }
            assertTrue(found, what + ": no pixel of its colour near point " + k + " (" + x[k] + ", " + y[k] + ") at (" + px + ", " + py + ")");
        }
    }

    /** A point on the border of the area (the first and last x sit on it). */
    private static boolean near(Rectangle2D area, int px, int py) {
        return px >= area.getMinX() - 1 && px <= area.getMaxX() + 1 && py >= area.getMinY() - 1 && py <= area.getMaxY() + 1;
    }

    private static int countNear(BufferedImage image, Rectangle2D area, Color color) {
        int n = 0;
        for (int x = (int) area.getMinX(); x < area.getMaxX(); x++) {
            for (int y = (int) area.getMinY(); y < area.getMaxY(); y++) {
                n += close(new Color(image.getRGB(x, y)), color) ? 1 : 0;
            }
        }
        return n;
    }

    private static boolean close(Color a, Color b) {
        return Math.abs(a.getRed() - b.getRed()) + Math.abs(a.getGreen() - b.getGreen()) + Math.abs(a.getBlue() - b.getBlue()) < 40;
    }

    @Test
    void aRunStillWritingItsMetricsPlotsWhatIsThereAndBadInputIsNamed() throws IOException {
        Path live = tmp.resolve("live");
        Files.createDirectories(live);
        List<String> lines = Files.readAllLines(attention.resolve("metrics.jsonl"));
        // A half-written last line, as a reader sees a run mid-append.
        Files.writeString(live.resolve("metrics.jsonl"), String.join("\n", lines.subList(0, 3)) + "\n" + lines.get(3).substring(0, 20));
        CliRunner.Result r = run("plot", live.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("1 unreadable line(s) skipped"), r.out());
        assertTrue(Files.size(live.resolve("loss.png")) > 0, "one run: the picture goes into its directory");

        assertCleanError(run("plot"), 2, "give at least one run directory");
        assertCleanError(run("plot", tmp.resolve("nowhere").toString()), 1, "does not exist");
        assertCleanError(run("plot", tmp.toString()), 1, "has no metrics.jsonl");
        assertCleanError(run("plot", attention.toString(), "--x=epoch"), 2, "--x must be step or time");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("metrics.jsonl"), "");
        assertCleanError(run("plot", empty.toString()), 1, "holds no losses yet");
    }
}
