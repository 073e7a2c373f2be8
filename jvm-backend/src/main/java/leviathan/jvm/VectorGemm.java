package leviathan.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import leviathan.graph.Kernel;
import leviathan.graph.FloatSlice;

/**
 * The JVM backend's fast matmul: {@code C (M×N) [+]= bias + A·B} with the Vector API, a 6×(4
 * vectors) register tile, B packed into zero-padded panels (or read in place where its rows are
 * contiguous), A packed into k-major row tiles (both once per call, in parallel), and K split into
 * cache-sized blocks. The work is a grid of (row tiles × panels) blocks shaped so that the larger
 * operand is streamed the fewest times: rows for the forward pass, panels for the weight gradient
 * of the MLP projection, whose B (the activations) is large.
 * A and B are read through strides so one routine serves the forward pass and both backward
 * passes of {@link leviathan.kernels.Matmul}, which stays the oracle it is tested against.
 * C is row-major with row stride N. Every element of C gets the same sequence of FMAs whichever
 * block and thread compute it: the result does not depend on timing or thread count.
 */
final class VectorGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /**
     * Rows per register tile. 6 rows × 4 vectors = 24 accumulators, plus 4 B vectors and one
     * broadcast, fits AVX-512's 32 registers and needs 10 loads per 24 FMAs.
     */
    static final int MR = 6;
    /** Width of a full panel: four vectors. The last panel may be narrower (2 or 1 vectors). */
    static final int NR = 4 * L;
    /** Depth of one K block: one panel's slice of B (KC×NR floats, 32 KB) stays in L1 while the rows stream by. */
    static final int KC = 128;

    private final int M, N, K;
    private final float[] c; private final int cOff;
    private final float[] a; private final int aOff, aRs, aCs;
    private final float[] b; private final int bOff, bRs, bCs;
    private final float[] bias; private final int biasOff;
    private final boolean accumulate;
    /** Panel p covers columns [panelStart[p], panelStart[p] + panelWidth[p]), zero past N. */
    private final int[] panelStart, panelWidth;
    /** A packed panel p is stored (K, panelWidth[p]) from packedStart[p]; only packed panels take room. */
    private final float[] packed;
    private final int[] packedStart;
    /**
     * Whether full panels are read from B itself: when B's rows are contiguous (both backward
     * passes), packing would only copy them; the weight gradient's B is the activations, 1.5 MB
     * for the MLP's projection.
     */
    private final boolean directB;
    /** Lane offsets {0, bCs, 2·bCs, ...} for gathering L columns of a transposed B. */
    private final int[] gatherIndex;
    /** Lane offsets of A(i, k) for the packed order k·MR + i over L steps of k: MR gathers per L steps. */
    private final int[] aGatherIndex;
    /** Row tiles: M rounded up to MR rows. */
    private final int tiles;
    /** Packed A's size: K × tiles·MR floats, in the caller's pool scratch. */
    private final int packedASize;
    /** The compute grid: rowParts × panelParts blocks. */
    private final int rowParts, panelParts;
    private final Kernel.RangeBody packBody;
    private final Kernel.RangeBody computeBody;
    /** Packed A of the call in flight: per K block, the row tiles k-major (see {@link #packA}). */
    private float[] aPacked;

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
        // Full panels, then the remainder in the narrowest panels that cover it, so that e.g.
        // N = 65 computes 80 columns rather than 128.
        int full = N / NR, rem = N - full * NR;
        int[] tail = rem == 0 ? new int[0]
                : rem > 3 * L ? new int[] {NR}
                : rem > 2 * L ? new int[] {2 * L, L}
                : rem > L ? new int[] {2 * L}
                : new int[] {L};
        int panels = full + tail.length;
        this.panelStart = new int[panels];
        this.panelWidth = new int[panels];
        int n0 = 0;
        for (int p = 0; p < panels; p++) {
            int w = p < full ? NR : tail[p - full];
            panelStart[p] = n0;
            panelWidth[p] = w;
            n0 += w;
        }
        this.directB = bCs == 1;
        this.packedStart = new int[panels];
        int packedSize = 0;
        for (int p = 0; p < panels; p++) {
            packedStart[p] = packedSize;
            packedSize += isDirect(panelStart[p], panelWidth[p]) ? 0 : K * panelWidth[p];
        }
        this.packed = new float[Math.max(1, packedSize)];
        this.gatherIndex = new int[L];
        for (int j = 0; j < L; j++) {
            gatherIndex[j] = j * bCs;
        }
        this.aGatherIndex = new int[MR * L];
        for (int e = 0; e < MR * L; e++) {
            aGatherIndex[e] = (e % MR) * aRs + (e / MR) * aCs;
        }
        this.tiles = (M + MR - 1) / MR;
        this.packedASize = K * tiles * MR;
        int[] grid = grid(tiles, panels, (long) K * tiles * MR, (long) K * n0, WorkerPool.CHUNKS_PER_THREAD * 2);
        this.rowParts = grid[0];
        this.panelParts = grid[1];
        this.packBody = this::pack;
        this.computeBody = this::computeBlocks;
    }

    /**
     * Splits tiles × panels into rowParts × panelParts blocks, at least {@code target} of them
     * where the shape allows, minimising the floats the blocks read: each row part streams all of
     * packed B and each panel part all of packed A.
     */
    static int[] grid(int tiles, int panels, long aFloats, long bFloats, int target) {
        int bestRows = Math.min(tiles, target), bestPanels = 1;
        long bestCost = Long.MAX_VALUE;
        for (int p = 1; p <= panels; p++) {
            int r = Math.min(tiles, (target + p - 1) / p);
            long cost = r * bFloats + p * aFloats;
            if (cost < bestCost) {
                bestCost = cost;
                bestRows = r;
                bestPanels = p;
            }
        }
        return new int[] {bestRows, bestPanels};
    }

    /** out (BT, OC) = inp (BT, C) · weight (OC, C)ᵀ + bias. */
    static VectorGemm forward(FloatSlice out, FloatSlice inp, FloatSlice weight, FloatSlice bias, int BT, int C, int OC) {
        return new VectorGemm(BT, OC, C, out.array, out.offset, inp.array, inp.offset, C, 1,
                weight.array, weight.offset, 1, C, bias == null ? null : bias.array, bias == null ? -1 : bias.offset, false);
    }

    /** dinp (BT, C) += dout (BT, OC) · weight (OC, C), or = when not accumulating. */
    static VectorGemm backwardInput(FloatSlice dinp, FloatSlice dout, FloatSlice weight, int BT, int C, int OC, boolean accumulate) {
        return new VectorGemm(BT, C, OC, dinp.array, dinp.offset, dout.array, dout.offset, OC, 1,
                weight.array, weight.offset, C, 1, null, -1, accumulate);
    }

    /** dweight (OC, C) += dout (BT, OC)ᵀ · inp (BT, C). */
    static VectorGemm backwardWeight(FloatSlice dweight, FloatSlice dout, FloatSlice inp, int BT, int C, int OC) {
        return new VectorGemm(OC, C, BT, dweight.array, dweight.offset, dout.array, dout.offset, 1, OC,
                inp.array, inp.offset, C, 1, null, -1, true);
    }

    void run(WorkerPool pool) {
        aPacked = pool.scratch(packedASize);
        pool.run(panelStart.length + tiles, packBody);
        pool.run(rowParts * panelParts, computeBody);
        aPacked = null;
    }

    /** Items [0, panels) pack B's panels, the rest pack A's row tiles. */
    private void pack(int i0, int i1) {
        int panels = panelStart.length;
        for (int t = Math.max(i0, panels); t < i1; t++) {
            packA(t - panels);
        }
        packB(i0, Math.min(i1, panels));
    }

    private void packB(int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            int n0 = panelStart[p];
            int w = panelWidth[p];
            if (isDirect(n0, w)) {
                continue;
            }
            int width = Math.min(w, N - n0);
            int base = packedStart[p];
            if (bCs == 1) {
                for (int k = 0; k < K; k++) {
                    int dst = base + k * w;
                    System.arraycopy(b, bOff + k * bRs + n0, packed, dst, width);
                    for (int j = width; j < w; j++) {
                        packed[dst + j] = 0f;
                    }
                }
            } else {
                // B is a transpose (the forward pass's weight): gather L columns at a time, one
                // k per gather: a scalar transpose costs a noticeable share of the forward pass
                // (docs/performance.md).
                int j = 0;
                for (; j + L <= width; j += L) {
                    gatherColumns(b, bOff + (n0 + j) * bCs, bRs, gatherIndex, packed, base + j, w, K);
                }
                for (; j < width; j++) {
                    int src = bOff + (n0 + j) * bCs;
                    for (int k = 0; k < K; k++) {
                        packed[base + k * w + j] = b[src + k * bRs];
                    }
                }
                for (int k = 0; k < K; k++) {
                    for (int jj = width; jj < w; jj++) {
                        packed[base + k * w + jj] = 0f;
                    }
                }
            }
        }
    }

    /**
     * dst[k·dstStride + j] = b[src + k·bRs + idx[j]] for j < L, k < K. Its own small method, so the
     * gather is always compiled as an intrinsic however the caller is inlined.
     */
    private static void gatherColumns(float[] b, int src, int bRs, int[] idx, float[] dst, int d, int dstStride, int K) {
        for (int k = 0; k < K; k++) {
            FloatVector.fromArray(S, b, src + k * bRs, idx, 0).intoArray(dst, d + k * dstStride);
        }
    }

    /** Whether the panel at n0 of width w is read from B itself (see {@link #directB}). */
    private boolean isDirect(int n0, int w) {
        return directB && w == NR && n0 + w <= N;
    }

    /** Per-thread C tile for the ragged edges. */
    private static final ThreadLocal<float[]> EDGE_TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    /** Offset of row tile t's K block starting at kb in packed A: blocks of KC·tiles·MR floats. */
    private int aOffset(int kb, int kLen, int t) {
        return kb * tiles * MR + t * kLen * MR;
    }

    /** Blocks [b0, b1) of the rowParts × panelParts grid. */
    private void computeBlocks(int b0, int b1) {
        for (int blk = b0; blk < b1; blk++) {
            int rp = blk / panelParts, pp = blk % panelParts;
            computeBlock(WorkerPool.partStart(tiles, rowParts, rp), WorkerPool.partStart(tiles, rowParts, rp + 1),
                    WorkerPool.partStart(panelStart.length, panelParts, pp), WorkerPool.partStart(panelStart.length, panelParts, pp + 1));
        }
    }

    /**
     * Row tiles [t0, t1) × panels [p0, p1). Loop order: K block, then a panel (its KC×NR slice of B
     * stays in L1), then the row tiles (their packed A block stays in L2).
     */
    private void computeBlock(int t0, int t1, int p0, int p1) {
        float[] cTile = EDGE_TILE.get();
        float[] aPack = aPacked;
        for (int kb = 0; kb < K; kb += KC) {
            int kLen = Math.min(K, kb + KC) - kb;
            // The first K block of a fresh C starts its accumulators from the bias (or zero)
            // instead of from C: no separate pass writing C before the tiles read it back.
            boolean fresh = !accumulate && kb == 0;
            float[] init = fresh ? (bias != null ? bias : ZERO) : c;
            for (int p = p0; p < p1; p++) {
                int n0 = panelStart[p], w = panelWidth[p];
                boolean direct = isDirect(n0, w);
                float[] bq = direct ? b : packed;
                int bp = direct ? bOff + kb * bRs + n0 : packedStart[p] + kb * w;
                int bs = direct ? bRs : w;
                for (int t = t0; t < t1; t++) {
                    int m = t * MR, ap = aOffset(kb, kLen, t);
                    int rows = Math.min(MR, M - m);
                    if (rows == MR && n0 + w <= N) {
                        int cBase = cOff + m * N + n0;
                        if (fresh) {
                            tile(w, init, bias != null ? biasOff + n0 : 0, 0, c, cBase, N, aPack, ap, bq, bp, bs, kLen);
                        } else {
                            tile(w, c, cBase, N, c, cBase, N, aPack, ap, bq, bp, bs, kLen);
                        }
                    } else {
                        // Ragged edge: run the same tile on a zero-padded copy of C (or of the bias
                        // rows) and copy the valid part back.
                        int width = Math.min(w, N - n0);
                        java.util.Arrays.fill(cTile, 0, MR * w, 0f);
                        for (int i = 0; i < rows; i++) {
                            if (!fresh) {
                                System.arraycopy(c, cOff + (m + i) * N + n0, cTile, i * w, width);
                            } else if (bias != null) {
                                System.arraycopy(bias, biasOff + n0, cTile, i * w, width);
                            }
                        }
                        tile(w, cTile, 0, w, cTile, 0, w, aPack, ap, bq, bp, bs, kLen);
                        for (int i = 0; i < rows; i++) {
                            System.arraycopy(cTile, i * w, c, cOff + (m + i) * N + n0, width);
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs row tile t (rows [t·MR, t·MR + MR)) for every K block, each stored k-major
     * (k·MR + i from {@link #aOffset}) so that a tile's broadcasts read contiguous memory whatever
     * A's strides; rows past the end are zero.
     */
    private void packA(int t) {
        final float[] a = this.a, aPack = this.aPacked;
        int m = t * MR;
        int rows = Math.min(MR, M - m);
        for (int kb = 0; kb < K; kb += KC) {
            int kLen = Math.min(K, kb + KC) - kb;
            int ap = aOffset(kb, kLen, t);
            int src = aOff + m * aRs + kb * aCs;
            int k = 0;
            if (rows == MR) {
                k = kLen - kLen % L;
                gatherRows(a, src, aCs, aGatherIndex, aPack, ap, k);
            }
            for (; k < kLen; k++) {
                int s = src + k * aCs, d = ap + k * MR;
                for (int i = 0; i < rows; i++) {
                    aPack[d + i] = a[s + i * aRs];
                }
                for (int i = rows; i < MR; i++) {
                    aPack[d + i] = 0f;
                }
            }
        }
    }

    /** One row tile's first kFull (a multiple of L) steps of k, gathered L·MR elements at a time. */
    private static void gatherRows(float[] a, int src, int aCs, int[] idx, float[] dst, int d, int kFull) {
        for (int k = 0; k < kFull; k += L) {
            int s = src + k * aCs, o = d + k * MR;
            for (int g = 0; g < MR; g++) {
                FloatVector.fromArray(S, a, s, idx, g * L).intoArray(dst, o + g * L);
            }
        }
    }

    /**
     * One row tile: C rows (cArr from cBase, row stride cStride) = the initial rows (init from iBase,
     * row stride iStride: C itself, or the bias with stride 0) + A tile · B panel (bq from bp, row
     * stride bs: packed, or B itself for a direct full panel).
     */
    private static void tile(int w, float[] init, int iBase, int iStride, float[] cArr, int cBase, int cStride,
                             float[] at, int ai, float[] bq, int bp, int bs, int kLen) {
        if (w == NR) {
            tile6x4(init, iBase, iStride, cArr, cBase, cStride, at, ai, bq, bp, bs, kLen);
        } else if (w == 2 * L) {
            tile6x2(init, iBase, iStride, cArr, cBase, cStride, at, ai, bq, bp, kLen);
        } else {
            tile6x1(init, iBase, iStride, cArr, cBase, cStride, at, ai, bq, bp, kLen);
        }
    }

    /** The initial rows of a fresh C without a bias (row stride 0). */
    private static final float[] ZERO = new float[NR];

    /** C[6 rows, 4 vectors] = init rows + packed A tile · B panel (row stride bs) over kLen steps; 24 accumulators in registers. */
    private static void tile6x4(float[] init, int i0, int is, float[] c, int r0, int cs, float[] at, int ai, float[] bq, int bp, int bs,
                                int kLen) {
        int i1 = i0 + is, i2 = i1 + is, i3 = i2 + is, i4 = i3 + is, i5 = i4 + is;
        int r1 = r0 + cs, r2 = r1 + cs, r3 = r2 + cs, r4 = r3 + cs, r5 = r4 + cs;
        FloatVector c00 = FloatVector.fromArray(S, init, i0), c01 = FloatVector.fromArray(S, init, i0 + L), c02 = FloatVector.fromArray(S, init, i0 + 2 * L), c03 = FloatVector.fromArray(S, init, i0 + 3 * L);
        FloatVector c10 = FloatVector.fromArray(S, init, i1), c11 = FloatVector.fromArray(S, init, i1 + L), c12 = FloatVector.fromArray(S, init, i1 + 2 * L), c13 = FloatVector.fromArray(S, init, i1 + 3 * L);
        FloatVector c20 = FloatVector.fromArray(S, init, i2), c21 = FloatVector.fromArray(S, init, i2 + L), c22 = FloatVector.fromArray(S, init, i2 + 2 * L), c23 = FloatVector.fromArray(S, init, i2 + 3 * L);
        FloatVector c30 = FloatVector.fromArray(S, init, i3), c31 = FloatVector.fromArray(S, init, i3 + L), c32 = FloatVector.fromArray(S, init, i3 + 2 * L), c33 = FloatVector.fromArray(S, init, i3 + 3 * L);
        FloatVector c40 = FloatVector.fromArray(S, init, i4), c41 = FloatVector.fromArray(S, init, i4 + L), c42 = FloatVector.fromArray(S, init, i4 + 2 * L), c43 = FloatVector.fromArray(S, init, i4 + 3 * L);
        FloatVector c50 = FloatVector.fromArray(S, init, i5), c51 = FloatVector.fromArray(S, init, i5 + L), c52 = FloatVector.fromArray(S, init, i5 + 2 * L), c53 = FloatVector.fromArray(S, init, i5 + 3 * L);
        for (int k = 0; k < kLen; k++) {
            int bi = bp + k * bs;
            FloatVector b0 = FloatVector.fromArray(S, bq, bi);
            FloatVector b1 = FloatVector.fromArray(S, bq, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, bq, bi + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, bq, bi + 3 * L);
            FloatVector x = FloatVector.broadcast(S, at[ai]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(S, at[ai + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(S, at[ai + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(S, at[ai + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
            x = FloatVector.broadcast(S, at[ai + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41); c42 = b2.fma(x, c42); c43 = b3.fma(x, c43);
            x = FloatVector.broadcast(S, at[ai + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51); c52 = b2.fma(x, c52); c53 = b3.fma(x, c53);
            ai += MR;
        }
        c00.intoArray(c, r0); c01.intoArray(c, r0 + L); c02.intoArray(c, r0 + 2 * L); c03.intoArray(c, r0 + 3 * L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L); c12.intoArray(c, r1 + 2 * L); c13.intoArray(c, r1 + 3 * L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L); c22.intoArray(c, r2 + 2 * L); c23.intoArray(c, r2 + 3 * L);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + L); c32.intoArray(c, r3 + 2 * L); c33.intoArray(c, r3 + 3 * L);
        c40.intoArray(c, r4); c41.intoArray(c, r4 + L); c42.intoArray(c, r4 + 2 * L); c43.intoArray(c, r4 + 3 * L);
        c50.intoArray(c, r5); c51.intoArray(c, r5 + L); c52.intoArray(c, r5 + 2 * L); c53.intoArray(c, r5 + 3 * L);
    }

    /** The 2-vector remainder panel: the same tile, 12 accumulators. */
    private static void tile6x2(float[] init, int i0, int is, float[] c, int r0, int cs, float[] at, int ai, float[] bq, int bp, int kLen) {
        int i1 = i0 + is, i2 = i1 + is, i3 = i2 + is, i4 = i3 + is, i5 = i4 + is;
        int r1 = r0 + cs, r2 = r1 + cs, r3 = r2 + cs, r4 = r3 + cs, r5 = r4 + cs;
        FloatVector c00 = FloatVector.fromArray(S, init, i0), c01 = FloatVector.fromArray(S, init, i0 + L);
        FloatVector c10 = FloatVector.fromArray(S, init, i1), c11 = FloatVector.fromArray(S, init, i1 + L);
        FloatVector c20 = FloatVector.fromArray(S, init, i2), c21 = FloatVector.fromArray(S, init, i2 + L);
        FloatVector c30 = FloatVector.fromArray(S, init, i3), c31 = FloatVector.fromArray(S, init, i3 + L);
        FloatVector c40 = FloatVector.fromArray(S, init, i4), c41 = FloatVector.fromArray(S, init, i4 + L);
        FloatVector c50 = FloatVector.fromArray(S, init, i5), c51 = FloatVector.fromArray(S, init, i5 + L);
        for (int k = 0; k < kLen; k++) {
            int bi = bp + k * (2 * L);
            FloatVector b0 = FloatVector.fromArray(S, bq, bi);
            FloatVector b1 = FloatVector.fromArray(S, bq, bi + L);
            FloatVector x = FloatVector.broadcast(S, at[ai]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, at[ai + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, at[ai + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, at[ai + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, at[ai + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S, at[ai + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51);
            ai += MR;
        }
        c00.intoArray(c, r0); c01.intoArray(c, r0 + L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + L);
        c40.intoArray(c, r4); c41.intoArray(c, r4 + L);
        c50.intoArray(c, r5); c51.intoArray(c, r5 + L);
    }

    /** The 1-vector remainder panel: 6 accumulators. */
    private static void tile6x1(float[] init, int i0, int is, float[] c, int r0, int cs, float[] at, int ai, float[] bq, int bp, int kLen) {
        int i1 = i0 + is, i2 = i1 + is, i3 = i2 + is, i4 = i3 + is, i5 = i4 + is;
        int r1 = r0 + cs, r2 = r1 + cs, r3 = r2 + cs, r4 = r3 + cs, r5 = r4 + cs;
        FloatVector c0 = FloatVector.fromArray(S, init, i0), c1 = FloatVector.fromArray(S, init, i1), c2 = FloatVector.fromArray(S, init, i2);
        FloatVector c3 = FloatVector.fromArray(S, init, i3), c4 = FloatVector.fromArray(S, init, i4), c5 = FloatVector.fromArray(S, init, i5);
        for (int k = 0; k < kLen; k++) {
            FloatVector b0 = FloatVector.fromArray(S, bq, bp + k * L);
            c0 = b0.fma(FloatVector.broadcast(S, at[ai]), c0);
            c1 = b0.fma(FloatVector.broadcast(S, at[ai + 1]), c1);
            c2 = b0.fma(FloatVector.broadcast(S, at[ai + 2]), c2);
            c3 = b0.fma(FloatVector.broadcast(S, at[ai + 3]), c3);
            c4 = b0.fma(FloatVector.broadcast(S, at[ai + 4]), c4);
            c5 = b0.fma(FloatVector.broadcast(S, at[ai + 5]), c5);
            ai += MR;
        }
        c0.intoArray(c, r0); c1.intoArray(c, r1); c2.intoArray(c, r2);
        c3.intoArray(c, r3); c4.intoArray(c, r4); c5.intoArray(c, r5);
    }
}
