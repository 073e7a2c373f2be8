package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * Global gradient norm and clipping by norm (SPEC 3), in two deterministic passes: fixed blocks of
 * squares, then one call that sums the blocks in order and writes the clipping scale.
 */
public final class GradNorm {
    private GradNorm() {}

    /** partials[block] = Σ grads[i]² over elements block·blockSize … min(n, (block+1)·blockSize) − 1. */
    @Kernel("gradnorm_partial")
    public static void partialSquares(@Write float[] partials, int partOff,   // (nBlocks)
                                      @Read float[] grads, int gradOff,      // (n)
                                      int n, int blockSize, @Index int block) {
        int start = block * blockSize;
        int end = Math.min(n, start + blockSize);
        double acc = 0.0;
        for (int i = start; i < end; i++) {
            float g = grads[gradOff + i];
            acc += g * g;
        }
        partials[partOff + block] = (float) acc;
    }

    /** Extent 1 (index 0): norm = sqrt(Σ partials); scale = maxNorm / norm when norm exceeds maxNorm, else 1. */
    @Kernel("gradnorm_clip")
    public static void clipScale(@ReadWrite float[] scalars, int sOff,        // (StepScalars.SIZE)
                                 @Read float[] partials, int partOff,    // (nBlocks)
                                 int nBlocks, float maxNorm, @Index int index) {
        double sum = 0.0;
        for (int b = 0; b < nBlocks; b++) {
            sum += partials[partOff + b];
        }
        float norm = (float) Math.sqrt(sum);
        scalars[sOff + StepScalars.GRAD_NORM] = norm;
        scalars[sOff + StepScalars.GRAD_SCALE] = norm > maxNorm ? maxNorm / (norm + 1e-6f) : 1.0f;
    }
}
