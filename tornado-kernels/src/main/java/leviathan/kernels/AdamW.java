package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;

/**
 * AdamW (SPEC 3) over one element of the parameter block. Per-step values (learning rate, bias
 * corrections, the clipping scale computed on the device by {@link GradNorm}) are read from the
 * small {@code scalars} buffer laid out by {@link StepScalars}, so a device graph never needs
 * new scalar arguments between steps.
 */
public final class AdamW {
    private AdamW() {}

    /** Element i of the parameters, their gradients and both moments (four buffers of one shape) is updated. */
    @Kernel("adamw_update")
    public static void update(@ReadWrite float[] params, int pOff,         // (P)
                              @Read float[] grads, int gOff,          // (P)
                              @ReadWrite float[] m, int mOff,              // (P)
                              @ReadWrite float[] v, int vOff,              // (P)
                              @Read float[] scalars, int sOff,        // (StepScalars.SIZE)
                              float weightDecay, @Index int i) {
        float lr = scalars[sOff + StepScalars.LEARNING_RATE];
        float beta1 = scalars[sOff + StepScalars.BETA1];
        float beta2 = scalars[sOff + StepScalars.BETA2];
        float g = grads[gOff + i] * scalars[sOff + StepScalars.GRAD_SCALE];
        float mk = beta1 * m[mOff + i] + (1.0f - beta1) * g;
        float vk = beta2 * v[vOff + i] + (1.0f - beta2) * g * g;
        m[mOff + i] = mk;
        v[vOff + i] = vk;
        float mHat = mk / scalars[sOff + StepScalars.BIAS_CORRECTION1];
        float vHat = vk / scalars[sOff + StepScalars.BIAS_CORRECTION2];
        int k = pOff + i;
        params[k] -= lr * (mHat / ((float) Math.sqrt(vHat) + scalars[sOff + StepScalars.EPS]) + weightDecay * params[k]);
    }
}
