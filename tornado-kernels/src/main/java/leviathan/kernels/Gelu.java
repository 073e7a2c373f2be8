package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/** GELU, the tanh approximation used by GPT-2. Elementwise. */
public final class Gelu {
    private Gelu() {}

    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    private static final float CUBE = 0.044715f;

    /**
     * tanh through exp: Math.tanh is not a JIT intrinsic on JDK 17 (it was much slower than the rest
     * of the kernel; see docs/performance.md), Math.exp is. Saturates correctly: exp overflow gives 1,
     * underflow gives −1.
     */
    static float tanh(float u) {
        return 1.0f - 2.0f / ((float) Math.exp(2.0f * u) + 1.0f);
    }

    @Kernel("gelu_forward")
    public static void forward(@Write float[] out, int outOff,   // (N)
                               @Read float[] inp, int inpOff,   // (N)
                               @Index int i) {
        float x = inp[inpOff + i];
        float u = SQRT_2_OVER_PI * (x + CUBE * x * x * x);
        out[outOff + i] = 0.5f * x * (1.0f + tanh(u));
    }

    /** dinp[i] += gelu'(inp[i])·dout[i], or = when accumulate is 0 (the gradient's first writer, see {@link Matmul#backwardInput}). */
    @Kernel("gelu_backward")
    public static void backward(@ReadWrite float[] dinp, int dinpOff,   // (N)
                                @Read float[] inp, int inpOff,     // (N)
                                @Read float[] dout, int doutOff,   // (N)
                                int accumulate, @Index int i) {
        float x = inp[inpOff + i];
        float u = SQRT_2_OVER_PI * (x + CUBE * x * x * x);
        float th = tanh(u);
        float sech2 = 1.0f - th * th;
        float du = SQRT_2_OVER_PI * (1.0f + 3.0f * CUBE * x * x);
        float grad = 0.5f * (1.0f + th) + 0.5f * x * sech2 * du;
        float d = grad * dout[doutOff + i];
        dinp[dinpOff + i] = accumulate != 0 ? dinp[dinpOff + i] + d : d;
    }
}
