package leviathan.jvm;

import static leviathan.jvm.VectorRows.LANES;
import static leviathan.jvm.VectorRows.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.Performer;
import leviathan.kernels.PerformerKernels;

/**
 * The JVM backend's fast variants of the Performer's feature-map kernels ({@link Performer#features},
 * {@link Performer#backwardFeatures}; the scans are in {@link PerformerScanVector}). The plain bodies stay
 * the oracle and the TornadoVM source.
 *
 * <p>The projections ω_r·x̃ run over a head's ω transposed once into per-thread scratch, a vector of
 * features r at a time; every lane applies the plain body's multiplies and adds in its order (d
 * ascending, no FMA), so the projections, the stabilisers and the key constants are bit-identical to
 * the body's. Only the exponential differs: {@link VectorMath#exp} (a few ulp from {@code Math.exp}),
 * except for arguments below its clamp, where the body's {@code Math.exp} runs so that features that
 * underflow in the body underflow here too. The feature backward runs a vector of d at a time with the
 * body's operations in its order: bit-identical.
 *
 * <p>Every output row is computed by one task on one thread, so nothing depends on the thread count.
 */
public final class PerformerVector {
    private PerformerVector() {}

    /** Below this, {@link VectorMath#exp} clamps; there the plain body's Math.exp is used. */
    private static final float EXP_CLAMP = -87.3f;

    /** Per-thread scratch, grown on first use of a shape and then reused. */
    static final class Scratch {
        float[] omegaT = new float[0];   // (D, mPad): one head's ω, transposed, zero past m
        float[] row = new float[0];      // (mPad): one row of projections or features
        float[] args = new float[0];     // (mPad): a row's exp arguments, where some underflow
        float[] alongQ = new float[0];   // (m): scale·φ_r·dφ_r of the query row
        float[] alongK = new float[0];   // (m): the same for the key row
        float[] stateT = new float[0];   // (D+1, mPad): a running sum, transposed (PerformerScanVector)
        float[] keys = new float[0];       // (T, mPad): the key projections of one head
        float[] exponents = new float[0];  // (T): n_t of every key row of one head
        float[] norms = new float[0];      // (T): |k̃_t|²/2 of every key row of one head

