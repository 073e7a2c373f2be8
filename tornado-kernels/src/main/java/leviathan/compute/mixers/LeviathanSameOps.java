package leviathan.compute.mixers;

import leviathan.compute.FloatSlice;
import leviathan.compute.Kernel;
import leviathan.compute.Ops;
import leviathan.compute.Stage;
import leviathan.kernels.LeviathanSame;

/**
 * The stages of {@code leviathan-same}, the notebook reproduction (SPEC 2.2; NOT causal): the
 * scipy 'same' correlation Cmat = correlate2d(Q, K) per head and its backward, bodies in
 * {@link LeviathanSame}. The attention over [Cmat | K | V] is attention's own stages.
 */
public final class LeviathanSameOps {
    private LeviathanSameOps() {}

    private static final int F = Float.BYTES;

    public static final Kernel CORRELATE = new Kernel("leviathan_same_correlate", 1, s -> {
        FloatSlice cqkv = s.floats(0), qkv = s.floats(1);
        int T = s.intArg(2), C = s.intArg(3), H = s.intArg(4);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                LeviathanSame.correlateForward(cqkv.array, cqkv.offset, qkv.array, qkv.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel CORRELATE_BACKWARD = new Kernel("leviathan_same_correlate_backward", 1, s -> {
        FloatSlice dqkv = s.floats(0), dcqkv = s.floats(1), qkv = s.floats(2);
        int T = s.intArg(3), C = s.intArg(4), H = s.intArg(5);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                LeviathanSame.correlateBackward(dqkv.array, dqkv.offset, dcqkv.array, dcqkv.offset, qkv.array, qkv.offset, T, C, H, i);
            }
        };
    });

    /** Multiply-adds of one correlate2d 'same' over a T×D head: Σ over outputs of the overlapping window. */
    static double correlationTerms(int T, int D) {
        return overlaps(T) * overlaps(D);
    }

    /** Σ_i (number of j with 0 ≤ i + j − (n−1)/2 &lt; n) for one axis of length n. */
    private static double overlaps(int n) {
        int p = LeviathanSame.sameOffset(n);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.min(n, n + p - i) - Math.max(0, p - i);
        }
        return sum;
    }

    /** cqkv (B,T,3C) = [correlate2d(Q, K, 'same') per head | K | V] from qkv (B,T,3C). */
    public static Stage correlate(String name, FloatSlice cqkv, FloatSlice qkv, int B, int T, int C, int H) {
        LeviathanOps.checkHeads(name, B, T, C, H);
        Ops.expect(name, cqkv, (long) B * T * 3 * C, "B*T*3C");
        Ops.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        return new Stage(name, CORRELATE, new int[] {B * T * C}, 2.0 * B * H * correlationTerms(T, C / H),
                (double) B * T * 6 * C * F, cqkv, qkv, T, C, H);
    }

    /** dqkv (B,T,3C) += gradient through the correlation and the carried K, V, from dcqkv (B,T,3C). */
    public static Stage correlateBackward(String name, FloatSlice dqkv, FloatSlice dcqkv, FloatSlice qkv, int B, int T, int C, int H) {
        LeviathanOps.checkHeads(name, B, T, C, H);
        Ops.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
        Ops.expect(name, dcqkv, (long) B * T * 3 * C, "B*T*3C");
        Ops.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        return new Stage(name, CORRELATE_BACKWARD, new int[] {B * T * C}, 4.0 * B * H * correlationTerms(T, C / H),
                (double) B * T * 9 * C * F, dqkv, dcqkv, qkv, T, C, H);
    }
}
