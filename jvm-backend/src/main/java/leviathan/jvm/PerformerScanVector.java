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
        return perHead(s.extent[0], m, C / H, (bh, sc) -> scanHead(out, num, state, phiQ, phiK, keyMax, qkv, T, C, H, m, bh));
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
     * e ≤ D, with ṽ = [v, 1] (φ·1 = φ exactly, as the body's += φ).
     */
    static void scanStep(float[] num, int n,                  // (D+1)
                         float[] state, int st,               // (m, D+1)
                         float[] phiQ, int pq,                // (m)
                         float[] phiK, int pk,                // (m)
                         float[] v, int vOff,                 // (D)
                         int m, int D) {
        int E = D + 1, e = 0;
        for (; e + LANES <= D; e += LANES) {
            FloatVector vv = FloatVector.fromArray(S, v, vOff + e);
            FloatVector acc = FloatVector.zero(S);
            for (int r = 0; r < m; r++) {
                int s = st + r * E + e;
                FloatVector sum = FloatVector.fromArray(S, state, s).add(vv.mul(phiK[pk + r]));
                sum.intoArray(state, s);
                acc = acc.add(sum.mul(phiQ[pq + r]));
            }
            acc.intoArray(num, n + e);
        }
        for (; e < E; e++) {
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
        return perHead(s.extent[0], m, C / H, (bh, sc) -> backwardQueryHead(dphiQ, state, dnum, phiK, qkv, T, C, H, m, bh, sc));
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
     * One step t: Sᵀ[e, r] += φ(k)_r ṽ[e] and dφ(q)_r += Σ_e Sᵀ[e, r] dñ[e] (from 0, e ascending),
     * a vector of features r at a time.
     */
    static void backwardQueryStep(float[] dphiQ, int dq,           // (m)
                                  float[] sT,                      // (D+1, mPad)
                                  float[] dnum, int n,             // (D+1)
                                  float[] phiK, int pk,            // (m)
                                  float[] v, int vOff,             // (D)
                                  int m, int D, int mPad) {
        int E = D + 1, r = 0;
        for (; r + LANES <= m; r += LANES) {
            FloatVector f = FloatVector.fromArray(S, phiK, pk + r);
            FloatVector acc = FloatVector.zero(S);
            for (int e = 0; e < E; e++) {
                int o = e * mPad + r;
                FloatVector sum = FloatVector.fromArray(S, sT, o).add(e < D ? f.mul(v[vOff + e]) : f);
                sum.intoArray(sT, o);
                acc = acc.add(sum.mul(dnum[n + e]));
            }
            FloatVector.fromArray(S, dphiQ, dq + r).add(acc).intoArray(dphiQ, dq + r);
        }
        for (; r < m; r++) {
            float f = phiK[pk + r], acc = 0f;
            for (int e = 0; e < E; e++) {
                int o = e * mPad + r;
                sT[o] += e < D ? f * v[vOff + e] : f;
                acc += sT[o] * dnum[n + e];
            }
            dphiQ[dq + r] += acc;
        }
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
        return perHead(s.extent[0], m, C / H,
                (bh, sc) -> backwardKeyValueHead(dqkv, dphiK, state, dnum, phiQ, phiK, qkv, T, C, H, m, bh, sc));
    }

    /**
     * The body of {@link Performer#backwardKeyValue} for head index bh: the suffix sum Ũ both in the state
     * buffer (m, D+1), for dv, and transposed in scratch (D+1, mPad), for dφ(k).
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
    }

    /**
     * Ũ[r, e] += φ(q)_r dñ[e] for e ≤ D, and dv[d] += φ(k)_r Ũ[r, d] for r ascending (d < D), a vector
     * of columns at a time.
     */
    static void valueStep(float[] dqkv, int dv,              // (D): dv_t in dqkv
                          float[] state, int st,             // (m, D+1)
                          float[] dnum, int n,               // (D+1)
                          float[] phiQ, int pq,              // (m)
                          float[] phiK, int pk,              // (m)
                          int m, int D) {
        int E = D + 1, e = 0;
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
        for (; e < E; e++) {
            float g = dnum[n + e];
            for (int r = 0; r < m; r++) {
                state[st + r * E + e] += phiQ[pq + r] * g;
            }
            if (e < D) {
                float acc = dqkv[dv + e];
                for (int r = 0; r < m; r++) {
                    acc += phiK[pk + r] * state[st + r * E + e];
                }
                dqkv[dv + e] = acc;
            }
        }
    }

    /**
     * Ũᵀ[e, r] += φ(q)_r dñ[e], and dφ(k)_r += Ũ[r, D] + Σ_d Ũ[r, d] v[d] (d ascending, from Ũ[r, D] as
     * the body), a vector of features at a time.
     */
    static void keyStep(float[] dphiK, int dk,               // (m)
                        float[] uT,                          // (D+1, mPad)
                        float[] dnum, int n,                 // (D+1)
                        float[] phiQ, int pq,                // (m)
                        float[] v, int vOff,                 // (D)
                        int m, int D, int mPad) {
        int r = 0;
        for (; r + LANES <= m; r += LANES) {
            FloatVector p = FloatVector.fromArray(S, phiQ, pq + r);
            int last = D * mPad + r;
            FloatVector acc = FloatVector.fromArray(S, uT, last).add(p.mul(dnum[n + D]));
            acc.intoArray(uT, last);
            for (int d = 0; d < D; d++) {
                int o = d * mPad + r;
                FloatVector sum = FloatVector.fromArray(S, uT, o).add(p.mul(dnum[n + d]));
                sum.intoArray(uT, o);
                acc = acc.add(sum.mul(v[vOff + d]));
            }
            FloatVector.fromArray(S, dphiK, dk + r).add(acc).intoArray(dphiK, dk + r);
        }
        for (; r < m; r++) {
            float p = phiQ[pq + r];
            int last = D * mPad + r;
            uT[last] += p * dnum[n + D];
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
