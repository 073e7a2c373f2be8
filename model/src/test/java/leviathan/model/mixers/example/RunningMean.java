package leviathan.model.mixers.example;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * The kernel bodies of the example mixer: a causal running mean of the values,
 * {@code y[b,t] = (1/(t+1))·Σ_{s≤t} v[b,s]}, with v the last third of the fused {@code qkv} buffer
 * (B, T, 3C). Step 1 of adding a mixer: bodies in TornadoVM's Java subset, each buffer annotated
 * with how the body uses it, its offset after it, sizes, and the parallel index last.
 */
public final class RunningMean {
    private RunningMean() {}

    /** One output row (b, t) = index b·T + t: the mean of the value rows 0..t of its sequence. */
    @Kernel("running_mean_forward")
    public static void forward(@Write float[] out, int outOff,   // (B, T, C)
                               @Read float[] qkv, int qkvOff,    // (B, T, 3C)
                               int T, int C, @Index int index) {
        int b = index / T;
        int t = index % T;
        float inverse = 1f / (t + 1);
        for (int c = 0; c < C; c++) {
            float acc = 0f;
            for (int s = 0; s <= t; s++) {
                acc += qkv[qkvOff + (b * T + s) * 3 * C + 2 * C + c];
            }
            out[outOff + index * C + c] = acc * inverse;
        }
    }

    /** One value row (b, s) = index b·T + s: dv[b,s] += Σ_{t≥s} dout[b,t]/(t+1), into the V third of dqkv. */
    @Kernel("running_mean_backward")
    public static void backward(@ReadWrite float[] dqkv, int dqkvOff,   // (B, T, 3C)
                                @Read float[] dout, int doutOff,        // (B, T, C)
                                int T, int C, @Index int index) {
        int b = index / T;
        int s = index % T;
        for (int c = 0; c < C; c++) {
            float acc = 0f;
            for (int t = s; t < T; t++) {
                acc += dout[doutOff + (b * T + t) * C + c] / (t + 1);
            }
            dqkv[dqkvOff + index * 3 * C + 2 * C + c] += acc;
        }
    }
}
