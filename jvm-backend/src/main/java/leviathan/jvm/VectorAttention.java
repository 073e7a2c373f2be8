package leviathan.jvm;

import static leviathan.jvm.VectorRows.ROWS;
import static leviathan.jvm.VectorRows.live;
import static leviathan.jvm.VectorRows.pad;
import static leviathan.jvm.VectorRows.perHead;
import static leviathan.jvm.VectorRows.rowsTimesTransposed;
import static leviathan.jvm.VectorRows.transpose;
import static leviathan.jvm.VectorRows.weightedRowSum;
import static leviathan.jvm.VectorRows.weightedRowSums;

import jdk.incubator.vector.VectorSpecies;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.jvm.VectorRows.Scratch;
import leviathan.kernels.AttentionKernels;
import leviathan.stages.CoreStages;

/**
 * The JVM backend's fast causal attention (the same outputs as {@link leviathan.kernels.Attention},
 * which stays the oracle it is tested against). One task per (batch, head) instead of per query
 * row, so K and V can be transposed once per head into scratch: every score row and every
 * value-gradient row then becomes a broadcast-FMA over contiguous memory instead of a chain of
 * scalar dot products (C2 does not vectorise float reductions). The row primitives and the
 * per-thread scratch are {@link VectorRows}'.
 */
final class VectorAttention {
    private VectorAttention() {}

    private static final VectorSpecies<Float> S = VectorRows.S;
    private static final int L = VectorRows.LANES;

    /** Stage args as {@link CoreStages#attentionForward} declares them: out, preatt, att, qkv, T, C, H. */
    static JvmFastKernels.JvmStage forward(Stage s) {
        AttentionKernels.ForwardArgs a = AttentionKernels.ForwardArgs.of(s);
        FloatSlice out = a.out(), pre = a.preatt(), att = a.att(), qkv = a.qkv();
        int T = a.T(), C = a.C(), H = a.H();
        return perHead(s.extent[0] / T, T, H, C / H, (b, h, sc) -> forwardHead(out, pre, att, qkv, T, C, H, b, h, sc));
    }

    /** Args: dqkv, dpreatt, dout, qkv, att, T, C, H. */
    static JvmFastKernels.JvmStage backwardQuery(Stage s) {
        AttentionKernels.BackwardQueryArgs a = AttentionKernels.BackwardQueryArgs.of(s);
        FloatSlice dqkv = a.dqkv(), dpre = a.dpreatt(), dout = a.dout(), qkv = a.qkv(), att = a.att();
        int T = a.T(), C = a.C(), H = a.H();
        return perHead(s.extent[0] / T, T, H, C / H, (b, h, sc) -> backwardQueryHead(dqkv, dpre, dout, qkv, att, T, C, H, b, h, sc));
    }

    /** Args: dqkv, dpreatt, dout, qkv, att, T, C, H. */
    static JvmFastKernels.JvmStage backwardKeyValue(Stage s) {
        AttentionKernels.BackwardKeyValueArgs a = AttentionKernels.BackwardKeyValueArgs.of(s);
        FloatSlice dqkv = a.dqkv(), dpre = a.dpreatt(), dout = a.dout(), qkv = a.qkv(), att = a.att();
        int T = a.T(), C = a.C(), H = a.H();
        return perHead(s.extent[0] / T, T, H, C / H, (b, h, sc) -> backwardKeyValueHead(dqkv, dpre, dout, qkv, att, T, C, H, b, h, sc));
    }

    private static void forwardHead(FloatSlice out, FloatSlice pre, FloatSlice att, FloatSlice qkvS,
                                    int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, tPad = pad(T), C3 = 3 * C;
        float scale = 1.0f / (float) Math.sqrt(D);
        float[] qkv = qkvS.array;
        int base = qkvS.offset + b * T * C3, v = base + 2 * C + h * D;
        transpose(sc.transposed, qkv, base + C + h * D, C3, T, D);
        float[] rows = sc.rows;
        int head = (b * H + h) * T * T;
        // A block of ROWS query rows at a time: their scores share the loads of Kᵀ, their outputs the loads of V.
        for (int t0 = 0; t0 < T; t0 += ROWS) {
            int count = Math.min(ROWS, T - t0);
            rowsTimesTransposed(rows, tPad, count, qkv, base + t0 * C3 + h * D, C3, sc.transposed, D, tPad, live(t0 + count - 1, tPad));
            for (int r = 0; r < count; r++) {
                int t = t0 + r;
                softmaxRow(pre.array, pre.offset + head + t * T, att.array, att.offset + head + t * T, rows, r * tPad, live(t, tPad), t, scale,
                        sc.lanes);
                int o = out.offset + (b * T + t) * C + h * D;
                java.util.Arrays.fill(out.array, o, o + D, 0f);
            }
            int o = out.offset + (b * T + t0) * C + h * D, ar = att.offset + head + t0 * T;
            sumBlock(out.array, o, C, att.array, ar, qkv, v, C3, t0, count, T, 1f, D);
        }
    }

