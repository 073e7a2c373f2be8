package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/** LayerNorm over the channels of each row, ε = 1e-5, learned scale and shift (SPEC 1). */
public final class LayerNorm {
    private LayerNorm() {}

    public static final float EPS = 1e-5f;

    /** One call per row. Saves the row's mean and 1/std for the backward pass. */
    @Kernel("layernorm_forward")
    public static void forward(@Write float[] out, int outOff,     // (N, C)
                               @Write float[] mean, int meanOff,   // (N)
                               @Write float[] rstd, int rstdOff,   // (N)
                               @Read float[] inp, int inpOff,     // (N, C)
                               @Read float[] weight, int wOff,    // (C)
                               @Read float[] bias, int bOff,      // (C)
                               int C, @Index int row) {
        int x = inpOff + row * C;
        float m = 0f;
        for (int c = 0; c < C; c++) {
            m += inp[x + c];
        }
        m = m / C;
        float var = 0f;
        for (int c = 0; c < C; c++) {
            float d = inp[x + c] - m;
            var += d * d;
        }
        var = var / C;
        float s = 1.0f / (float) Math.sqrt(var + EPS);
        int y = outOff + row * C;
        for (int c = 0; c < C; c++) {
            out[y + c] = (inp[x + c] - m) * s * weight[wOff + c] + bias[bOff + c];
        }
        mean[meanOff + row] = m;
        rstd[rstdOff + row] = s;
    }

    /** dinp[row,:] += ∂loss/∂inp for one row. */
    @Kernel("layernorm_backward_input")
    public static void backwardInput(@ReadWrite float[] dinp, int dinpOff,   // (N, C)
                                     @Read float[] dout, int doutOff,   // (N, C)
                                     @Read float[] inp, int inpOff,     // (N, C)
                                     @Read float[] weight, int wOff,    // (C)
                                     @Read float[] mean, int meanOff,   // (N)
                                     @Read float[] rstd, int rstdOff,   // (N)
                                     int C, @Index int row) {
        int x = inpOff + row * C;
        int g = doutOff + row * C;
        float m = mean[meanOff + row];
        float s = rstd[rstdOff + row];
        // The two reductions of the LayerNorm gradient: mean of dnorm and of dnorm·norm.
        float dnormMean = 0f;
        float dnormNormMean = 0f;
        for (int c = 0; c < C; c++) {
            float norm = (inp[x + c] - m) * s;
            float dnorm = weight[wOff + c] * dout[g + c];
            dnormMean += dnorm;
            dnormNormMean += dnorm * norm;
        }
        dnormMean = dnormMean / C;
        dnormNormMean = dnormNormMean / C;
        int d = dinpOff + row * C;
        for (int c = 0; c < C; c++) {
            float norm = (inp[x + c] - m) * s;
            float dnorm = weight[wOff + c] * dout[g + c];
            dinp[d + c] += (dnorm - dnormMean - norm * dnormNormMean) * s;
        }
    }

    /** dweight[c] += Σ_rows dout·norm, dbias[c] += Σ_rows dout. One call per channel c. */
    @Kernel("layernorm_backward_params")
    public static void backwardParams(@ReadWrite float[] dweight, int dwOff,   // (C)
                                      @ReadWrite float[] dbias, int dbOff,     // (C)
                                      @Read float[] dout, int doutOff,    // (N, C)
                                      @Read float[] inp, int inpOff,      // (N, C)
                                      @Read float[] mean, int meanOff,    // (N)
                                      @Read float[] rstd, int rstdOff,    // (N)
                                      int N, int C, @Index int c) {
        float dw = 0f;
        float db = 0f;
        for (int row = 0; row < N; row++) {
            float g = dout[doutOff + row * C + c];
            float norm = (inp[inpOff + row * C + c] - mean[meanOff + row]) * rstd[rstdOff + row];
            dw += g * norm;
            db += g;
        }
        dweight[dwOff + c] += dw;
        dbias[dbOff + c] += db;
    }
}
