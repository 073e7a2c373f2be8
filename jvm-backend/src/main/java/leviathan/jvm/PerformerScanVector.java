package leviathan.jvm;

import static leviathan.jvm.PerformerVector.pad;
import static leviathan.jvm.PerformerVector.perHead;
import static leviathan.jvm.VectorRows.LANES;
import static leviathan.jvm.VectorRows.S;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.jvm.PerformerVector.Scratch;
import leviathan.kernels.Performer;
import leviathan.kernels.PerformerKernels;

/**
 * The JVM backend's fast variants of the Performer's three causal scans ({@link Performer#scan},
 * {@link Performer#backwardQuery}, {@link Performer#backwardKeyValue}), one task per (b, h) as the bodies.
 * Each keeps the m × (D+1) running sum in the layout whose rows are the vectors of its reductions:
 * <ul>
 *   <li>scan: the sum as the body keeps it (m, D+1), vectors over the columns e; ñ_t[e] = Σ_r φ(q)_r S̃[r, e]
 *       accumulates over r in a register;</li>
 *   <li>backward query: the sum transposed (D+1, m) in scratch, vectors over the features r;
 *       dφ(q)_r = Σ_e S̃[r, e] dñ[e] accumulates over e in a register; the totals are transposed back;</li>
 *   <li>backward key/value: both layouts (the suffix sum updated in each): dv over r by columns, dφ(k)
 *       over e by features.</li>
 * </ul>
 * Every element of every output sees the body's multiplies and adds in the body's order (no FMA), and
 * the running sums the same updates: the results are bit-identical to the plain bodies'. Columns or
 * features past the last whole vector run as scalars, the same operations.
 */
public final class PerformerScanVector {
    private PerformerScanVector() {}

    // ---- performer_scan ---------------------------------------------------------------------

    /** Args as {@code PerformerMixer.Stages.scan} declares them: out, numerator, state, phiQ, phiK, keyMax, qkv, T, C, H, m. */
    public static JvmFastKernels.JvmStage scan(Stage s) {
        PerformerKernels.ScanArgs a = PerformerKernels.ScanArgs.of(s);
        FloatSlice out = a.out(), num = a.numerator(), state = a.state(), phiQ = a.phiQ(), phiK = a.phiK();
        FloatSlice keyMax = a.keyMax(), qkv = a.qkv();
        int T = a.T(), C = a.C(), H = a.H(), m = a.m();
        return perHead(s.extent[0], T, m, C / H, (bh, sc) -> scanHead(out, num, state, phiQ, phiK, keyMax, qkv, T, C, H, m, bh));
    }

    /** The body of {@link Performer#scan} for head index bh. */
    static void scanHead(FloatSlice outS, FloatSlice numS, FloatSlice stateS, FloatSlice phiQS, FloatSlice phiKS,
                         FloatSlice keyMaxS, FloatSlice qkvS, int T, int C, int H, int m, int bh) {
        int b = bh / H, h = bh % H, D = C / H, E = D + 1;
        float[] state = stateS.array, num = numS.array, out = outS.array;
        int st = stateS.offset + bh * m * E;
        float epsilon = Performer.scaledEpsilon(keyMaxS.array[keyMaxS.offset + bh]);
        Arrays.fill(state, st, st + m * E, 0f);
        for (int t = 0; t < T; t++) {
            int row = (bh * T + t) * m;
            int v = qkvS.offset + (b * T + t) * 3 * C + 2 * C + h * D;
            int n = numS.offset + (bh * T + t) * E;
            scanStep(num, n, state, st, phiQS.array, phiQS.offset + row, phiKS.array, phiKS.offset + row, qkvS.array, v, m, D);
            float den = num[n + D] + epsilon;
            num[n + D] = den;
            int o = outS.offset + (b * T + t) * C + h * D;
            for (int d = 0; d < D; d++) {
                out[o + d] = den == 0f ? 0f : num[n + d] / den;
            }
        }
    }

