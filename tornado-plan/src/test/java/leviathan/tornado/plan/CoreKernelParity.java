package leviathan.tornado.plan;

import static leviathan.tornado.plan.DeviceParity.positive;
import static leviathan.tornado.plan.DeviceParity.random;
import static leviathan.tornado.plan.DeviceParity.randomInts;


import org.junit.jupiter.api.Test;

import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.kernels.StepScalars;
import leviathan.model.Rng;
import leviathan.stages.CoreStages;

/**
 * Every core kernel on a device equals the reference backend, each on its own buffers in one graph.
 * A device's test extends this with its backend and tolerance (the emulated device: exact; TornadoVM: 1e-5).
 */
public abstract class CoreKernelParity {
    /** The device under test, its reference and the tolerance. */
    protected abstract DeviceUnderTest target();

    @Test
    void everyCoreKernelMatchesTheReference() {
        DeviceParity.sameGraph(allCoreKernels(), target().reference(), target().device(), target().tolerance());
    }

    /** One graph with a stage of every core kernel, each on its own buffers. */
    public static Graph allCoreKernels() {
        int B = 2, T = 16, C = 32, H = 4, V = 29, BT = B * T, OC = 48;
        Rng rng = new Rng(11);
        Graph g = new Graph("kernels");
        g.add(CoreStages.encoderForward("encoder_forward", FloatSlice.of("o", B, T, C), randomInts(rng, "tok", BT, V), random(rng, "wte", V, C), random(rng, "wpe", T, C), B, T, C, V, T));
        g.add(CoreStages.encoderBackwardTokens("encoder_backward_tokens", random(rng, "dwte", V, C), random(rng, "dout", BT, C), randomInts(rng, "tok", BT, V), BT, C, V));
        g.add(CoreStages.encoderBackwardPositions("encoder_backward_positions", random(rng, "dwpe", T, C), random(rng, "dout", BT, C), B, T, C, T));
        g.add(CoreStages.layerNormForward("layernorm_forward", FloatSlice.of("o", BT, C), FloatSlice.of("m", BT), FloatSlice.of("r", BT),
                random(rng, "x", BT, C), random(rng, "w", C), random(rng, "b", C), BT, C));
        g.add(CoreStages.layerNormBackwardInput("layernorm_backward_input", random(rng, "dx", BT, C), random(rng, "dy", BT, C), random(rng, "x", BT, C), random(rng, "w", C),
                random(rng, "m", BT), positive(rng, "r", BT), BT, C));
        g.add(CoreStages.layerNormBackwardParams("layernorm_backward_params", random(rng, "dw", C), random(rng, "db", C), random(rng, "dy", BT, C), random(rng, "x", BT, C),
                random(rng, "m", BT), positive(rng, "r", BT), BT, C));
        g.add(CoreStages.matmulForward("matmul_forward", FloatSlice.of("o", BT, OC), random(rng, "x", BT, C), random(rng, "w", OC, C), random(rng, "b", OC), BT, C, OC));
        g.add(CoreStages.matmulForward("matmul_forward_nobias", FloatSlice.of("o", BT, OC), random(rng, "x", BT, C), random(rng, "w", OC, C), null, BT, C, OC));
        g.add(CoreStages.matmulBackwardInput("matmul_backward_input", random(rng, "dx", BT, C), random(rng, "dy", BT, OC), random(rng, "w", OC, C), BT, C, OC));
        g.add(CoreStages.matmulBackwardWeight("matmul_backward_weight", random(rng, "dw", OC, C), random(rng, "dy", BT, OC), random(rng, "x", BT, C), BT, C, OC));
        g.add(CoreStages.matmulBackwardBias("matmul_backward_bias", random(rng, "db", OC), random(rng, "dy", BT, OC), BT, OC));
        g.add(CoreStages.geluForward("gelu_forward", FloatSlice.of("o", BT * C), random(rng, "x", BT * C), BT * C));
        g.add(CoreStages.geluBackward("gelu_backward", random(rng, "dx", BT * C), random(rng, "x", BT * C), random(rng, "dy", BT * C), BT * C));
        g.add(CoreStages.geluBackward("gelu_backward_first", random(rng, "dx", BT * C), random(rng, "x", BT * C), random(rng, "dy", BT * C), BT * C, false));
        g.add(CoreStages.residualForward("residual_forward", FloatSlice.of("o", BT * C), random(rng, "a", BT * C), random(rng, "b", BT * C), BT * C));
        g.add(CoreStages.residualBackward("residual_backward", random(rng, "da", BT * C), random(rng, "db", BT * C), random(rng, "dy", BT * C), BT * C));
        g.add(CoreStages.residualBackward("residual_backward_first", random(rng, "da", BT * C), random(rng, "db", BT * C), random(rng, "dy", BT * C), BT * C, false));
        g.add(CoreStages.crossEntropyForward("crossentropy_forward", FloatSlice.of("l", BT), FloatSlice.of("p", BT, V), random(rng, "z", BT, V),
                randomInts(rng, "tgt", BT, V), BT, V));
        FloatSlice probs = positive(rng, "p", BT, V);
        g.add(CoreStages.crossEntropyBackward("crossentropy_backward", random(rng, "dz", BT, V), probs, randomInts(rng, "tgt", BT, V), BT, V));
        g.add(CoreStages.meanLoss("mean_loss", FloatSlice.of("loss", 1), positive(rng, "l", BT), BT));
        g.add(CoreStages.attentionForward("attention_forward", FloatSlice.of("o", B, T, C), FloatSlice.of("pre", B, H, T, T),
                FloatSlice.of("att", B, H, T, T), random(rng, "qkv", B, T, 3 * C), B, T, C, H));
        FloatSlice att = FloatSlice.of("att", B, H, T, T);
        for (int row = 0; row < B * H * T; row++) { // a valid causal softmax row
            int t = row % T;
            for (int j = 0; j <= t; j++) {
                att.array[row * T + j] = 1f / (t + 1);
            }
        }
        g.add(CoreStages.attentionBackwardQuery("attention_backward_query", random(rng, "dqkv", B, T, 3 * C), FloatSlice.of("dpre", B, H, T, T),
                random(rng, "dy", B, T, C), random(rng, "qkv", B, T, 3 * C), att, B, T, C, H));
        FloatSlice dpre = random(rng, "dpre", B, H, T, T);
        g.add(CoreStages.attentionBackwardKeyValue("attention_backward_key_value", random(rng, "dqkv", B, T, 3 * C), dpre, random(rng, "dy", B, T, C),
                random(rng, "qkv", B, T, 3 * C), att, B, T, C, H));
        int P = 5000;
        FloatSlice scalars = FloatSlice.of("scalars", StepScalars.SIZE);
        scalars.array[StepScalars.LEARNING_RATE] = 1e-3f;
        scalars.array[StepScalars.BETA1] = 0.9f;
        scalars.array[StepScalars.BETA2] = 0.99f;
        scalars.array[StepScalars.EPS] = 1e-8f;
        scalars.array[StepScalars.BIAS_CORRECTION1] = 0.1f;
        scalars.array[StepScalars.BIAS_CORRECTION2] = 0.01f;
        scalars.array[StepScalars.GRAD_SCALE] = 0.7f;
        g.add(CoreStages.adamw("adamw_update", random(rng, "p", P), random(rng, "g", P), random(rng, "m", P), positive(rng, "v", P), scalars, 0.1f));
        FloatSlice grads = random(rng, "g", 3 * CoreStages.GRADNORM_BLOCK + 17);
        g.add(CoreStages.gradNormPartial("gradnorm_partial", FloatSlice.of("partials", CoreStages.gradNormBlocks(grads.length)), grads));
        FloatSlice scalars2 = FloatSlice.of("scalars2", StepScalars.SIZE);
        g.add(CoreStages.gradNormClip("gradnorm_clip", scalars2, positive(rng, "partials", 7), 1.0f));
        g.add(CoreStages.fill("fill", random(rng, "buf", 1000), 0.25f));
        return g;
    }

}
