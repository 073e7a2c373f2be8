package leviathan.kernels;

/** The residual stream: {@code out = a + b}. Elementwise. */
public final class Residual {
    private Residual() {}

    public static void forward(float[] out, int outOff,   // (N)
                               float[] a, int aOff,       // (N)
                               float[] b, int bOff,       // (N)
                               int i) {
        out[outOff + i] = a[aOff + i] + b[bOff + i];
    }

    /** da[i] += dout[i], db[i] += dout[i]; = when accumulate is 0 (the gradients' first writer, see {@link Matmul#backwardInput}). */
    public static void backward(float[] da, int daOff,       // (N)
                                float[] db, int dbOff,       // (N)
                                float[] dout, int doutOff,   // (N)
                                int accumulate, int i) {
        float g = dout[doutOff + i];
        da[daOff + i] = accumulate != 0 ? da[daOff + i] + g : g;
        db[dbOff + i] = accumulate != 0 ? db[dbOff + i] + g : g;
    }
}
