package leviathan.model;

/**
 * One trainable tensor: its checkpoint name (SPEC 4), in-memory shape, whether AdamW decays it
 * (matrices and embeddings do, biases and LayerNorm don't) and how it is initialised.
 * {@code transposedOnDisk}: matmul weights live as (out, in) in memory (llm.c) and are stored
 * [in, out] in checkpoints (Hugging Face Conv1D).
 */
public final class ParamSpec {
    public enum Init { NORMAL, ZEROS, ONES, CUSTOM }

    /** Fills a freshly allocated tensor for {@link Init#CUSTOM}. */
    @FunctionalInterface
    public interface Initialiser {
        void fill(float[] data, int offset, int length, Rng rng);
    }

    public final String name;
    public final int[] shape;
    public final boolean decay;
    public final Init init;
    public final float std;
    public final boolean transposedOnDisk;
    public final boolean trainable;
    public final Initialiser custom;

    private ParamSpec(String name, int[] shape, boolean decay, Init init, float std, boolean transposedOnDisk,
                      boolean trainable, Initialiser custom) {
        this.name = name;
        this.shape = shape.clone();
        this.decay = decay;
        this.init = init;
        this.std = std;
        this.transposedOnDisk = transposedOnDisk;
        this.trainable = trainable;
        this.custom = custom;
    }

    /** A matmul weight (out, in) ~ N(0, std), decayed, stored [in, out]. */
    public static ParamSpec weight(String name, int out, int in, float std) {
        return new ParamSpec(name, new int[] {out, in}, true, Init.NORMAL, std, true, true, null);
    }

    /** An embedding table ~ N(0, std), decayed, stored as it is. */
    public static ParamSpec embedding(String name, int rows, int cols, float std) {
        return new ParamSpec(name, new int[] {rows, cols}, true, Init.NORMAL, std, false, true, null);
    }

    public static ParamSpec bias(String name, int n) {
        return new ParamSpec(name, new int[] {n}, false, Init.ZEROS, 0f, false, true, null);
    }

    public static ParamSpec ones(String name, int n) {
        return new ParamSpec(name, new int[] {n}, false, Init.ONES, 0f, false, true, null);
    }

    /** A tensor with its own initialiser (e.g. Leviathan's lag weights), decayed or not. */
    public static ParamSpec custom(String name, int[] shape, boolean decay, Initialiser init) {
        return new ParamSpec(name, shape, decay, Init.CUSTOM, 0f, false, true, init);
    }

    /** A saved but untrained tensor (e.g. the Performer's current random features). */
    public static ParamSpec buffer(String name, int[] shape, Initialiser init) {
        return new ParamSpec(name, shape, false, Init.CUSTOM, 0f, false, false, init);
    }

    public int size() {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Shape as stored in checkpoints. */
    public int[] diskShape() {
        return transposedOnDisk ? new int[] {shape[1], shape[0]} : shape.clone();
    }
}
