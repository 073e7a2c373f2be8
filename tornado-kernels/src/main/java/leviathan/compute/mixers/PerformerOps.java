package leviathan.compute.mixers;

import leviathan.compute.FloatSlice;
import leviathan.compute.Kernel;
import leviathan.compute.Ops;
import leviathan.compute.Stage;
import leviathan.kernels.Performer;

/**
 * Performer (FAVOR+) stages (SPEC 2.3): the kernels as the JVM backend runs them (loops over the
 * bodies in {@link Performer}) and validated stage factories. The scans run one (b, h) per index
 * (extent B·H), the row-wise stages one (b, h, t) per index (extent B·H·T). Shapes: qkv (B,T,3C),
 * features ω (H,m,D), φ(q) and φ(k) (B,H,T,m), key constants (B,H), numerator rows
 * [ñ, den] (B,H,T,D+1), running sums (B,H,m,D+1), out (B,T,C).
 */
public final class PerformerOps {
    private PerformerOps() {}

    private static final int F = Float.BYTES;

    public static final Kernel FEATURES = new Kernel("performer_features", 1, s -> {
        FloatSlice phiQ = s.floats(0), phiK = s.floats(1), keyMax = s.floats(2), qkv = s.floats(3), omega = s.floats(4);
        int T = s.intArg(5), C = s.intArg(6), H = s.intArg(7), m = s.intArg(8);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Performer.features(phiQ.array, phiQ.offset, phiK.array, phiK.offset, keyMax.array, keyMax.offset,
                        qkv.array, qkv.offset, omega.array, omega.offset, T, C, H, m, i);
            }
        };
    });

    public static final Kernel SCAN = new Kernel("performer_scan", 1, s -> {
        FloatSlice out = s.floats(0), num = s.floats(1), state = s.floats(2), phiQ = s.floats(3), phiK = s.floats(4);
        FloatSlice keyMax = s.floats(5), qkv = s.floats(6);
        int T = s.intArg(7), C = s.intArg(8), H = s.intArg(9), m = s.intArg(10);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Performer.scan(out.array, out.offset, num.array, num.offset, state.array, state.offset,
                        phiQ.array, phiQ.offset, phiK.array, phiK.offset, keyMax.array, keyMax.offset, qkv.array, qkv.offset, T, C, H, m, i);
            }
        };
    });

    public static final Kernel OUTPUT_GRAD = new Kernel("performer_output_grad", 1, s -> {
        FloatSlice dnum = s.floats(0), dout = s.floats(1), out = s.floats(2), num = s.floats(3);
        int T = s.intArg(4), C = s.intArg(5), H = s.intArg(6);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Performer.outputGrad(dnum.array, dnum.offset, dout.array, dout.offset, out.array, out.offset,
                        num.array, num.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel BACKWARD_QUERY = new Kernel("performer_backward_query", 1, s -> {
        FloatSlice dphiQ = s.floats(0), state = s.floats(1), dnum = s.floats(2), phiK = s.floats(3), qkv = s.floats(4);
        int T = s.intArg(5), C = s.intArg(6), H = s.intArg(7), m = s.intArg(8);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Performer.backwardQuery(dphiQ.array, dphiQ.offset, state.array, state.offset, dnum.array, dnum.offset,
                        phiK.array, phiK.offset, qkv.array, qkv.offset, T, C, H, m, i);
            }
        };
    });

    public static final Kernel BACKWARD_KEY_VALUE = new Kernel("performer_backward_key_value", 1, s -> {
        FloatSlice dqkv = s.floats(0), dphiK = s.floats(1), state = s.floats(2), dnum = s.floats(3), phiQ = s.floats(4),
                phiK = s.floats(5), qkv = s.floats(6);
        int T = s.intArg(7), C = s.intArg(8), H = s.intArg(9), m = s.intArg(10);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Performer.backwardKeyValue(dqkv.array, dqkv.offset, dphiK.array, dphiK.offset, state.array, state.offset,
                        dnum.array, dnum.offset, phiQ.array, phiQ.offset, phiK.array, phiK.offset, qkv.array, qkv.offset,
                        T, C, H, m, i);
            }
        };
    });

    public static final Kernel BACKWARD_FEATURES = new Kernel("performer_backward_features", 1, s -> {
        FloatSlice dqkv = s.floats(0), dphiQ = s.floats(1), dphiK = s.floats(2), phiQ = s.floats(3), phiK = s.floats(4),
                qkv = s.floats(5), omega = s.floats(6);
        int T = s.intArg(7), C = s.intArg(8), H = s.intArg(9), m = s.intArg(10);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Performer.backwardFeatures(dqkv.array, dqkv.offset, dphiQ.array, dphiQ.offset, dphiK.array, dphiK.offset,
                        phiQ.array, phiQ.offset, phiK.array, phiK.offset, qkv.array, qkv.offset, omega.array, omega.offset,
                        T, C, H, m, i);
            }
        };
    });

    /** φ(q), φ(k) and the key constants from qkv and ω. */
    public static Stage features(String name, FloatSlice phiQ, FloatSlice phiK, FloatSlice keyMax, FloatSlice qkv, FloatSlice omega,
                                 int B, int T, int C, int H, int m) {
        checkSizes(name, B, T, C, H, m);
        int D = C / H;
        expectFeatureRows(name, phiQ, B, T, H, m);
        expectFeatureRows(name, phiK, B, T, H, m);
        Ops.expect(name, keyMax, (long) B * H, "B*H");
        expectQkv(name, qkv, B, T, C);
        Ops.expect(name, omega, (long) H * m * D, "H*m*D");
        double rows = 2.0 * B * H * T;
        return new Stage(name, FEATURES, new int[] {B * H}, rows * m * (2.0 * D + 3) + rows * 2 * D,
                ((double) B * T * 2 * C + rows * m + (double) H * m * D) * F, phiQ, phiK, keyMax, qkv, omega, T, C, H, m);
    }

    /** out (B,T,C) = ñ/den, the numerator rows, and the running sums (scratch) from φ(q), φ(k) and v. */
    public static Stage scan(String name, FloatSlice out, FloatSlice numerator, FloatSlice state, FloatSlice phiQ, FloatSlice phiK,
                             FloatSlice keyMax, FloatSlice qkv, int B, int T, int C, int H, int m) {
        checkSizes(name, B, T, C, H, m);
        int D = C / H;
        Ops.expect(name, out, (long) B * T * C, "B*T*C");
        expectNumerator(name, numerator, B, T, H, D);
        expectState(name, state, B, H, m, D);
        expectFeatureRows(name, phiQ, B, T, H, m);
        expectFeatureRows(name, phiK, B, T, H, m);
        Ops.expect(name, keyMax, (long) B * H, "B*H");
        expectQkv(name, qkv, B, T, C);
        double steps = (double) B * H * T;
        return new Stage(name, SCAN, new int[] {B * H}, steps * (4.0 * m * (D + 1) + D),
                (steps * (2.0 * m + 2 * D + 1) + (double) B * T * C) * F, out, numerator, state, phiQ, phiK, keyMax, qkv, T, C, H, m);
    }

    /** dnumerator (B,H,T,D+1) += [g/den, −(g·o)/den] with g = dout, o = out. */
    public static Stage outputGrad(String name, FloatSlice dnumerator, FloatSlice dout, FloatSlice out, FloatSlice numerator,
                                   int B, int T, int C, int H) {
        checkSizes(name, B, T, C, H, 1);
        int D = C / H;
        expectNumerator(name, dnumerator, B, T, H, D);
        Ops.expect(name, dout, (long) B * T * C, "B*T*C");
        Ops.expect(name, out, (long) B * T * C, "B*T*C");
        expectNumerator(name, numerator, B, T, H, D);
        double rows = (double) B * H * T;
        return new Stage(name, OUTPUT_GRAD, new int[] {B * H * T}, rows * 3.0 * D,
                rows * (4.0 * D + 3) * F, dnumerator, dout, out, numerator, T, C, H);
    }

    /** dφ(q) (B,H,T,m) += S̃_t dñ_t; state (B,H,m,D+1) is scratch. */
    public static Stage backwardQuery(String name, FloatSlice dphiQ, FloatSlice state, FloatSlice dnumerator, FloatSlice phiK,
                                      FloatSlice qkv, int B, int T, int C, int H, int m) {
        checkSizes(name, B, T, C, H, m);
        int D = C / H;
        expectFeatureRows(name, dphiQ, B, T, H, m);
        expectState(name, state, B, H, m, D);
        expectNumerator(name, dnumerator, B, T, H, D);
        expectFeatureRows(name, phiK, B, T, H, m);
        expectQkv(name, qkv, B, T, C);
        double steps = (double) B * H * T;
        return new Stage(name, BACKWARD_QUERY, new int[] {B * H}, steps * 4.0 * m * (D + 1),
                steps * (2.0 * m + 2 * D + 1) * F, dphiQ, state, dnumerator, phiK, qkv, T, C, H, m);
    }

    /** dv (V columns of dqkv) and dφ(k) (B,H,T,m) += by the reverse scan; state (B,H,m,D+1) is scratch. */
    public static Stage backwardKeyValue(String name, FloatSlice dqkv, FloatSlice dphiK, FloatSlice state, FloatSlice dnumerator,
                                         FloatSlice phiQ, FloatSlice phiK, FloatSlice qkv, int B, int T, int C, int H, int m) {
        checkSizes(name, B, T, C, H, m);
        int D = C / H;
        expectQkv(name, dqkv, B, T, C);
        expectFeatureRows(name, dphiK, B, T, H, m);
        expectState(name, state, B, H, m, D);
        expectNumerator(name, dnumerator, B, T, H, D);
        expectFeatureRows(name, phiQ, B, T, H, m);
        expectFeatureRows(name, phiK, B, T, H, m);
        expectQkv(name, qkv, B, T, C);
        double steps = (double) B * H * T;
        return new Stage(name, BACKWARD_KEY_VALUE, new int[] {B * H}, steps * 6.0 * m * (D + 1),
                steps * (3.0 * m + 3 * D + 1) * F, dqkv, dphiK, state, dnumerator, phiQ, phiK, qkv, T, C, H, m);
    }

    /** dq and dk (Q and K columns of dqkv) += through the feature map, from dφ(q), dφ(k). */
    public static Stage backwardFeatures(String name, FloatSlice dqkv, FloatSlice dphiQ, FloatSlice dphiK, FloatSlice phiQ,
                                         FloatSlice phiK, FloatSlice qkv, FloatSlice omega, int B, int T, int C, int H, int m) {
        checkSizes(name, B, T, C, H, m);
        int D = C / H;
        expectQkv(name, dqkv, B, T, C);
        expectFeatureRows(name, dphiQ, B, T, H, m);
        expectFeatureRows(name, dphiK, B, T, H, m);
        expectFeatureRows(name, phiQ, B, T, H, m);
        expectFeatureRows(name, phiK, B, T, H, m);
        expectQkv(name, qkv, B, T, C);
        Ops.expect(name, omega, (long) H * m * D, "H*m*D");
        double rows = 2.0 * B * H * T;
        return new Stage(name, BACKWARD_FEATURES, new int[] {B * H * T}, rows * m * (3.0 * D + 2),
                (rows * (2.0 * m + 2 * D) + (double) H * m * D) * F, dqkv, dphiQ, dphiK, phiQ, phiK, qkv, omega, T, C, H, m);
    }

    private static void checkSizes(String name, int B, int T, int C, int H, int m) {
        Ops.positive(name, "B", B);
        Ops.positive(name, "T", T);
        Ops.positive(name, "C", C);
        Ops.positive(name, "H", H);
        Ops.positive(name, "m (features)", m);
        if (C % H != 0) {
            throw new IllegalArgumentException(name + ": width C=" + C + " is not divisible by heads H=" + H);
        }
    }

    private static void expectQkv(String name, FloatSlice qkv, int B, int T, int C) {
        Ops.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
    }

    private static void expectFeatureRows(String name, FloatSlice phi, int B, int T, int H, int m) {
        Ops.expect(name, phi, (long) B * H * T * m, "B*H*T*m");
    }

    private static void expectNumerator(String name, FloatSlice numerator, int B, int T, int H, int D) {
        Ops.expect(name, numerator, (long) B * H * T * (D + 1), "B*H*T*(D+1)");
    }

    private static void expectState(String name, FloatSlice state, int B, int H, int m, int D) {
        Ops.expect(name, state, (long) B * H * m * (D + 1), "B*H*m*(D+1)");
    }
}
