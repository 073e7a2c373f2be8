package leviathan.compute.mixers;

import leviathan.compute.FloatSlice;
import leviathan.compute.IntSlice;
import leviathan.compute.Kernel;
import leviathan.compute.Ops;
import leviathan.compute.Stage;
import leviathan.kernels.Longformer;

/**
 * Longformer attention stages (SPEC 2.4): the kernels as the JVM backend runs them (loops over
 * the bodies in {@link Longformer}) and validated stage factories. Scores and probabilities are
 * banded, (B, H, T, G+W); {@code dilation} holds one dilation per head.
 */
public final class LongformerOps {
    private LongformerOps() {}

    private static final int F = Float.BYTES;

    public static final Kernel FORWARD = new Kernel("longformer_forward", 1, s -> {
        FloatSlice out = s.floats(0), pre = s.floats(1), att = s.floats(2), qkv = s.floats(3);
        IntSlice dil = s.ints(4);
        int T = s.intArg(5), C = s.intArg(6), H = s.intArg(7), W = s.intArg(8), G = s.intArg(9);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Longformer.forward(out.array, out.offset, pre.array, pre.offset, att.array, att.offset,
                        qkv.array, qkv.offset, dil.array, dil.offset, T, C, H, W, G, i);
            }
        };
    });

    public static final Kernel BACKWARD_QUERY = new Kernel("longformer_backward_query", 1, s -> {
        FloatSlice dqkv = s.floats(0), dpre = s.floats(1), dout = s.floats(2), qkv = s.floats(3), att = s.floats(4);
        IntSlice dil = s.ints(5);
        int T = s.intArg(6), C = s.intArg(7), H = s.intArg(8), W = s.intArg(9), G = s.intArg(10);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Longformer.backwardQuery(dqkv.array, dqkv.offset, dpre.array, dpre.offset, dout.array, dout.offset,
                        qkv.array, qkv.offset, att.array, att.offset, dil.array, dil.offset, T, C, H, W, G, i);
            }
        };
    });

    public static final Kernel BACKWARD_KEY_VALUE = new Kernel("longformer_backward_key_value", 1, s -> {
        FloatSlice dqkv = s.floats(0), dpre = s.floats(1), dout = s.floats(2), qkv = s.floats(3), att = s.floats(4);
        IntSlice dil = s.ints(5);
        int T = s.intArg(6), C = s.intArg(7), H = s.intArg(8), W = s.intArg(9), G = s.intArg(10);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Longformer.backwardKeyValue(dqkv.array, dqkv.offset, dpre.array, dpre.offset, dout.array, dout.offset,
                        qkv.array, qkv.offset, att.array, att.offset, dil.array, dil.offset, T, C, H, W, G, i);
            }
        };
    });

    /** out (B,T,C), preatt/att (B,H,T,G+W), qkv (B,T,3C), dilation (H). */
    public static Stage forward(String name, FloatSlice out, FloatSlice preatt, FloatSlice att, FloatSlice qkv,
                                IntSlice dilation, int B, int T, int C, int H, int W, int G) {
        checkShape(name, dilation, B, T, C, H, W, G);
        expect(name, out, preatt, att, qkv, B, T, C, H, W, G);
        double pairs = livePairs(dilation, B, T, H, W, G);
        return new Stage(name, FORWARD, new int[] {B * H * T}, pairs * (4.0 * C / H + 5),
                ((double) B * T * 4 * C + 2 * pairs) * F, out, preatt, att, qkv, dilation, T, C, H, W, G);
    }

    /** dqkv's Q columns += ..., dpreatt (scratch) = dL/dscores; reads dout (B,T,C), qkv and att. */
    public static Stage backwardQuery(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout, FloatSlice qkv,
                                      FloatSlice att, IntSlice dilation, int B, int T, int C, int H, int W, int G) {
        checkShape(name, dilation, B, T, C, H, W, G);
        expect(name, dout, dpreatt, att, qkv, B, T, C, H, W, G);
        Ops.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
        double pairs = livePairs(dilation, B, T, H, W, G);
        return new Stage(name, BACKWARD_QUERY, new int[] {B * H * T}, pairs * (4.0 * C / H + 4),
                ((double) B * T * 4 * C + 3 * pairs) * F, dqkv, dpreatt, dout, qkv, att, dilation, T, C, H, W, G);
    }

    /** dqkv's K and V columns += ...; reads dpreatt from {@link #backwardQuery}, dout, qkv and att. */
    public static Stage backwardKeyValue(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout, FloatSlice qkv,
                                         FloatSlice att, IntSlice dilation, int B, int T, int C, int H, int W, int G) {
        checkShape(name, dilation, B, T, C, H, W, G);
        expect(name, dout, dpreatt, att, qkv, B, T, C, H, W, G);
        Ops.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
        double pairs = livePairs(dilation, B, T, H, W, G);
        return new Stage(name, BACKWARD_KEY_VALUE, new int[] {B * H * T}, pairs * 4.0 * C / H,
                ((double) B * T * 4 * C + 2 * pairs) * F, dqkv, dpreatt, dout, qkv, att, dilation, T, C, H, W, G);
    }

    private static void checkShape(String name, IntSlice dilation, int B, int T, int C, int H, int W, int G) {
        Ops.positive(name, "B", B);
        Ops.positive(name, "T", T);
        Ops.positive(name, "H", H);
        Ops.positive(name, "window W", W);
        if (C % H != 0) {
            throw new IllegalArgumentException(name + ": width C=" + C + " is not divisible by heads H=" + H);
        }
        if (G < 0) {
            throw new IllegalArgumentException(name + ": the number of global tokens G must not be negative, got " + G);
        }
        Ops.expect(name, dilation, H, "H (one dilation per head)");
        for (int h = 0; h < H; h++) {
            if (dilation.get(h) < 1) {
                throw new IllegalArgumentException(name + ": dilation of head " + h + " must be at least 1, got " + dilation.get(h));
            }
        }
    }

    /** Checks the (B,T,C) row buffer, the two banded buffers and qkv. */
    private static void expect(String name, FloatSlice rows, FloatSlice band1, FloatSlice band2, FloatSlice qkv,
                               int B, int T, int C, int H, int W, int G) {
        long band = (long) B * H * T * (G + W);
        Ops.expect(name, rows, (long) B * T * C, "B*T*C");
        Ops.expect(name, band1, band, "B*H*T*(G+W)");
        Ops.expect(name, band2, band, "B*H*T*(G+W)");
        Ops.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
    }

    /** Number of (query, key) pairs scored: the live slots of every row, for the profile's FLOPs. */
    static double livePairs(IntSlice dilation, int B, int T, int H, int W, int G) {
        double pairs = 0;
        for (int h = 0; h < H; h++) {
            for (int i = 0; i < T; i++) {
                pairs += Longformer.liveSlots(i, W, dilation.get(h), G);
            }
        }
        return pairs * B;
    }
}