    /**
     * One step t: S̃[r, e] += φ(k)_r ṽ[e], then num[e] = Σ_r φ(q)_r S̃[r, e] (from 0, r ascending) for
     * e ≤ D, with ṽ = [v, 1] (φ·1 = φ exactly, as the body's += φ). Two vectors of columns per pass over
     * r, and the ones column e = D carried along with the first pass, so that their add chains overlap.
     */
    static void scanStep(float[] num, int n,                  // (D+1)
                         float[] state, int st,               // (m, D+1)
                         float[] phiQ, int pq,                // (m)
                         float[] phiK, int pk,                // (m)
                         float[] v, int vOff,                 // (D)
                         int m, int D) {
        int E = D + 1, e = 0;
        boolean ones = true;
        for (; e + 2 * LANES <= D; e += 2 * LANES, ones = false) {
            FloatVector v0 = FloatVector.fromArray(S, v, vOff + e), v1 = FloatVector.fromArray(S, v, vOff + e + LANES);
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            float a2 = 0f;
            for (int r = 0; r < m; r++) {
                int s = st + r * E + e;
                float f = phiK[pk + r], p = phiQ[pq + r];
                FloatVector s0 = FloatVector.fromArray(S, state, s).add(v0.mul(f));
                FloatVector s1 = FloatVector.fromArray(S, state, s + LANES).add(v1.mul(f));
                s0.intoArray(state, s);
                s1.intoArray(state, s + LANES);
                a0 = a0.add(s0.mul(p));
                a1 = a1.add(s1.mul(p));
                if (ones) {
                    int o = st + r * E + D;
                    state[o] += f;
                    a2 += p * state[o];
                }
            }
            a0.intoArray(num, n + e);
            a1.intoArray(num, n + e + LANES);
            if (ones) {
                num[n + D] = a2;
            }
        }
        for (; e + LANES <= D; e += LANES, ones = false) {
            FloatVector v0 = FloatVector.fromArray(S, v, vOff + e);
            FloatVector a0 = FloatVector.zero(S);
            float a2 = 0f;
            for (int r = 0; r < m; r++) {
                int s = st + r * E + e;
                float f = phiK[pk + r], p = phiQ[pq + r];
                FloatVector s0 = FloatVector.fromArray(S, state, s).add(v0.mul(f));
                s0.intoArray(state, s);
                a0 = a0.add(s0.mul(p));
                if (ones) {
                    int o = st + r * E + D;
                    state[o] += f;
                    a2 += p * state[o];
                }
            }
            a0.intoArray(num, n + e);
            if (ones) {
                num[n + D] = a2;
            }
        }
        for (; e < (ones ? E : D); e++) {
            float ve = e < D ? v[vOff + e] : 1f;
            float acc = 0f;
            for (int r = 0; r < m; r++) {
                int s = st + r * E + e;
                state[s] += phiK[pk + r] * ve;
                acc += phiQ[pq + r] * state[s];
            }
            num[n + e] = acc;
        }
    }

    // ---- performer_backward_query -----------------------------------------------------------

    /** Args: dphiQ, state, dnumerator, phiK, qkv, T, C, H, m. */
    public static JvmFastKernels.JvmStage backwardQuery(Stage s) {
        PerformerKernels.BackwardQueryArgs a = PerformerKernels.BackwardQueryArgs.of(s);
        FloatSlice dphiQ = a.dphiQ(), state = a.state(), dnum = a.dnumerator(), phiK = a.phiK(), qkv = a.qkv();
        int T = a.T(), C = a.C(), H = a.H(), m = a.m();
        return perHead(s.extent[0], T, m, C / H, (bh, sc) -> backwardQueryHead(dphiQ, state, dnum, phiK, qkv, T, C, H, m, bh, sc));
    }

    /** The body of {@link Performer#backwardQuery} for head index bh, the prefix sum transposed in scratch. */
    static void backwardQueryHead(FloatSlice dphiQS, FloatSlice stateS, FloatSlice dnumS, FloatSlice phiKS, FloatSlice qkvS,
                                  int T, int C, int H, int m, int bh, Scratch sc) {
        int b = bh / H, h = bh % H, D = C / H, E = D + 1, mPad = pad(m);
        float[] sT = sc.stateT;
        Arrays.fill(sT, 0, E * mPad, 0f);
        for (int t = 0; t < T; t++) {
            int row = (bh * T + t) * m;
            int v = qkvS.offset + (b * T + t) * 3 * C + 2 * C + h * D;
            int n = dnumS.offset + (bh * T + t) * E;
            backwardQueryStep(dphiQS.array, dphiQS.offset + row, sT, dnumS.array, n, phiKS.array, phiKS.offset + row,
                    qkvS.array, v, m, D, mPad);
        }
        untranspose(stateS.array, stateS.offset + bh * m * E, sT, m, E, mPad);
    }

