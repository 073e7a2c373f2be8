package leviathan.kernels;

/**
 * {@code o_i = Σ_{j≤i} P_ij v_j} for one output row, the last step of every probability-based
 * mixer. Row helpers over strided value rows (values of row j start at {@code vOff + j·vStride}).
 */
public final class WeightedSum {
    private WeightedSum() {}

    /** out[0..D) = Σ_{j=0..last} prob[j]·v[j, 0..D). */
    public static void forwardRow(float[] out, int outOff, float[] prob, int probOff,
                                  float[] v, int vOff, int vStride, int D, int last) {
        for (int d = 0; d < D; d++) {
            out[outOff + d] = 0f;
        }
        for (int j = 0; j <= last; j++) {
            float p = prob[probOff + j];
            int vr = vOff + j * vStride;
            for (int d = 0; d < D; d++) {
                out[outOff + d] += p * v[vr + d];
            }
        }
    }

    /** dprob[j] = dout·v[j] for j ≤ last (written, not accumulated: a per-row scratch). */
    public static void backwardWeights(float[] dprob, int dprobOff, float[] dout, int doutOff,
                                       float[] v, int vOff, int vStride, int D, int last) {
        for (int j = 0; j <= last; j++) {
            int vr = vOff + j * vStride;
            float acc = 0f;
            for (int d = 0; d < D; d++) {
                acc += dout[doutOff + d] * v[vr + d];
            }
            dprob[dprobOff + j] = acc;
        }
    }
}
