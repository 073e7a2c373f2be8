package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Plot}: line charts (linear and log axes, points an axis cannot show left out) and bar
 * charts render headless, draw their series in their colours, lay out in a grid, write PNGs
 * that decode, and reject inconsistent input with a clear message.
 */
class PlotTest {
    private static final Color BLUE = Plot.PALETTE[0], ORANGE = Plot.PALETTE[1];

    @Test
    void lineChartDrawsEachSeriesInItsColour() {
        double[] x = {1, 2, 3, 4, 5};
        Plot p = Plot.lines("loss").xLabel("step").yLabel("loss")
                .line("train", x, new double[] {3, 2.5, 2, 1.8, 1.7})
                .line("val", x, new double[] {3.1, 2.7, 2.3, 2.2, 2.2}, ORANGE, Plot.Style.DASHED);
        BufferedImage img = p.render(480, 360);
        assertEquals(480, img.getWidth());
        assertEquals(360, img.getHeight());
        assertTrue(count(img, BLUE) > 50, "the first series is drawn in the first palette colour");
        assertTrue(count(img, ORANGE) > 20, "the dashed series is drawn in its colour");
    }

    @Test
    void logAxesSkipPointsTheyCannotShow() {
        Plot p = Plot.lines("error").logX().logY()
                .line("with gaps", new double[] {1, 10, 100, 1000, 10000}, new double[] {1, 0, 1e-2, Double.NaN, 1e-4});
        BufferedImage img = p.render(400, 300);
        assertTrue(count(img, BLUE) > 0, "the showable points are drawn");
        // A chart whose every point is unshowable says so instead of failing.
        BufferedImage empty = Plot.lines("nothing").logY().line("zeros", new double[] {1, 2}, new double[] {0, 0}).render(400, 300);
        assertEquals(0, count(empty, BLUE));
    }

    @Test
    void barChartsAndFiguresWriteDecodablePngs(@TempDir Path dir) throws IOException {
        Plot bars = Plot.bars("step time", List.of("jvm", "jvm plain", "tornado")).yLabel("ms")
                .bar("forward", new double[] {3, 9, 1}).bar("backward", new double[] {6, 18, 2});
        Plot curve = Plot.lines("time against T").logX().logY().xLabel("T").yLabel("ms")
                .line("attention", new double[] {64, 128, 256}, new double[] {1, 4, 16})
                .line("performer", new double[] {64, 128, 256}, new double[] {1, 2, 4}).yRange(0.5, 20);
        Path file = dir.resolve("sub/figure.png");
        Plot.writePng(file, 400, 300, 2, bars, curve);
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img);
        assertEquals(800, img.getWidth());
        assertEquals(300, img.getHeight());
        assertTrue(count(img, BLUE) > 200, "forward bars are filled");
        assertTrue(count(img, ORANGE) > 200, "backward bars are filled");

        BufferedImage grid = Plot.figure(300, 200, 2, bars, curve, bars);
        assertEquals(600, grid.getWidth());
        assertEquals(400, grid.getHeight(), "three panels in two columns make two rows");
    }

    @Test
    void inconsistentInputIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Plot.lines("t").line("s", new double[] {1, 2}, new double[] {1}));
        assertTrue(e.getMessage().contains("series s"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Plot.bars("t", List.of("a", "b")).bar("s", new double[] {1}));
        assertTrue(e.getMessage().contains("2 categories"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Plot.bars("t", List.of("a")).logX());
        assertThrows(IllegalArgumentException.class, () -> Plot.lines("t").logY().yRange(0, 1));
        assertThrows(IllegalArgumentException.class, () -> Plot.figure(300, 200, 1));
    }

    private static int count(BufferedImage img, Color c) {
        int n = 0, rgb = c.getRGB() & 0xFFFFFF;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }
}
