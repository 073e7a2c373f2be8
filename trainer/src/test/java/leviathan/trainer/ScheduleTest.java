package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Learning-rate schedule: nanoGPT's linear warm-up then cosine decay to min_lr (SPEC 3). */
class ScheduleTest {
    /** nanoGPT's get_lr(it) with lr_decay_iters = max_iters, written out independently. */
    static double nanoGpt(int it, double lr, double minLr, int warmup, int decayIters) {
        if (it < warmup) {
            return lr * (it + 1) / (warmup + 1);
        }
        if (it > decayIters) {
            return minLr;
        }
        double ratio = (double) (it - warmup) / (decayIters - warmup);
        double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
        return minLr + coeff * (lr - minLr);
    }

    @Test
    void matchesNanoGptForTheBabyRecipe() {
        TrainConfig c = new TrainConfig();   // lr 1e-3 -> 1e-4, warm-up 100, 2000 steps
        assertEquals(1e-3f, c.learningRate);
        assertEquals(1e-4f, c.minLearningRate);
        assertEquals(100, c.warmupSteps);
        assertEquals(2000, c.steps);
        for (int it = 0; it <= 2100; it++) {
            double expected = nanoGpt(it, 1e-3f, 1e-4f, 100, 2000);
            assertEquals(expected, c.learningRateAt(it), 1e-6 * expected, "step " + it);
        }
    }

    @Test
    void warmUpIsLinearAndPeaksAtLr() {
        TrainConfig c = new TrainConfig();
        c.learningRate = 0.01f;
        c.warmupSteps = 9;
        double step = c.learningRateAt(1) - c.learningRateAt(0);
        for (int it = 1; it < 9; it++) {
            assertEquals(step, c.learningRateAt(it) - c.learningRateAt(it - 1), 1e-8, "warm-up step " + it);
        }
        assertEquals(0.001f, c.learningRateAt(0), 1e-9);
        assertEquals(0.01f, c.learningRateAt(9), 1e-9);
        assertTrue(c.learningRateAt(8) < c.learningRateAt(9));
    }

    @Test
    void cosineReachesMinLrAtTheEndAndStaysThere() {
        TrainConfig c = new TrainConfig();
        c.learningRate = 1f;
        c.minLearningRate = 0.1f;
        c.warmupSteps = 10;
        c.steps = 110;
        assertEquals(1f, c.learningRateAt(10), 1e-7);
        assertEquals(0.55f, c.learningRateAt(60), 1e-6);   // half-way: (lr + min_lr) / 2
        assertEquals(0.1f, c.learningRateAt(110), 1e-7);
        assertEquals(0.1f, c.learningRateAt(500), 0f);
        for (int it = 11; it <= 110; it++) {
            assertTrue(c.learningRateAt(it) <= c.learningRateAt(it - 1), "not decreasing at " + it);
        }
        for (int it = 0; it < 200; it++) {
            assertEquals(nanoGpt(it, 1, 0.1f, 10, 110), c.learningRateAt(it), 1e-6, "step " + it);
        }
    }

    @Test
    void noWarmUp() {
        TrainConfig c = new TrainConfig();
        c.warmupSteps = 0;
        c.steps = 100;
        assertEquals(c.learningRate, c.learningRateAt(0), 0f);
        assertEquals(c.minLearningRate, c.learningRateAt(100), 1e-9);
    }

    @Test
    void optionsAreValidated() {
        TrainConfig c = new TrainConfig();
        assertThrows(IllegalArgumentException.class, () -> c.set("lr", "0"));
        assertThrows(IllegalArgumentException.class, () -> c.set("lr", "NaN"));
        assertThrows(IllegalArgumentException.class, () -> c.set("batch", "0"));
        assertThrows(IllegalArgumentException.class, () -> c.set("batch", "-3"));
        assertThrows(IllegalArgumentException.class, () -> c.set("warmup", "-1"));
        assertThrows(IllegalArgumentException.class, () -> c.set("beta2", "1"));
        assertThrows(IllegalArgumentException.class, () -> c.set("bogus", "1"));
        c.set("lr", "3e-4").set("warmup", "5");
        assertEquals(3e-4f, c.learningRate);
        assertEquals(5, c.warmupSteps);
        TrainConfig copy = new TrainConfig();
        c.toMap().forEach((k, v) -> copy.set(k, String.valueOf(v)));
        assertEquals(c.toMap(), copy.toMap());
    }
}
