package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * {@code leviathan approx} end to end with small m and few draws: the JSON has the documented
 * structure; positive features beat trigonometric ones where SM(x, y) is small (y ≈ −x) and
 * trigonometric ones win at x = y with large norms; the measured errors of the iid estimators
 * follow the closed forms; the PNG is written and decodes.
 */
class ApproxCommandTest {
    @Test
    void studyWritesJsonAndPngWithTheExpectedOrdering(@TempDir Path dir) throws IOException {
        int code = Main.run(new String[] {"approx", "--dim", "8", "--m", "8,32,128", "--kernel-m", "32", "--trials", "300",
            "--norms", "1,2", "--angles", "7", "--out", dir.toString()});
        assertEquals(0, code);

        JsonObject root = JsonParser.parseString(Files.readString(dir.resolve("approx.json"), StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals(8, root.get("dim").getAsInt());
        assertEquals(300, root.get("trials").getAsInt());
        assertEquals("iid", root.get("omega").getAsString());

        JsonObject versusM = root.getAsJsonObject("versus_m");
        assertEquals(3, versusM.getAsJsonArray("m").size());
        JsonArray pairs = versusM.getAsJsonArray("pairs");
        assertEquals(3, pairs.size());
        for (int p = 0; p < pairs.size(); p++) {
            JsonObject pair = pairs.get(p).getAsJsonObject();
            for (String key : List.of("norm", "angle_degrees", "sm")) {
                assertNotNull(pair.get(key), key);
            }
            for (String estimator : List.of("positive", "trigonometric")) {
                JsonArray err = pair.getAsJsonObject(estimator).getAsJsonArray("relative_mse");
                assertEquals(3, err.size());
                assertEquals(3, pair.getAsJsonObject(estimator).getAsJsonArray("theory_relative_mse").size());
                // Both errors fall like 1/m: from m = 8 to m = 128 by far more than 4×.
                assertTrue(err.get(0).getAsDouble() > 4 * err.get(2).getAsDouble(), estimator + " error does not fall with m: " + err);
            }
        }

        JsonObject versusSm = root.getAsJsonObject("versus_sm");
        assertEquals(32, versusSm.get("m").getAsInt());
        JsonArray points = versusSm.getAsJsonArray("points");
        assertEquals(2 * 7, points.size());
        JsonObject smallest = null, xEqualsY = null;
        for (int i = 0; i < points.size(); i++) {
            JsonObject pt = points.get(i).getAsJsonObject();
            if (pt.get("norm").getAsDouble() != 2) {
                continue;
            }
            if (smallest == null || pt.get("sm").getAsDouble() < smallest.get("sm").getAsDouble()) {
                smallest = pt;
            }
            if (pt.get("angle_degrees").getAsDouble() == 0) {
                xEqualsY = pt;
            }
        }
        assertNotNull(xEqualsY);
        assertTrue(smallest.get("sm").getAsDouble() < 0.02, "the sweep must reach small SM: " + smallest);
        assertTrue(error(smallest, "positive") < error(smallest, "trigonometric"),
                "positive features must be more accurate where SM is small: " + smallest);
        assertTrue(error(xEqualsY, "trigonometric") < error(xEqualsY, "positive"),
                "trigonometric features must be more accurate at x = y with large norms: " + xEqualsY);
        // The angle just off y = −x (not an exact case): positive still far ahead.
        JsonObject nearOpposite = points.get(7 + 5).getAsJsonObject();
        assertEquals(150, nearOpposite.get("angle_degrees").getAsDouble(), 1e-9);
        assertTrue(10 * error(nearOpposite, "positive") < error(nearOpposite, "trigonometric"), nearOpposite.toString());

        // With iid Gaussian ω the measured errors follow the closed forms, within the sampling noise of 300
        // draws, where the estimators' tails are light enough for 300 draws (|x ± y|² = 2 here; at |x ± y|² = 8
        // the rare huge estimates that dominate the mean are mostly not drawn).
        JsonObject mid = points.get(3).getAsJsonObject();   // |x| = |y| = 1, θ = 90°, SM = 1
        assertEquals(90, mid.get("angle_degrees").getAsDouble(), 1e-9);
        for (String estimator : List.of("positive", "trigonometric")) {
            double measured = error(mid, estimator), theory = mid.getAsJsonObject(estimator).get("theory_relative_mse").getAsDouble();
            assertTrue(measured > theory / 3 && measured < theory * 3, estimator + ": measured " + measured + " vs theory " + theory);
        }

        BufferedImage png = ImageIO.read(dir.resolve("approx.png").toFile());
        assertNotNull(png, "approx.png does not decode");
        assertEquals(2 * 620, png.getWidth());
        assertEquals(460, png.getHeight());
    }

    private static double error(JsonObject point, String estimator) {
        return point.getAsJsonObject(estimator).get("relative_mse").getAsDouble();
    }

    @Test
    void orthogonalFeaturesRunAndBadOptionsAreRejected(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("o.json"), png = dir.resolve("o.png");
        assertEquals(0, Main.run(new String[] {"approx", "--dim", "4", "--m", "4,8", "--kernel-m", "8", "--trials", "20",
            "--angles", "3", "--omega", "orthogonal", "--json", json.toString(), "--png", png.toString()}));
        assertEquals("orthogonal", JsonParser.parseString(Files.readString(json)).getAsJsonObject().get("omega").getAsString());
        assertNotNull(ImageIO.read(png.toFile()));

        assertEquals(2, Main.run(new String[] {"approx", "--omega", "sobol", "--out", dir.toString()}));
        assertEquals(2, Main.run(new String[] {"approx", "--trials", "1", "--out", dir.toString()}));
        assertEquals(2, Main.run(new String[] {"approx", "--m", "8,x", "--out", dir.toString()}));
        assertEquals(2, Main.run(new String[] {"approx", "--bogus", "1", "--out", dir.toString()}));
    }
}
