package leviathan.kernels;

/**
 * AdamW (SPEC 3) over one element of the parameter block. Per-step values (learning rate, bias
 * corrections, the clipping scale computed on the device by {@link GradNorm}) are read from the
 * small {@code scalars} buffer laid out by {@link StepScalars}, so a device graph never needs
 * new scalar arguments between steps.
 */
public final class AdamW {
    private AdamW() {}

    /** Parameters, gradients and both moments share one layout; element off+i is updated. */
    public static void update(float[] params, float[] grads, float[] m, float[] v,   // (P) each
                              int off,
                              float[] scalars,                                         // (StepScalars.SIZE)
                              float weightDecay, int i) {
        int k = off + i;
        float lr = scalars[StepScalars.LEARNING_RATE];
        float beta1 = scalars[StepScalars.BETA1];
        float beta2 = scalars[StepScalars.BETA2];
        float g = grads[k] * scalars[StepScalars.GRAD_SCALE];
        float mk = beta1 * m[k] + (1.0f - beta1) * g;
        float vk = beta2 * v[k] + (1.0f - beta2) * g * g;
        m[k] = mk;
        v[k] = vk;
        float mHat = mk / scalars[StepScalars.BIAS_CORRECTION1];
        float vHat = vk / scalars[StepScalars.BIAS_CORRECTION2];
        params[k] -= lr * (mHat / ((float) Math.sqrt(vHat) + scalars[StepScalars.EPS]) + weightDecay * params[k]);
    }
}
