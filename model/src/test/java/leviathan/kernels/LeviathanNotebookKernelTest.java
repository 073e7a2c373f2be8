package leviathan.kernels;

import static leviathan.kernels.LeviathanKernelTest.assertRejected;
import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.GRAD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.Check.relErr;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.constant;
import static leviathan.testing.TestData.dot;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.minus;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.qkvColumns;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.model.mixers.LeviathanSameMixer;
import leviathan.stages.CoreStages;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;

/**
 * {@link LeviathanNotebook}, the notebook's score exactly ({@code leviathan-same --notebook=true}):
 * <ul>
 *   <li>[Cmat | K | V] and the output against a double reference written from scipy's definition
 *       (full N-D correlation, then the block from ⌊(n−1)/2⌋ on every axis; SciPy's own numbers are
 *       in {@link ScipyCorrelateCasesTest}), relative 1e-5, for odd and even B, H, T, D;</li>
 *   <li>the backward against central finite differences of that reference with Cmat held fixed
 *       (the notebook's {@code .detach()}): dK (through Kᵀ only) and dV within 1e-3, and dQ
 *       untouched — and, against the undetached function, that the output does depend on Q and on
 *       K through Cmat, so the zero dQ and the partial dK are the detach, not a vacuous check;</li>
 *   <li>not causal: a later query row and a later value row change output row 0;</li>
 *   <li>batch rows and heads mix (the 4-D correlation), where the per-head correlate2d path keeps
 *       them apart bit for bit;</li>
 *   <li>the stage factories reject wrong buffer lengths.</li>
 * </ul>
 */
class LeviathanNotebookKernelTest {
    static final float PREFILL = 0.25f;

    /**
     * scipy.signal.correlate(in1, in2, 'same') of two arrays of shape n: full[k] = Σ_m in1[m]·in2[m − k + n − 1]
     * over every axis (in2 zero outside), then same[i] = full[i + ⌊(n−1)/2⌋] (numpy's centred crop).
     */
    static double[] correlateSame(double[] in1, double[] in2, int... n) {
        int[] full = new int[n.length];
        for (int a = 0; a < n.length; a++) {
            full[a] = 2 * n[a] - 1;
        }
        double[] same = new double[in1.length];
        int[] k = new int[n.length], m = new int[n.length], r = new int[n.length];
        for (int fi = 0; fi < size(full); fi++) {
            unravel(fi, full, k);
            boolean kept = true;
            for (int a = 0; a < n.length; a++) {
                int i = k[a] - (n[a] - 1) / 2;
                kept &= i >= 0 && i < n[a];
            }
            if (!kept) {
                continue;
            }
            double s = 0;
            for (int mi = 0; mi < in1.length; mi++) {
                unravel(mi, n, m);
                boolean inside = true;
                for (int a = 0; a < n.length; a++) {
                    r[a] = m[a] - k[a] + n[a] - 1;
                    inside &= r[a] >= 0 && r[a] < n[a];
                }
                if (inside) {
                    s += in1[mi] * in2[ravel(r, n)];
                }
            }
            for (int a = 0; a < n.length; a++) {
                k[a] -= (n[a] - 1) / 2;
            }
            same[ravel(k, n)] = s;
        }
        return same;
    }

    private static int size(int[] n) {
        int s = 1;
        for (int x : n) {
            s *= x;
        }
        return s;
    }

    private static void unravel(int flat, int[] n, int[] idx) {
        for (int a = n.length - 1; a >= 0; a--) {
            idx[a] = flat % n[a];
            flat /= n[a];
        }
    }

    private static int ravel(int[] idx, int[] n) {
        int flat = 0;
        for (int a = 0; a < n.length; a++) {
            flat = flat * n[a] + idx[a];
        }
        return flat;
    }

