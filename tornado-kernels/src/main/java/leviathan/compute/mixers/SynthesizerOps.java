package leviathan.compute.mixers;

import leviathan.compute.FloatSlice;
import leviathan.compute.Kernel;
import leviathan.compute.Ops;
import leviathan.compute.Stage;
import leviathan.kernels.Synthesizer;

/**
 * Synthesizer stages (SPEC 2.5): the kernels as the JVM backend runs them (loops over the bodies
 * in {@link Synthesizer}) and validated stage factories. The dense kind reads its logits from a
 * (B, T, H·Tmax) activation, the random kind from the (H, Tmax, Tmax) table; both store
 * probabilities (B, H, T, T).
 */
public final class SynthesizerOps {
    private SynthesizerOps() {}

    private static final int F = Float.BYTES;

    public static final Kernel RELU_FORWARD = new Kernel("relu_forward", 1, s -> {
        FloatSlice out = s.floats(0), inp = s.floats(1);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Synthesizer.reluForward(out.array, out.offset, inp.array, inp.offset, i);
            }
        };
    });

    public static final Kernel RELU_BACKWARD = new Kernel("relu_backward", 1, s -> {
        FloatSlice dinp = s.floats(0), inp = s.floats(1), dout = s.floats(2);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Synthesizer.reluBackward(dinp.array, dinp.offset, inp.array, inp.offset, dout.array, dout.offset, i);
            }
        };
    });

    public static final Kernel FORWARD = new Kernel("synthesizer_forward", 1, s -> {
        FloatSlice out = s.floats(0), att = s.floats(1), logits = s.floats(2), v = s.floats(3);
        int T = s.intArg(4), C = s.intArg(5), H = s.intArg(6);
        int strideB = s.intArg(7), strideH = s.intArg(8), strideT = s.intArg(9);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Synthesizer.forward(out.array, out.offset, att.array, att.offset, logits.array, logits.offset,
                        v.array, v.offset, T, C, H, strideB, strideH, strideT, i);
            }
        };
    });

    public static final Kernel BACKWARD_LOGITS = new Kernel("synthesizer_backward_logits", 1, s -> {
        FloatSlice dlogits = s.floats(0), dout = s.floats(1), v = s.floats(2), att = s.floats(3);
        int T = s.intArg(4), C = s.intArg(5), H = s.intArg(6);
        int strideB = s.intArg(7), strideH = s.intArg(8), strideT = s.intArg(9), rowLength = s.intArg(10);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Synthesizer.backwardLogits(dlogits.array, dlogits.offset, dout.array, dout.offset, v.array, v.offset,
                        att.array, att.offset, T, C, H, strideB, strideH, strideT, rowLength, i);
            }
        };
    });

    public static final Kernel BACKWARD_VALUES = new Kernel("synthesizer_backward_values", 1, s -> {
        FloatSlice dv = s.floats(0), dout = s.floats(1), att = s.floats(2);
        int T = s.intArg(3), C = s.intArg(4), H = s.intArg(5);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Synthesizer.backwardValues(dv.array, dv.offset, dout.array, dout.offset, att.array, att.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel BACKWARD_TABLE = new Kernel("synthesizer_backward_table", 1, s -> {
        FloatSlice dtable = s.floats(0), dscores = s.floats(1);
        int B = s.intArg(2), T = s.intArg(3), H = s.intArg(4), Tmax = s.intArg(5);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Synthesizer.backwardTable(dtable.array, dtable.offset, dscores.array, dscores.offset, B, T, H, Tmax, i);
            }
        };
    });

    public static Stage reluForward(String name, FloatSlice out, FloatSlice inp, int N) {
        Ops.expect(name, out, N, "N");
        Ops.expect(name, inp, N, "N");
        return new Stage(name, RELU_FORWARD, new int[] {N}, N, 2.0 * N * F, out, inp);
    }

    /** dinp += dout where inp > 0. */
    public static Stage reluBackward(String name, FloatSlice dinp, FloatSlice inp, FloatSlice dout, int N) {
        Ops.expect(name, dinp, N, "N");
        Ops.expect(name, inp, N, "N");
        Ops.expect(name, dout, N, "N");
        return new Stage(name, RELU_BACKWARD, new int[] {N}, N, 4.0 * N * F, dinp, inp, dout);
    }

    /** Dense: out (B,T,C), att (B,H,T,T), logits (B,T,H·Tmax) head-major, v (B,T,C). */
    public static Stage forwardDense(String name, FloatSlice out, FloatSlice att, FloatSlice logits, FloatSlice v,
                                     int B, int T, int C, int H, int Tmax) {
        checkShape(name, B, T, C, H, Tmax);
        Ops.expect(name, logits, (long) B * T * H * Tmax, "B*T*H*Tmax");
        return forward(name, out, att, logits, v, B, T, C, H, T * H * Tmax, Tmax, H * Tmax);
    }

    /** Random: out (B,T,C), att (B,H,T,T), table (H,Tmax,Tmax) shared by the batch, v (B,T,C). */
    public static Stage forwardRandom(String name, FloatSlice out, FloatSlice att, FloatSlice table, FloatSlice v,
                                      int B, int T, int C, int H, int Tmax) {
        checkShape(name, B, T, C, H, Tmax);
        Ops.expect(name, table, (long) H * Tmax * Tmax, "H*Tmax*Tmax");
        return forward(name, out, att, table, v, B, T, C, H, 0, Tmax * Tmax, Tmax);
    }

    private static Stage forward(String name, FloatSlice out, FloatSlice att, FloatSlice logits, FloatSlice v,
                                 int B, int T, int C, int H, int strideB, int strideH, int strideT) {
        Ops.expect(name, out, (long) B * T * C, "B*T*C");
        Ops.expect(name, att, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, v, (long) B * T * C, "B*T*C");
        double pairs = (double) B * H * T * (T + 1) / 2;
        return new Stage(name, FORWARD, new int[] {B * H * T}, pairs * (2.0 * C / H + 5),
                ((double) B * T * 2 * C + 2 * pairs) * F, out, att, logits, v, T, C, H, strideB, strideH, strideT);
    }

    /** Dense: dlogits (B,T,H·Tmax) = dL/dlogits (written; columns j ≥ T are zeroed too). */
    public static Stage backwardLogitsDense(String name, FloatSlice dlogits, FloatSlice dout, FloatSlice v, FloatSlice att,
                                            int B, int T, int C, int H, int Tmax) {
        checkShape(name, B, T, C, H, Tmax);
        Ops.expect(name, dlogits, (long) B * T * H * Tmax, "B*T*H*Tmax");
        return backwardLogits(name, dlogits, dout, v, att, B, T, C, H, T * H * Tmax, Tmax, H * Tmax, Tmax);
    }

    /** Random: dscores (B,H,T,T) = dL/dtable per batch row (a scratch summed by {@link #backwardTable}). */
    public static Stage backwardScoresRandom(String name, FloatSlice dscores, FloatSlice dout, FloatSlice v, FloatSlice att,
                                             int B, int T, int C, int H, int Tmax) {
        checkShape(name, B, T, C, H, Tmax);
        Ops.expect(name, dscores, (long) B * H * T * T, "B*H*T*T");
        return backwardLogits(name, dscores, dout, v, att, B, T, C, H, H * T * T, T * T, T, T);
    }

    private static Stage backwardLogits(String name, FloatSlice dlogits, FloatSlice dout, FloatSlice v, FloatSlice att,
                                        int B, int T, int C, int H, int strideB, int strideH, int strideT, int rowLength) {
        Ops.expect(name, dout, (long) B * T * C, "B*T*C");
        Ops.expect(name, v, (long) B * T * C, "B*T*C");
        Ops.expect(name, att, (long) B * H * T * T, "B*H*T*T");
        double pairs = (double) B * H * T * (T + 1) / 2;
        return new Stage(name, BACKWARD_LOGITS, new int[] {B * H * T}, pairs * (2.0 * C / H + 4),
                ((double) B * T * 2 * C + 3 * pairs) * F, dlogits, dout, v, att, T, C, H, strideB, strideH, strideT, rowLength);
    }

    /** dv (B,T,C) += Pᵀ·dout per head. */
    public static Stage backwardValues(String name, FloatSlice dv, FloatSlice dout, FloatSlice att, int B, int T, int C, int H) {
        checkHeads(name, B, T, C, H);
        Ops.expect(name, dv, (long) B * T * C, "B*T*C");
        Ops.expect(name, dout, (long) B * T * C, "B*T*C");
        Ops.expect(name, att, (long) B * H * T * T, "B*H*T*T");
        double pairs = (double) B * H * T * (T + 1) / 2;
        return new Stage(name, BACKWARD_VALUES, new int[] {B * H * T}, pairs * 2.0 * C / H,
                ((double) B * T * 2 * C + pairs) * F, dv, dout, att, T, C, H);
    }

    /** dtable (H,Tmax,Tmax) += Σ_b dscores (B,H,T,T), rows i < T, entries j ≤ i. */
    public static Stage backwardTable(String name, FloatSlice dtable, FloatSlice dscores, int B, int T, int H, int Tmax) {
        Ops.positive(name, "B", B);
        Ops.positive(name, "T", T);
        Ops.positive(name, "H", H);
        checkContext(name, T, Tmax);
        Ops.expect(name, dtable, (long) H * Tmax * Tmax, "H*Tmax*Tmax");
        Ops.expect(name, dscores, (long) B * H * T * T, "B*H*T*T");
        double pairs = (double) B * H * T * (T + 1) / 2;
        return new Stage(name, BACKWARD_TABLE, new int[] {H * T}, pairs, (pairs + (double) H * T * (T + 1)) * F,
                dtable, dscores, B, T, H, Tmax);
    }

    private static void checkShape(String name, int B, int T, int C, int H, int Tmax) {
        checkHeads(name, B, T, C, H);
        checkContext(name, T, Tmax);
    }

    private static void checkHeads(String name, int B, int T, int C, int H) {
        Ops.positive(name, "B", B);
        Ops.positive(name, "T", T);
        Ops.positive(name, "H", H);
        if (C % H != 0) {
            throw new IllegalArgumentException(name + ": width C=" + C + " is not divisible by heads H=" + H);
        }
    }

    private static void checkContext(String name, int T, int Tmax) {
        if (T > Tmax) {
            throw new IllegalArgumentException(name + ": sequence length T=" + T + " exceeds the context Tmax=" + Tmax
                    + " (a synthesizer has logits for Tmax positions only)");
        }
    }
}
