package leviathan.compute;

import static leviathan.compute.VectorRows.pad;
import static leviathan.compute.VectorRows.rowTimesTransposed;
import static leviathan.compute.VectorRows.transpose;
import static leviathan.compute.VectorRows.weightedRowSum;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import leviathan.compute.VectorRows.Scratch;

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

    /** Stage args as {@link Ops#attentionForward} declares them: out, preatt, att, qkv, T, C, H. */
    static JvmFastKernels.JvmStage forward(Stage s) {
        FloatSlice out = s.floats(0), pre = s.floats(1), att = s.floats(2), qkv = s.floats(3);
        int T = s.intArg(4), C = s.intArg(5), H = s.intArg(6);
        int heads = s.extent[0] / T;
        Kernel.RangeBody body = (from, to) -> {
            Scratch sc = VectorRows.scratch(T, C / H);
            for (int bh = from; bh < to; bh++) {
                forwardHead(out, pre, att, qkv, T, C, H, bh / H, bh % H, sc);
            }
        };
        return pool -> pool.run(heads, body);
    }

    /** Args: dqkv, dpreatt, dout, qkv, att, T, C, H. */
    static JvmFastKernels.JvmStage backwardQuery(Stage s) {
        FloatSlice dqkv = s.floats(0), dpre = s.floats(1), dout = s.floats(2), qkv = s.floats(3), att = s.floats(4);
        int T = s.intArg(5), C = s.intArg(6), H = s.intArg(7);
        int heads = s.extent[0] / T;
        Kernel.RangeBody body = (from, to) -> {
            Scratch sc = VectorRows.scratch(T, C / H);
            for (int bh = from; bh < to; bh++) {
                backwardQueryHead(dqkv, dpre, dout, qkv, att, T, C, H, bh / H, bh % H, sc);
            }
        };
        return pool -> pool.run(heads, body);
    }

    /** Args: dqkv, dpreatt, dout, qkv, att, T, C, H. */
    static JvmFastKernels.JvmStage backwardKeyValue(Stage s) {
        FloatSlice dqkv = s.floats(0), dpre = s.floats(1), dout = s.floats(2), qkv = s.floats(3), att = s.floats(4);
        int T = s.intArg(5), C = s.intArg(6), H = s.intArg(7);
        int heads = s.extent[0] / T;
        Kernel.RangeBody body = (from, to) -> {
            Scratch sc = VectorRows.scratch(T, C / H);
            for (int bh = from; bh < to; bh++) {
                backwardKeyValueHead(dqkv, dpre, dout, qkv, att, T, C, H, bh / H, bh % H, sc);
            }
        };
        return pool -> pool.run(heads, body);
    }

    private static void forwardHead(FloatSlice out, FloatSlice pre, FloatSlice att, FloatSlice qkvS,
                                    int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, tPad = pad(T), C3 = 3 * C;
        float scale = 1.0f / (float) Math.sqrt(D);
        float[] qkv = qkvS.array;
        int base = qkvS.offset + b * T * C3;
        transpose(sc.transposed, qkv, base + C + h * D, C3, T, D);
        float[] row = sc.row;
        int head = (b * H + h) * T * T;
        for (int t = 0; t < T; t++) {
            int n = Math.min(tPad, (t + L) / L * L);
            rowTimesTransposed(row, qkv, base + t * C3 + h * D, sc.transposed, D, tPad, n);
            int pr = pre.offset + head + t * T;
            int ar = att.offset + head + t * T;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < n; j++) {
                row[j] = row[j] * scale;
            }
            for (int j = 0; j <= t; j++) {
                pre.array[pr + j] = row[j];
                max = Math.max(max, row[j]);
            }
            // exp over whole vectors (lanes past t are computed and ignored): scalar Math.exp was the
            // bottleneck. Out of line, in VectorRows, so that C2's inlining budget for this method holds.
            VectorRows.expRow(row, n, max);
            float sum = 0f;
            for (int j = 0; j <= t; j++) {
                float e = row[j];
                att.array[ar + j] = e;
                sum += e;
            }
            float inv = 1.0f / sum;
            int o = out.offset + (b * T + t) * C + h * D;
            for (int d = 0; d < D; d++) {
                out.array[o + d] = 0f;
            }
            for (int j = 0; j <= t; j++) {
                att.array[ar + j] = att.array[ar + j] * inv;
            }
            weightedRowSum(out.array, o, att.array, ar, 1, 1f, qkv, base + 2 * C + h * D, C3, t + 1, D);
        }
    }

    private static void backwardQueryHead(FloatSlice dqkv, FloatSlice dpre, FloatSlice dout, FloatSlice qkvS, FloatSlice att,
                                          int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, tPad = pad(T), C3 = 3 * C;
        float scale = 1.0f / (float) Math.sqrt(D);
        float[] qkv = qkvS.array;
        int base = qkvS.offset + b * T * C3;
        transpose(sc.transposed, qkv, base + 2 * C + h * D, C3, T, D);
        float[] row = sc.row;
        int head = (b * H + h) * T * T;
        for (int t = 0; t < T; t++) {
            int n = Math.min(tPad, (t + L) / L * L);
            rowTimesTransposed(row, dout.array, dout.offset + (b * T + t) * C + h * D, sc.transposed, D, tPad, n);
            int ar = att.offset + head + t * T;
            int dr = dpre.offset + head + t * T;
            float dot = 0f;
            for (int j = 0; j <= t; j++) {
                dot += att.array[ar + j] * row[j];
            }
            int dq = dqkv.offset + (b * T + t) * C3 + h * D;
            for (int j = 0; j <= t; j++) {
                dpre.array[dr + j] = att.array[ar + j] * (row[j] - dot);
            }
            weightedRowSum(dqkv.array, dq, dpre.array, dr, 1, scale, qkv, base + C + h * D, C3, t + 1, D);
        }
    }

    private static void backwardKeyValueHead(FloatSlice dqkv, FloatSlice dpre, FloatSlice dout, FloatSlice qkvS, FloatSlice att,
                                             int T, int C, int H, int b, int h, Scratch sc) {
        int D = C / H, C3 = 3 * C;
        float scale = 1.0f / (float) Math.sqrt(D);
        float[] qkv = qkvS.array;
        int base = qkvS.offset + b * T * C3;
        float[] dk = sc.acc, dv = sc.acc2;
        java.util.Arrays.fill(dk, 0, T * D, 0f);
        java.util.Arrays.fill(dv, 0, T * D, 0f);
        int head = (b * H + h) * T * T;
        // Key row j gathers the queries t ≥ j that saw it: column j of the score maps, t ascending.
        for (int j = 0; j < T; j++) {
            int count = T - j;
            weightedRowSum(dk, j * D, dpre.array, dpre.offset + head + j * T + j, T, scale, qkv, base + j * C3 + h * D, C3, count, D);
            weightedRowSum(dv, j * D, att.array, att.offset + head + j * T + j, T, 1f,
                    dout.array, dout.offset + (b * T + j) * C + h * D, C, count, D);
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
