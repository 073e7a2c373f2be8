package leviathan.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The JVM backend's fast causal attention (the same outputs as {@link leviathan.kernels.Attention},
 * which stays the oracle it is tested against). One task per (batch, head) instead of per query
 * row, so K and V can be transposed once per head into scratch: every score row and every
 * value-gradient row then becomes a broadcast-FMA over contiguous memory instead of a chain of
 * scalar dot products (C2 does not vectorise float reductions).
 */
final class VectorAttention {
    private VectorAttention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Per-thread scratch, grown on first use of a shape and then reused. */
    private static final class Scratch {
        float[] transposed = new float[0];   // (D, Tpad): K or V of one head, transposed
        float[] row = new float[0];          // (Tpad)
        float[] acc = new float[0];          // (T, D)
        float[] acc2 = new float[0];         // (T, D)

        void ensure(int T, int D) {
            int tPad = pad(T);
            // Each array by its own size: a later shape can need a longer row (larger T) while
            // D·tPad still fits (smaller D), since this scratch outlives one stage.
            if (transposed.length < D * tPad) {
                transposed = new float[D * tPad];
            }
            if (row.length < tPad) {
                row = new float[tPad];
            }
            if (acc.length < T * D) {
                acc = new float[T * D];
                acc2 = new float[T * D];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static int pad(int T) {
        return (T + L - 1) / L * L;
    }

    /** Stage args as {@link Ops#attentionForward} declares them: out, preatt, att, qkv, T, C, H. */
    static JvmFastKernels.JvmStage forward(Stage s) {
        FloatSlice out = s.floats(0), pre = s.floats(1), att = s.floats(2), qkv = s.floats(3);
        int T = s.intArg(4), C = s.intArg(5), H = s.intArg(6);
        int heads = s.extent[0] / T;
        Kernel.RangeBody body = (from, to) -> {
            Scratch sc = SCRATCH.get();
            sc.ensure(T, C / H);
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
            Scratch sc = SCRATCH.get();
            sc.ensure(T, C / H);
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
            Scratch sc = SCRATCH.get();
            sc.ensure(T, C / H);
            for (int bh = from; bh < to; bh++) {
                backwardKeyValueHead(dqkv, dpre, dout, qkv, att, T, C, H, bh / H, bh % H, sc);
            }
        };
        return pool -> pool.run(heads, body);
    }

    /** dst (D, Tpad) = rows of src (T, D) at src[base + t·stride + d], zero past T. */
    private static void transpose(float[] dst, float[] src, int base, int stride, int T, int D) {
        int tPad = pad(T);
        for (int d = 0; d < D; d++) {
            int o = d * tPad;
            for (int t = 0; t < T; t++) {
                dst[o + t] = src[base + t * stride + d];
            }
            for (int t = T; t < tPad; t++) {
                dst[o + t] = 0f;
            }
        }
    }

    /** row[0..n) (n rounded up to whole vectors) = Σ_d x[xOff + d] · tr[d, 0..n). */
    private static void rowTimesTransposed(float[] row, float[] x, int xOff, float[] tr, int D, int tPad, int n) {
        for (int c = 0; c < n; c += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int d = 0; d < D; d++) {
                acc = FloatVector.fromArray(S, tr, d * tPad + c).fma(FloatVector.broadcast(S, x[xOff + d]), acc);
            }
            acc.intoArray(row, c);
        }
    }

    /** y[yOff .. yOff+D) += a · x[xOff .. xOff+D). */
    private static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int D) {
        int d = 0;
        if (D >= L) {
            FloatVector av = FloatVector.broadcast(S, a);
            for (; d + L <= D; d += L) {
                FloatVector.fromArray(S, x, xOff + d).fma(av, FloatVector.fromArray(S, y, yOff + d)).intoArray(y, yOff + d);
            }
        }
        for (; d < D; d++) {
            y[yOff + d] += a * x[xOff + d];
        }
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
            for (int j = 0; j <= t; j++) {
                float s = row[j] * scale;
                pre.array[pr + j] = s;
                max = Math.max(max, s);
            }
            // exp over whole vectors (lanes past t are computed and ignored): scalar Math.exp was the bottleneck.
            for (int c = 0; c < n; c += L) {
                VectorMath.exp(FloatVector.fromArray(S, row, c).mul(scale).sub(max)).intoArray(row, c);
            }
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
                float p = att.array[ar + j] * inv;
                att.array[ar + j] = p;
                axpy(out.array, o, p, qkv, base + j * C3 + 2 * C + h * D, D);
            }
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
                float g = att.array[ar + j] * (row[j] - dot);
                dpre.array[dr + j] = g;
                axpy(dqkv.array, dq, g * scale, qkv, base + j * C3 + C + h * D, D);
            }
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
        for (int t = 0; t < T; t++) {
            int dr = dpre.offset + head + t * T;
            int ar = att.offset + head + t * T;
            int q = base + t * C3 + h * D;
            int g = dout.offset + (b * T + t) * C + h * D;
            for (int j = 0; j <= t; j++) {
                axpy(dk, j * D, dpre.array[dr + j] * scale, qkv, q, D);
                axpy(dv, j * D, att.array[ar + j], dout.array, g, D);
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
