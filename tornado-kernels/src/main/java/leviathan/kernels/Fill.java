package leviathan.kernels;

/** buf[off+i] = value: zeroes gradients before a backward pass that accumulates into them. */
public final class Fill {
    private Fill() {}

    public static void fill(float[] buf, int off,   // (n)
                            float value, int i) {
        buf[off + i] = value;
    }
}
