package leviathan.kernels;

import static leviathan.kernels.LeviathanKernelTest.assertRejected;
import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.GRAD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.Check.assertQkvClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.constant;
import static leviathan.testing.TestData.dot;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.minus;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.model.mixers.LeviathanSameMixer;
import leviathan.stages.CoreStages;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;

/**
 * {@link LeviathanSame}, the notebook's {@code correlate2d(Q, K, mode='same')} score (NOT causal):
 * <ul>
 *   <li>two examples worked by hand from scipy's definition (one with even sizes, where scipy's
 *       'same' block is not numpy's centred crop of the full output), placed in the second head;</li>
 *   <li>Cmat and the whole score path against a double reference built as "full correlation, then
 *       the block at (T/2, D/2)" (relative 1e-5), for odd and even T and D;</li>
 *   <li>dQ, dK (through Cmat and through Kᵀ) and dV against central finite differences
 *       (relative 1e-3), accumulating into a pre-filled dqkv;</li>
 *   <li>the leak: a later query row changes an earlier output row;</li>
 *   <li>the stage factories reject wrong buffer lengths.</li>
 * </ul>
 */
class LeviathanSameKernelTest {
    static final float PREFILL = 0.25f;

    /**
     * scipy: full[k, l] = Σ_{m,n} in1[m, n]·in2[m − k + R2 − 1, n − l + C2 − 1] (in2 zero outside), and
     * 'same'[i, c] = full[i + R2/2, c + C2/2]. Written from that definition, independently of the kernel.
     */
    static double[] correlate2dSame(double[] in1, double[] in2, int T, int D) {
        int fullRows = 2 * T - 1, fullCols = 2 * D - 1;
        double[] full = new double[fullRows * fullCols];
        for (int k = 0; k < fullRows; k++) {
            for (int l = 0; l < fullCols; l++) {
                double s = 0;
                for (int m = 0; m < T; m++) {
                    for (int n = 0; n < D; n++) {
                        int r = m - k + T - 1, c = n - l + D - 1;
                        if (r >= 0 && r < T && c >= 0 && c < D) {
                            s += in1[m * D + n] * in2[r * D + c];
                        }
                    }
                }
                full[k * fullCols + l] = s;
            }
        }
        double[] same = new double[T * D];
        for (int i = 0; i < T; i++) {
            for (int c = 0; c < D; c++) {
                same[i * D + c] = full[(i + T / 2) * fullCols + c + D / 2];
            }
        }
        return same;
    }

