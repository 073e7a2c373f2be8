package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The commands that draw charts write decodable PNGs of their documented sizes (approx: see
 * ApproxCommandTest): compare (validation curves), scale (log-log time and memory, with the
 * least-squares exponent), bench backends (per-kernel bars, with its JSON). Tiny shapes throughout.
 */
class ChartCommandsTest {
    @Test
    void compareWritesTheValidationCurves(@TempDir Path dir) throws IOException {
        Path data = CliRunner.writeText(dir.resolve("text.txt"), CliRunner.text(4000));
        Path out = dir.resolve("compare");
        CliRunner.Result r = CliRunner.run("compare", "--mixers", "attention,leviathan", "--data", data.toString(), "--out", out.toString(),
                "--threads", "1", "--steps=4", "--batch=2", "--eval_interval=2", "--eval_iters=1");
        assertEquals(0, r.code(), r.toString());
        BufferedImage png = png(out.resolve("compare.png"));
        assertEquals(760, png.getWidth());
        assertEquals(480, png.getHeight());
        JsonArray mixers = JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject().getAsJsonArray("mixers");
        assertEquals(2, mixers.size());
        assertEquals(2, mixers.get(0).getAsJsonObject().getAsJsonArray("val_curve").size(), "evaluations at steps 2 and 4");
        // Leviathan starts as attention: after 4 steps their losses may print the same, and then the output says why.
        boolean identical = String.format("%.4f", mixers.get(0).getAsJsonObject().get("val_loss").getAsDouble())
                .equals(String.format("%.4f", mixers.get(1).getAsJsonObject().get("val_loss").getAsDouble()));
        assertEquals(identical, r.out().contains("note: attention and leviathan have"), r.out());
        assertEquals(identical ? 1 : 0, JsonParser.parseString(Files.readString(out.resolve("compare.json"))).getAsJsonObject()
                .getAsJsonArray("notes").size());
    }

    @Test
    void scaleWritesTheLogLogPlotsAndFitsTheExponent(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("scale");
        CliRunner.Result r = CliRunner.run("scale", "--mixers", "attention,performer", "--lengths", "8,16,32", "--width", "8", "--heads", "2",
                "--reps", "1", "--fit-from", "8", "--max-seconds", "0.05", "--threads", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.toString());
        BufferedImage png = png(out.resolve("scale.png"));
        assertEquals(2 * 620, png.getWidth());
        assertEquals(440, png.getHeight());
        JsonObject attention = JsonParser.parseString(Files.readString(out.resolve("scale.json"))).getAsJsonObject()
                .getAsJsonObject("mixers").getAsJsonObject("attention");
        assertEquals(3, attention.getAsJsonArray("points").size());
        assertTrue(Double.isFinite(attention.get("exponent").getAsDouble()), attention.toString());
    }

    @Test
    void theExponentIsTheLeastSquaresSlopeOnLogLogData() {
        List<double[]> quadratic = List.of(new double[] {64, 3 * 64 * 64}, new double[] {128, 3 * 128 * 128},
                new double[] {256, 3 * 256 * 256}, new double[] {512, 1});
        assertEquals(2.0, ScaleCommand.fit(quadratic.subList(0, 3), 64), 1e-12);
        assertEquals(2.0, ScaleCommand.fit(quadratic.subList(1, 3), 100), 1e-12, "only T ≥ from counts");
        // Noisy points: the slope of the least-squares line through (log T, log ms) = (0, 0), (1, 1.5), (2, 2).
        double e = Math.E;
        assertEquals(1.0, ScaleCommand.fit(List.of(new double[] {1, 1}, new double[] {e, Math.exp(1.5)}, new double[] {e * e, e * e}), 1), 1e-12);
        assertTrue(Double.isNaN(ScaleCommand.fit(quadratic, 300)), "fewer than two points fit nothing");
    }

    @Test
    void benchBackendsWritesBarsAndJson(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("backends.png"), json = dir.resolve("backends.json");
        CliRunner.Result r = CliRunner.run("bench", "backends", "--backends", "jvm", "--steps", "2", "--warmup", "1", "--threads", "1",
                "--layers=1", "--width=16", "--heads=2", "--context=8", "--batch=2", "--png", png.toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.toString());
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("jvm", root.get("reference").getAsString());
        JsonObject jvm = root.getAsJsonArray("backends").get(0).getAsJsonObject();
        assertEquals(3, jvm.getAsJsonArray("losses").size(), "warm-up and measured steps");
        assertEquals(0.0, jvm.get("max_rel_diff_loss").getAsDouble());
        assertTrue(jvm.get("median_step_ms").getAsDouble() > 0);
        assertEquals("jvm", jvm.getAsJsonObject("profile").get("backend").getAsString());
        int kernels = jvm.getAsJsonObject("kernel_us_per_step").size();
        assertTrue(kernels > 10, "kernels profiled: " + kernels);
        BufferedImage image = png(png);
        assertEquals(Math.max(900, 60 * kernels), image.getWidth());
        assertEquals(520, image.getHeight());
    }

    private static BufferedImage png(Path file) throws IOException {
        assertTrue(Files.isRegularFile(file), file + " was not written");
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " does not decode as an image");
        byte[] head = Files.readAllBytes(file);
        assertTrue(head.length > 8 && (head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', file + " is not a PNG");
        return image;
    }
}
