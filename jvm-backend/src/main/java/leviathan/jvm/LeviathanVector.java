package leviathan.jvm;

import static leviathan.jvm.VectorRows.LANES;
import static leviathan.jvm.VectorRows.S;
import static leviathan.jvm.VectorRows.axpy;
import static leviathan.jvm.VectorRows.live;
import static leviathan.jvm.VectorRows.pad;
import static leviathan.jvm.VectorRows.perHead;
import static leviathan.jvm.VectorRows.rowTimesTransposed;
import static leviathan.jvm.VectorRows.transpose;

import java.util.function.IntConsumer;

import jdk.incubator.vector.FloatVector;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.jvm.VectorRows.Scratch;
import leviathan.kernels.LeviathanKernels;

/**
 * The JVM backend's fast variants of Leviathan's row kernels ({@link leviathan.kernels.Leviathan}
 * stays the oracle they are tested against, and the TornadoVM source), on the row primitives of
 * {@link VectorRows}, as the fast attention does.
 *
 * <p>The score-map kernels (A = QKᵀ/√D, softmax and P·V, the softmax backward, dQ = dA·K/√D) run
 * one task per (batch, head): K or V of the head is transposed once into per-thread scratch, and
 * every row becomes broadcast-FMAs over contiguous memory instead of scalar dot products. Their
 * results differ from the plain bodies' in the last bits (FMA, summation order of the dot products,
 * and the deterministic {@link VectorRows#expRow} instead of {@code Math.exp}); never a lanewise
 * EXP, whose rounding would depend on what the JIT has compiled.
 *
 * <p>The two direct lag correlations keep the plain bodies' per-element order (τ ascending, a
 * multiply then an add, no FMA) but loop τ outside and the row inside, so the row loop is a
 * vector axpy: their results equal the plain bodies' bit for bit.
 *
 * <p>Every output row is computed by one task on one thread, so nothing depends on the thread
 * count or on timing.
 */
public final class LeviathanVector {
    private LeviathanVector() {}

    // ---- score-map kernels: one task per (b, h) ---------------------------------------------

    /** Args as {@code LeviathanMixer.Stages.baseScores} declares them: base, qkv, T, C, H. */
    public static JvmFastKernels.JvmStage baseScores(Stage s) {
        LeviathanKernels.BaseScoresArgs a = LeviathanKernels.BaseScoresArgs.of(s);
        FloatSlice base = a.base(), qkv = a.qkv();
        int T = a.T(), C = a.C(), H = a.H();
        return perHead(s.extent[0] / T, T, H, C / H, (b, h, sc) -> baseScoresHead(base, qkv, T, C, H, b, h, sc));
    }

    /** Args: out, att, preatt, qkv, T, C, H. */
    public static JvmFastKernels.JvmStage softmaxValues(Stage s) {
        LeviathanKernels.SoftmaxValuesArgs a = LeviathanKernels.SoftmaxValuesArgs.of(s);
        FloatSlice out = a.out(), att = a.att(), pre = a.preatt(), qkv = a.qkv();
        int T = a.T(), C = a.C(), H = a.H();
        return perHead(s.extent[0] / T, T, H, C / H, (b, h, sc) -> softmaxValuesHead(out, att, pre, qkv, T, C, H, b, h, sc));
    }

    /** Args: dpreatt, dout, qkv, att, T, C, H. */
    public static JvmFastKernels.JvmStage scoresBackward(Stage s) {
        LeviathanKernels.ScoresBackwardArgs a = LeviathanKernels.ScoresBackwardArgs.of(s);
        FloatSlice dpre = a.dpreatt(), dout = a.dout(), qkv = a.qkv(), att = a.att();
        int T = a.T(), C = a.C(), H = a.H();
        return perHead(s.extent[0] / T, T, H, C / H, (b, h, sc) -> scoresBackwardHead(dpre, dout, qkv, att, T, C, H, b, h, sc));
    }

    /** Args: dqkv, dbase, qkv, T, C, H. */
    public static JvmFastKernels.JvmStage queryBackward(Stage s) {
        LeviathanKernels.QueryBackwardArgs a = LeviathanKernels.QueryBackwardArgs.of(s);
        FloatSlice dqkv = a.dqkv(), dbase = a.dbase(), qkv = a.qkv();
        int T = a.T(), C = a.C(), H = a.H();
        return perHead(s.extent[0] / T, T, H, C / H, (b, h, sc) -> queryBackwardHead(dqkv, dbase, qkv, T, C, H, b, h, sc));
    }

