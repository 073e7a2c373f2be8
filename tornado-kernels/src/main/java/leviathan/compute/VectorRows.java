package leviathan.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Per-head row primitives of the JVM backend's fast score-map mixers ({@link VectorAttention} and
 * the fast variants of other mixers, e.g. {@code leviathan.compute.mixers.LeviathanVector}): one
 * task per (batch, head) transposes K or V of that head once into per-thread scratch, after which
 * every score row is a broadcast-FMA over contiguous memory ({@link #rowTimesTransposed}) and every
 * value row an {@link #axpy} (C2 does not vectorise float dot-product reductions).
 *
 * <p>All of these are exact functions of their inputs (no lanewise transcendental: {@link #expRow} uses
 * {@link VectorMath#exp}), and each head runs on one thread, so results do not depend on the thread
 * count or on what the JIT has compiled.
 */
public final class VectorRows {
    private VectorRows() {}

    public static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    public static final int LANES = S.length();

    /** Per-thread scratch, grown on first use of a shape and then reused. */
    public static final class Scratch {
        public float[] transposed = new float[0];   // (D, Tpad): K or V of one head, transposed
        public float[] row = new float[0];          // (Tpad)
        public float[] acc = new float[0];          // (T, D)
        public float[] acc2 = new float[0];         // (T, D)

        Scratch() {}

        public void ensure(int T, int D) {
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

    /** The calling thread's scratch, grown to hold shape (T, D). Not reentrant: one head at a time per thread. */
    public static Scratch scratch(int T, int D) {
        Scratch sc = SCRATCH.get();
        sc.ensure(T, D);
        return sc;
    }

    /** T rounded up to whole vectors. */
    public static int pad(int T) {
        return (T + LANES - 1) / LANES * LANES;
    }

    /** Entries of row t (0..t live) rounded up to whole vectors, at most {@code pad(T)}. */
    public static int live(int t, int tPad) {
        return Math.min(tPad, (t + LANES) / LANES * LANES);
    }

    /** dst (D, Tpad) = rows of src (T, D) at src[base + t·stride + d], zero past T. */
    public static void transpose(float[] dst, float[] src, int base, int stride, int T, int D) {
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

    /**
     * row[0..n) (n rounded up to whole vectors) = Σ_d x[xOff + d] · tr[d, 0..n). Up to four vectors
     * of the row are accumulated side by side: one vector alone is a chain of D dependent FMAs
     * (latency-bound, ~4 cycles each); interleaved, the same chains overlap. Each lane still sees
     * the same FMAs in the same order, so the result does not change.
     */
    public static void rowTimesTransposed(float[] row, float[] x, int xOff, float[] tr, int D, int tPad, int n) {
        int c = 0;
        for (; c + 4 * LANES <= n; c += 4 * LANES) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < D; d++) {
                FloatVector xd = FloatVector.broadcast(S, x[xOff + d]);
                int o = d * tPad + c;
                a0 = FloatVector.fromArray(S, tr, o).fma(xd, a0);
                a1 = FloatVector.fromArray(S, tr, o + LANES).fma(xd, a1);
                a2 = FloatVector.fromArray(S, tr, o + 2 * LANES).fma(xd, a2);
                a3 = FloatVector.fromArray(S, tr, o + 3 * LANES).fma(xd, a3);
            }
            a0.intoArray(row, c);
            a1.intoArray(row, c + LANES);
            a2.intoArray(row, c + 2 * LANES);
            a3.intoArray(row, c + 3 * LANES);
        }
        for (; c + 2 * LANES <= n; c += 2 * LANES) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            for (int d = 0; d < D; d++) {
                FloatVector xd = FloatVector.broadcast(S, x[xOff + d]);
                int o = d * tPad + c;
                a0 = FloatVector.fromArray(S, tr, o).fma(xd, a0);
                a1 = FloatVector.fromArray(S, tr, o + LANES).fma(xd, a1);
            }
            a0.intoArray(row, c);
            a1.intoArray(row, c + LANES);
        }
        for (; c < n; c += LANES) {
            FloatVector acc = FloatVector.zero(S);
            for (int d = 0; d < D; d++) {
                acc = FloatVector.fromArray(S, tr, d * tPad + c).fma(FloatVector.broadcast(S, x[xOff + d]), acc);
            }
            acc.intoArray(row, c);
        }
    }

    /** y[yOff .. yOff+D) += a · x[xOff .. xOff+D). */
    public static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int D) {
        int d = 0;
        if (D >= LANES) {
            FloatVector av = FloatVector.broadcast(S, a);
            for (; d + LANES <= D; d += LANES) {
                FloatVector.fromArray(S, x, xOff + d).fma(av, FloatVector.fromArray(S, y, yOff + d)).intoArray(y, yOff + d);
            }
        }
        for (; d < D; d++) {
            y[yOff + d] += a * x[xOff + d];
        }
    }

    /**
     * row[c] = e^(row[c] − shift) for c in [0, n), n a whole number of vectors, by the deterministic
     * {@link VectorMath#exp} (never the Vector API's lanewise EXP, whose rounding depends on what the
     * JIT has compiled). A method of its own, over an array: its body is large once inlined (with
     * 512-bit vectors) and, inlined into an already large row loop, could push C2 past its node
     * budget, leaving vectors boxed; across this call only an array passes.
     */
    public static void expRow(float[] row, int n, float shift) {
        for (int c = 0; c < n; c += LANES) {
            VectorMath.exp(FloatVector.fromArray(S, row, c).sub(shift)).intoArray(row, c);
        }
    }

    /**
     * y[yOff + d] += Σ_{i < count} (w[wOff + i·wStride]·wScale)·x[xOff + i·xStride + d] for d < D, summed
     * over i in order with the accumulator held in registers, one vector of d at a time. Each lane sees
     * exactly the sequence of fused multiply-adds that {@code count} calls of {@link #axpy} would apply
     * (and the tail the same scalar multiply-adds), so the result is bit-identical to that loop,
     * without its store-to-load dependency through y between consecutive i.
     */
    public static void weightedRowSum(float[] y, int yOff, float[] w, int wOff, int wStride, float wScale,
                                      float[] x, int xOff, int xStride, int count, int D) {
        int d = 0;
        // Two vectors of d side by side where they fit: two independent FMA chains overlap (a head
        // of 32 is exactly two 512-bit vectors); per lane the same FMAs in the same order.
        for (; d + 2 * LANES <= D; d += 2 * LANES) {
            FloatVector acc0 = FloatVector.fromArray(S, y, yOff + d);
            FloatVector acc1 = FloatVector.fromArray(S, y, yOff + d + LANES);
            for (int i = 0; i < count; i++) {
                FloatVector a = FloatVector.broadcast(S, w[wOff + i * wStride] * wScale);
                int o = xOff + i * xStride + d;
                acc0 = FloatVector.fromArray(S, x, o).fma(a, acc0);
                acc1 = FloatVector.fromArray(S, x, o + LANES).fma(a, acc1);
            }
            acc0.intoArray(y, yOff + d);
            acc1.intoArray(y, yOff + d + LANES);
        }
        if (D >= LANES) {
            for (; d + LANES <= D; d += LANES) {
                FloatVector acc = FloatVector.fromArray(S, y, yOff + d);
                for (int i = 0; i < count; i++) {
                    FloatVector a = FloatVector.broadcast(S, w[wOff + i * wStride] * wScale);
                    acc = FloatVector.fromArray(S, x, xOff + i * xStride + d).fma(a, acc);
                }
                acc.intoArray(y, yOff + d);
            }
        }
        for (; d < D; d++) {
            float acc = y[yOff + d];
            for (int i = 0; i < count; i++) {
                acc += (w[wOff + i * wStride] * wScale) * x[xOff + i * xStride + d];
            }
            y[yOff + d] = acc;
        }
    }
}
