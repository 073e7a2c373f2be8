package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/** Token + position embedding: {@code x0 = wte[token] + wpe[position]} (SPEC 1). */
public final class Encoder {
    private Encoder() {}

    /** One call per position {@code bt} of the batch (row-major B×T). */
    @Kernel("encoder_forward")
    public static void forward(@Write float[] out, int outOff,       // (B*T, C)
                               @Read int[] tokens, int tokOff,      // (B*T)
                               @Read float[] wte, int wteOff,       // (V, C)
                               @Read float[] wpe, int wpeOff,       // (Tmax, C)
                               int T, int C, @Index int bt) {
        int t = bt % T;
        int o = outOff + bt * C;
        int e = wteOff + tokens[tokOff + bt] * C;
        int p = wpeOff + t * C;
        for (int c = 0; c < C; c++) {
            out[o + c] = wte[e + c] + wpe[p + c];
        }
    }

    /** dwte[v,:] += Σ over positions holding token v of dout[bt,:]. One call per vocabulary row v. */
    @Kernel("encoder_backward_tokens")
    public static void backwardTokens(@ReadWrite float[] dwte, int dwteOff,   // (V, C)
                                      @Read float[] dout, int doutOff,   // (B*T, C)
                                      @Read int[] tokens, int tokOff,    // (B*T)
                                      int BT, int C, @Index int v) {
        int w = dwteOff + v * C;
        for (int bt = 0; bt < BT; bt++) {
            if (tokens[tokOff + bt] == v) {
                int d = doutOff + bt * C;
                for (int c = 0; c < C; c++) {
                    dwte[w + c] += dout[d + c];
                }
            }
        }
    }

    /** dwpe[t,:] += Σ_b dout[b,t,:]. One call per position t. */
    @Kernel("encoder_backward_positions")
    public static void backwardPositions(@ReadWrite float[] dwpe, int dwpeOff,   // (Tmax, C)
                                         @Read float[] dout, int doutOff,   // (B*T, C)
                                         int B, int T, int C, @Index int t) {
        int w = dwpeOff + t * C;
        for (int b = 0; b < B; b++) {
            int d = doutOff + (b * T + t) * C;
            for (int c = 0; c < C; c++) {
                dwpe[w + c] += dout[d + c];
            }
        }
    }
}
