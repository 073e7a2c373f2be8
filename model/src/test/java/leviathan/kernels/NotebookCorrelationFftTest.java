package leviathan.kernels;

import static leviathan.testing.Check.FAST_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.qkvColumns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import leviathan.graph.FloatSlice;
import leviathan.jvm.NotebookCorrelationFft;
import leviathan.model.mixers.LeviathanSameMixer;
import leviathan.testing.GraphRunner;

/**
 * {@link NotebookCorrelationFft}, the JVM fast variant of {@link LeviathanNotebook#correlateForward},
 * against the plain body on identical inputs: Cmat within relative 1e-5 for odd and even B, H, T, D
 * (T = 1, a T just under a power of two, T longer than the minimum transform), K and V carried bit
 * for bit, buffer padding untouched, and the same bits on 1 and 3 threads. SciPy's own numbers go
 * through the fast path too, in {@link ScipyCorrelateCasesTest}.
 */
class NotebookCorrelationFftTest {

    /** cqkv after the notebook correlation of {@code x}, on the plain body or the FFT variant. */
    static float[] cqkv(float[] x, int B, int T, int C, int H, boolean fast, int threads) {
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), cqkv = padded("cqkv", B, T, 3 * C);
        GraphRunner.run(threads, fast, LeviathanSameMixer.Stages.notebookCorrelate("nb_correlate", cqkv, qkv, B, T, C, H));
        assertPaddingIntact(qkv, cqkv);
        return cqkv.toArray();
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} H={3}")
    @CsvSource({"2,5,12,2", "3,4,9,3", "1,1,4,2", "4,31,8,4", "2,100,4,2", "5,17,6,1"})
    void fftEqualsThePlainBody(int B, int T, int C, int H) {
        float[] x = gaussian(new Random(B * 131 + T * 17 + C + H), B * T * 3 * C, 0.7);
        float[] plain = cqkv(x, B, T, C, H, false, 1), fft = cqkv(x, B, T, C, H, true, 3);
        assertClose(qkvColumns(plain, 0, B * T, C), qkvColumns(fft, 0, B * T, C), FAST_RTOL, "Cmat by FFT");
        assertArrayEquals(qkvColumns(x, 1, B * T, C), qkvColumns(fft, 1, B * T, C), "K carried over");
        assertArrayEquals(qkvColumns(x, 2, B * T, C), qkvColumns(fft, 2, B * T, C), "V carried over");
        assertArrayEquals(fft, cqkv(x, B, T, C, H, true, 1), "the FFT path gives the same bits on 1 and 3 threads");
    }

    /** P ≥ 2T − 1 (no wrap-around), a power of two, never below the minimum. */
    @Test
    void transformLengthAvoidsWrapAround() {
        assertEquals(16, NotebookCorrelationFft.transformLength(1));
        assertEquals(16, NotebookCorrelationFft.transformLength(8));
        assertEquals(32, NotebookCorrelationFft.transformLength(9));
        assertEquals(1024, NotebookCorrelationFft.transformLength(512));
        assertEquals(2048, NotebookCorrelationFft.transformLength(513));
    }
}