        void ensure(int T, int m, int D) {
            if (exponents.length < T) {
                exponents = new float[T];
                norms = new float[T];
            }
            if (keys.length < T * pad(m)) {
                keys = new float[T * pad(m)];
            }
            int mPad = pad(m);
            if (omegaT.length < D * mPad) {
                omegaT = new float[D * mPad];
            }
            if (row.length < mPad) {
                row = new float[mPad];
                args = new float[mPad];
                alongQ = new float[mPad];
                alongK = new float[mPad];
            }
            if (stateT.length < (D + 1) * mPad) {
                stateT = new float[(D + 1) * mPad];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** m rounded up to whole vectors. */
    static int pad(int m) {
        return (m + LANES - 1) / LANES * LANES;
    }

    /** One head index bh = b·H + h of a per-head stage, with the calling thread's scratch. */
    @FunctionalInterface
    interface HeadBody {
        void run(int bh, Scratch sc);
    }

    /** Runs heads bh in [0, heads), split across the pool; each head on one thread. */
    static JvmFastKernels.JvmStage perHead(int heads, int T, int m, int D, HeadBody body) {
        Kernel.RangeBody range = (from, to) -> {
            Scratch sc = SCRATCH.get();
            sc.ensure(T, m, D);
            for (int bh = from; bh < to; bh++) {
                body.run(bh, sc);
            }
        };
        return pool -> pool.run(heads, range);
    }

    // ---- performer_features: one task per (b, h) --------------------------------------------

    /** Args as {@code PerformerMixer.Stages.features} declares them: phiQ, phiK, keyMax, qkv, omega, T, C, H, m. */
    public static JvmFastKernels.JvmStage features(Stage s) {
        PerformerKernels.FeaturesArgs a = PerformerKernels.FeaturesArgs.of(s);
        FloatSlice phiQ = a.phiQ(), phiK = a.phiK(), keyMax = a.keyMax(), qkv = a.qkv(), omega = a.omega();
        int T = a.T(), C = a.C(), H = a.H(), m = a.m();
        return perHead(s.extent[0], T, m, C / H, (bh, sc) -> featuresHead(phiQ, phiK, keyMax, qkv, omega, T, C, H, m, bh, sc));
    }

    /**
     * The body of {@link Performer#features} for head index bh: each query row and key row t projected
     * together (they share the loads of ω), the query row exponentiated at once; the key projections
     * kept in scratch with their n_t and |k̃|²/2 until the key constant n is known, then each key row
     * exponentiated with its own n_t and scaled by the exact power of two 2^(n_t − n), as the body does.
     */
    static void featuresHead(FloatSlice phiQS, FloatSlice phiKS, FloatSlice keyMaxS, FloatSlice qkvS, FloatSlice omegaS,
                             int T, int C, int H, int m, int bh, Scratch sc) {
        int b = bh / H, h = bh % H, D = C / H, mPad = pad(m), C3 = 3 * C;
        float scale = Performer.inputScale(D);
        float[] qkv = qkvS.array, row = sc.row, keys = sc.keys, exponents = sc.exponents, norms = sc.norms;
        transposeOmega(sc.omegaT, omegaS.array, omegaS.offset + h * m * D, m, D, mPad);
        int seq = qkvS.offset + b * T * C3 + h * D;
        float n = -Float.MAX_VALUE;
        for (int t = 0; t < T; t++) {
            int q = seq + t * C3, k = q + C, key = t * mPad;
            projectPair(row, keys, key, qkv, q, k, sc.omegaT, D, mPad, scale);
            float shift = Performer.halfSquaredNorm(qkv, q, D, scale) + max(row, 0, m);
            norms[t] = Performer.halfSquaredNorm(qkv, k, D, scale);
            exponents[t] = Performer.powerOfTwoExponent(max(keys, key, m));
            n = Math.max(n, exponents[t]);
            exponentiate(row, 0, sc.args, mPad, shift, m);
            System.arraycopy(row, 0, phiQS.array, phiQS.offset + (bh * T + t) * m, m);
        }
        keyMaxS.array[keyMaxS.offset + bh] = n * Performer.LN2;
        for (int t = 0; t < T; t++) {
            int key = t * mPad;
            exponentiate(keys, key, sc.args, mPad, norms[t] + exponents[t] * Performer.LN2, m);
            scaleInto(phiKS.array, phiKS.offset + (bh * T + t) * m, keys, key, powerOfTwo(exponents[t] - n), m);
        }
    }

    /** y[yOff + r] = x[xOff + r]·a for r < m. */
    static void scaleInto(float[] y, int yOff, float[] x, int xOff, float a, int m) {
        int r = 0;
        for (; r + LANES <= m; r += LANES) {
            FloatVector.fromArray(S, x, xOff + r).mul(a).intoArray(y, yOff + r);
        }
        for (; r < m; r++) {
            y[yOff + r] = x[xOff + r] * a;
        }
    }

    /**
     * (float) 2^k for a whole number k, as the body's {@code (float) Math.pow(2.0, k)}: both are the exact
     * double power of two (or 0 below its range), rounded once to float.
     */
    static float powerOfTwo(float k) {
        return (float) Math.scalb(1.0, (int) Math.max(-2000f, Math.min(2000f, k)));
    }

    /** dst (D, mPad) = ωᵀ of one head's ω (m, D) at src[off ..], zero past m. */
    static void transposeOmega(float[] dst, float[] src, int off, int m, int D, int mPad) {
        for (int d = 0; d < D; d++) {
            int o = d * mPad;
            for (int r = 0; r < m; r++) {
                dst[o + r] = src[off + r * D + d];
            }
            for (int r = m; r < mPad; r++) {
                dst[o + r] = 0f;
            }
        }
    }

    /**
     * rowQ[0..mPad) = (Σ_d ωᵀ[d, r]·x[q + d])·scale and rowK[kOff .. kOff + mPad) the same of x[k ..]: per
     * lane the body's {@link Performer#project} (acc = 0, then acc += ω·x for d ascending, a multiply
     * then an add; then ·scale). Four vectors of features of both rows side by side (eight add chains,
     * each load of ωᵀ used twice); the rest of the features row by row.
     */
    static void projectPair(float[] rowQ, float[] rowK, int kOff, float[] x, int q, int k, float[] omegaT,
                            int D, int mPad, float scale) {
        int c = 0;
        for (; c + 4 * LANES <= mPad; c += 4 * LANES) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int d = 0; d < D; d++) {
                float xq = x[q + d], xk = x[k + d];
                int o = d * mPad + c;
                FloatVector w0 = FloatVector.fromArray(S, omegaT, o), w1 = FloatVector.fromArray(S, omegaT, o + LANES);
                FloatVector w2 = FloatVector.fromArray(S, omegaT, o + 2 * LANES), w3 = FloatVector.fromArray(S, omegaT, o + 3 * LANES);
                a0 = a0.add(w0.mul(xq));
                a1 = a1.add(w1.mul(xq));
                a2 = a2.add(w2.mul(xq));
                a3 = a3.add(w3.mul(xq));
                b0 = b0.add(w0.mul(xk));
                b1 = b1.add(w1.mul(xk));
                b2 = b2.add(w2.mul(xk));
                b3 = b3.add(w3.mul(xk));
            }
            a0.mul(scale).intoArray(rowQ, c);
            a1.mul(scale).intoArray(rowQ, c + LANES);
            a2.mul(scale).intoArray(rowQ, c + 2 * LANES);
            a3.mul(scale).intoArray(rowQ, c + 3 * LANES);
            b0.mul(scale).intoArray(rowK, kOff + c);
            b1.mul(scale).intoArray(rowK, kOff + c + LANES);
            b2.mul(scale).intoArray(rowK, kOff + c + 2 * LANES);
            b3.mul(scale).intoArray(rowK, kOff + c + 3 * LANES);
        }
        project(rowQ, 0, x, q, omegaT, D, mPad, scale, c);
        project(rowK, kOff, x, k, omegaT, D, mPad, scale, c);
    }

