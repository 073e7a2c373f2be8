package leviathan.kernels;

/**
 * {@code o_i = Σ_{j≤i} P_ij v_j} for one output row, the last step of every probability-based
 * mixer. Row helpers over strided value rows (values of row j start at {@code vOff + j·vStride}).
 * The probabilities are dropped out on the fly ({@link Dropout#keepScale} with the row's element
 * indices {@code maskOff + j}); with rate 0 every scale is exactly 1.
 */
public final class WeightedSum {
    private WeightedSum() {}

    /** out[0..D) = Σ_{j=0..last} drop(prob[j])·v[j, 0..D). */
    public static void forwardRow(float[] out, int outOff, float[] prob, int probOff,
                                  float[] v, int vOff, int vStride, int D, int last,
                                  int key, int step, int maskOff, float rate) {
        for (int d = 0; d < D; d++) {
            out[outOff + d] = 0f;
        }
        for (int j = 0; j <= last; j++) {
            float p = prob[probOff + j] * Dropout.keepScale(key, step, maskOff + j, rate);
            int vr = vOff + j * vStride;
            for (int d = 0; d < D; d++) {
                out[outOff + d] += p * v[vr + d];
            }
        }
    }

    /** dprob[j] = (dout·v[j])·keepScale(j) for j ≤ last: the gradient of the undropped probability (written: a per-row scratch). */
    public static void backwardWeights(float[] dprob, int dprobOff, float[] dout, int doutOff,
                                       float[] v, int vOff, int vStride, int D, int last,
                                       int key, int step, int maskOff, float rate) {
        for (int j = 0; j <= last; j++) {
            int vr = vOff + j * vStride;
            float acc = 0f;
            for (int d = 0; d < D; d++) {
                acc += dout[doutOff + d] * v[vr + d];
            }
            dprob[dprobOff + j] = acc * Dropout.keepScale(key, step, maskOff + j, rate);
        }
    }
}
