package leviathan.trainer;

import java.util.Arrays;

import leviathan.graph.IntSlice;
import leviathan.model.Rng;

/** Token ids of a corpus split 90/10 (nanoGPT's split) and batches of random windows from a seeded generator. */
public final class Dataset {
    public final int[] train;
    public final int[] val;

    public Dataset(int[] tokens) {
        int n = (int) (tokens.length * 0.9);
        this.train = Arrays.copyOfRange(tokens, 0, n);
        this.val = Arrays.copyOfRange(tokens, n, tokens.length);
    }

    /** Both splits must hold at least one window of T+1 tokens. */
    public void requireWindows(int T) {
        if (train.length < T + 1 || val.length < T + 1) {
            throw new IllegalArgumentException("the data is too short for context " + T + ": the train split has " + train.length
                    + " and the validation split " + val.length + " tokens, each needs at least " + (T + 1));
        }
    }

    public int[] split(String name) {
        switch (name) {
            case "train": return train;
            case "val": return val;
            default: throw new IllegalArgumentException("unknown split '" + name + "' (train or val)");
        }
    }

    /** Fills B windows of T inputs and their next-token targets, window starts drawn from rng. */
    public static void sampleBatch(int[] data, int B, int T, Rng rng, IntSlice tokens, IntSlice targets) {
        int starts = data.length - T;
        for (int b = 0; b < B; b++) {
            int s = rng.nextInt(starts);
            System.arraycopy(data, s, tokens.array, tokens.offset + b * T, T);
            System.arraycopy(data, s + 1, targets.array, targets.offset + b * T, T);
        }
    }
}
