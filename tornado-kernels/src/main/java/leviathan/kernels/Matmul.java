package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * Matmul with bias, {@code out = inp · weightᵀ + bias}, with llm.c's in-memory layout: a weight
 * is (OC, C), one contiguous row per output channel, so every body is a dot product over
 * contiguous memory and the tied LM head ({@code wte}, V×C) is the same kernel.
 * Checkpoints store weights [in, out] as Hugging Face does; the transpose happens on save/load.
 *
 * <p>These are the plain bodies (one output element per call) and the test oracle; the JVM
 * backend swaps in a cache-blocked Vector API GEMM tested against them.
 */
public final class Matmul {
    private Matmul() {}

    /** out[r,o] = bias[o] + Σ_c inp[r,c]·weight[o,c]. One call per element (r, o); no bias when biasOff < 0. */
    @Kernel("matmul_forward")
    public static void forward(@Write float[] out, int outOff,      // (BT, OC)
                               @Read float[] inp, int inpOff,      // (BT, C)
                               @Read float[] weight, int wOff,     // (OC, C)
                               @Read(optional = true) float[] bias, int bOff,       // (OC), unused when bOff < 0
                               int C, int OC, @Index int r, @Index int o) {
        float acc = bOff < 0 ? 0f : bias[bOff + o];
        int x = inpOff + r * C;
        int w = wOff + o * C;
        for (int c = 0; c < C; c++) {
            acc += inp[x + c] * weight[w + c];
        }
        out[outOff + r * OC + o] = acc;
    }

    /**
     * dinp[r,c] += Σ_o dout[r,o]·weight[o,c], or = when accumulate is 0: the first stage to write
     * a gradient may overwrite it, which spares zeroing it first. One call per element (r, c).
     */
    @Kernel("matmul_backward_input")
    public static void backwardInput(@ReadWrite float[] dinp, int dinpOff,   // (BT, C)
                                     @Read float[] dout, int doutOff,   // (BT, OC)
                                     @Read float[] weight, int wOff,    // (OC, C)
                                     int C, int OC, int accumulate, @Index int r, @Index int c) {
        float acc = 0f;
        int g = doutOff + r * OC;
        for (int o = 0; o < OC; o++) {
            acc += dout[g + o] * weight[wOff + o * C + c];
        }
        int i = dinpOff + r * C + c;
        dinp[i] = accumulate != 0 ? dinp[i] + acc : acc;
    }

    /** dweight[o,c] += Σ_r dout[r,o]·inp[r,c]. One call per element (o, c). */
    @Kernel("matmul_backward_weight")
    public static void backwardWeight(@ReadWrite float[] dweight, int dwOff,   // (OC, C)
                                      @Read float[] dout, int doutOff,    // (BT, OC)
                                      @Read float[] inp, int inpOff,      // (BT, C)
                                      int BT, int C, int OC, @Index int o, @Index int c) {
        float acc = 0f;
        for (int r = 0; r < BT; r++) {
            acc += dout[doutOff + r * OC + o] * inp[inpOff + r * C + c];
        }
        dweight[dwOff + o * C + c] += acc;
    }

    /** dbias[o] += Σ_r dout[r,o]. One call per output channel o. */
    @Kernel("matmul_backward_bias")
    public static void backwardBias(@ReadWrite float[] dbias, int dbOff,     // (OC)
                                    @Read float[] dout, int doutOff,    // (BT, OC)
                                    int BT, int OC, @Index int o) {
        float acc = 0f;
        for (int r = 0; r < BT; r++) {
            acc += dout[doutOff + r * OC + o];
        }
        dbias[dbOff + o] += acc;
    }
}
