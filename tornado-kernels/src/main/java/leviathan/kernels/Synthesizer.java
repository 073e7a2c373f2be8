package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * Synthesizer attention (SPEC 2.5): the attention logits are not a query-key product but a row
 * read from a logit buffer; {@code P = softmax_{j≤i}(logits row)}, {@code o_i = Σ_j P_ij v_j}.
 * The matmuls around it (the dense synthesizer's two-layer logit MLP, V and the output
 * projection) are the shared {@link Matmul} kernels; this class holds what is new: ReLU, the
 * causal softmax over a logit row with the weighted sum, and their backward.
 *
 * <p>Logit rows are addressed by strides, so one body serves both kinds: the row of (b, h, i)
 * starts at {@code b·strideB + h·strideH + i·strideT} and holds position j at +j.
 * <ul>
 *   <li>dense: logits (B, T, H·Tmax), head-major columns: strides (T·H·Tmax, Tmax, H·Tmax);</li>
 *   <li>random: the learned table (H, Tmax, Tmax), shared by the batch: strides (0, Tmax·Tmax, Tmax).</li>
 * </ul>
 * Probabilities are stored (B, H, T, T) as in {@link Attention}; entries j > i are masked.
 * Parallel index of the row bodies: ((b·H)+h)·T + t, see {@link Attention#batchOf}.
 */
public final class Synthesizer {
    private Synthesizer() {}

    /** out[i] = max(inp[i], 0). */
    @Kernel("relu_forward")
    public static void reluForward(@Write float[] out, int outOff,   // (N)
                                   @Read float[] inp, int inpOff,   // (N)
                                   @Index int i) {
        out[outOff + i] = Math.max(inp[inpOff + i], 0f);
    }

    /** dinp[i] += dout[i] where inp[i] > 0 (the subgradient at 0 is taken as 0). */
    @Kernel("relu_backward")
    public static void reluBackward(@ReadWrite float[] dinp, int dinpOff,   // (N)
                                    @Read float[] inp, int inpOff,     // (N)
                                    @Read float[] dout, int doutOff,   // (N)
                                    @Index int i) {
        if (inp[inpOff + i] > 0f) {
            dinp[dinpOff + i] += dout[doutOff + i];
        }
    }

    /** For one (b, h, i) row: att = softmax of logits[0..i], out = Σ_j att_j·v_j. */
    @Kernel("synthesizer_forward")
    public static void forward(@Write float[] out, int outOff,         // (B, T, C)
                               @Write float[] att, int attOff,         // (B, H, T, T)
                               @Read float[] logits, int logitsOff,   // dense (B, T, H·Tmax) or random (H, Tmax, Tmax)
                               @Read float[] v, int vOff,             // (B, T, C)
                               @Read float[] dropout, int dropoutOff,   // (Dropout.SIZE): rate and step
                               int T, int C, int H, int strideB, int strideH, int strideT, int dropoutKey, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int D = C / H;
        int logitRow = logitsOff + b * strideB + h * strideH + i * strideT;
        int row = attOff + ((b * H + h) * T + i) * T;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j <= i; j++) {
            max = Math.max(max, logits[logitRow + j]);
        }
        Softmax.causalRow(att, row, logits, logitRow, max, i);
        WeightedSum.forwardRow(out, outOff + (b * T + i) * C + h * D, att, row, v, vOff + b * T * C + h * D, C, D, i,
                dropoutKey, Dropout.step(dropout, dropoutOff), row - attOff, Dropout.rate(dropout, dropoutOff));
    }

    /**
     * For one (b, h, i) row: dlogits[row][j] = dL/dlogit_j = softmax-backward(dout_i·v_jᵀ) for j ≤ i,
     * and 0 for i < j < rowLength (masked logits do not reach the output). Writes (=): the row is
     * a scratch owned by this index, summed into parameters by the stage after it.
     */
    @Kernel("synthesizer_backward_logits")
    public static void backwardLogits(@Write float[] dlogits, int dlogitsOff,   // dense (B, T, H·Tmax) or scratch (B, H, T, T)
                                      @Read float[] dout, int doutOff,         // (B, T, C)
                                      @Read float[] v, int vOff,               // (B, T, C)
                                      @Read float[] att, int attOff,           // (B, H, T, T)
                                      @Read float[] dropout, int dropoutOff,   // (Dropout.SIZE): rate and step
                                      int T, int C, int H, int strideB, int strideH, int strideT, int rowLength,
                                      int dropoutKey, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int D = C / H;
        int logitRow = dlogitsOff + b * strideB + h * strideH + i * strideT;
        WeightedSum.backwardWeights(dlogits, logitRow, dout, doutOff + (b * T + i) * C + h * D,
                v, vOff + b * T * C + h * D, C, D, i,
                dropoutKey, Dropout.step(dropout, dropoutOff), ((b * H + h) * T + i) * T, Dropout.rate(dropout, dropoutOff));
        Softmax.causalRowBackwardInPlace(dlogits, logitRow, att, attOff + ((b * H + h) * T + i) * T, i);
        for (int j = i + 1; j < rowLength; j++) {
            dlogits[logitRow + j] = 0f;
        }
    }

    /** For one (b, h, j) value row: dv[j] += Σ_{i≥j} att[i, j]·dout_i. */
    @Kernel("synthesizer_backward_values")
    public static void backwardValues(@ReadWrite float[] dv, int dvOff,       // (B, T, C)
                                      @Read float[] dout, int doutOff,   // (B, T, C)
                                      @Read float[] att, int attOff,     // (B, H, T, T)
                                      @Read float[] dropout, int dropoutOff,   // (Dropout.SIZE): rate and step
                                      int T, int C, int H, int dropoutKey, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int j = Attention.timeOf(index, T);
        int D = C / H;
        int head = attOff + (b * H + h) * T * T;
        int dvRow = dvOff + (b * T + j) * C + h * D;
        int dropStep = Dropout.step(dropout, dropoutOff);
        float dropRate = Dropout.rate(dropout, dropoutOff);
        int mask = (b * H + h) * T * T;
        for (int d = 0; d < D; d++) {
            float acc = 0f;
            for (int i = j; i < T; i++) {
                acc += att[head + i * T + j] * Dropout.keepScale(dropoutKey, dropStep, mask + i * T + j, dropRate) * dout[doutOff + (b * T + i) * C + h * D + d];
            }
            dv[dvRow + d] += acc;
        }
    }

    /**
     * The random synthesizer's table gradient for one (h, i) row, index h·T + i:
     * dtable[h, i, j] += Σ_b dscores[b, h, i, j] for j ≤ i (the batch shares the table).
     */
    @Kernel("synthesizer_backward_table")
    public static void backwardTable(@ReadWrite float[] dtable, int dtableOff,     // (H, Tmax, Tmax)
                                     @Read float[] dscores, int dscoresOff,   // (B, H, T, T)
                                     int B, int T, int H, int Tmax, @Index int index) {
        int h = index / T;
        int i = index % T;
        int tableRow = dtableOff + (h * Tmax + i) * Tmax;
        for (int j = 0; j <= i; j++) {
            float acc = 0f;
            for (int b = 0; b < B; b++) {
                acc += dscores[dscoresOff + ((b * H + h) * T + i) * T + j];
            }
            dtable[tableRow + j] += acc;
        }
    }
}