    /** base[b, h, t, j] = q_t·k_j/√D for j ≤ t. */
    static void baseScoresHead(FloatSlice baseS, FloatSlice qkvS, int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, tPad = pad(T), C3 = 3 * C;
        float scale = 1.0f / (float) Math.sqrt(D);
        float[] qkv = qkvS.array, base = baseS.array, row = sc.row;
        int seq = qkvS.offset + b * T * C3;
        transpose(sc.transposed, qkv, seq + C + h * D, C3, T, D);
        int head = baseS.offset + (b * H + h) * T * T;
        for (int t = 0; t < T; t++) {
            rowTimesTransposed(row, qkv, seq + t * C3 + h * D, sc.transposed, D, tPad, live(t, tPad));
            int br = head + t * T;
            for (int j = 0; j <= t; j++) {
                base[br + j] = row[j] * scale;
            }
        }
    }

    /** att[b, h, t, :] = masked softmax of preatt[b, h, t, :]; out[b, t, head h] = Σ_j att_tj·v_j. */
    static void softmaxValuesHead(FloatSlice outS, FloatSlice attS, FloatSlice preS, FloatSlice qkvS,
                                  int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, tPad = pad(T), C3 = 3 * C;
        float[] qkv = qkvS.array, out = outS.array, att = attS.array, pre = preS.array, row = sc.row;
        int values = qkvS.offset + b * T * C3 + 2 * C + h * D;
        int head = (b * H + h) * T * T;
        for (int t = 0; t < T; t++) {
            int n = live(t, tPad);
            int pr = preS.offset + head + t * T;
            int ar = attS.offset + head + t * T;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j <= t; j++) {
                float v = pre[pr + j];
                row[j] = v;
                max = Math.max(max, v);
            }
            for (int j = t + 1; j < n; j++) {
                row[j] = max;   // lanes past t: computed and ignored
            }
            VectorRows.expRow(row, n, max);
            float sum = 0f;
            for (int j = 0; j <= t; j++) {
                sum += row[j];
            }
            float inv = sum == 0f ? 0f : 1.0f / sum;
            int o = outS.offset + (b * T + t) * C + h * D;
            for (int d = 0; d < D; d++) {
                out[o + d] = 0f;
            }
            for (int j = 0; j <= t; j++) {
                float p = row[j] * inv;
                att[ar + j] = p;
                axpy(out, o, p, qkv, values + j * C3, D);
            }
        }
    }

    /** dpreatt[b, h, t, :] = softmax backward of (dout_t·vᵀ) through att[b, h, t, :]. */
    static void scoresBackwardHead(FloatSlice dpreS, FloatSlice doutS, FloatSlice qkvS, FloatSlice attS,
                                   int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, tPad = pad(T), C3 = 3 * C;
        float[] qkv = qkvS.array, att = attS.array, dpre = dpreS.array, row = sc.row;
        transpose(sc.transposed, qkv, qkvS.offset + b * T * C3 + 2 * C + h * D, C3, T, D);
        int head = (b * H + h) * T * T;
        for (int t = 0; t < T; t++) {
            rowTimesTransposed(row, doutS.array, doutS.offset + (b * T + t) * C + h * D, sc.transposed, D, tPad, live(t, tPad));
            int ar = attS.offset + head + t * T;
            int dr = dpreS.offset + head + t * T;
            float dot = 0f;
            for (int j = 0; j <= t; j++) {
                dot += att[ar + j] * row[j];
            }
            for (int j = 0; j <= t; j++) {
                dpre[dr + j] = att[ar + j] * (row[j] - dot);
            }
        }
    }

    /** dq_t += (Σ_{j ≤ t} dbase[b, h, t, j]·k_j)/√D into head h's Q columns of dqkv. */
    static void queryBackwardHead(FloatSlice dqkvS, FloatSlice dbaseS, FloatSlice qkvS,
                                  int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, C3 = 3 * C;
        float scale = 1.0f / (float) Math.sqrt(D);
        float[] qkv = qkvS.array, dqkv = dqkvS.array, dbase = dbaseS.array, acc = sc.acc;
        int keys = qkvS.offset + b * T * C3 + C + h * D;
        int head = dbaseS.offset + (b * H + h) * T * T;
        for (int t = 0; t < T; t++) {
            for (int d = 0; d < D; d++) {
                acc[d] = 0f;
            }
            int dr = head + t * T;
            for (int j = 0; j <= t; j++) {
                axpy(acc, 0, dbase[dr + j], qkv, keys + j * C3, D);
            }
            int dq = dqkvS.offset + (b * T + t) * C3 + h * D;
            for (int d = 0; d < D; d++) {
                dqkv[dq + d] += acc[d] * scale;
            }
        }
    }

    // ---- the direct lag correlations: per row, bit-identical to the plain bodies ------------

    /** Args as {@code LeviathanMixer.Stages.lagCorrelate} declares them: preatt, base, lag, T, H, L. */
    public static JvmFastKernels.JvmStage lagCorrelate(Stage s) {
        LeviathanKernels.LagCorrelateArgs a = LeviathanKernels.LagCorrelateArgs.of(s);
        FloatSlice pre = a.preatt(), base = a.base(), lag = a.lag();
        int T = a.T(), H = a.H(), L = a.L();
        return perRow(s.extent[0], index -> lagCorrelateRow(pre, base, lag, T, H, L, index));
    }

    /** Args: dbase, dpreatt, lag, T, H, L. */
    public static JvmFastKernels.JvmStage lagCorrelateBackward(Stage s) {
        LeviathanKernels.LagCorrelateBackwardArgs a = LeviathanKernels.LagCorrelateBackwardArgs.of(s);
        FloatSlice dbase = a.dbase(), dpre = a.dpreatt(), lag = a.lag();
        int T = a.T(), H = a.H(), L = a.L();
        return perRow(s.extent[0], index -> lagCorrelateBackwardRow(dbase, dpre, lag, T, H, L, index));
    }

    /** Runs {@code row} for every row index in [0, rows), split across the pool. */
    private static JvmFastKernels.JvmStage perRow(int rows, IntConsumer row) {
        Kernel.RangeBody body = (from, to) -> {
            for (int index = from; index < to; index++) {
                row.accept(index);
            }
        };
        return pool -> pool.run(rows, body);
    }

    /**
     * Row i (index (b·H + h)·T + i): S[i, j] = g_0·A[i, j], then for τ = 1, 2, …: S[i, j] += g_τ·A[i−τ, j−τ]
     * over j ∈ [τ, i], the plain body's terms in its order.
     */
    static void lagCorrelateRow(FloatSlice preS, FloatSlice baseS, FloatSlice lagS, int T, int H, int L, int index) {
        int h = (index / T) % H;
        int i = index % T;
        float[] pre = preS.array, base = baseS.array, lag = lagS.array;
        int g = lagS.offset + h * L;
        int out = preS.offset + index * T;
        int in = baseS.offset + index * T;
        scaleInto(pre, out, lag[g], base, in, i + 1);
        int taus = Math.min(L - 1, i);
        for (int tau = 1; tau <= taus; tau++) {
            addScaled(pre, out + tau, lag[g + tau], base, in - tau * (T + 1) + tau, i + 1 - tau);
        }
    }

    /**
     * Row a: dA[a, c] = g_0·dS[a, c], then for τ = 1 … min(L−1, T−1−a): dA[a, c] += g_τ·dS[a+τ, c+τ] over c ≤ a.
     */
    static void lagCorrelateBackwardRow(FloatSlice dbaseS, FloatSlice dpreS, FloatSlice lagS, int T, int H, int L, int index) {
        int h = (index / T) % H;
        int a = index % T;
        float[] dbase = dbaseS.array, dpre = dpreS.array, lag = lagS.array;
        int g = lagS.offset + h * L;
        int out = dbaseS.offset + index * T;
        int in = dpreS.offset + index * T;
        scaleInto(dbase, out, lag[g], dpre, in, a + 1);
        int taus = Math.min(L - 1, T - 1 - a);
        for (int tau = 1; tau <= taus; tau++) {
            addScaled(dbase, out, lag[g + tau], dpre, in + tau * (T + 1), a + 1);
        }
    }

    /** y[yOff + k] = a·x[xOff + k] for k < n. */
    private static void scaleInto(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        int k = 0;
        for (; k + LANES <= n; k += LANES) {
            FloatVector.fromArray(S, x, xOff + k).mul(a).intoArray(y, yOff + k);
        }
        for (; k < n; k++) {
            y[yOff + k] = a * x[xOff + k];
        }
    }

    /** y[yOff + k] = y[yOff + k] + a·x[xOff + k] for k < n: a multiply, then an add (no FMA), as the plain bodies round. */
    private static void addScaled(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        int k = 0;
        for (; k + LANES <= n; k += LANES) {
            FloatVector.fromArray(S, y, yOff + k).add(FloatVector.fromArray(S, x, xOff + k).mul(a)).intoArray(y, yOff + k);
        }
        for (; k < n; k++) {
            y[yOff + k] += a * x[xOff + k];
        }
    }
}