    /**
     * One row of the masked softmax, as the plain body computes it but in whole vectors: row[ro + j]
     * (raw scores, j ≤ t; n lanes padded) scaled into pre, exponentiated and normalised into att.
     * Only the sum's order differs from the body (per lane, then across lanes).
     */
    private static void softmaxRow(float[] pre, int pr, float[] att, int ar, float[] row, int ro, int n, int t, float scale,
                                   float[] lanes) {
        // Each step out of line, in VectorRows, so that C2's inlining budget for this method holds.
        VectorRows.scaleRow(row, ro, n, scale);
        System.arraycopy(row, ro, pre, pr, t + 1);
        float max = VectorRows.maxRow(row, ro, t + 1);
        VectorRows.expRow(row, ro, n, max);
        VectorRows.normaliseRow(att, ar, row, ro, t + 1, lanes);
    }

    /**
     * y row (t0 + r) += Σ_{i ≤ t0 + r} (w[wOff + r·T + i]·wScale)·x row i, for the count rows of a
     * block: the terms every row of a full block has (i ≤ t0) four rows at a time, then each row's
     * own last terms; per row the same FMAs in the same order as one weightedRowSum.
     */
    private static void sumBlock(float[] y, int yOff, int yStride, float[] w, int wOff, float[] x, int xOff, int xStride,
                                 int t0, int count, int T, float wScale, int D) {
        if (count < ROWS) {
            for (int r = 0; r < count; r++) {
                weightedRowSum(y, yOff + r * yStride, w, wOff + r * T, 1, wScale, x, xOff, xStride, t0 + r + 1, D);
            }
            return;
        }
        weightedRowSums(y, yOff, yStride, w, wOff, T, 1, wScale, x, xOff, xStride, t0 + 1, D);
        for (int r = 1; r < ROWS; r++) {
            weightedRowSum(y, yOff + r * yStride, w, wOff + r * T + t0 + 1, 1, wScale, x, xOff + (t0 + 1) * xStride, xStride, r, D);
        }
    }

    private static void backwardQueryHead(FloatSlice dqkv, FloatSlice dpre, FloatSlice dout, FloatSlice qkvS, FloatSlice att,
                                          int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, tPad = pad(T), C3 = 3 * C;
        float scale = 1.0f / (float) Math.sqrt(D);
        float[] qkv = qkvS.array;
        int base = qkvS.offset + b * T * C3;
        transpose(sc.transposed, qkv, base + 2 * C + h * D, C3, T, D);
        float[] rows = sc.rows;
        int head = (b * H + h) * T * T;
        for (int t0 = 0; t0 < T; t0 += ROWS) {
            int count = Math.min(ROWS, T - t0);
            rowsTimesTransposed(rows, tPad, count, dout.array, dout.offset + (b * T + t0) * C + h * D, C,
                    sc.transposed, D, tPad, live(t0 + count - 1, tPad));
            for (int r = 0; r < count; r++) {
                int t = t0 + r;
                VectorRows.softmaxBackwardRow(dpre.array, dpre.offset + head + t * T, att.array, att.offset + head + t * T,
                        rows, r * tPad, t + 1, sc.lanes);
            }
            int dq = dqkv.offset + (b * T + t0) * C3 + h * D;
            sumBlock(dqkv.array, dq, C3, dpre.array, dpre.offset + head + t0 * T, qkv, base + C + h * D, C3, t0, count, T, scale, D);
        }
    }

    private static void backwardKeyValueHead(FloatSlice dqkv, FloatSlice dpre, FloatSlice dout, FloatSlice qkvS, FloatSlice att,
                                             int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, C3 = 3 * C;
        float scale = 1.0f / (float) Math.sqrt(D);
        float[] qkv = qkvS.array;
        int base = qkvS.offset + b * T * C3, q = base + h * D, g = dout.offset + b * T * C + h * D;
        float[] dk = sc.acc, dv = sc.acc2;
        java.util.Arrays.fill(dk, 0, T * D, 0f);
        java.util.Arrays.fill(dv, 0, T * D, 0f);
        int head = (b * H + h) * T * T;
        int dp = dpre.offset + head, ap = att.offset + head;
        // Key row j gathers the queries t ≥ j that saw it: column j of the score maps, t ascending.
        // Four keys j0..j0+3 at a time: first each key's queries before j0+3, then the queries
        // t ≥ j0+3 that all four share, together.
        for (int j0 = 0; j0 < T; j0 += ROWS) {
            int count = Math.min(ROWS, T - j0);
            int shared = count < ROWS ? T : j0 + ROWS - 1;   // first query all keys of the block share
            for (int j = j0; j < j0 + count; j++) {
                int own = Math.min(shared, T) - j;
                weightedRowSum(dk, j * D, dpre.array, dp + j * T + j, T, scale, qkv, q + j * C3, C3, own, D);
                weightedRowSum(dv, j * D, att.array, ap + j * T + j, T, 1f, dout.array, g + j * C, C, own, D);
            }
            if (count == ROWS && shared < T) {
                int n = T - shared;
                weightedRowSums(dk, j0 * D, D, dpre.array, dp + shared * T + j0, 1, T, scale, qkv, q + shared * C3, C3, n, D);
                weightedRowSums(dv, j0 * D, D, att.array, ap + shared * T + j0, 1, T, 1f, dout.array, g + shared * C, C, n, D);
            }
        }
        for (int j = 0; j < T; j++) {
            int k = dqkv.offset + (b * T + j) * C3 + C + h * D;
            for (int d = 0; d < D; d++) {
                dqkv.array[k + d] += dk[j * D + d];
                dqkv.array[k + C + d] += dv[j * D + d];
            }
        }
    }
}
