package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * Longformer attention (SPEC 2.4): causal sliding window with per-head dilation plus global
 * tokens, over the fused {@code qkv} buffer (B, T, 3C) laid out as in {@link Attention}.
 *
 * <p>Allowed keys of query i in head h (window W, dilation d = dilation[h], G global tokens,
 * which are the first G positions): the window {@code {i − d·t : t = 0..W−1, ≥ 0}} and the
 * global keys {@code j < G, j ≤ i}; a global query (i < G) attends to every {@code j ≤ i}, and
 * since G is a prefix those keys are all global. A key that is both in the window and global is
 * counted once, as a global key.
 *
 * <p>Banded storage: scores and probabilities are (B, H, T, G+W), never T×T. Row i has
 * G + W slots:
 * <ul>
 *   <li>slots {@code 0..G−1}: global key j = slot (live iff j ≤ i);</li>
 *   <li>slots {@code G..G+W−1}: the window keys that are not global, in ascending position:
 *       slot {@code G+u} holds {@code j = i − d·(n−1−u)} for {@code u < n}, n = {@link #windowCount}.</li>
 * </ul>
 * The live slots always form a prefix of the row ({@link #liveSlots}); the rest are masked
 * (probability 0) and never written or read, so the shared causal softmax row helpers apply.
 * Keys are visited in ascending position, so with W ≥ T, d = 1, G = 0 every sum runs in the
 * same order as {@link Attention} and the results are bit-identical.
 *
 * <p>The band is one int buffer, {@code band = [W, G, d_0, …, d_{H−1}]} (window, global tokens, one
 * dilation per head): TornadoVM takes at most 15 task arguments, and the scalars would not fit
 * beside the dropout buffer otherwise. The probabilities are dropped out as {@link Dropout} says,
 * with the banded element indices as mask indices.
 *
 * <p>Parallel index: one (b, h, t) row, flattened as {@code ((b·H)+h)·T + t} (see
 * {@link Attention#batchOf}); the query-row bodies own a score row and dq of that row, the
 * key-row body owns dk and dv of row j and enumerates the queries that attend to it.
 */
public final class Longformer {
    private Longformer() {}

    /** Number of non-global window keys of query i: {@code i − d·t ≥ G} for t < W (0 for a global query). */
    public static int windowCount(int i, int W, int dilation, int G) {
        if (i < G) {
            return 0;
        }
        return Math.min(W, (i - G) / dilation + 1);
    }

    /** Live slots of query i's row (a prefix): its global keys, then its window keys. */
    public static int liveSlots(int i, int W, int dilation, int G) {
        if (i < G) {
            return i + 1;
        }
        return G + windowCount(i, W, dilation, G);
    }

    /** Key position held by live slot s of query i, whose row has {@code windowCount} window keys. */
    public static int keyOf(int s, int i, int windowCount, int dilation, int G) {
        if (s < G) {
            return s;
        }
        return i - dilation * (windowCount - 1 - (s - G));
    }

    /** Banded scores, masked softmax and the weighted sum of values for one query row. */
    @Kernel("longformer_forward")
    public static void forward(@Write float[] out, int outOff,              // (B, T, C)
                               @Write float[] preatt, int preattOff,        // (B, H, T, G+W)
                               @Write float[] att, int attOff,              // (B, H, T, G+W)
                               @Read float[] qkv, int qkvOff,              // (B, T, 3C)
                               @Read int[] band, int bandOff,             // (2 + H): W, G, one dilation per head
                               @Read float[] dropout, int dropoutOff,     // (Dropout.SIZE): rate and step
                               int T, int C, int H, int dropoutKey, @Index int index) {
        int W = band[bandOff], G = band[bandOff + 1];
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int D = C / H;
        int dil = band[bandOff + 2 + h];
        float scale = 1.0f / (float) Math.sqrt(D);
        int nWindow = windowCount(i, W, dil, G);
        int live = liveSlots(i, W, dil, G);
        int row = ((b * H + h) * T + i) * (G + W);
        int q = qkvOff + (b * T + i) * 3 * C + h * D;
        int keys = qkvOff + b * T * 3 * C + C + h * D;
        float max = -Float.MAX_VALUE;
        for (int s = 0; s < live; s++) {
            int k = keys + keyOf(s, i, nWindow, dil, G) * 3 * C;
            float score = 0f;
            for (int d = 0; d < D; d++) {
                score += qkv[q + d] * qkv[k + d];
            }
            score = score * scale;
            preatt[preattOff + row + s] = score;
            max = Math.max(max, score);
        }
        Softmax.causalRow(att, attOff + row, preatt, preattOff + row, max, live - 1);
        int o = outOff + (b * T + i) * C + h * D;
        int values = keys + C;
        for (int d = 0; d < D; d++) {
            out[o + d] = 0f;
        }
        int dropStep = Dropout.step(dropout, dropoutOff);
        float dropRate = Dropout.rate(dropout, dropoutOff);
        for (int s = 0; s < live; s++) {
            float p = att[attOff + row + s] * Dropout.keepScale(dropoutKey, dropStep, row + s, dropRate);
            int v = values + keyOf(s, i, nWindow, dil, G) * 3 * C;
            for (int d = 0; d < D; d++) {
                out[o + d] += p * qkv[v + d];
            }
        }
    }

    /**
     * For one query row: dpreatt[row] = softmax-backward(dout·vᵀ) over the live slots, and
     * dq[i] += Σ_s dpreatt[s]·k_{key(s)}/√D. Writes (=) the scratch row of {@code dpreatt};
     * accumulates into the Q part of {@code dqkv}.
     */
    @Kernel("longformer_backward_query")
    public static void backwardQuery(@ReadWrite float[] dqkv, int dqkvOff,           // (B, T, 3C)
                                     @Write float[] dpreatt, int dpreOff,        // (B, H, T, G+W)
                                     @Read float[] dout, int doutOff,           // (B, T, C)
                                     @Read float[] qkv, int qkvOff,             // (B, T, 3C)
                                     @Read float[] att, int attOff,             // (B, H, T, G+W)
                                     @Read int[] band, int bandOff,             // (2 + H): W, G, one dilation per head
                                     @Read float[] dropout, int dropoutOff,     // (Dropout.SIZE): rate and step
                                     int T, int C, int H, int dropoutKey, @Index int index) {
        int W = band[bandOff], G = band[bandOff + 1];
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int D = C / H;
        int dil = band[bandOff + 2 + h];
        float scale = 1.0f / (float) Math.sqrt(D);
        int nWindow = windowCount(i, W, dil, G);
        int live = liveSlots(i, W, dil, G);
        int row = ((b * H + h) * T + i) * (G + W);
        int keys = qkvOff + b * T * 3 * C + C + h * D;
        int values = keys + C;
        int dy = doutOff + (b * T + i) * C + h * D;
        int dropStep = Dropout.step(dropout, dropoutOff);
        float dropRate = Dropout.rate(dropout, dropoutOff);
        for (int s = 0; s < live; s++) {
            int v = values + keyOf(s, i, nWindow, dil, G) * 3 * C;
            float acc = 0f;
            for (int d = 0; d < D; d++) {
                acc += dout[dy + d] * qkv[v + d];
            }
            dpreatt[dpreOff + row + s] = acc * Dropout.keepScale(dropoutKey, dropStep, row + s, dropRate);
        }
        Softmax.causalRowBackwardInPlace(dpreatt, dpreOff + row, att, attOff + row, live - 1);
        int dq = dqkvOff + (b * T + i) * 3 * C + h * D;
        for (int d = 0; d < D; d++) {
            float acc = 0f;
            for (int s = 0; s < live; s++) {
                acc += dpreatt[dpreOff + row + s] * qkv[keys + keyOf(s, i, nWindow, dil, G) * 3 * C + d];
            }
            dqkv[dq + d] += acc * scale;
        }
    }

    /**
     * For one key/value row j: dk[j] += Σ dpreatt[i, slot]·q_i/√D and dv[j] += Σ att[i, slot]·dout_i
     * over the queries i that attend to j, in ascending i: a global key (j < G) is held by slot j
     * of every query i ≥ j; any other key by the window slot of queries i = j + d·t (t < W, i < T).
     * Global queries never see a non-global key. The index is ((b·H)+h)·T + j.
     */
    @Kernel("longformer_backward_key_value")
    public static void backwardKeyValue(@ReadWrite float[] dqkv, int dqkvOff,           // (B, T, 3C)
                                        @Read float[] dpreatt, int dpreOff,        // (B, H, T, G+W)
                                        @Read float[] dout, int doutOff,           // (B, T, C)
                                        @Read float[] qkv, int qkvOff,             // (B, T, 3C)
                                        @Read float[] att, int attOff,             // (B, H, T, G+W)
                                        @Read int[] band, int bandOff,             // (2 + H): W, G, one dilation per head
                                        @Read float[] dropout, int dropoutOff,     // (Dropout.SIZE): rate and step
                                        int T, int C, int H, int dropoutKey, @Index int index) {
        int W = band[bandOff], G = band[bandOff + 1];
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int j = Attention.timeOf(index, T);
        int D = C / H;
        int dil = band[bandOff + 2 + h];
        float scale = 1.0f / (float) Math.sqrt(D);
        int L = G + W;
        int head = (b * H + h) * T;
        int dk = dqkvOff + (b * T + j) * 3 * C + C + h * D;
        int dv = dk + C;
        boolean global = j < G;
        int dropStep = Dropout.step(dropout, dropoutOff);
        float dropRate = Dropout.rate(dropout, dropoutOff);
        // A global key is seen by every query i ≥ j; a window key by i = j + d·t for t < W, i < T.
        int queries = global ? T - j : Math.min(W, (T - 1 - j) / dil + 1);
        for (int d = 0; d < D; d++) {
            float accK = 0f;
            float accV = 0f;
            for (int t = 0; t < queries; t++) {
                int i = global ? j + t : j + dil * t;
                int slot = global ? j : G + windowCount(i, W, dil, G) - 1 - t;
                int at = (head + i) * L + slot;
                accK += dpreatt[dpreOff + at] * qkv[qkvOff + (b * T + i) * 3 * C + h * D + d];
                accV += att[attOff + at] * Dropout.keepScale(dropoutKey, dropStep, at, dropRate) * dout[doutOff + (b * T + i) * C + h * D + d];
            }
            dqkv[dk + d] += accK * scale;
            dqkv[dv + d] += accV;
        }
    }
}
