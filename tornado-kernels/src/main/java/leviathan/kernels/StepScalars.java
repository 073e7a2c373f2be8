package leviathan.kernels;

/** Slots of the per-step scalars buffer read by {@link AdamW} and written by {@link GradNorm}. */
public final class StepScalars {
    private StepScalars() {}

    public static final int LEARNING_RATE = 0;
    public static final int BETA1 = 1;
    public static final int BETA2 = 2;
    public static final int EPS = 3;
    /** 1 − β1^t. */
    public static final int BIAS_CORRECTION1 = 4;
    /** 1 − β2^t. */
    public static final int BIAS_CORRECTION2 = 5;
    /** Written by {@link GradNorm#clipScale}: min(1, maxNorm / norm). */
    public static final int GRAD_SCALE = 6;
    /** Written by {@link GradNorm#clipScale}: the global gradient norm before clipping. */
    public static final int GRAD_NORM = 7;
    public static final int SIZE = 8;
}
