package leviathan.compute.mixers;

import leviathan.compute.FloatSlice;
import leviathan.compute.JvmFastKernels;
import leviathan.compute.Kernel;
import leviathan.compute.Ops;
import leviathan.compute.Stage;
import leviathan.kernels.Leviathan;

/**
 * The stages of the causal Leviathan mixer (SPEC 2.2) and their JVM bindings, each a loop over a
 * body of {@link Leviathan}. The key/value half of the backward pass is attention's own stage
 * ({@link Ops#attentionBackwardKeyValue} fed with dA and P), not a copy of it.
 *
 * <p>The two lag correlations (S from A, dA from dS) and the lag-weight gradient have an FFT
 * variant ({@link LeviathanFft}); the JVM backend's fast mode takes it where
 * {@link LeviathanFft#faster} says the FFT beats the direct sum (long lag windows), and the
 * direct sum everywhere else. The row kernels have Vector API variants ({@link LeviathanVector}),
 * one task per (batch, head), which fast mode always takes.
 */
public final class LeviathanOps {
    private LeviathanOps() {}

    private static final int F = Float.BYTES;

    public static final Kernel BASE_SCORES = new Kernel("leviathan_base_scores", 1, s -> {
        FloatSlice base = s.floats(0), qkv = s.floats(1);
        int T = s.intArg(2), C = s.intArg(3), H = s.intArg(4);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Leviathan.baseScores(base.array, base.offset, qkv.array, qkv.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel LAG_CORRELATE = new Kernel("leviathan_lag_correlate", 1, s -> {
        FloatSlice preatt = s.floats(0), base = s.floats(1), lag = s.floats(2);
        int T = s.intArg(3), H = s.intArg(4), L = s.intArg(5);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Leviathan.lagCorrelate(preatt.array, preatt.offset, base.array, base.offset, lag.array, lag.offset, T, H, L, i);
            }
        };
    });

    public static final Kernel SOFTMAX_VALUES = new Kernel("leviathan_softmax_values", 1, s -> {
        FloatSlice out = s.floats(0), att = s.floats(1), preatt = s.floats(2), qkv = s.floats(3);
        int T = s.intArg(4), C = s.intArg(5), H = s.intArg(6);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Leviathan.softmaxValues(out.array, out.offset, att.array, att.offset, preatt.array, preatt.offset,
                        qkv.array, qkv.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel SCORES_BACKWARD = new Kernel("leviathan_scores_backward", 1, s -> {
        FloatSlice dpreatt = s.floats(0), dout = s.floats(1), qkv = s.floats(2), att = s.floats(3);
        int T = s.intArg(4), C = s.intArg(5), H = s.intArg(6);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Leviathan.scoresBackward(dpreatt.array, dpreatt.offset, dout.array, dout.offset, qkv.array, qkv.offset,
                        att.array, att.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel LAG_CORRELATE_BACKWARD = new Kernel("leviathan_lag_correlate_backward", 1, s -> {
        FloatSlice dbase = s.floats(0), dpreatt = s.floats(1), lag = s.floats(2);
        int T = s.intArg(3), H = s.intArg(4), L = s.intArg(5);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Leviathan.lagCorrelateBackward(dbase.array, dbase.offset, dpreatt.array, dpreatt.offset, lag.array, lag.offset,
                        T, H, L, i);
            }
        };
    });

    public static final Kernel LAG_WEIGHT_BACKWARD = new Kernel("leviathan_lag_weight_backward", 1, s -> {
        FloatSlice dlag = s.floats(0), dpreatt = s.floats(1), base = s.floats(2);
        int B = s.intArg(3), T = s.intArg(4), H = s.intArg(5), L = s.intArg(6);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Leviathan.lagWeightBackward(dlag.array, dlag.offset, dpreatt.array, dpreatt.offset, base.array, base.offset,
                        B, T, H, L, i);
            }
        };
    });

    public static final Kernel QUERY_BACKWARD = new Kernel("leviathan_query_backward", 1, s -> {
        FloatSlice dqkv = s.floats(0), dbase = s.floats(1), qkv = s.floats(2);
        int T = s.intArg(3), C = s.intArg(4), H = s.intArg(5);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Leviathan.queryBackward(dqkv.array, dqkv.offset, dbase.array, dbase.offset, qkv.array, qkv.offset, T, C, H, i);
            }
        };
    });

    static {
        // The direct lag correlations of LeviathanVector equal the plain bodies bit for bit.
        JvmFastKernels.register(LAG_CORRELATE, s -> LeviathanFft.faster(s.intArg(3), s.intArg(5))
                ? LeviathanFft.lagCorrelate(s) : LeviathanVector.lagCorrelate(s));
        JvmFastKernels.register(LAG_CORRELATE_BACKWARD, s -> LeviathanFft.faster(s.intArg(3), s.intArg(5))
                ? LeviathanFft.lagCorrelateBackward(s) : LeviathanVector.lagCorrelateBackward(s));
        JvmFastKernels.register(LAG_WEIGHT_BACKWARD, s -> LeviathanFft.faster(s.intArg(4), s.intArg(6))
                ? LeviathanFft.lagWeightBackward(s) : JvmFastKernels.plain(s));
        JvmFastKernels.register(BASE_SCORES, LeviathanVector::baseScores);
        JvmFastKernels.register(SOFTMAX_VALUES, LeviathanVector::softmaxValues);
        JvmFastKernels.register(SCORES_BACKWARD, LeviathanVector::scoresBackward);
        JvmFastKernels.register(QUERY_BACKWARD, LeviathanVector::queryBackward);
    }

    static void checkHeads(String name, int B, int T, int C, int H) {
        Ops.positive(name, "B", B);
        Ops.positive(name, "T", T);
        Ops.positive(name, "C", C);
        Ops.positive(name, "H", H);
        if (C % H != 0) {
            throw new IllegalArgumentException(name + ": width C=" + C + " is not divisible by heads H=" + H);
        }
    }

    private static void checkLags(String name, int B, int T, int H, int L) {
        Ops.positive(name, "B", B);
        Ops.positive(name, "T", T);
        Ops.positive(name, "H", H);
        Ops.positive(name, "L (lags)", L);
    }

    /** Causal score pairs (i, j ≤ i) of all heads. */
    static double pairs(int B, int H, int T) {
        return (double) B * H * T * (T + 1) / 2;
    }

    /** Terms (i, j, τ) of the lag correlation of one head: Σ_{j<T} (T − j)·min(L, j + 1). */
    public static double lagTerms(int T, int L) {
        double n = 0;
        for (int j = 0; j < T; j++) {
            n += (double) (T - j) * Math.min(L, j + 1);
        }
        return n;
    }

    private static double scoreMap(int B, int H, int T) {
        return (double) B * H * T * T;
    }

    /** base (B,H,T,T): A = QKᵀ/√D on the causal pairs; qkv (B,T,3C). */
    public static Stage baseScores(String name, FloatSlice base, FloatSlice qkv, int B, int T, int C, int H) {
        checkHeads(name, B, T, C, H);
        Ops.expect(name, base, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        double p = pairs(B, H, T);
        return new Stage(name, BASE_SCORES, new int[] {B * H * T}, p * 2.0 * C / H,
                ((double) B * T * 2 * C + p) * F, base, qkv, T, C, H);
    }

    /** preatt (B,H,T,T) = lag correlation of base (B,H,T,T) with lag (H,L) along the diagonals. */
    public static Stage lagCorrelate(String name, FloatSlice preatt, FloatSlice base, FloatSlice lag, int B, int T, int H, int L) {
        checkLags(name, B, T, H, L);
        Ops.expect(name, preatt, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, base, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, lag, (long) H * L, "H*L");
        return new Stage(name, LAG_CORRELATE, new int[] {B * H * T}, 2.0 * B * H * lagTerms(T, L),
                (2 * pairs(B, H, T) + (double) H * L) * F, preatt, base, lag, T, H, L);
    }

    /** att (B,H,T,T) = softmax of preatt rows; out (B,T,C) = att·V from qkv (B,T,3C). */
    public static Stage softmaxValues(String name, FloatSlice out, FloatSlice att, FloatSlice preatt, FloatSlice qkv,
                                      int B, int T, int C, int H) {
        checkHeads(name, B, T, C, H);
        Ops.expect(name, out, (long) B * T * C, "B*T*C");
        Ops.expect(name, att, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, preatt, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        double p = pairs(B, H, T);
        return new Stage(name, SOFTMAX_VALUES, new int[] {B * H * T}, p * (5.0 + 2.0 * C / H),
                ((double) B * T * 2 * C + 2 * p) * F, out, att, preatt, qkv, T, C, H);
    }

    /** dpreatt (B,H,T,T) = softmax backward of dout (B,T,C)·Vᵀ; writes dpreatt. */
    public static Stage scoresBackward(String name, FloatSlice dpreatt, FloatSlice dout, FloatSlice qkv, FloatSlice att,
                                       int B, int T, int C, int H) {
        checkHeads(name, B, T, C, H);
        Ops.expect(name, dpreatt, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, dout, (long) B * T * C, "B*T*C");
        Ops.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        Ops.expect(name, att, (long) B * H * T * T, "B*H*T*T");
        double p = pairs(B, H, T);
        return new Stage(name, SCORES_BACKWARD, new int[] {B * H * T}, p * (4.0 + 2.0 * C / H),
                ((double) B * T * 2 * C + 3 * p) * F, dpreatt, dout, qkv, att, T, C, H);
    }

    /** dbase (B,H,T,T) = adjoint lag correlation of dpreatt (B,H,T,T) with lag (H,L); writes dbase. */
    public static Stage lagCorrelateBackward(String name, FloatSlice dbase, FloatSlice dpreatt, FloatSlice lag,
                                             int B, int T, int H, int L) {
        checkLags(name, B, T, H, L);
        Ops.expect(name, dbase, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, dpreatt, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, lag, (long) H * L, "H*L");
        return new Stage(name, LAG_CORRELATE_BACKWARD, new int[] {B * H * T}, 2.0 * B * H * lagTerms(T, L),
                (2 * pairs(B, H, T) + (double) H * L) * F, dbase, dpreatt, lag, T, H, L);
    }

    /** dlag (H,L) += Σ over batch and causal pairs of dpreatt·shifted base; accumulates. */
    public static Stage lagWeightBackward(String name, FloatSlice dlag, FloatSlice dpreatt, FloatSlice base,
                                          int B, int T, int H, int L) {
        checkLags(name, B, T, H, L);
        Ops.expect(name, dlag, (long) H * L, "H*L");
        Ops.expect(name, dpreatt, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, base, (long) B * H * T * T, "B*H*T*T");
        return new Stage(name, LAG_WEIGHT_BACKWARD, new int[] {H * L}, 2.0 * B * H * lagTerms(T, L),
                (2 * scoreMap(B, H, T) + 2.0 * H * L) * F, dlag, dpreatt, base, B, T, H, L);
    }

    /** dqkv's Q columns (B,T,3C) += dbase (B,H,T,T)·K/√D; accumulates. */
    public static Stage queryBackward(String name, FloatSlice dqkv, FloatSlice dbase, FloatSlice qkv, int B, int T, int C, int H) {
        checkHeads(name, B, T, C, H);
        Ops.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
        Ops.expect(name, dbase, (long) B * H * T * T, "B*H*T*T");
        Ops.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        double p = pairs(B, H, T);
        return new Stage(name, QUERY_BACKWARD, new int[] {B * H * T}, p * 2.0 * C / H,
                ((double) B * T * 3 * C + p) * F, dqkv, dbase, qkv, T, C, H);
    }
}
