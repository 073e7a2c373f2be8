package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Charts}: series are drawn inside the plot's data area, in their colours, at the positions
 * their values map to on linear and log axes (checked on the PNG read back, not on the legend);
 * the legend names every series; bars reach their values; figures lay charts out in a grid;
 * inconsistent input is rejected; log-axis tick labels read as numbers.
 */
class ChartsTest {
    private static final Color CRIMSON = new Color(200, 0, 40), GREEN = new Color(0, 150, 40);

    @Test
    void linesAreDrawnInsideTheDataAreaWhereTheirValuesMap(@TempDir Path dir) throws IOException {
        double[] x = {1, 2, 3, 4, 5};
        double[] high = {8, 8.5, 9, 8.5, 8}, low = {1, 1.5, 2, 1.5, 1};
        JFreeChart chart = Charts.lines("two series", "step", "loss", false, false);
        Charts.line(chart, "high", x, high, CRIMSON, Charts.Style.SOLID);
        Charts.line(chart, "low", x, low, GREEN, Charts.Style.DASHED);
        Path file = dir.resolve("sub/lines.png");
        Charts.Figure figure = Charts.figure(480, 360, 1, chart);
        Charts.writePng(file, figure);

        BufferedImage png = ImageIO.read(file.toFile());
        assertNotNull(png, "the PNG does not decode");
        assertEquals(480, png.getWidth());
        assertEquals(360, png.getHeight());
        Rectangle2D area = figure.dataAreas().get(0);
        assertTrue(area.getWidth() > 200 && area.getHeight() > 150, "data area " + area);
        assertTrue(count(png, area, CRIMSON) > 100, "the first series is drawn inside the data area");
        assertTrue(count(png, area, GREEN) > 40, "the dashed series is drawn inside the data area");
        assertPointsDrawn(png, area, chart.getXYPlot(), x, high, CRIMSON);
        assertPointsDrawn(png, area, chart.getXYPlot(), x, low, GREEN);
        assertEquals(List.of("high", "low"), legendNames(chart.getXYPlot().getLegendItems()));
    }

    @Test
    void logAxesSpanWholeDecadesAndLeaveOutPointsTheyCannotShow() {
        double[] x = {1, 10, 100, 1000}, y = {1, 100, 1e4, 1e6};
        JFreeChart chart = Charts.lines("error", "m", "error", true, true);
        Charts.line(chart, "x squared", x, y, CRIMSON, Charts.Style.SOLID);
        Charts.line(chart, "with gaps", new double[] {2, 20, 200, -1}, new double[] {0, 40, Double.NaN, 5}, GREEN, Charts.Style.SOLID);
        Charts.Figure figure = Charts.figure(500, 400, 1, chart);
        XYPlot plot = chart.getXYPlot();
        assertEquals(1, plot.getDomainAxis().getLowerBound(), 1e-9);
        assertEquals(1000, plot.getDomainAxis().getUpperBound(), 1e-6);
        assertEquals(1, plot.getRangeAxis().getLowerBound(), 1e-9);
        assertEquals(1e6, plot.getRangeAxis().getUpperBound(), 1e-3);
        Rectangle2D area = figure.dataAreas().get(0);
        assertPointsDrawn(figure.image(), area, plot, x, y, CRIMSON);
        assertPointsDrawn(figure.image(), area, plot, new double[] {20}, new double[] {40}, GREEN);
        assertEquals(3, plot.getDataset().getItemCount(1), "the point at x = -1 is left out; y = 0 and NaN stay as gaps");
        assertEquals("1e6", new Charts.LogTickFormat().format(1e6));

        // A chart with nothing it can show still renders (e.g. the curve of a run that diverged at once).
        JFreeChart empty = Charts.lines("nothing", "x", "y", true, true);
        Charts.line(empty, "zeros", new double[] {1, 2}, new double[] {0, Double.NaN}, CRIMSON, Charts.Style.SOLID);
        Charts.Figure nothing = Charts.figure(400, 300, 1, empty);
        assertEquals(0, count(nothing.image(), nothing.dataAreas().get(0), CRIMSON), "no point drawn");
    }

    @Test
    void barsReachTheirValuesInThePaletteColours() {
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("jvm", new double[] {100, 1000, 10});
        series.put("tornado", new double[] {300, Double.NaN, 30});
        JFreeChart chart = Charts.bars("per kernel", "us", true, List.of("matmul", "gelu", "adamw"), series);
        Charts.Figure figure = Charts.figure(600, 400, 1, chart);
        Rectangle2D area = figure.dataAreas().get(0);
        BufferedImage img = figure.image();
        assertTrue(count(img, area, Charts.PALETTE[0]) > 500, "the first series' bars are filled");
        assertTrue(count(img, area, Charts.PALETTE[1]) > 300, "the second series' bars are filled");
        ValueAxis y = chart.getCategoryPlot().getRangeAxis();
        assertEquals(topOf(img, area, Charts.PALETTE[0]), y.valueToJava2D(1000, area, RectangleEdge.LEFT), 2.0, "tallest jvm bar");
        assertEquals(topOf(img, area, Charts.PALETTE[1]), y.valueToJava2D(300, area, RectangleEdge.LEFT), 2.0, "tallest tornado bar");
        assertEquals(List.of("jvm", "tornado"), legendNames(chart.getCategoryPlot().getLegendItems()));
    }