    /** Part p (0 = Q, 1 = K) of qkv as a (B, H, T, D) array, as the notebook's split_heads gives it. */
    static double[] heads(double[] qkv, int p, int B, int T, int C, int H) {
        int D = C / H;
        double[] x = new double[B * T * C];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    for (int d = 0; d < D; d++) {
                        x[((b * H + h) * T + t) * D + d] = qkv[(b * T + t) * 3 * C + p * C + h * D + d];
                    }
                }
            }
        }
        return x;
    }

    /** Cmat (B, H, T, D) of the Q and K in {@code qkv}. */
    static double[] referenceCmat(double[] qkv, int B, int T, int C, int H) {
        return correlateSame(heads(qkv, 0, B, T, C, H), heads(qkv, 1, B, T, C, H), B, H, T, C / H);
    }

    /** [Cmat | K | V] in qkv's layout. */
    static double[] referenceCqkv(double[] qkv, int B, int T, int C, int H) {
        int D = C / H;
        double[] cm = referenceCmat(qkv, B, T, C, H), out = qkv.clone();
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    for (int d = 0; d < D; d++) {
                        out[(b * T + t) * 3 * C + h * D + d] = cm[((b * H + h) * T + t) * D + d];
                    }
                }
            }
        }
        return out;
    }

    /**
     * The notebook's output (B, T, C): softmax(Cmat·Kᵀ/√D) over all keys, times V, with K and V from
     * {@code qkv} and Cmat given (computed from whatever qkv the caller detaches it from).
     */
    static double[] referenceOut(double[] qkv, double[] cmat, int B, int T, int C, int H) {
        int D = C / H;
        double[] out = new double[B * T * C], p = new double[T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < T; j++) {
                        double s = 0;
                        for (int d = 0; d < D; d++) {
                            s += cmat[((b * H + h) * T + t) * D + d] * qkv[(b * T + j) * 3 * C + C + h * D + d];
                        }
                        p[j] = s / Math.sqrt(D);
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < T; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int j = 0; j < T; j++) {
                        for (int d = 0; d < D; d++) {
                            out[(b * T + t) * C + h * D + d] += p[j] / sum * qkv[(b * T + j) * 3 * C + 2 * C + h * D + d];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Runs the notebook's forward and backward stages; returns {out, cqkv, dqkv} (dqkv pre-filled with PREFILL). */
    static float[][] run(float[] x, float[] dy, int B, int T, int C, int H, boolean fast) {
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), cqkv = padded("cqkv", B, T, 3 * C), out = padded("out", B, T, C);
        FloatSlice pre = padded("preatt", B, H, T, T), att = padded("att", B, H, T, T), dpre = padded("dpreatt", B, H, T, T);
        FloatSlice dout = padded("dout", dy, B, T, C), dqkv = padded("dqkv", constant(B * T * 3 * C, PREFILL), B, T, 3 * C);
        GraphRunner.run(fast,
                LeviathanSameMixer.Stages.notebookCorrelate("nb_correlate", cqkv, qkv, B, T, C, H),
                LeviathanSameMixer.Stages.notebookAttention("nb_attention", out, pre, att, cqkv, B, T, C, H),
                LeviathanSameMixer.Stages.notebookAttentionBackwardScores("nb_scores", dpre, dout, cqkv, att, B, T, C, H),
                LeviathanSameMixer.Stages.notebookAttentionBackwardKeyValue("nb_kv", dqkv, dpre, dout, cqkv, att, B, T, C, H));
        assertPaddingIntact(qkv, cqkv, out, pre, att, dpre, dout, dqkv);
        return new float[][] {out.toArray(), cqkv.toArray(), dqkv.toArray()};
    }

    static float[] forwardOnly(float[] x, int B, int T, int C, int H, boolean notebook) {
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), cqkv = padded("cqkv", B, T, 3 * C), out = padded("out", B, T, C);
        FloatSlice pre = padded("preatt", B, H, T, T), att = padded("att", B, H, T, T);
        Stage[] stages = notebook
                ? new Stage[] {LeviathanSameMixer.Stages.notebookCorrelate("nb_correlate", cqkv, qkv, B, T, C, H),
                               LeviathanSameMixer.Stages.notebookAttention("nb_attention", out, pre, att, cqkv, B, T, C, H)}
                : new Stage[] {LeviathanSameMixer.Stages.correlate("correlate2d", cqkv, qkv, B, T, C, H),
                               CoreStages.attentionForward("attention", out, pre, att, cqkv, B, T, C, H)};
        GraphRunner.run(false, stages);
        return out.toArray();
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} H={3} fast={4}")
    @CsvSource({"2,5,12,2,false", "3,4,9,3,false", "1,6,8,2,false", "2,1,4,2,false", "4,8,8,4,false", "3,4,9,3,true", "4,8,8,4,true"})
    void forwardAndBackwardMatchTheDetachedReference(int B, int T, int C, int H, boolean fast) {
        Random r = new Random(B * 1000 + T * 100 + C * 10 + H);
        float[] x = gaussian(r, B * T * 3 * C, 0.5), dy = gaussian(r, B * T * C, 1);
        float[][] got = run(x, dy, B, T, C, H, fast);
        double[] X = toDouble(x), cmat = referenceCmat(X, B, T, C, H);
        assertClose(referenceCqkv(X, B, T, C, H), got[1], FORWARD_RTOL, "[Cmat | K | V]");
        assertClose(referenceOut(X, cmat, B, T, C, H), got[0], FORWARD_RTOL, "notebook out");
        // Cmat fixed at the forward's value: the function the notebook differentiates.
        double[] g = FiniteDifference.gradient(q -> dot(dy, referenceOut(q, cmat, B, T, C, H)), X);
        float[] dqkv = minus(got[2], PREFILL);
        assertArrayEquals(new float[B * T * C], qkvColumns(dqkv, 0, B * T, C), "dQ: Q reaches the loss only through the detached Cmat");
        assertClose(qkvColumns(g, 1, B * T, C), qkvColumns(dqkv, 1, B * T, C), GRAD_RTOL, "dK through Kᵀ");
        assertClose(qkvColumns(g, 2, B * T, C), qkvColumns(dqkv, 2, B * T, C), GRAD_RTOL, "dV");
    }

    /**
     * Without the detach the output's gradient to Q is far from zero and its gradient to K has a
     * second, Cmat, term: the kernels' zero dQ and Kᵀ-only dK are exactly what .detach() removes.
     */
    @Test
    void theCorrelationPassesNoGradientToQueriesOrKeys() {
        int B = 2, T = 5, C = 12, H = 2;
        Random r = new Random(77);
        float[] x = gaussian(r, B * T * 3 * C, 0.5), dy = gaussian(r, B * T * C, 1);
        float[] dqkv = minus(run(x, dy, B, T, C, H, false)[2], PREFILL);
        double[] X = toDouble(x);
        double[] undetached = FiniteDifference.gradient(q -> dot(dy, referenceOut(q, referenceCmat(q, B, T, C, H), B, T, C, H)), X);
        double[] gq = qkvColumns(undetached, 0, B * T, C), gk = qkvColumns(undetached, 1, B * T, C), gv = qkvColumns(undetached, 2, B * T, C);
        assertTrue(max(gq) > 1e-2 * max(gv), "the output should depend on Q through Cmat (max |dQ| " + max(gq) + ", max |dV| " + max(gv) + ")");
        double kGap = relErr(gk, qkvColumns(dqkv, 1, B * T, C));
        assertTrue(kGap > 0.05, "dK should miss the Cmat term (relative gap to the undetached gradient " + kGap + ")");
        assertClose(gv, qkvColumns(dqkv, 2, B * T, C), GRAD_RTOL, "dV needs no detach");
    }

    private static double max(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** Largest change of {@code rows} output rows (of C values each) starting at row {@code from}. */
    private static double change(float[] a, float[] b, int from, int rows, int C) {
        double d = 0;
        for (int i = from * C; i < (from + rows) * C; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    /**
     * T = 6 (pT = 3): Cmat row 0 reads query rows 0…2, so query row 2 moves output row 0; and with no
     * mask every value row does, the last one included.
     */
    @Test
    void laterPositionsChangeEarlierOutputs() {
        int B = 1, T = 6, C = 8, H = 2;
        float[] x = gaussian(new Random(5), B * T * 3 * C, 0.3), base = forwardOnly(x, B, T, C, H, true);
        float[] laterQuery = x.clone(), laterValue = x.clone();
        laterQuery[2 * 3 * C] += 1f;               // Q row 2, head 0
        laterValue[5 * 3 * C + 2 * C] += 1f;       // V row 5, head 0
        double viaQuery = change(base, forwardOnly(laterQuery, B, T, C, H, true), 0, 1, C);
        double viaValue = change(base, forwardOnly(laterValue, B, T, C, H, true), 0, 1, C);
        assertTrue(viaQuery > 1e-3, "query row 2 should move output row 0 (moved it by " + viaQuery + ")");
        assertTrue(viaValue > 1e-3, "value row 5 should move output row 0 (moved it by " + viaValue + ")");
    }

    /**
     * B = 2 (pB = 1): Cmat of batch row 0 is Q[row 0]·K[row 1] summed, so batch row 1 moves batch row
     * 0's output; likewise H = 2: head 0's Cmat pairs head 0's Q with head 1's K. The per-head
     * correlate2d path leaves batch row 0 bit for bit unchanged.
     */
    @Test
    void batchRowsAndHeadsMix() {
        int B = 2, T = 4, C = 8, H = 2, D = C / H;
        float[] x = gaussian(new Random(9), B * T * 3 * C, 0.5);
        float[] otherRow = x.clone(), otherHeadKeys = x.clone();
        for (int i = T * 3 * C; i < 2 * T * 3 * C; i++) {
            otherRow[i] += 0.5f;                   // all of batch row 1
        }
        for (int t = 0; t < B * T; t++) {
            otherHeadKeys[t * 3 * C + C + D] += 0.5f;   // K of head 1, column 0, every row
        }
        double rowNotebook = change(forwardOnly(x, B, T, C, H, true), forwardOnly(otherRow, B, T, C, H, true), 0, T, C);
        float[] before = forwardOnly(x, B, T, C, H, false), after = forwardOnly(otherRow, B, T, C, H, false);
        assertTrue(rowNotebook > 1e-3, "batch row 1 should move batch row 0's output (moved it by " + rowNotebook + ")");
        assertArrayEquals(java.util.Arrays.copyOf(before, T * C), java.util.Arrays.copyOf(after, T * C),
                "the per-head correlate2d path keeps batch rows apart");
        float[] base = forwardOnly(x, B, T, C, H, true), moved = forwardOnly(otherHeadKeys, B, T, C, H, true);
        double head0 = 0;
        for (int row = 0; row < B * T; row++) {
            for (int d = 0; d < D; d++) {
                head0 = Math.max(head0, Math.abs(moved[row * C + d] - base[row * C + d]));
            }
        }
        assertTrue(head0 > 1e-3, "head 1's keys should move head 0's output (moved it by " + head0 + ")");
    }

    @Test
    void stageFactoriesRejectWrongSizes() {
        int B = 2, T = 4, C = 8, H = 2;
        FloatSlice qkv = FloatSlice.of("qkv", B, T, 3 * C), rows = FloatSlice.of("rows", B, T, C);
        FloatSlice scores = FloatSlice.of("scores", B, H, T, T), shortBuf = FloatSlice.of("short_buf", B * T * 3 * C - 1);
        FloatSlice shortScores = FloatSlice.of("short_scores", B * H * T * T - 1);
        assertRejected(() -> LeviathanSameMixer.Stages.notebookCorrelate("s", shortBuf, qkv, B, T, C, H), "short_buf", "B*T*3C");
        assertRejected(() -> LeviathanSameMixer.Stages.notebookCorrelate("s", qkv, qkv, B, T, C, 3), "not divisible");
        assertRejected(() -> LeviathanSameMixer.Stages.notebookAttention("s", rows, shortScores, scores, qkv, B, T, C, H),
                "short_scores", "B*H*T*T");
        assertRejected(() -> LeviathanSameMixer.Stages.notebookAttentionBackwardScores("s", scores, rows, shortBuf, scores, B, T, C, H),
                "short_buf", "B*T*3C");
        assertRejected(() -> LeviathanSameMixer.Stages.notebookAttentionBackwardKeyValue("s", shortBuf, scores, rows, qkv, scores, B, T, C, H),
                "short_buf", "B*T*3C");
    }
}