    /** row[rowOff + c] for c in [from, mPad), one vector at a time, with the operations of {@link #projectPair}. */
    static void project(float[] row, int rowOff, float[] x, int xOff, float[] omegaT, int D, int mPad, float scale, int from) {
        for (int c = from; c < mPad; c += LANES) {
            FloatVector a0 = FloatVector.zero(S);
            for (int d = 0; d < D; d++) {
                a0 = a0.add(FloatVector.fromArray(S, omegaT, d * mPad + c).mul(x[xOff + d]));
            }
            a0.mul(scale).intoArray(row, rowOff + c);
        }
    }

    /**
     * max_{r < m} row[off + r], from −Float.MAX_VALUE as the body starts: whole vectors lanewise, then the rest.
     * Math.max orders −0 below +0, so without NaNs the maximum does not depend on the order.
     */
    static float max(float[] row, int off, int m) {
        int r = 0;
        FloatVector acc = FloatVector.broadcast(S, -Float.MAX_VALUE);
        for (; r + LANES <= m; r += LANES) {
            acc = acc.max(FloatVector.fromArray(S, row, off + r));
        }
        float max = acc.reduceLanes(VectorOperators.MAX);
        for (; r < m; r++) {
            max = Math.max(max, row[off + r]);
        }
        return max;
    }

    /**
     * In place over whole vectors: row[off + r] = exp(row[off + r] − shift)/√m, as {@link Performer#exponentiate}
     * (the norm computed as the body does), by {@link VectorRows#expRow}. Should an argument of a live
     * lane (r < m) lie below the vector exp's clamp, those lanes take the body's {@code (float) Math.exp}
     * (args: scratch for the row's arguments).
     */
    static void exponentiate(float[] row, int off, float[] args, int mPad, float shift, int m) {
        float norm = (float) (1.0 / Math.sqrt(m));
        boolean tiny = min(row, off, m) - shift < EXP_CLAMP;   // float subtraction is monotonic: the least argument
        if (tiny) {
            System.arraycopy(row, off, args, 0, m);
        }
        VectorRows.expRow(row, off, mPad, shift);
        VectorRows.scaleRow(row, off, mPad, norm);
        if (tiny) {
            for (int r = 0; r < m; r++) {
                float x = args[r] - shift;
                if (x < EXP_CLAMP) {
                    row[off + r] = (float) Math.exp(x) * norm;
                }
            }
        }
    }

    /** min_{r < m} row[off + r] (m ≥ 1): whole vectors lanewise, then the rest. */
    static float min(float[] row, int off, int m) {
        int r = 0;
        FloatVector acc = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        for (; r + LANES <= m; r += LANES) {
            acc = acc.min(FloatVector.fromArray(S, row, off + r));
        }
        float min = acc.reduceLanes(VectorOperators.MIN);
        for (; r < m; r++) {
            min = Math.min(min, row[off + r]);
        }
        return min;
    }

    // ---- performer_backward_features: one task per (b, h, t) --------------------------------

    /** Args: dqkv, dphiQ, dphiK, phiQ, phiK, qkv, omega, T, C, H, m. */
    public static JvmFastKernels.JvmStage backwardFeatures(Stage s) {
        PerformerKernels.BackwardFeaturesArgs a = PerformerKernels.BackwardFeaturesArgs.of(s);
        FloatSlice dqkv = a.dqkv(), dphiQ = a.dphiQ(), dphiK = a.dphiK(), phiQ = a.phiQ(), phiK = a.phiK();
        FloatSlice qkv = a.qkv(), omega = a.omega();
        int T = a.T(), C = a.C(), H = a.H(), m = a.m(), D = C / H;
        Kernel.RangeBody range = (from, to) -> {
            Scratch sc = SCRATCH.get();
            sc.ensure(1, m, D);
            for (int index = from; index < to; index++) {
                backwardFeaturesRow(dqkv, dphiQ, dphiK, phiQ, phiK, qkv, omega, T, C, H, m, index, sc);
            }
        };
        int rows = s.extent[0];
        return pool -> pool.run(rows, range);
    }