    @Test
    void figuresLayChartsOutInAGrid() {
        JFreeChart a = Charts.lines("a", "x", "y", false, false);
        Charts.line(a, "s", new double[] {1, 2}, new double[] {1, 2}, CRIMSON, Charts.Style.SOLID);
        Charts.Figure grid = Charts.figure(300, 200, 2, a, a, a);
        assertEquals(600, grid.image().getWidth());
        assertEquals(400, grid.image().getHeight(), "three panels in two columns make two rows");
        Rectangle2D third = grid.dataAreas().get(2);
        assertTrue(third.getMinY() > 200 && third.getMaxX() < 300, "the third chart is drawn in the second row, first column: " + third);
    }

    @Test
    void inconsistentInputIsRejected() {
        JFreeChart chart = Charts.lines("t", "x", "y", false, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Charts.line(chart, "s", new double[] {1, 2}, new double[] {1}, CRIMSON, Charts.Style.SOLID));
        assertTrue(e.getMessage().contains("series s"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Charts.bars("t", "y", false, List.of("a", "b"), Map.of("s", new double[] {1})));
        assertTrue(e.getMessage().contains("2 categories"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Charts.bars("t", "y", false, List.of(), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Charts.figure(300, 200, 1));
    }

    @Test
    void logTickLabelsReadAsNumbers() {
        Charts.LogTickFormat f = new Charts.LogTickFormat();
        assertEquals("0.01", f.format(0.01));
        assertEquals("20", f.format(20.0));
        assertEquals("500", f.format(500.0));
        assertEquals("10000", f.format(1e4));
        assertEquals("2e8", f.format(2e8));
        assertEquals("1e-6", f.format(1e-6));
    }

    /** Each point (x, y) is drawn: a pixel of the series' colour within 3 pixels of where the axes map it. */
    private static void assertPointsDrawn(BufferedImage img, Rectangle2D area, XYPlot plot, double[] x, double[] y, Color c) {
        for (int i = 0; i < x.length; i++) {
            double px = plot.getDomainAxis().valueToJava2D(x[i], area, RectangleEdge.BOTTOM);
            double py = plot.getRangeAxis().valueToJava2D(y[i], area, RectangleEdge.LEFT);
            Rectangle2D edgesIncluded = new Rectangle2D.Double(area.getX() - 1, area.getY() - 1, area.getWidth() + 2, area.getHeight() + 2);
            assertTrue(edgesIncluded.contains(px, py), "point " + i + " maps outside the data area");
            boolean found = false;
            for (int dy = -3; dy <= 3 && !found; dy++) {
                for (int dx = -3; dx <= 3 && !found; dx++) {
                    found = near(img.getRGB((int) px + dx, (int) py + dy), c);
                }
            }
            assertTrue(found, "no pixel of the series colour at point (" + x[i] + ", " + y[i] + ") = pixel (" + px + ", " + py + ")");
        }
    }

    /** Pixels of colour c (allowing for antialiasing at the edges) inside the area. */
    private static int count(BufferedImage img, Rectangle2D area, Color c) {
        int n = 0;
        for (int y = (int) area.getMinY(); y < area.getMaxY(); y++) {
            for (int x = (int) area.getMinX(); x < area.getMaxX(); x++) {
                if (near(img.getRGB(x, y), c)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The smallest y (the top) of the pixels of colour c inside the area. */
    private static double topOf(BufferedImage img, Rectangle2D area, Color c) {
        for (int y = (int) area.getMinY(); y < area.getMaxY(); y++) {
            for (int x = (int) area.getMinX(); x < area.getMaxX(); x++) {
                if (near(img.getRGB(x, y), c)) {
                    return y;
                }
            }
        }
        return Double.NaN;
    }

    private static boolean near(int rgb, Color c) {
        return Math.abs(((rgb >> 16) & 0xFF) - c.getRed()) <= 24 && Math.abs(((rgb >> 8) & 0xFF) - c.getGreen()) <= 24
                && Math.abs((rgb & 0xFF) - c.getBlue()) <= 24;
    }

    private static List<String> legendNames(LegendItemCollection items) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < items.getItemCount(); i++) {
            names.add(items.get(i).getLabel());
        }
        return names;
    }
}
