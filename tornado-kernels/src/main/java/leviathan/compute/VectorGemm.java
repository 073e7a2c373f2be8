package leviathan.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The JVM backend's fast matmul: {@code C (M×N) [+]= bias + A·B} with the Vector API, a 4×(3
 * vectors) register tile, B packed into zero-padded panels and K split into cache-sized blocks.
 * A and B are read through strides so one routine serves the forward pass and both backward
 * passes of {@link leviathan.kernels.Matmul}, which stays the oracle it is tested against.
 * C is row-major with row stride N. Each thread owns a contiguous range of C's rows: the result
 * does not depend on timing.
 */
final class VectorGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Panel width: three vectors. */
    static final int NR = 3 * L;
    /** Rows per register tile. */
    static final int MR = 4;
    /** Depth of one K block: one panel slice (KC×NR floats) stays in L1/L2 while the rows stream by. */
    static final int KC = 256;

    private final int M, N, K;
    private final float[] c; private final int cOff;
    private final float[] a; private final int aOff, aRs, aCs;
    private final float[] b; private final int bOff, bRs, bCs;
    private final float[] bias; private final int biasOff;
    private final boolean accumulate;
    private final int panels;
    /** (panels, K, NR): panel p holds B(k, p·NR + j), zero past N. */
    private final float[] packed;
    private final Kernel.RangeBody packBody;
    private final Kernel.RangeBody computeBody;

    VectorGemm(int M, int N, int K,
               float[] c, int cOff,
               float[] a, int aOff, int aRs, int aCs,
               float[] b, int bOff, int bRs, int bCs,
               float[] bias, int biasOff, boolean accumulate) {
        this.M = M; this.N = N; this.K = K;
        this.c = c; this.cOff = cOff;
        this.a = a; this.aOff = aOff; this.aRs = aRs; this.aCs = aCs;
        this.b = b; this.bOff = bOff; this.bRs = bRs; this.bCs = bCs;
        this.bias = bias; this.biasOff = biasOff;
        this.accumulate = accumulate;
        this.panels = (N + NR - 1) / NR;
        this.packed = new float[Math.max(1, panels * K * NR)];
        this.packBody = this::pack;
        this.computeBody = this::computeRows;
    }

    /** out (BT, OC) = inp (BT, C) · weight (OC, C)ᵀ + bias. */
    static VectorGemm forward(FloatSlice out, FloatSlice inp, FloatSlice weight, FloatSlice bias, int BT, int C, int OC) {
        return new VectorGemm(BT, OC, C, out.array, out.offset, inp.array, inp.offset, C, 1,
                weight.array, weight.offset, 1, C, bias == null ? null : bias.array, bias == null ? -1 : bias.offset, false);
    }

    /** dinp (BT, C) += dout (BT, OC) · weight (OC, C). */
    static VectorGemm backwardInput(FloatSlice dinp, FloatSlice dout, FloatSlice weight, int BT, int C, int OC) {
        return new VectorGemm(BT, C, OC, dinp.array, dinp.offset, dout.array, dout.offset, OC, 1,
                weight.array, weight.offset, C, 1, null, -1, true);
    }

    /** dweight (OC, C) += dout (BT, OC)ᵀ · inp (BT, C). */
    static VectorGemm backwardWeight(FloatSlice dweight, FloatSlice dout, FloatSlice inp, int BT, int C, int OC) {
        return new VectorGemm(OC, C, BT, dweight.array, dweight.offset, dout.array, dout.offset, 1, OC,
                inp.array, inp.offset, C, 1, null, -1, true);
    }

    void run(WorkerPool pool) {
        pool.run(panels, packBody);
        pool.run((M + MR - 1) / MR, computeBody);
    }

    private void pack(int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            int n0 = p * NR;
            int width = Math.min(NR, N - n0);
            int base = p * K * NR;
            for (int k = 0; k < K; k++) {
                int dst = base + k * NR;
                int src = bOff + k * bRs + n0 * bCs;
                if (bCs == 1) {
                    System.arraycopy(b, src, packed, dst, width);
                } else {
                    for (int j = 0; j < width; j++) {
                        packed[dst + j] = b[src + j * bCs];
                    }
                }
                for (int j = width; j < NR; j++) {
                    packed[dst + j] = 0f;
                }
            }
        }
    }

    private void computeRows(int tile0, int tile1) {
        int m0 = tile0 * MR;
        int m1 = Math.min(M, tile1 * MR);
        if (!accumulate) {
            initialiseRows(m0, m1);
        }
        float[] scratch = SCRATCH.get();
        int fullPanels = N / NR;
        for (int kb = 0; kb < K; kb += KC) {
            int kEnd = Math.min(K, kb + KC);
            for (int p = 0; p < panels; p++) {
                boolean full = p < fullPanels;
                int m = m0;
                for (; m + MR <= m1; m += MR) {
                    if (full) {
                        tile4(m, p, kb, kEnd);
                    } else {
                        tile4Partial(m, MR, p, kb, kEnd, scratch);
                    }
                }
                if (m < m1) {
                    tile4Partial(m, m1 - m, p, kb, kEnd, scratch);
                }
            }
        }
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[MR * NR]);

    /** C rows [m0, m1) = bias (or 0), so that the tiles only ever accumulate. */
    private void initialiseRows(int m0, int m1) {
        for (int m = m0; m < m1; m++) {
            int r = cOff + m * N;
            for (int n = 0; n < N; n++) {
                c[r + n] = bias == null ? 0f : bias[biasOff + n];
            }
        }
    }

    /** C[m..m+3, panel p] += A[m..m+3, kb..kEnd) · Bpacked: a full panel, twelve vector accumulators. */
    private void tile4(int m, int p, int kb, int kEnd) {
        int r0 = cOff + m * N + p * NR;
        int r1 = r0 + N, r2 = r1 + N, r3 = r2 + N;
        FloatVector c00 = FloatVector.fromArray(S, c, r0), c01 = FloatVector.fromArray(S, c, r0 + L), c02 = FloatVector.fromArray(S, c, r0 + 2 * L);
        FloatVector c10 = FloatVector.fromArray(S, c, r1), c11 = FloatVector.fromArray(S, c, r1 + L), c12 = FloatVector.fromArray(S, c, r1 + 2 * L);
        FloatVector c20 = FloatVector.fromArray(S, c, r2), c21 = FloatVector.fromArray(S, c, r2 + L), c22 = FloatVector.fromArray(S, c, r2 + 2 * L);
        FloatVector c30 = FloatVector.fromArray(S, c, r3), c31 = FloatVector.fromArray(S, c, r3 + L), c32 = FloatVector.fromArray(S, c, r3 + 2 * L);
        int bp = (p * K + kb) * NR;
        int ap = aOff + m * aRs + kb * aCs;
        final float[] a = this.a, packed = this.packed;
        final int aRs = this.aRs, aCs = this.aCs;
        for (int k = kb; k < kEnd; k++) {
            FloatVector b0 = FloatVector.fromArray(S, packed, bp);
            FloatVector b1 = FloatVector.fromArray(S, packed, bp + L);
            FloatVector b2 = FloatVector.fromArray(S, packed, bp + 2 * L);
            FloatVector a0 = FloatVector.broadcast(S, a[ap]);
            c00 = b0.fma(a0, c00); c01 = b1.fma(a0, c01); c02 = b2.fma(a0, c02);
            FloatVector a1 = FloatVector.broadcast(S, a[ap + aRs]);
            c10 = b0.fma(a1, c10); c11 = b1.fma(a1, c11); c12 = b2.fma(a1, c12);
            FloatVector a2 = FloatVector.broadcast(S, a[ap + 2 * aRs]);
            c20 = b0.fma(a2, c20); c21 = b1.fma(a2, c21); c22 = b2.fma(a2, c22);
            FloatVector a3 = FloatVector.broadcast(S, a[ap + 3 * aRs]);
            c30 = b0.fma(a3, c30); c31 = b1.fma(a3, c31); c32 = b2.fma(a3, c32);
            bp += NR;
            ap += aCs;
        }
        c00.intoArray(c, r0); c01.intoArray(c, r0 + L); c02.intoArray(c, r0 + 2 * L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L); c12.intoArray(c, r1 + 2 * L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L); c22.intoArray(c, r2 + 2 * L);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + L); c32.intoArray(c, r3 + 2 * L);
    }

    /** The ragged edges (last rows, last partial panel): one row at a time through a scratch row. */
    private void tile4Partial(int m, int rows, int p, int kb, int kEnd, float[] scratch) {
        int n0 = p * NR;
        int width = Math.min(NR, N - n0);
        for (int i = 0; i < rows; i++) {
            FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
            int bp = (p * K + kb) * NR;
            int ap = aOff + (m + i) * aRs + kb * aCs;
            for (int k = kb; k < kEnd; k++) {
                FloatVector av = FloatVector.broadcast(S, a[ap]);
                c0 = FloatVector.fromArray(S, packed, bp).fma(av, c0);
                c1 = FloatVector.fromArray(S, packed, bp + L).fma(av, c1);
                c2 = FloatVector.fromArray(S, packed, bp + 2 * L).fma(av, c2);
                bp += NR;
                ap += aCs;
            }
            c0.intoArray(scratch, 0);
            c1.intoArray(scratch, L);
            c2.intoArray(scratch, 2 * L);
            int r = cOff + (m + i) * N + n0;
            for (int j = 0; j < width; j++) {
                c[r + j] += scratch[j];
            }
        }
    }
}
