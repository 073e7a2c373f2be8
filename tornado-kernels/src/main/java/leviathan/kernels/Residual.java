package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/** The residual stream: {@code out = a + b}. Elementwise. */
public final class Residual {
    private Residual() {}

    @Kernel("residual_forward")
    public static void forward(@Write float[] out, int outOff,   // (N)
                               @Read float[] a, int aOff,       // (N)
                               @Read float[] b, int bOff,       // (N)
                               @Index int i) {
        out[outOff + i] = a[aOff + i] + b[bOff + i];
    }

    /** da[i] += dout[i], db[i] += dout[i]; = when accumulate is 0 (the gradients' first writer, see {@link Matmul#backwardInput}). */
    @Kernel("residual_backward")
    public static void backward(@ReadWrite float[] da, int daOff,       // (N)
                                @ReadWrite float[] db, int dbOff,       // (N)
                                @Read float[] dout, int doutOff,   // (N)
                                int accumulate, @Index int i) {
        float g = dout[doutOff + i];
        da[daOff + i] = accumulate != 0 ? da[daOff + i] + g : g;
        db[dbOff + i] = accumulate != 0 ? db[dbOff + i] + g : g;
    }
}
