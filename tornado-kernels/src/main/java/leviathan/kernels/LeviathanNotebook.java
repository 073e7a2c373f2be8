package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * The seed notebook's score exactly ({@code leviathan-same --notebook=true}, SPEC 2.2; NOT causal,
 * and batch rows mix). The notebook's {@code MultiHeadedCorrelation.scaled_correlation} computes
 * <pre>
 *   scores = correlate(Q.detach().cpu().numpy(), K.detach().cpu().numpy(), mode='same')
 *   scores = scores @ K.transpose(-2, -1) / sqrt(d_k);  softmax(scores, dim=-1) @ V     (mask=None)
 * </pre>
 * on the whole (B, H, T, D) tensors, so Cmat is one 4-D correlation, Q and K reach it detached (no
 * gradient through Cmat), K reaches the scores a second time undetached, and no position is masked.
 *
 * <p><b>The index formula.</b> scipy's N-D full correlation of in1 and in2 (both of extent n on an
 * axis) is {@code full[k] = Σ_j in1[k − (n−1) + j]·in2[j]} per axis, and {@code correlate(…, 'same')}
 * keeps the block starting at ⌊(n−1)/2⌋ of the full output on every axis (numpy's centred crop;
 * {@code correlate2d} starts at ⌊n/2⌋ instead, see {@link LeviathanSame}; the two differ for even
 * n). So {@code same[i] = full[i + (n−1)/2] = Σ_j in1[i + j − n/2]·in2[j]}, and with p = n/2 on each
 * axis (integer division):
 * <pre>  Cmat[b,h,i,c] = Σ_{b',h',j,e} Q[b + b' − pB, h + h' − pH, i + j − pT, c + e − pD]·K[b', h', j, e]</pre>
 * Element (b, h, t, d) of Q sits at qkv[(b·T + t)·3C + h·D + d] (GPT-2's head columns), K at +C.
 */
public final class LeviathanNotebook {
    private LeviathanNotebook() {}

    /** Input-side offset n/2 of scipy.signal.correlate's 'same' output on an axis of extent n. */
    public static int sameOffset(int n) {
        return n / 2;
    }

    /**
     * cqkv[b, t, col] = Cmat[b, h, t, col − h·D] (h = col / D); the K and V entries of the element are
     * carried over unchanged, so cqkv = [Cmat | K | V] has qkv's layout. Index: (b·T + t)·C + col.
     */
    @Kernel("leviathan_notebook_correlate")
    public static void correlateForward(@Write float[] cqkv, int cqkvOff,   // (B, T, 3C)
                                        @Read float[] qkv, int qkvOff,     // (B, T, 3C)
                                        int B, int T, int C, int H, @Index int index) {
        int b = index / (T * C);
        int i = (index / C) % T;
        int col = index % C;
        int D = C / H;
        int h = col / D;
        int c = col % D;
        int pB = sameOffset(B), pH = sameOffset(H), pT = sameOffset(T), pD = sameOffset(D);
        int row = 3 * C;
        // The ranges of b', h', j, e whose Q index stays inside the tensor (scipy pads with zeros).
        int bFrom = Math.max(0, pB - b), bTo = Math.min(B, B + pB - b);
        int hFrom = Math.max(0, pH - h), hTo = Math.min(H, H + pH - h);
        int jFrom = Math.max(0, pT - i), jTo = Math.min(T, T + pT - i);
        int eFrom = Math.max(0, pD - c), eTo = Math.min(D, D + pD - c);
        float acc = 0f;
        for (int b2 = bFrom; b2 < bTo; b2++) {
            for (int h2 = hFrom; h2 < hTo; h2++) {
                for (int e = eFrom; e < eTo; e++) {
                    // Q[b + b2 − pB, h + h2 − pH, i − pT + j, c + e − pD] and K[b2, h2, j, e], j stepping rows.
                    int q = qkvOff + ((b + b2 - pB) * T + i - pT) * row + (h + h2 - pH) * D + c + e - pD;
                    int k = qkvOff + b2 * T * row + C + h2 * D + e;
                    for (int j = jFrom; j < jTo; j++) {
                        acc += qkv[q + j * row] * qkv[k + j * row];
                    }
                }
            }
        }
        int at = (b * T + i) * row + col;
        cqkv[cqkvOff + at] = acc;
        cqkv[cqkvOff + at + C] = qkv[qkvOff + at + C];
        cqkv[cqkvOff + at + 2 * C] = qkv[qkvOff + at + 2 * C];
    }

    /**
     * For one (b, h, t) row, index ((b·H)+h)·T + t: S[t, j] = Cmat[t]·K[j]/√D for every j (no mask),
     * P = softmax over all T keys, out[t] = Σ_j P[t, j]·V[j].
     */
    @Kernel("leviathan_notebook_attention")
    public static void attentionForward(@Write float[] out, int outOff,         // (B, T, C)
                                        @Write float[] preatt, int preattOff,   // (B, H, T, T)
                                        @Write float[] att, int attOff,         // (B, H, T, T)
                                        @Read float[] cqkv, int cqkvOff,       // (B, T, 3C) = [Cmat | K | V]
                                        int T, int C, int H, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int t = Attention.timeOf(index, T);
        int D = C / H;
        float scale = 1.0f / (float) Math.sqrt(D);
        int q = cqkvOff + (b * T + t) * 3 * C + h * D;
        int row = ((b * H + h) * T + t) * T;
        float max = -Float.MAX_VALUE;
        for (int t2 = 0; t2 < T; t2++) {
            int k = cqkvOff + (b * T + t2) * 3 * C + C + h * D;
            float s = 0f;
            for (int d = 0; d < D; d++) {
                s += cqkv[q + d] * cqkv[k + d];
            }
            s = s * scale;
            preatt[preattOff + row + t2] = s;
            max = Math.max(max, s);
        }
        // The row helpers take the last live column: T − 1 makes them the unmasked softmax and sum.
        Softmax.causalRow(att, attOff + row, preatt, preattOff + row, max, T - 1);
        // No dropout on these probabilities: the notebook's attention dropout is never applied (its call omits it).
        WeightedSum.forwardRow(out, outOff + (b * T + t) * C + h * D,
                att, attOff + row, cqkv, cqkvOff + b * T * 3 * C + 2 * C + h * D, 3 * C, D, T - 1, 0, 0, 0, 0f);
    }

    /**
     * For one (b, h, t) row: dpreatt[t, :] = softmax-backward(dout[t]·Vᵀ) over all T keys (written).
     * No gradient to Cmat is formed: the notebook detaches it.
     */
    @Kernel("leviathan_notebook_attention_backward_scores")
    public static void attentionBackwardScores(@Write float[] dpreatt, int dpreOff,   // (B, H, T, T)
                                               @Read float[] dout, int doutOff,      // (B, T, C)
                                               @Read float[] cqkv, int cqkvOff,      // (B, T, 3C)
                                               @Read float[] att, int attOff,        // (B, H, T, T)
                                               int T, int C, int H, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int t = Attention.timeOf(index, T);
        int D = C / H;
        int row = ((b * H + h) * T + t) * T;
        WeightedSum.backwardWeights(dpreatt, dpreOff + row, dout, doutOff + (b * T + t) * C + h * D,
                cqkv, cqkvOff + b * T * 3 * C + 2 * C + h * D, 3 * C, D, T - 1, 0, 0, 0, 0f);
        Softmax.causalRowBackwardInPlace(dpreatt, dpreOff + row, att, attOff + row, T - 1);
    }

    /**
     * For one key/value row j, index ((b·H)+h)·T + j: dK[j] += Σ_t dpreatt[t, j]·Cmat[t]/√D and
     * dV[j] += Σ_t att[t, j]·dout[t], over all t, straight into qkv's gradient (cqkv's K and V are
     * qkv's). The Q columns of dqkv are left alone: Q reaches the loss only through the detached Cmat.
     */
    @Kernel("leviathan_notebook_attention_backward_key_value")
    public static void attentionBackwardKeyValue(@ReadWrite float[] dqkv, int dqkvOff,     // (B, T, 3C)
                                                 @Read float[] dpreatt, int dpreOff,  // (B, H, T, T)
                                                 @Read float[] dout, int doutOff,     // (B, T, C)
                                                 @Read float[] cqkv, int cqkvOff,     // (B, T, 3C)
                                                 @Read float[] att, int attOff,       // (B, H, T, T)
                                                 int T, int C, int H, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int j = Attention.timeOf(index, T);
        int D = C / H;
        float scale = 1.0f / (float) Math.sqrt(D);
        int head = (b * H + h) * T * T;
        int dk = dqkvOff + (b * T + j) * 3 * C + C + h * D;
        int dv = dk + C;
        for (int d = 0; d < D; d++) {
            float accK = 0f;
            float accV = 0f;
            for (int t = 0; t < T; t++) {
                accK += dpreatt[dpreOff + head + t * T + j] * cqkv[cqkvOff + (b * T + t) * 3 * C + h * D + d];
                accV += att[attOff + head + t * T + j] * dout[doutOff + (b * T + t) * C + h * D + d];
            }
            dqkv[dk + d] += accK * scale;
            dqkv[dv + d] += accV;
        }
    }
}