    /** cqkv = [Cmat | K | V] per (batch row, head), in double. */
    static double[] referenceCqkv(double[] qkv, int B, int T, int C, int H) {
        int D = C / H;
        double[] out = qkv.clone();
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                double[] q = new double[T * D], k = new double[T * D];
                for (int t = 0; t < T; t++) {
                    for (int d = 0; d < D; d++) {
                        q[t * D + d] = qkv[(b * T + t) * 3 * C + h * D + d];
                        k[t * D + d] = qkv[(b * T + t) * 3 * C + C + h * D + d];
                    }
                }
                double[] cm = correlate2dSame(q, k, T, D);
                for (int t = 0; t < T; t++) {
                    for (int d = 0; d < D; d++) {
                        out[(b * T + t) * 3 * C + h * D + d] = cm[t * D + d];
                    }
                }
            }
        }
        return out;
    }

    /** The mixer's output in double: attention over [Cmat | K | V]. */
    static double[] referenceOut(double[] qkv, int B, int T, int C, int H) {
        return Reference.attention(referenceCqkv(qkv, B, T, C, H), B, T, C, H)[0];
    }

    /**
     * Head 1 of a 2-head qkv (B = 1, D = 2) holds Q and K of the example; head 0 and V hold noise.
     * Returns the Cmat block of head 1.
     */
    static float[] handExample(float[] q, float[] k, int T) {
        int D = 2, H = 2, C = D * H;
        float[] x = gaussian(new Random(T), T * 3 * C, 1);
        for (int t = 0; t < T; t++) {
            for (int d = 0; d < D; d++) {
                x[t * 3 * C + D + d] = q[t * D + d];
                x[t * 3 * C + C + D + d] = k[t * D + d];
            }
        }
        FloatSlice qkv = padded("qkv", x, 1, T, 3 * C), cqkv = padded("cqkv", 1, T, 3 * C);
        GraphRunner.run(false, LeviathanSameMixer.Stages.correlate("same", cqkv, qkv, 1, T, C, H));
        float[] got = cqkv.toArray(), cmat = new float[T * D];
        for (int t = 0; t < T; t++) {
            for (int d = 0; d < D; d++) {
                cmat[t * D + d] = got[t * 3 * C + D + d];
            }
            for (int c = C; c < 3 * C; c++) {
                assertEquals(x[t * 3 * C + c], got[t * 3 * C + c], "K and V are carried over unchanged");
            }
        }
        assertPaddingIntact(qkv, cqkv);
        return cmat;
    }

    /**
     * Q = [[1, 2], [3, 4]], K = [[5, 6], [7, 8]] (T = D = 2, so pT = pD = 0):
     * Cmat[i, c] = Σ_{j,e} Q[i + j, c + e]·K[j, e]:
     * Cmat[0,0] = 1·5 + 2·6 + 3·7 + 4·8 = 70; Cmat[0,1] = 2·5 + 4·7 = 38; Cmat[1,0] = 3·5 + 4·6 = 39;
     * Cmat[1,1] = 4·5 = 20 — scipy.signal.correlate2d(Q, K, 'same') = [[70, 38], [39, 20]]. The full
     * output is [[8, 23, 14], [30, 70, 38], [18, 39, 20]]: 'same' is its block at (1, 1) = (T/2, D/2),
     * not the centred crop at ((T−1)/2, (D−1)/2) = (0, 0), [[8, 23], [30, 70]].
     */
    @Test
    void evenSizedHandExampleMatchesScipy() {
        float[] cmat = handExample(new float[] {1, 2, 3, 4}, new float[] {5, 6, 7, 8}, 2);
        assertArrayEquals(new float[] {70, 38, 39, 20}, cmat);
    }

    /**
     * Q = [[1, 2], [3, 4], [5, 6]], K = [[1, 0], [2, −1], [0, 3]] (T = 3, pT = 1; D = 2, pD = 0):
     * Cmat[i, c] = Σ_{j,e} Q[i + j − 1, c + e]·K[j, e]:
     * Cmat[0,0] = Q[0]·K[1] + Q[1]·K[2] = (2 − 2) + (0 + 12) = 12;  Cmat[0,1] = Q[0,1]·K[1,0] + Q[1,1]·K[2,0] = 4 + 0 = 4;
     * Cmat[1,0] = Q[0]·K[0] + Q[1]·K[1] + Q[2]·K[2] = 1 + (6 − 4) + (0 + 18) = 21;  Cmat[1,1] = 2·1 + 4·2 + 6·0 = 10;
     * Cmat[2,0] = Q[1]·K[0] + Q[2]·K[1] = 3 + (10 − 6) = 7;  Cmat[2,1] = 4·1 + 6·2 = 16 —
     * scipy.signal.correlate2d(Q, K, 'same') = [[12, 4], [21, 10], [7, 16]].
     */
    @Test
    void oddRowsHandExampleMatchesScipy() {
        float[] cmat = handExample(new float[] {1, 2, 3, 4, 5, 6}, new float[] {1, 0, 2, -1, 0, 3}, 3);
        assertArrayEquals(new float[] {12, 4, 21, 10, 7, 16}, cmat);
    }

    /** The kernel's index formula and the reference's "full, then crop" agree on a non-trivial 4×2 case too. */
    @Test
    void referenceAgreesWithScipyOnFourRows() {
        // scipy.signal.correlate2d(arange(1, 9).reshape(4, 2), [[1, 0], [0, 1], [2, 0], [0, −1]], 'same')
        double[] expected = {2, 8, 7, 14, 23, 20, 13, 6};
        double[] got = correlate2dSame(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, new double[] {1, 0, 0, 1, 2, 0, 0, -1}, 4, 2);
        assertArrayEquals(expected, got, 0.0);
        float[] kernel = handExample(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new float[] {1, 0, 0, 1, 2, 0, 0, -1}, 4);
        assertClose(expected, kernel, 0.0, "kernel on the 4×2 example");
    }

    static Stage[] stages(FloatSlice out, FloatSlice cqkv, FloatSlice pre, FloatSlice att, FloatSlice qkv,
                          FloatSlice dqkv, FloatSlice dcqkv, FloatSlice dpre, FloatSlice dout, int B, int T, int C, int H) {
        return new Stage[] {
                LeviathanSameMixer.Stages.correlate("same", cqkv, qkv, B, T, C, H),
                CoreStages.attentionForward("same_attn", out, pre, att, cqkv, B, T, C, H),
                CoreStages.attentionBackwardQuery("same_attn_bq", dcqkv, dpre, dout, cqkv, att, B, T, C, H),
                CoreStages.attentionBackwardKeyValue("same_attn_bkv", dcqkv, dpre, dout, cqkv, att, B, T, C, H),
                LeviathanSameMixer.Stages.correlateBackward("same_bw", dqkv, dcqkv, qkv, B, T, C, H)};
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} H={3} fast={4}")
    @CsvSource({"2,5,12,3,false", "1,6,8,2,false", "2,4,15,3,false", "1,1,4,2,false", "2,5,12,3,true", "1,6,8,2,true"})
    void forwardAndBackwardMatchReference(int B, int T, int C, int H, boolean fast) {
        Random r = new Random(B * 100 + T * 10 + C + H);
        float[] x = gaussian(r, B * T * 3 * C, 0.7), dy = gaussian(r, B * T * C, 1);
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), cqkv = padded("cqkv", B, T, 3 * C);
        FloatSlice out = padded("out", B, T, C), pre = padded("preatt", B, H, T, T), att = padded("att", B, H, T, T);
        FloatSlice dcqkv = padded("dcqkv", B, T, 3 * C), dpre = padded("dpreatt", B, H, T, T), dout = padded("dout", dy, B, T, C);
        FloatSlice dqkv = padded("dqkv", constant(B * T * 3 * C, PREFILL), B, T, 3 * C);
        GraphRunner.run(fast, stages(out, cqkv, pre, att, qkv, dqkv, dcqkv, dpre, dout, B, T, C, H));

        double[] X = toDouble(x);
        assertClose(referenceCqkv(X, B, T, C, H), cqkv.toArray(), FORWARD_RTOL, "[Cmat | K | V]");
        assertClose(referenceOut(X, B, T, C, H), out.toArray(), FORWARD_RTOL, "leviathan-same out");
        double[] g = FiniteDifference.gradient(q -> dot(dy, referenceOut(q, B, T, C, H)), X);
        float[] got = minus(dqkv.toArray(), PREFILL);
        assertQkvClose(g, got, GRAD_RTOL, B * T, C, "leviathan-same");
        assertPaddingIntact(qkv, cqkv, out, pre, att, dcqkv, dpre, dout, dqkv);
    }

    /**
     * Row i of Cmat reads query rows i − pT … i − pT + T − 1: with T = 6 (pT = 2), Cmat row 1 reads
     * query rows up to 4, and output row 1 changes when query row 4 changes — the leak the mixer's
     * causal() = false declares. (Output row 0 is v_0 whatever its one score is.)
     */
    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void laterQueryRowChangesEarlierOutput(boolean fast) {
        int B = 1, T = 6, C = 8, H = 2;
        Random r = new Random(5);
        float[] x = gaussian(r, B * T * 3 * C, 0.3);   // small enough that row 1's softmax is not saturated
        float[][] outs = new float[2][];
        for (int variant = 0; variant < 2; variant++) {
            float[] xv = x.clone();
            if (variant == 1) {
                xv[4 * 3 * C] += 1f;   // Q row 4, column 0 (head 0)
            }
            FloatSlice qkv = padded("qkv", xv, B, T, 3 * C), cqkv = padded("cqkv", B, T, 3 * C), out = padded("out", B, T, C);
            GraphRunner.run(fast,
                    LeviathanSameMixer.Stages.correlate("same", cqkv, qkv, B, T, C, H),
                    CoreStages.attentionForward("same_attn", out, padded("preatt", B, H, T, T), padded("att", B, H, T, T), cqkv, B, T, C, H));
            outs[variant] = out.toArray();
        }
        double change = 0;
        for (int c = 0; c < C; c++) {
            change = Math.max(change, Math.abs(outs[1][C + c] - outs[0][C + c]));
        }
        assertTrue(change > 1e-3, "output row 1 should change with query row 4 (it changed by " + change + ")");
    }

    @Test
    void stageFactoriesRejectWrongSizes() {
        int B = 2, T = 4, C = 8, H = 2;
        FloatSlice qkv = FloatSlice.of("qkv", B, T, 3 * C), shortBuf = FloatSlice.of("short_cqkv", B * T * 3 * C - 1);
        assertRejected(() -> LeviathanSameMixer.Stages.correlate("s", shortBuf, qkv, B, T, C, H), "short_cqkv", "B*T*3C");
        assertRejected(() -> LeviathanSameMixer.Stages.correlateBackward("s", qkv, shortBuf, qkv, B, T, C, H), "short_cqkv", "B*T*3C");
        assertRejected(() -> LeviathanSameMixer.Stages.correlate("s", qkv, qkv, B, T, C, 3), "not divisible");
    }
}
