package leviathan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.stages.CoreStages;
import leviathan.stages.DropoutSite;
import leviathan.testing.GraphRunner;

/** The dropout stages: the fraction dropped, the scale of what survives, and masks that depend only on (seed, site, step, element). */
class DropoutTest {
    static final int N = 200_000;

    static FloatSlice ones() {
        FloatSlice x = FloatSlice.of("x", N);
        x.fill(1f);
        return x;
    }

    static DropoutSite site(float rate, int step, int site) {
        DropoutSite d = new DropoutSite(FloatSlice.of("dropout", Dropout.SIZE), Dropout.siteKey(1337, site));
        d.scalars().set(Dropout.RATE, rate);
        d.scalars().set(Dropout.STEP, step);
        return d;
    }

    @ParameterizedTest(name = "p={0}")
    @ValueSource(floats = {0.1f, 0.2f, 0.5f})
    void aFractionPDropsAndTheRestIsScaledByOneOverOneMinusP(float p) {
        FloatSlice x = ones();
        GraphRunner.run(false, CoreStages.dropoutForward("drop", x, N, site(p, 7, 3)));
        int dropped = 0;
        for (int i = 0; i < N; i++) {
            float v = x.get(i);
            if (v == 0f) {
                dropped++;
            } else {
                assertEquals(1f / (1f - p), v, 0f, "a kept element is scaled by 1/(1-p)");
            }
        }
        double fraction = (double) dropped / N;
        double sigma = Math.sqrt(p * (1 - p) / N);
        assertTrue(Math.abs(fraction - p) < 5 * sigma, "dropped " + fraction + ", expected " + p + " ± " + 5 * sigma);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void theMaskDependsOnlyOnSeedSiteStepAndElement(boolean fast) {
        FloatSlice a = ones(), b = ones(), otherStep = ones(), otherSite = ones(), grad = ones();
        GraphRunner.run(1, fast, CoreStages.dropoutForward("a", a, N, site(0.3f, 7, 3)));
        GraphRunner.run(3, fast, CoreStages.dropoutForward("b", b, N, site(0.3f, 7, 3)));
        GraphRunner.run(fast, CoreStages.dropoutForward("s", otherStep, N, site(0.3f, 8, 3)));
        GraphRunner.run(fast, CoreStages.dropoutForward("t", otherSite, N, site(0.3f, 7, 4)));
        GraphRunner.run(fast, CoreStages.dropoutBackward("g", grad, N, site(0.3f, 7, 3)));
        assertArrayEquals(a.toArray(), b.toArray(), "1 and 3 threads draw different masks");
        assertArrayEquals(a.toArray(), grad.toArray(), "the backward pass uses another mask than the forward");
        assertNotEquals(java.util.Arrays.hashCode(a.toArray()), java.util.Arrays.hashCode(otherStep.toArray()), "the mask ignores the step");
        assertNotEquals(java.util.Arrays.hashCode(a.toArray()), java.util.Arrays.hashCode(otherSite.toArray()), "the mask ignores the site");
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void aRateOfZeroChangesNothing(boolean fast) {
        FloatSlice x = FloatSlice.of("x", 1000);
        for (int i = 0; i < x.length; i++) {
            x.set(i, (float) Math.sin(i));
        }
        float[] before = x.toArray();
        GraphRunner.run(fast, CoreStages.dropoutForward("none", x, x.length, site(0f, 9, 1)));
        assertArrayEquals(before, x.toArray());
    }

    /** Murmur3's fmix32 as its authors write it, with unsigned shifts. */
    private static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    @Test
    void theMaskedShiftsAreMurmur3sFinaliserAndTheTop24Bits() {
        java.util.Random r = new java.util.Random(5);
        for (int n = 0; n < 1_000_000; n++) {
            int h = n < 8 ? new int[] {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x80000001, 0xFFFF0000, 0x0000FFFF}[n] : r.nextInt();
            assertEquals(fmix32(h), Dropout.mix(h), "mix(" + h + ")");
        }
        long seed = 0xF00DCAFE12345678L;
        assertEquals(fmix32(fmix32((int) seed ^ (int) (seed >>> 32) ^ 0x9E3779B9) ^ 3), Dropout.siteKey(seed, 3));
        for (int i = 0; i < 100_000; i++) {
            int h = fmix32(fmix32(77 ^ 5) ^ i);
            float kept = (h >>> 8) * 0x1p-24f < 0.3f ? 0f : 1f / (1f - 0.3f);
            assertEquals(kept, Dropout.keepScale(77, 5, i, 0.3f), 0f, "element " + i);
        }
    }
}
