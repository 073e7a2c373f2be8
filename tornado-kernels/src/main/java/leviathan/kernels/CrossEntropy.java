package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * Fused softmax + cross-entropy over the vocabulary, numerically stable (max subtracted), natural
 * log; the loss is the mean over the B·T positions (SPEC 1).
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** One call per position: probs[row,:] = softmax(logits[row,:]), losses[row] = −log probs[row, target]. */
    @Kernel("crossentropy_forward")
    public static void forward(@Write float[] losses, int lossOff,     // (BT)
                               @Write float[] probs, int probsOff,     // (BT, V)
                               @Read float[] logits, int logitsOff,   // (BT, V)
                               @Read int[] targets, int tgtOff,       // (BT)
                               int V, @Index int row) {
        int z = logitsOff + row * V;
        int p = probsOff + row * V;
        float max = logits[z];
        for (int v = 1; v < V; v++) {
            max = Math.max(max, logits[z + v]);
        }
        float sum = 0f;
        for (int v = 0; v < V; v++) {
            float e = (float) Math.exp(logits[z + v] - max);
            probs[p + v] = e;
            sum += e;
        }
        float inv = 1.0f / sum;
        for (int v = 0; v < V; v++) {
            probs[p + v] = probs[p + v] * inv;
        }
        // log-sum-exp minus the target logit: exact even where the target's probability underflows.
        losses[lossOff + row] = (float) Math.log(sum) + max - logits[z + targets[tgtOff + row]];
    }

    /** dlogits[row,:] += (probs[row,:] − onehot(target)) / BT: the gradient of the mean loss. */
    @Kernel("crossentropy_backward")
    public static void backward(@ReadWrite float[] dlogits, int dlogitsOff,   // (BT, V)
                                @Read float[] probs, int probsOff,       // (BT, V)
                                @Read int[] targets, int tgtOff,         // (BT)
                                int BT, int V, @Index int row) {
        float scale = 1.0f / BT;
        int target = targets[tgtOff + row];
        int g = dlogitsOff + row * V;
        int p = probsOff + row * V;
        for (int v = 0; v < V; v++) {
            float indicator = v == target ? 1.0f : 0.0f;
            dlogits[g + v] += (probs[p + v] - indicator) * scale;
        }
    }

    /** Extent 1 (index 0): out[0] = mean of losses[0..n), summed in a fixed order so it is deterministic. */
    @Kernel("mean_loss")
    public static void mean(@Write float[] out, int outOff,        // (1)
                            @Read float[] losses, int lossOff,    // (n)
                            int n, @Index int index) {
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            sum += losses[lossOff + i];
        }
        out[outOff] = (float) (sum / n);
    }
}
