package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * Causal scaled-dot-product attention (SPEC 2.1) over the fused {@code qkv} buffer (B, T, 3C):
 * head h owns columns h·D … h·D+D−1 of each of Q, K and V, as in GPT-2.
 *
 * <p>Parallel index: one (b, h, t) query row, flattened as {@code ((b·H)+h)·T + t}; see
 * {@link #batchOf}, {@link #headOf}, {@link #timeOf}. Scores are stored (B, H, T, T); entries
 * with t2 > t are never written or read (masked: probability 0).
 */
public final class Attention {
    private Attention() {}

    public static int batchOf(int index, int H, int T) {
        return index / (H * T);
    }

    public static int headOf(int index, int H, int T) {
        return (index / T) % H;
    }

    public static int timeOf(int index, int T) {
        return index % T;
    }

    /** Scores, masked softmax and the weighted sum of values for one query row. */
    @Kernel("attention_forward")
    public static void forward(@Write float[] out, int outOff,         // (B, T, C)
                               @Write float[] preatt, int preattOff,   // (B, H, T, T)
                               @Write float[] att, int attOff,         // (B, H, T, T)
                               @Read float[] qkv, int qkvOff,         // (B, T, 3C)
                               @Read float[] dropout, int dropoutOff,   // (Dropout.SIZE): rate and step
                               int T, int C, int H, int dropoutKey, @Index int index) {
        int b = batchOf(index, H, T);
        int h = headOf(index, H, T);
        int t = timeOf(index, T);
        int D = C / H;
        float scale = 1.0f / (float) Math.sqrt(D);
        int q = qkvOff + (b * T + t) * 3 * C + h * D;
        int row = ((b * H + h) * T + t) * T;
        float max = -Float.MAX_VALUE;
        for (int t2 = 0; t2 <= t; t2++) {
            int k = qkvOff + (b * T + t2) * 3 * C + C + h * D;
            float s = 0f;
            for (int d = 0; d < D; d++) {
                s += qkv[q + d] * qkv[k + d];
            }
            s = s * scale;
            preatt[preattOff + row + t2] = s;
            max = Math.max(max, s);
        }
        Softmax.causalRow(att, attOff + row, preatt, preattOff + row, max, t);
        WeightedSum.forwardRow(out, outOff + (b * T + t) * C + h * D,
                att, attOff + row, qkv, qkvOff + b * T * 3 * C + 2 * C + h * D, 3 * C, D, t,
                dropoutKey, Dropout.step(dropout, dropoutOff), row, Dropout.rate(dropout, dropoutOff));
    }

    /**
     * For one query row: dpreatt[b,h,t,:] = softmax-backward(dout·vᵀ), and dq[t] += dpreatt·K/√D.
     * Writes (=) the scratch {@code dpreatt}; accumulates into the Q part of {@code dqkv}.
     */
    @Kernel("attention_backward_query")
    public static void backwardQuery(@ReadWrite float[] dqkv, int dqkvOff,       // (B, T, 3C)
                                     @Write float[] dpreatt, int dpreOff,    // (B, H, T, T)
                                     @Read float[] dout, int doutOff,       // (B, T, C)
                                     @Read float[] qkv, int qkvOff,         // (B, T, 3C)
                                     @Read float[] att, int attOff,         // (B, H, T, T)
                                     @Read float[] dropout, int dropoutOff,   // (Dropout.SIZE): rate and step
                                     int T, int C, int H, int dropoutKey, @Index int index) {
        int b = batchOf(index, H, T);
        int h = headOf(index, H, T);
        int t = timeOf(index, T);
        int D = C / H;
        float scale = 1.0f / (float) Math.sqrt(D);
        int row = ((b * H + h) * T + t) * T;
        WeightedSum.backwardWeights(dpreatt, dpreOff + row, dout, doutOff + (b * T + t) * C + h * D,
                qkv, qkvOff + b * T * 3 * C + 2 * C + h * D, 3 * C, D, t,
                dropoutKey, Dropout.step(dropout, dropoutOff), row, Dropout.rate(dropout, dropoutOff));
        Softmax.causalRowBackwardInPlace(dpreatt, dpreOff + row, att, attOff + row, t);
        int dq = dqkvOff + (b * T + t) * 3 * C + h * D;
        for (int d = 0; d < D; d++) {
            float acc = 0f;
            for (int t2 = 0; t2 <= t; t2++) {
                acc += dpreatt[dpreOff + row + t2] * qkv[qkvOff + (b * T + t2) * 3 * C + C + h * D + d];
            }
            dqkv[dq + d] += acc * scale;
        }
    }

    /**
     * For one key/value row j: dk[j] += Σ_{t≥j} dpreatt[t,j]·q[t]/√D and dv[j] += Σ_{t≥j} drop(att[t,j])·dout[t].
     * The index is ((b·H)+h)·T + j.
     */
    @Kernel("attention_backward_key_value")
    public static void backwardKeyValue(@ReadWrite float[] dqkv, int dqkvOff,       // (B, T, 3C)
                                        @Read float[] dpreatt, int dpreOff,    // (B, H, T, T)
                                        @Read float[] dout, int doutOff,       // (B, T, C)
                                        @Read float[] qkv, int qkvOff,         // (B, T, 3C)
                                        @Read float[] att, int attOff,         // (B, H, T, T)
                                        @Read float[] dropout, int dropoutOff,   // (Dropout.SIZE): rate and step
                                        int T, int C, int H, int dropoutKey, @Index int index) {
        int b = batchOf(index, H, T);
        int h = headOf(index, H, T);
        int j = timeOf(index, T);
        int D = C / H;
        float scale = 1.0f / (float) Math.sqrt(D);
        int head = (b * H + h) * T * T;
        int dropStep = Dropout.step(dropout, dropoutOff);
        float dropRate = Dropout.rate(dropout, dropoutOff);
        int dk = dqkvOff + (b * T + j) * 3 * C + C + h * D;
        int dv = dk + C;
        for (int d = 0; d < D; d++) {
            float accK = 0f;
            float accV = 0f;
            for (int t = j; t < T; t++) {
                accK += dpreatt[dpreOff + head + t * T + j] * qkv[qkvOff + (b * T + t) * 3 * C + h * D + d];
                accV += att[attOff + head + t * T + j] * Dropout.keepScale(dropoutKey, dropStep, head + t * T + j, dropRate) * dout[doutOff + (b * T + t) * C + h * D + d];
            }
            dqkv[dk + d] += accK * scale;
            dqkv[dv + d] += accV;
        }
    }
}
