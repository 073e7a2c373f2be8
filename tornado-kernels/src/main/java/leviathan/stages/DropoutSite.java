package leviathan.stages;

import leviathan.graph.FloatSlice;
import leviathan.kernels.Dropout;

/**
 * Where a stage drops out: the workspace's dropout scalars (rate and step, written by the trainer
 * before each step) and the site's key ({@link Dropout#siteKey}). {@link #NONE} never drops: a
 * zero rate for stages outside training (evaluation, sampling, tests of the plain math).
 */
public record DropoutSite(FloatSlice scalars, int key) {
    /** A rate of 0: every keep scale is exactly 1, the stage computes what it computes without dropout. */
    public static final DropoutSite NONE = new DropoutSite(FloatSlice.of("no_dropout", Dropout.SIZE), 0);

    public DropoutSite {
        if (scalars.length != Dropout.SIZE) {
            throw new IllegalArgumentException("dropout scalars " + scalars.name + " must hold " + Dropout.SIZE + " floats, got " + scalars.length);
        }
    }
}
