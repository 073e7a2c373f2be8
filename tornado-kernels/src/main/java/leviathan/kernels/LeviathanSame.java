package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * The Leviathan notebook's score, reproduced (SPEC 2.2, {@code leviathan-same}; NOT causal): per
 * batch row and head, {@code Cmat = scipy.signal.correlate2d(Q, K, mode='same')} (T×D), then
 * {@code S = Cmat·Kᵀ/√D}, causal mask, softmax, {@code P·V} — which is causal attention with Cmat
 * in place of Q, so the mixer runs {@link Attention} on a buffer {@code cqkv} = [Cmat | K | V].
 * (The notebook's code itself calls {@code scipy.signal.correlate} on the whole 4-D tensors, with
 * Q and K detached and no mask: {@link LeviathanNotebook}, option {@code notebook=true}.)
 *
 * <p><b>The index formula.</b> scipy defines the full 2-D cross-correlation of in1 (R1×C1) and
 * in2 (R2×C2), size (R1+R2−1)×(C1+C2−1), as
 * <pre>  full[k, l] = Σ_{j,e} in1[k − (R2−1) + j, l − (C2−1) + e] · in2[j, e]     (in1 is 0 outside)</pre>
 * and mode 'same' returns the R1×C1 block {@code same[i, c] = full[i + R2/2, c + C2/2]} (integer
 * halves: scipy's direct 2-D kernel offsets 'same' by ⌊(R2−1)/2⌋ on the input side, which is
 * ⌊R2/2⌋ on the output side; note this is not numpy's centred crop ⌊(R2−1)/2⌋, the two differ
 * for even sizes). With in1 = Q, in2 = K, both T×D, and pT = (T−1)/2, pD = (D−1)/2 (integer
 * division, since (T−1) − T/2 = (T−1)/2):
 * <pre>  Cmat[i, c] = Σ_{j=0}^{T−1} Σ_{e=0}^{D−1} Q[i + j − pT, c + e − pD] · K[j, e]</pre>
 * Row i of Cmat reads query rows i−pT … i−pT+T−1, most of them later than i: the leak.
 *
 * <p>Parallel index: one element (b, t, col) of a (B, T, C) block, {@code (b·T + t)·C + col},
 * head h = col / D. Each index owns its element of the Q, K and V thirds of its output.
 */
public final class LeviathanSame {
    private LeviathanSame() {}

    /** Row offset pT (or column offset pD) of scipy's 'same' correlation for a second input of extent n. */
    public static int sameOffset(int n) {
        return (n - 1) / 2;
    }

    /**
     * cqkv[b, t, col] = Cmat_h[t, col − h·D]; the K and V entries of the element are carried over
     * unchanged, so cqkv = [Cmat | K | V] has qkv's layout.
     */
    @Kernel("leviathan_same_correlate")
    public static void correlateForward(@Write float[] cqkv, int cqkvOff,   // (B, T, 3C)
                                        @Read float[] qkv, int qkvOff,     // (B, T, 3C)
                                        int T, int C, int H, @Index int index) {
        int b = index / (T * C);
        int i = (index / C) % T;
        int col = index % C;
        int D = C / H;
        int h = col / D;
        int c = col % D;
        int pT = sameOffset(T);
        int pD = sameOffset(D);
        int head = qkvOff + b * T * 3 * C + h * D;   // Q[r, s] at head + r·3C + s; K at + C
        int jFrom = Math.max(0, pT - i), jTo = Math.min(T, T + pT - i);
        int eFrom = Math.max(0, pD - c), eTo = Math.min(D, D + pD - c);
        float acc = 0f;
        for (int j = jFrom; j < jTo; j++) {
            int qRow = head + (i + j - pT) * 3 * C + c - pD;
            int kRow = head + j * 3 * C + C;
            for (int e = eFrom; e < eTo; e++) {
                acc += qkv[qRow + e] * qkv[kRow + e];
            }
        }
        int at = (b * T + i) * 3 * C + col;
        cqkv[cqkvOff + at] = acc;
        cqkv[cqkvOff + at + C] = qkv[qkvOff + at + C];
        cqkv[cqkvOff + at + 2 * C] = qkv[qkvOff + at + 2 * C];
    }

    /**
     * Gradients through Cmat and the carried K, V, accumulated into dqkv at element (b, t, col):
     * <pre>
     *   dQ[r, s] += Σ_{i,c} dCmat[i, c]·K[r − i + pT, s − c + pD]
     *   dK[j, e] += dcqkv_K[j, e] + Σ_{i,c} dCmat[i, c]·Q[i + j − pT, c + e − pD]
     *   dV[j, e] += dcqkv_V[j, e]
     * </pre>
     * where dcqkv = [dCmat | dK from the scores | dV] comes from the attention backward over cqkv.
     */
    @Kernel("leviathan_same_correlate_backward")
    public static void correlateBackward(@ReadWrite float[] dqkv, int dqkvOff,     // (B, T, 3C)
                                         @Read float[] dcqkv, int dcqkvOff,   // (B, T, 3C)
                                         @Read float[] qkv, int qkvOff,       // (B, T, 3C)
                                         int T, int C, int H, @Index int index) {
        int b = index / (T * C);
        int t = (index / C) % T;
        int col = index % C;
        int D = C / H;
        int h = col / D;
        int s = col % D;
        int pT = sameOffset(T);
        int pD = sameOffset(D);
        int head = b * T * 3 * C + h * D;   // element (r, x) of a head's Q block at head + r·3C + x
        // dQ[t, s]: pairs (i, c) with K index (t − i + pT, s − c + pD) inside T×D.
        int iFrom = Math.max(0, t + pT - T + 1), iTo = Math.min(T, t + pT + 1);
        int cFrom = Math.max(0, s + pD - D + 1), cTo = Math.min(D, s + pD + 1);
        float dq = 0f;
        for (int i = iFrom; i < iTo; i++) {
            int dRow = dcqkvOff + head + i * 3 * C;
            int kRow = qkvOff + head + (t - i + pT) * 3 * C + C + s + pD;
            for (int c = cFrom; c < cTo; c++) {
                dq += dcqkv[dRow + c] * qkv[kRow - c];
            }
        }
        // dK[t, s]: pairs (i, c) with Q index (i + t − pT, c + s − pD) inside T×D.
        int i2From = Math.max(0, pT - t), i2To = Math.min(T, T + pT - t);
        int c2From = Math.max(0, pD - s), c2To = Math.min(D, D + pD - s);
        float dk = 0f;
        for (int i = i2From; i < i2To; i++) {
            int dRow = dcqkvOff + head + i * 3 * C;
            int qRow = qkvOff + head + (i + t - pT) * 3 * C + s - pD;
            for (int c = c2From; c < c2To; c++) {
                dk += dcqkv[dRow + c] * qkv[qRow + c];
            }
        }
        int at = (b * T + t) * 3 * C + col;
        dqkv[dqkvOff + at] += dq;
        dqkv[dqkvOff + at + C] += dcqkv[dcqkvOff + at + C] + dk;
        dqkv[dqkvOff + at + 2 * C] += dcqkv[dcqkvOff + at + 2 * C];
    }
}
