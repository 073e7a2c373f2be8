package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Write;

/** buf[off+i] = value: zeroes gradients before a backward pass that accumulates into them. */
public final class Fill {
    private Fill() {}

    @Kernel("fill")
    public static void fill(@Write float[] buf, int off,   // (n)
                            float value, @Index int i) {
        buf[off + i] = value;
    }
}