    /**
     * Row index (b·H + h)·T + t: dq_t and dk_t through the feature map, both rows in one pass over ω
     * (they share its loads): per lane d, dx += (scale·φ_r dφ_r)·ω_r for r ascending, then
     * dx −= (scale²·Σ_r φ_r dφ_r)·x, the body's {@link Performer#featureRowBackward} operations in its order.
     */
    static void backwardFeaturesRow(FloatSlice dqkvS, FloatSlice dphiQS, FloatSlice dphiKS, FloatSlice phiQS, FloatSlice phiKS,
                                    FloatSlice qkvS, FloatSlice omegaS, int T, int C, int H, int m, int index, Scratch sc) {
        int b = index / (H * T), h = (index / T) % H, t = index % T, D = C / H;
        float scale = Performer.inputScale(D);
        int row = index * m;
        int q = (b * T + t) * 3 * C + h * D, k = q + C;
        float normQ = along(sc.alongQ, dphiQS.array, dphiQS.offset + row, phiQS.array, phiQS.offset + row, m, scale);
        float normK = along(sc.alongK, dphiKS.array, dphiKS.offset + row, phiKS.array, phiKS.offset + row, m, scale);
        float[] dqkv = dqkvS.array, qkv = qkvS.array, omega = omegaS.array;
        int dq = dqkvS.offset + q, dk = dqkvS.offset + k, xq = qkvS.offset + q, xk = qkvS.offset + k;
        int w = omegaS.offset + h * m * D;
        int d = 0;
        for (; d + 2 * LANES <= D; d += 2 * LANES) {
            FloatVector aq = FloatVector.fromArray(S, dqkv, dq + d), ak = FloatVector.fromArray(S, dqkv, dk + d);
            FloatVector bq = FloatVector.fromArray(S, dqkv, dq + d + LANES), bk = FloatVector.fromArray(S, dqkv, dk + d + LANES);
            for (int r = 0; r < m; r++) {
                int o = w + r * D + d;
                FloatVector om = FloatVector.fromArray(S, omega, o), on = FloatVector.fromArray(S, omega, o + LANES);
                float gq = sc.alongQ[r], gk = sc.alongK[r];
                aq = aq.add(om.mul(gq));
                ak = ak.add(om.mul(gk));
                bq = bq.add(on.mul(gq));
                bk = bk.add(on.mul(gk));
            }
            aq.sub(FloatVector.fromArray(S, qkv, xq + d).mul(normQ)).intoArray(dqkv, dq + d);
            ak.sub(FloatVector.fromArray(S, qkv, xk + d).mul(normK)).intoArray(dqkv, dk + d);
            bq.sub(FloatVector.fromArray(S, qkv, xq + d + LANES).mul(normQ)).intoArray(dqkv, dq + d + LANES);
            bk.sub(FloatVector.fromArray(S, qkv, xk + d + LANES).mul(normK)).intoArray(dqkv, dk + d + LANES);
        }
        for (; d + LANES <= D; d += LANES) {
            FloatVector aq = FloatVector.fromArray(S, dqkv, dq + d), ak = FloatVector.fromArray(S, dqkv, dk + d);
            for (int r = 0; r < m; r++) {
                FloatVector om = FloatVector.fromArray(S, omega, w + r * D + d);
                aq = aq.add(om.mul(sc.alongQ[r]));
                ak = ak.add(om.mul(sc.alongK[r]));
            }
            aq.sub(FloatVector.fromArray(S, qkv, xq + d).mul(normQ)).intoArray(dqkv, dq + d);
            ak.sub(FloatVector.fromArray(S, qkv, xk + d).mul(normK)).intoArray(dqkv, dk + d);
        }
        for (; d < D; d++) {
            float aq = dqkv[dq + d], ak = dqkv[dk + d];
            for (int r = 0; r < m; r++) {
                float om = omega[w + r * D + d];
                aq += sc.alongQ[r] * om;
                ak += sc.alongK[r] * om;
            }
            dqkv[dq + d] = aq - normQ * qkv[xq + d];
            dqkv[dk + d] = ak - normK * qkv[xk + d];
        }
    }

    /** along[r] = scale·(φ_r·dφ_r) for r < m; returns scale²·Σ_r φ_r·dφ_r (summed in r order, as the body). */
    static float along(float[] along, float[] dphi, int dphiOff, float[] phi, int phiOff, int m, float scale) {
        float total = 0f;
        for (int r = 0; r < m; r++) {
            float g = phi[phiOff + r] * dphi[dphiOff + r];
            total += g;
            along[r] = scale * g;
        }
        return scale * scale * total;
    }
}
