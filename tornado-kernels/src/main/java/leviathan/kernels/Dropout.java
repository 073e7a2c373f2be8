package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;

/**
 * Dropout with masks from a counter-based hash: whether element {@code i} of a dropout site is kept
 * at a training step depends only on (seed, site, step, i). There is no generator state to save, the
 * bits are the same on any thread count and on any device, a resumed run draws the masks it would
 * have drawn, and the backward pass recomputes the forward's mask instead of storing it.
 *
 * <p>Each site (the embedding sum, a block's mixer probabilities, a block's two residual branches)
 * has a key, {@link #siteKey}(seed, site), fixed when the graph is built; the rate and the step are
 * read at run time from a two-float buffer ({@link #RATE}, {@link #STEP}) that the trainer writes
 * before each step and the evaluator zeroes, so evaluation and sampling never drop.
 */
public final class Dropout {
    private Dropout() {}

    /** Slots of the dropout scalars buffer: the rate p, and the training step (as a float, exact below 2^24). */
    public static final int RATE = 0;
    public static final int STEP = 1;
    public static final int SIZE = 2;

    /**
     * Murmur3's 32-bit finaliser: every input bit reaches every output bit. The unsigned shifts are
     * written as a signed shift and a mask (the same bits in Java): TornadoVM 5.2's OpenCL code
     * generator emits {@code >>>} on an int as C's signed {@code >>}, which gave other masks on the device.
     */
    static int mix(int h) {
        h ^= (h >> 16) & 0xFFFF;
        h *= 0x85ebca6b;
        h ^= (h >> 13) & 0x7FFFF;
        h *= 0xc2b2ae35;
        h ^= (h >> 16) & 0xFFFF;
        return h;
    }

    /** The key of dropout site {@code site} under run seed {@code seed}. */
    public static int siteKey(long seed, int site) {
        return mix(mix((int) seed ^ (int) (seed >> 32) ^ 0x9E3779B9) ^ site);
    }

    /** 0 if element {@code i} drops at {@code step}, else 1/(1 − p); exactly 1 when p is 0. */
    public static float keepScale(int key, int step, int i, float p) {
        if (p <= 0f) {
            return 1f;
        }
        int h = mix(mix(key ^ step) ^ i);
        float u = ((h >> 8) & 0xFFFFFF) * 0x1p-24f; // uniform in [0, 1) from the top 24 bits (see mix)
        return u < p ? 0f : 1f / (1f - p);
    }

    /** The rate and step of a dropout scalars buffer. */
    public static float rate(float[] scalars, int scalarsOff) {
        return scalars[scalarsOff + RATE];
    }

    public static int step(float[] scalars, int scalarsOff) {
        return (int) scalars[scalarsOff + STEP];
    }

    /** x[i] ·= keepScale(i), in place: the forward pass of dropout on an activation. */
    @Kernel("dropout_forward")
    public static void forward(@ReadWrite float[] x, int xOff,               // (N)
                               @Read float[] scalars, int scalarsOff,       // (SIZE)
                               int key, @Index int i) {
        x[xOff + i] *= keepScale(key, step(scalars, scalarsOff), i, rate(scalars, scalarsOff));
    }

    /** dx[i] ·= keepScale(i), in place: the gradient through the same mask. */
    @Kernel("dropout_backward")
    public static void backward(@ReadWrite float[] dx, int dxOff,           // (N)
                                @Read float[] scalars, int scalarsOff,      // (SIZE)
                                int key, @Index int i) {
        dx[dxOff + i] *= keepScale(key, step(scalars, scalarsOff), i, rate(scalars, scalarsOff));
    }
}
