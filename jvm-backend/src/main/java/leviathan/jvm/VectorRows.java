package leviathan.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import leviathan.graph.Kernel;

/**
 * Per-head row primitives of the JVM backend's fast score-map mixers ({@link VectorAttention} and
 * the fast variants of other mixers, e.g. {@code leviathan.jvm.LeviathanVector}): one
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
        public float[] rows = new float[0];         // (ROWS, Tpad): a block of score rows
        public float[] acc = new float[0];          // (T, D)
        public float[] acc2 = new float[0];         // (T, D)
        public final float[] lanes = new float[LANES];  // one vector's lanes, for ordered sums

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
                rows = new float[ROWS * tPad];
            }
            if (acc.length < T * D) {
                acc = new float[T * D];
                acc2 = new float[T * D];
            }
        }
    }

    /** Rows per block in {@link #rowsTimesTransposed} and {@link #weightedRowSums}. */
    public static final int ROWS = 4;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The calling thread's scratch, grown to hold shape (T, D). Not reentrant: one head at a time per thread. */
    public static Scratch scratch(int T, int D) {
        Scratch sc = SCRATCH.get();
        sc.ensure(T, D);
        return sc;
    }

    /** One head (b, h) of a score-map stage, with the calling thread's scratch. */
    @FunctionalInterface
    interface HeadBody {
        void run(int b, int h, Scratch sc);
    }

    /** Runs heads (b, h) = (bh / H, bh % H) for bh in [0, heads), split across the pool; each head on one thread. */
    static JvmFastKernels.JvmStage perHead(int heads, int T, int H, int D, HeadBody body) {
        Kernel.RangeBody range = (from, to) -> {
            Scratch sc = scratch(T, D);
            for (int bh = from; bh < to; bh++) {
                body.run(bh / H, bh % H, sc);
            }
        };
        return pool -> pool.run(heads, range);
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
        rowTimesTransposed(row, 0, x, xOff, tr, D, tPad, n);
    }

    /** The same into row[rowOff .. rowOff + n). */
    public static void rowTimesTransposed(float[] row, int rowOff, float[] x, int xOff, float[] tr, int D, int tPad, int n) {
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
            a0.intoArray(row, rowOff + c);
            a1.intoArray(row, rowOff + c + LANES);
            a2.intoArray(row, rowOff + c + 2 * LANES);
            a3.intoArray(row, rowOff + c + 3 * LANES);
        }
        for (; c + 2 * LANES <= n; c += 2 * LANES) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            for (int d = 0; d < D; d++) {
                FloatVector xd = FloatVector.broadcast(S, x[xOff + d]);
                int o = d * tPad + c;
                a0 = FloatVector.fromArray(S, tr, o).fma(xd, a0);
                a1 = FloatVector.fromArray(S, tr, o + LANES).fma(xd, a1);
            }
            a0.intoArray(row, rowOff + c);
            a1.intoArray(row, rowOff + c + LANES);
        }
        for (; c < n; c += LANES) {
            FloatVector acc = FloatVector.zero(S);
            for (int d = 0; d < D; d++) {
                acc = FloatVector.fromArray(S, tr, d * tPad + c).fma(FloatVector.broadcast(S, x[xOff + d]), acc);
            }
            acc.intoArray(row, rowOff + c);
        }
    }

    /**
     * rows[r·rs .. r·rs + n) = Σ_d x[xOff + r·xStride + d] · tr[d, 0..n) for r < count (at most
     * {@link #ROWS}; n whole vectors): four rows share every load of tr, and their 4–8 FMA chains
     * overlap. Each lane gets the FMAs {@link #rowTimesTransposed} applies, in the same order.
     */
    public static void rowsTimesTransposed(float[] rows, int rs, int count, float[] x, int xOff, int xStride,
                                           float[] tr, int D, int tPad, int n) {
        if (count < ROWS) {
            for (int r = 0; r < count; r++) {
                rowTimesTransposed(rows, r * rs, x, xOff + r * xStride, tr, D, tPad, n);
            }
            return;
        }
        int x0 = xOff, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        int c = 0;
        for (; c + 2 * LANES <= n; c += 2 * LANES) {
            FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int d = 0; d < D; d++) {
                int o = d * tPad + c;
                FloatVector t0 = FloatVector.fromArray(S, tr, o), t1 = FloatVector.fromArray(S, tr, o + LANES);
                FloatVector b = FloatVector.broadcast(S, x[x0 + d]);
                a00 = t0.fma(b, a00); a01 = t1.fma(b, a01);
                b = FloatVector.broadcast(S, x[x1 + d]);
                a10 = t0.fma(b, a10); a11 = t1.fma(b, a11);
                b = FloatVector.broadcast(S, x[x2 + d]);
                a20 = t0.fma(b, a20); a21 = t1.fma(b, a21);
                b = FloatVector.broadcast(S, x[x3 + d]);
                a30 = t0.fma(b, a30); a31 = t1.fma(b, a31);
            }
            a00.intoArray(rows, c); a01.intoArray(rows, c + LANES);
            a10.intoArray(rows, rs + c); a11.intoArray(rows, rs + c + LANES);
            a20.intoArray(rows, 2 * rs + c); a21.intoArray(rows, 2 * rs + c + LANES);
            a30.intoArray(rows, 3 * rs + c); a31.intoArray(rows, 3 * rs + c + LANES);
        }
        for (; c < n; c += LANES) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < D; d++) {
                FloatVector t0 = FloatVector.fromArray(S, tr, d * tPad + c);
                a0 = t0.fma(FloatVector.broadcast(S, x[x0 + d]), a0);
                a1 = t0.fma(FloatVector.broadcast(S, x[x1 + d]), a1);
                a2 = t0.fma(FloatVector.broadcast(S, x[x2 + d]), a2);
                a3 = t0.fma(FloatVector.broadcast(S, x[x3 + d]), a3);
            }
            a0.intoArray(rows, c);
            a1.intoArray(rows, rs + c);
            a2.intoArray(rows, 2 * rs + c);
            a3.intoArray(rows, 3 * rs + c);
        }
    }

    /**
     * {@link #weightedRowSum} for {@link #ROWS} rows r sharing x: y[yOff + r·yStride + d] +=
     * Σ_{i < count} (w[wOff + r·wRow + i·wStep]·wScale)·x[xOff + i·xStride + d]. Each lane gets the
     * operations weightedRowSum applies, in the same order, so the result is bit-identical to four
     * calls of it; four rows share every load of x and keep 8 FMA chains in flight instead of 2.
     */
    public static void weightedRowSums(float[] y, int yOff, int yStride, float[] w, int wOff, int wRow, int wStep, float wScale,
                                       float[] x, int xOff, int xStride, int count, int D) {
        int y0 = yOff, y1 = y0 + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
        int w0 = wOff, w1 = w0 + wRow, w2 = w1 + wRow, w3 = w2 + wRow;
        int d = 0;
        for (; d + 2 * LANES <= D; d += 2 * LANES) {
            FloatVector a00 = FloatVector.fromArray(S, y, y0 + d), a01 = FloatVector.fromArray(S, y, y0 + d + LANES);
            FloatVector a10 = FloatVector.fromArray(S, y, y1 + d), a11 = FloatVector.fromArray(S, y, y1 + d + LANES);
            FloatVector a20 = FloatVector.fromArray(S, y, y2 + d), a21 = FloatVector.fromArray(S, y, y2 + d + LANES);
            FloatVector a30 = FloatVector.fromArray(S, y, y3 + d), a31 = FloatVector.fromArray(S, y, y3 + d + LANES);
            for (int i = 0; i < count; i++) {
                int o = xOff + i * xStride + d, wi = i * wStep;
                FloatVector x0 = FloatVector.fromArray(S, x, o), x1 = FloatVector.fromArray(S, x, o + LANES);
                FloatVector a = FloatVector.broadcast(S, w[w0 + wi] * wScale);
                a00 = x0.fma(a, a00); a01 = x1.fma(a, a01);
                a = FloatVector.broadcast(S, w[w1 + wi] * wScale);
                a10 = x0.fma(a, a10); a11 = x1.fma(a, a11);
                a = FloatVector.broadcast(S, w[w2 + wi] * wScale);
                a20 = x0.fma(a, a20); a21 = x1.fma(a, a21);
                a = FloatVector.broadcast(S, w[w3 + wi] * wScale);
                a30 = x0.fma(a, a30); a31 = x1.fma(a, a31);
            }
            a00.intoArray(y, y0 + d); a01.intoArray(y, y0 + d + LANES);
            a10.intoArray(y, y1 + d); a11.intoArray(y, y1 + d + LANES);
            a20.intoArray(y, y2 + d); a21.intoArray(y, y2 + d + LANES);
            a30.intoArray(y, y3 + d); a31.intoArray(y, y3 + d + LANES);
        }
        // The rest of d (heads that are not a multiple of two vectors): row by row, as weightedRowSum does it.
        if (d < D) {
            for (int r = 0; r < ROWS; r++) {
                weightedRowSumFrom(y, yOff + r * yStride, w, wOff + r * wRow, wStep, wScale, x, xOff, xStride, count, D, d);
            }
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

    /** row[off + j] ·= scale for j < n, n a whole number of vectors. */
    public static void scaleRow(float[] row, int off, int n, float scale) {
        for (int c = off; c < off + n; c += LANES) {
            FloatVector.fromArray(S, row, c).mul(scale).intoArray(row, c);
        }
    }

    /**
     * max of row[off .. off + live): whole vectors, then one masked tail (the row is padded to whole
     * vectors). Exact in any order.
     */
    public static float maxRow(float[] row, int off, int live) {
        FloatVector m = FloatVector.broadcast(S, -Float.MAX_VALUE);
        int j = 0;
        for (; j + LANES <= live; j += LANES) {
            m = m.max(FloatVector.fromArray(S, row, off + j));
        }
        if (j < live) {
            m = m.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, row, off + j), S.indexInRange(j, live));
        }
        return m.reduceLanes(VectorOperators.MAX);
    }

    /**
     * out[outOff + j] = row[off + j] / Σ row[off .. off + live) for j < live. The sum runs per lane,
     * then over the lanes in index order through {@code lanes} (never reduceLanes, whose order is
     * the JIT's choice): the same bits in every execution mode.
     */
    public static void normaliseRow(float[] out, int outOff, float[] row, int off, int live, float[] lanes) {
        FloatVector s = FloatVector.zero(S);
        int j = 0;
        for (; j + LANES <= live; j += LANES) {
            s = s.add(FloatVector.fromArray(S, row, off + j));
        }
        VectorMask<Float> tail = S.indexInRange(j, live);
        if (j < live) {
            s = s.add(FloatVector.fromArray(S, row, off + j), tail);
        }
        s.intoArray(lanes, 0);
        float sum = 0f;
        for (int l = 0; l < LANES; l++) {
            sum += lanes[l];
        }
        float inv = 1.0f / sum;
        for (j = 0; j + LANES <= live; j += LANES) {
            FloatVector.fromArray(S, row, off + j).mul(inv).intoArray(out, outOff + j);
        }
        if (j < live) {
            FloatVector.fromArray(S, row, off + j).mul(inv).intoArray(out, outOff + j, tail);
        }
    }

    /**
     * The softmax's backward for one row, in whole vectors: out[outOff + j] = p[pOff + j]·(g[gOff + j] −
     * Σ p·g) for j < live, with g the gradient of the probabilities p. The dot product sums per lane,
     * then across the lanes in index order (as in {@link #normaliseRow}).
     */
    public static void softmaxBackwardRow(float[] out, int outOff, float[] p, int pOff, float[] g, int gOff, int live,
                                          float[] lanes) {
        FloatVector s = FloatVector.zero(S);
        int j = 0;
        for (; j + LANES <= live; j += LANES) {
            s = FloatVector.fromArray(S, p, pOff + j).fma(FloatVector.fromArray(S, g, gOff + j), s);
        }
        VectorMask<Float> tail = S.indexInRange(j, live);
        if (j < live) {
            s = s.add(FloatVector.fromArray(S, p, pOff + j, tail).mul(FloatVector.fromArray(S, g, gOff + j, tail)), tail);
        }
        s.intoArray(lanes, 0);
        float dot = 0f;
        for (int l = 0; l < LANES; l++) {
            dot += lanes[l];
        }
        for (j = 0; j + LANES <= live; j += LANES) {
            FloatVector.fromArray(S, g, gOff + j).sub(dot).mul(FloatVector.fromArray(S, p, pOff + j)).intoArray(out, outOff + j);
        }
        if (j < live) {
            FloatVector.fromArray(S, g, gOff + j, tail).sub(dot).mul(FloatVector.fromArray(S, p, pOff + j, tail))
                    .intoArray(out, outOff + j, tail);
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
        expRow(row, 0, n, shift);
    }

    /** The same over row[off .. off + n). */
    public static void expRow(float[] row, int off, int n, float shift) {
        for (int c = off; c < off + n; c += LANES) {
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
        weightedRowSumFrom(y, yOff, w, wOff, wStride, wScale, x, xOff, xStride, count, D, 0);
    }

    /** {@link #weightedRowSum} over d in [d0, D) only. */
    private static void weightedRowSumFrom(float[] y, int yOff, float[] w, int wOff, int wStride, float wScale,
                                           float[] x, int xOff, int xStride, int count, int D, int d0) {
        int d = d0;
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
