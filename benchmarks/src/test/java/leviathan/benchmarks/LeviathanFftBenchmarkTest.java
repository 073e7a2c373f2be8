package leviathan.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The benchmark times equal work on every path: one invocation of plain, direct and fft gives the
 * same S, dA and dg (relative 1e-4: the FFT runs in double precision, the sums in float), on a
 * shape small enough for a unit test. It runs the stages once; no benchmark is measured here.
 */
class LeviathanFftBenchmarkTest {
    @Test
    void everyPathComputesTheSameLagStages() {
        float[][] plain = once("plain"), direct = once("direct"), fft = once("fft");
        for (int k = 0; k < 3; k++) {
            assertClose(plain[k], direct[k], "direct, output " + k);
            assertClose(plain[k], fft[k], "fft, output " + k);
        }
        assertThrows(IllegalArgumentException.class, () -> once("simd"));
    }

    private static float[][] once(String path) {
        LeviathanFftBenchmark b = new LeviathanFftBenchmark();
        b.T = 40;
        b.L = 12;
        b.maps = 3;
        b.path = path;
        b.bind();
        try {
            b.lagStages();
            return b.outputs();
        } finally {
            b.close();
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0, worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(scale > 0, what + ": nothing computed");
        assertTrue(worst <= 1e-4 * scale, what + ": largest difference " + worst + " of " + scale);
    }
}