    /**
     * One step t: Sᵀ[e, r] += φ(k)_r ṽ[e] and dφ(q)_r += Σ_e Sᵀ[e, r] dñ[e] (from 0, e ascending, the
     * ones column e = D last), four vectors of features at a time (four add chains), then single ones.
     */
    static void backwardQueryStep(float[] dphiQ, int dq,           // (m)
                                  float[] sT,                      // (D+1, mPad)
                                  float[] dnum, int n,             // (D+1)
                                  float[] phiK, int pk,            // (m)
                                  float[] v, int vOff,             // (D)
                                  int m, int D, int mPad) {
        int r = 0;
        for (; r + 4 * LANES <= m; r += 4 * LANES) {
            FloatVector f0 = FloatVector.fromArray(S, phiK, pk + r), f1 = FloatVector.fromArray(S, phiK, pk + r + LANES);
            FloatVector f2 = FloatVector.fromArray(S, phiK, pk + r + 2 * LANES), f3 = FloatVector.fromArray(S, phiK, pk + r + 3 * LANES);
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int e = 0; e <= D; e++) {
                int o = e * mPad + r;
                float ve = e < D ? v[vOff + e] : 1f, g = dnum[n + e];
                FloatVector s0 = FloatVector.fromArray(S, sT, o).add(f0.mul(ve));
                FloatVector s1 = FloatVector.fromArray(S, sT, o + LANES).add(f1.mul(ve));
                FloatVector s2 = FloatVector.fromArray(S, sT, o + 2 * LANES).add(f2.mul(ve));
                FloatVector s3 = FloatVector.fromArray(S, sT, o + 3 * LANES).add(f3.mul(ve));
                s0.intoArray(sT, o);
                s1.intoArray(sT, o + LANES);
                s2.intoArray(sT, o + 2 * LANES);
                s3.intoArray(sT, o + 3 * LANES);
                a0 = a0.add(s0.mul(g));
                a1 = a1.add(s1.mul(g));
                a2 = a2.add(s2.mul(g));
                a3 = a3.add(s3.mul(g));
            }
            addInto(dphiQ, dq + r, a0);
            addInto(dphiQ, dq + r + LANES, a1);
            addInto(dphiQ, dq + r + 2 * LANES, a2);
            addInto(dphiQ, dq + r + 3 * LANES, a3);
        }
        for (; r + LANES <= m; r += LANES) {
            FloatVector f = FloatVector.fromArray(S, phiK, pk + r);
            FloatVector acc = FloatVector.zero(S);
            for (int e = 0; e <= D; e++) {
                int o = e * mPad + r;
                FloatVector sum = FloatVector.fromArray(S, sT, o).add(f.mul(e < D ? v[vOff + e] : 1f));
                sum.intoArray(sT, o);
                acc = acc.add(sum.mul(dnum[n + e]));
            }
            addInto(dphiQ, dq + r, acc);
        }
        for (; r < m; r++) {
            float f = phiK[pk + r], acc = 0f;
            for (int e = 0; e <= D; e++) {
                int o = e * mPad + r;
                sT[o] += f * (e < D ? v[vOff + e] : 1f);
                acc += sT[o] * dnum[n + e];
            }
            dphiQ[dq + r] += acc;
        }
    }

    /** y[off .. off + LANES) += a. */
    static void addInto(float[] y, int off, FloatVector a) {
        FloatVector.fromArray(S, y, off).add(a).intoArray(y, off);
    }

    /** state (m, E) at off = sT (E, mPad) transposed. */
    static void untranspose(float[] state, int off, float[] sT, int m, int E, int mPad) {
        for (int r = 0; r < m; r++) {
            for (int e = 0; e < E; e++) {
                state[off + r * E + e] = sT[e * mPad + r];
            }
        }
    }

    // ---- performer_backward_key_value -------------------------------------------------------

    /** Args: dqkv, dphiK, state, dnumerator, phiQ, phiK, qkv, T, C, H, m. */
    public static JvmFastKernels.JvmStage backwardKeyValue(Stage s) {
        PerformerKernels.BackwardKeyValueArgs a = PerformerKernels.BackwardKeyValueArgs.of(s);
        FloatSlice dqkv = a.dqkv(), dphiK = a.dphiK(), state = a.state(), dnum = a.dnumerator();
        FloatSlice phiQ = a.phiQ(), phiK = a.phiK(), qkv = a.qkv();
        int T = a.T(), C = a.C(), H = a.H(), m = a.m();
        return perHead(s.extent[0], T, m, C / H,
                (bh, sc) -> backwardKeyValueHead(dqkv, dphiK, state, dnum, phiQ, phiK, qkv, T, C, H, m, bh, sc));
    }

    /**
     * The body of {@link Performer#backwardKeyValue} for head index bh: the suffix sum Ũ both in the state
     * buffer (m, D+1), for dv, and transposed in scratch (D+1, mPad), for dφ(k); both are the same sums of
     * the same products in the same order.
     */
    static void backwardKeyValueHead(FloatSlice dqkvS, FloatSlice dphiKS, FloatSlice stateS, FloatSlice dnumS,
                                     FloatSlice phiQS, FloatSlice phiKS, FloatSlice qkvS,
                                     int T, int C, int H, int m, int bh, Scratch sc) {
        int b = bh / H, h = bh % H, D = C / H, E = D + 1, mPad = pad(m);
        float[] state = stateS.array, uT = sc.stateT;
        int st = stateS.offset + bh * m * E;
        Arrays.fill(state, st, st + m * E, 0f);
        Arrays.fill(uT, 0, E * mPad, 0f);
        for (int t = T - 1; t >= 0; t--) {
            int row = (bh * T + t) * m;
            int n = dnumS.offset + (bh * T + t) * E;
            int v = (b * T + t) * 3 * C + 2 * C + h * D;
            valueStep(dqkvS.array, dqkvS.offset + v, state, st, dnumS.array, n, phiQS.array, phiQS.offset + row,
                    phiKS.array, phiKS.offset + row, m, D);
            keyStep(dphiKS.array, dphiKS.offset + row, uT, dnumS.array, n, phiQS.array, phiQS.offset + row,
                    qkvS.array, qkvS.offset + v, m, D, mPad);
        }
        for (int r = 0; r < m; r++) {
            state[st + r * E + D] = uT[D * mPad + r];   // the ones column: the same sums, kept by keyStep
        }
    }

    /**
     * Ũ[r, d] += φ(q)_r dñ[d] and dv[d] += φ(k)_r Ũ[r, d] for r ascending (d < D), two vectors of columns
     * per pass over r. The ones column Ũ[r, D] is kept by {@link #keyStep} (transposed) alone and
     * copied into the state buffer at the end.
     */
    static void valueStep(float[] dqkv, int dv,              // (D): dv_t in dqkv
                          float[] state, int st,             // (m, D+1)
                          float[] dnum, int n,               // (D+1)
                          float[] phiQ, int pq,              // (m)
                          float[] phiK, int pk,              // (m)
                          int m, int D) {
        int E = D + 1, e = 0;
        for (; e + 2 * LANES <= D; e += 2 * LANES) {
            FloatVector g0 = FloatVector.fromArray(S, dnum, n + e), g1 = FloatVector.fromArray(S, dnum, n + e + LANES);
            FloatVector a0 = FloatVector.fromArray(S, dqkv, dv + e), a1 = FloatVector.fromArray(S, dqkv, dv + e + LANES);
            for (int r = 0; r < m; r++) {
                int s = st + r * E + e;
                float p = phiQ[pq + r], f = phiK[pk + r];
                FloatVector s0 = FloatVector.fromArray(S, state, s).add(g0.mul(p));
                FloatVector s1 = FloatVector.fromArray(S, state, s + LANES).add(g1.mul(p));
                s0.intoArray(state, s);
                s1.intoArray(state, s + LANES);
                a0 = a0.add(s0.mul(f));
                a1 = a1.add(s1.mul(f));
            }
            a0.intoArray(dqkv, dv + e);
            a1.intoArray(dqkv, dv + e + LANES);
        }
        for (; e + LANES <= D; e += LANES) {
            FloatVector g = FloatVector.fromArray(S, dnum, n + e);
            FloatVector acc = FloatVector.fromArray(S, dqkv, dv + e);
            for (int r = 0; r < m; r++) {
                int s = st + r * E + e;
                FloatVector sum = FloatVector.fromArray(S, state, s).add(g.mul(phiQ[pq + r]));
                sum.intoArray(state, s);
                acc = acc.add(sum.mul(phiK[pk + r]));
            }
            acc.intoArray(dqkv, dv + e);
        }
        for (; e < D; e++) {
            float g = dnum[n + e], acc = dqkv[dv + e];
            for (int r = 0; r < m; r++) {
                int s = st + r * E + e;
                state[s] += phiQ[pq + r] * g;
                acc += phiK[pk + r] * state[s];
            }
            dqkv[dv + e] = acc;
        }
    }

    /**
     * Ũᵀ[e, r] += φ(q)_r dñ[e], and dφ(k)_r += Ũ[r, D] + Σ_d Ũ[r, d] v[d] (d ascending, from Ũ[r, D] as
     * the body), four vectors of features at a time (four add chains), then single ones.
     */
    static void keyStep(float[] dphiK, int dk,               // (m)
                        float[] uT,                          // (D+1, mPad)
                        float[] dnum, int n,                 // (D+1)
                        float[] phiQ, int pq,                // (m)
                        float[] v, int vOff,                 // (D)
                        int m, int D, int mPad) {
        int r = 0;
        float gD = dnum[n + D];
        for (; r + 4 * LANES <= m; r += 4 * LANES) {
            FloatVector p0 = FloatVector.fromArray(S, phiQ, pq + r), p1 = FloatVector.fromArray(S, phiQ, pq + r + LANES);
            FloatVector p2 = FloatVector.fromArray(S, phiQ, pq + r + 2 * LANES), p3 = FloatVector.fromArray(S, phiQ, pq + r + 3 * LANES);
            int last = D * mPad + r;
            FloatVector a0 = FloatVector.fromArray(S, uT, last).add(p0.mul(gD));
            FloatVector a1 = FloatVector.fromArray(S, uT, last + LANES).add(p1.mul(gD));
            FloatVector a2 = FloatVector.fromArray(S, uT, last + 2 * LANES).add(p2.mul(gD));
            FloatVector a3 = FloatVector.fromArray(S, uT, last + 3 * LANES).add(p3.mul(gD));
            a0.intoArray(uT, last);
            a1.intoArray(uT, last + LANES);
            a2.intoArray(uT, last + 2 * LANES);
            a3.intoArray(uT, last + 3 * LANES);
            for (int d = 0; d < D; d++) {
                int o = d * mPad + r;
                float g = dnum[n + d], vd = v[vOff + d];
                FloatVector s0 = FloatVector.fromArray(S, uT, o).add(p0.mul(g));
                FloatVector s1 = FloatVector.fromArray(S, uT, o + LANES).add(p1.mul(g));
                FloatVector s2 = FloatVector.fromArray(S, uT, o + 2 * LANES).add(p2.mul(g));
                FloatVector s3 = FloatVector.fromArray(S, uT, o + 3 * LANES).add(p3.mul(g));
                s0.intoArray(uT, o);
                s1.intoArray(uT, o + LANES);
                s2.intoArray(uT, o + 2 * LANES);
                s3.intoArray(uT, o + 3 * LANES);
                a0 = a0.add(s0.mul(vd));
                a1 = a1.add(s1.mul(vd));
                a2 = a2.add(s2.mul(vd));
                a3 = a3.add(s3.mul(vd));
            }
            addInto(dphiK, dk + r, a0);
            addInto(dphiK, dk + r + LANES, a1);
            addInto(dphiK, dk + r + 2 * LANES, a2);
            addInto(dphiK, dk + r + 3 * LANES, a3);
        }
        for (; r + LANES <= m; r += LANES) {
            FloatVector p = FloatVector.fromArray(S, phiQ, pq + r);
            int last = D * mPad + r;
            FloatVector acc = FloatVector.fromArray(S, uT, last).add(p.mul(gD));
            acc.intoArray(uT, last);
            for (int d = 0; d < D; d++) {
                int o = d * mPad + r;
                FloatVector sum = FloatVector.fromArray(S, uT, o).add(p.mul(dnum[n + d]));
                sum.intoArray(uT, o);
                acc = acc.add(sum.mul(v[vOff + d]));
            }
            addInto(dphiK, dk + r, acc);
        }
        for (; r < m; r++) {
            float p = phiQ[pq + r];
            int last = D * mPad + r;
            uT[last] += p * gD;
            float acc = uT[last];
            for (int d = 0; d < D; d++) {
                int o = d * mPad + r;
                uT[o] += p * dnum[n + d];
                acc += uT[o] * v[vOff + d];
            }
            dphiK[dk + r] += acc;
        }
    }
}
