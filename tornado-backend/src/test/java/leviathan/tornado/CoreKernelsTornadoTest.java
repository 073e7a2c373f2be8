package leviathan.tornado;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import leviathan.compute.CoreKernels;
import leviathan.graph.Backend;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.IntSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.StepScalars;
import leviathan.model.Rng;
import leviathan.stages.CoreStages;

/** Every core kernel on the TornadoVM device equals the JVM backend within 1e-5 (relative to the output's largest magnitude). */
class CoreKernelsTornadoTest {
    static final double TOL = 1e-5;

    @BeforeAll
    static void tornadoPresent() {
        TornadoTestSupport.assumeTornado();
    }

    private final Rng rng = new Rng(11);

    private FloatSlice rnd(String name, int... shape) {
        FloatSlice s = FloatSlice.of(name, shape);
        for (int i = 0; i < s.length; i++) {
            s.array[i] = (float) rng.nextGaussian();
        }
        return s;
    }

    private FloatSlice pos(String name, int... shape) {
        FloatSlice s = FloatSlice.of(name, shape);
        for (int i = 0; i < s.length; i++) {
            s.array[i] = 0.5f + (float) Math.abs(rng.nextGaussian());
        }
        return s;
    }

    private IntSlice ints(String name, int n, int bound) {
        IntSlice s = IntSlice.of(name, n);
        for (int i = 0; i < n; i++) {
            s.array[i] = rng.nextInt(bound);
        }
        return s;
    }

    /** One graph with a stage of every core kernel, each on its own buffers. */
    private Graph allKernels() {
        int B = 2, T = 16, C = 32, H = 4, V = 29, BT = B * T, OC = 48;
        Graph g = new Graph("kernels");
        g.add(CoreStages.encoderForward("encoder_forward", FloatSlice.of("o", B, T, C), ints("tok", BT, V), rnd("wte", V, C), rnd("wpe", T, C), B, T, C, V, T));
        g.add(CoreStages.encoderBackwardTokens("encoder_backward_tokens", rnd("dwte", V, C), rnd("dout", BT, C), ints("tok", BT, V), BT, C, V));
        g.add(CoreStages.encoderBackwardPositions("encoder_backward_positions", rnd("dwpe", T, C), rnd("dout", BT, C), B, T, C, T));
        g.add(CoreStages.layerNormForward("layernorm_forward", FloatSlice.of("o", BT, C), FloatSlice.of("m", BT), FloatSlice.of("r", BT),
                rnd("x", BT, C), rnd("w", C), rnd("b", C), BT, C));
        g.add(CoreStages.layerNormBackwardInput("layernorm_backward_input", rnd("dx", BT, C), rnd("dy", BT, C), rnd("x", BT, C), rnd("w", C),
                rnd("m", BT), pos("r", BT), BT, C));
        g.add(CoreStages.layerNormBackwardParams("layernorm_backward_params", rnd("dw", C), rnd("db", C), rnd("dy", BT, C), rnd("x", BT, C),
                rnd("m", BT), pos("r", BT), BT, C));
        g.add(CoreStages.matmulForward("matmul_forward", FloatSlice.of("o", BT, OC), rnd("x", BT, C), rnd("w", OC, C), rnd("b", OC), BT, C, OC));
        g.add(CoreStages.matmulForward("matmul_forward_nobias", FloatSlice.of("o", BT, OC), rnd("x", BT, C), rnd("w", OC, C), null, BT, C, OC));
        g.add(CoreStages.matmulBackwardInput("matmul_backward_input", rnd("dx", BT, C), rnd("dy", BT, OC), rnd("w", OC, C), BT, C, OC));
        g.add(CoreStages.matmulBackwardWeight("matmul_backward_weight", rnd("dw", OC, C), rnd("dy", BT, OC), rnd("x", BT, C), BT, C, OC));
        g.add(CoreStages.matmulBackwardBias("matmul_backward_bias", rnd("db", OC), rnd("dy", BT, OC), BT, OC));
        g.add(CoreStages.geluForward("gelu_forward", FloatSlice.of("o", BT * C), rnd("x", BT * C), BT * C));
        g.add(CoreStages.geluBackward("gelu_backward", rnd("dx", BT * C), rnd("x", BT * C), rnd("dy", BT * C), BT * C));
        g.add(CoreStages.geluBackward("gelu_backward_first", rnd("dx", BT * C), rnd("x", BT * C), rnd("dy", BT * C), BT * C, false));
        g.add(CoreStages.residualForward("residual_forward", FloatSlice.of("o", BT * C), rnd("a", BT * C), rnd("b", BT * C), BT * C));
        g.add(CoreStages.residualBackward("residual_backward", rnd("da", BT * C), rnd("db", BT * C), rnd("dy", BT * C), BT * C));
        g.add(CoreStages.residualBackward("residual_backward_first", rnd("da", BT * C), rnd("db", BT * C), rnd("dy", BT * C), BT * C, false));
        g.add(CoreStages.crossEntropyForward("crossentropy_forward", FloatSlice.of("l", BT), FloatSlice.of("p", BT, V), rnd("z", BT, V),
                ints("tgt", BT, V), BT, V));
        FloatSlice probs = pos("p", BT, V);
        g.add(CoreStages.crossEntropyBackward("crossentropy_backward", rnd("dz", BT, V), probs, ints("tgt", BT, V), BT, V));
        g.add(CoreStages.meanLoss("mean_loss", FloatSlice.of("loss", 1), pos("l", BT), BT));
        g.add(CoreStages.attentionForward("attention_forward", FloatSlice.of("o", B, T, C), FloatSlice.of("pre", B, H, T, T),
                FloatSlice.of("att", B, H, T, T), rnd("qkv", B, T, 3 * C), B, T, C, H));
        FloatSlice att = FloatSlice.of("att", B, H, T, T);
        for (int row = 0; row < B * H * T; row++) { // a valid causal softmax row
            int t = row % T;
            for (int j = 0; j <= t; j++) {
                att.array[row * T + j] = 1f / (t + 1);
            }
        }
        g.add(CoreStages.attentionBackwardQuery("attention_backward_query", rnd("dqkv", B, T, 3 * C), FloatSlice.of("dpre", B, H, T, T),
                rnd("dy", B, T, C), rnd("qkv", B, T, 3 * C), att, B, T, C, H));
        FloatSlice dpre = rnd("dpre", B, H, T, T);
        g.add(CoreStages.attentionBackwardKeyValue("attention_backward_key_value", rnd("dqkv", B, T, 3 * C), dpre, rnd("dy", B, T, C),
                rnd("qkv", B, T, 3 * C), att, B, T, C, H));
        int P = 5000;
        FloatSlice scalars = FloatSlice.of("scalars", StepScalars.SIZE);
        scalars.array[StepScalars.LEARNING_RATE] = 1e-3f;
        scalars.array[StepScalars.BETA1] = 0.9f;
        scalars.array[StepScalars.BETA2] = 0.99f;
        scalars.array[StepScalars.EPS] = 1e-8f;
        scalars.array[StepScalars.BIAS_CORRECTION1] = 0.1f;
        scalars.array[StepScalars.BIAS_CORRECTION2] = 0.01f;
        scalars.array[StepScalars.GRAD_SCALE] = 0.7f;
        g.add(CoreStages.adamw("adamw_update", rnd("p", P), rnd("g", P), rnd("m", P), pos("v", P), scalars, 0.1f));
        FloatSlice grads = rnd("g", 3 * CoreStages.GRADNORM_BLOCK + 17);
        g.add(CoreStages.gradNormPartial("gradnorm_partial", FloatSlice.of("partials", CoreStages.gradNormBlocks(grads.length)), grads));
        FloatSlice scalars2 = FloatSlice.of("scalars2", StepScalars.SIZE);
        g.add(CoreStages.gradNormClip("gradnorm_clip", scalars2, pos("partials", 7), 1.0f));
        g.add(CoreStages.fill("fill", rnd("buf", 1000), 0.25f));
        return g;
    }

    private static List<Object> arraysOf(Stage s) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < s.argCount(); i++) {
            Object a = s.arg(i);
            if (a instanceof FloatSlice) {
                out.add(((FloatSlice) a).array);
            } else if (a instanceof IntSlice) {
                out.add(((IntSlice) a).array);
            }
        }
        return out;
    }

    private static Object copy(Object a) {
        return a instanceof float[] ? ((float[]) a).clone() : ((int[]) a).clone();
    }

    private static void restore(Object dst, Object src) {
        System.arraycopy(src, 0, dst, 0, java.lang.reflect.Array.getLength(src));
    }

    @Test
    void everyCoreKernelMatchesTheJvmBackend() throws Exception {
        Graph g = allKernels();
        for (java.lang.reflect.Field f : CoreKernels.class.getFields()) {
            if (f.getType() == Kernel.class) {
                Kernel k = (Kernel) f.get(null);
                assertTrue(g.stages().stream().anyMatch(s -> s.kernel == k), "no test stage for kernel " + k.name);
            }
        }
        assertSameAsJvm(g);
    }

    /** Both TornadoVM variants (register-blocked, plain) of the three matmul stages, on blockable and odd shapes. */
    @Test
    void matmulVariantsMatchTheJvmBackend() throws Exception {
        for (String variant : new String[] {"blocked", "plain"}) {
            System.setProperty("leviathan.tornado.matmul", variant);
            try {
                Graph g = new Graph("matmul_" + variant);
                g.add(CoreStages.matmulForward("blockable", FloatSlice.of("o", 64, 48), rnd("x", 64, 32), rnd("w", 48, 32), rnd("b", 48), 64, 32, 48));
                g.add(CoreStages.matmulForward("blockable_nobias", FloatSlice.of("o", 8, 12), rnd("x", 8, 16), rnd("w", 12, 16), null, 8, 16, 12));
                g.add(CoreStages.matmulForward("odd", FloatSlice.of("o", 30, 65), rnd("x", 30, 36), rnd("w", 65, 36), rnd("b", 65), 30, 36, 65));
                g.add(CoreStages.matmulBackwardInput("backward_input", rnd("dx", 24, 20), rnd("dy", 24, 36), rnd("w", 36, 20), 24, 20, 36));
                g.add(CoreStages.matmulBackwardInput("backward_input_odd", rnd("dx", 30, 36), rnd("dy", 30, 65), rnd("w", 65, 36), 30, 36, 65));
                // As a gradient's first writer (overwriting what was there): see GradientZeroing.
                g.add(CoreStages.matmulBackwardInput("backward_input_first", rnd("dx", 24, 20), rnd("dy", 24, 36), rnd("w", 36, 20), 24, 20, 36, false));
                g.add(CoreStages.matmulBackwardInput("backward_input_first_odd", rnd("dx", 30, 36), rnd("dy", 30, 65), rnd("w", 65, 36), 30, 36, 65,
                        false));
                g.add(CoreStages.matmulBackwardWeight("backward_weight", rnd("dw", 36, 20), rnd("dy", 24, 36), rnd("x", 24, 20), 24, 20, 36));
                g.add(CoreStages.matmulBackwardWeight("backward_weight_odd", rnd("dw", 65, 36), rnd("dy", 30, 65), rnd("x", 30, 36), 30, 36, 65));
                System.out.println("matmul variant " + variant + ":");
                assertSameAsJvm(g);
            } finally {
                System.clearProperty("leviathan.tornado.matmul");
            }
        }
    }

    /** Runs the graph on both backends from the same inputs; every float buffer agrees within TOL. */
    static void assertSameAsJvm(Graph g) {        Map<Object, Object> initial = new IdentityHashMap<>();
        for (Stage s : g.stages()) {
            for (Object a : arraysOf(s)) {
                initial.put(a, copy(a));
            }
        }
        Map<Object, Object> expected = new IdentityHashMap<>();
        try (Backend jvm = TornadoTestSupport.jvm()) {
            jvm.compile(g).run();
        }
        for (Object a : initial.keySet()) {
            expected.put(a, copy(a));
            restore(a, initial.get(a));
        }
        try (Backend tornado = TornadoTestSupport.tornado()) {
            tornado.compile(g).run();
            tornado.syncToHost(initial.keySet().toArray());
        }
        Map<String, Double> errors = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (Stage s : g.stages()) {
            double worst = 0;
            for (Object a : arraysOf(s)) {
                if (!(a instanceof float[])) {
                    continue;
                }
                float[] got = (float[]) a, want = (float[]) expected.get(a);
                double maxAbs = 1e-30, maxDiff = 0;
                for (int i = 0; i < want.length; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
                    if (Float.isNaN(got[i]) != Float.isNaN(want[i])) {
                        maxDiff = Double.POSITIVE_INFINITY;
                    } else if (!Float.isNaN(want[i])) {
                        maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
                    }
                }
                worst = Math.max(worst, maxDiff / maxAbs);
            }
            errors.put(s.name, worst);
            if (!(worst <= TOL)) {
                failures.add(s.name + ": relative error " + worst);
            }
        }
        errors.forEach((k, v) -> System.out.printf("  %-32s max relative difference %.2e%n", k, v));
        assertTrue(failures.isEmpty(), "TornadoVM differs from the JVM backend: " + failures);
    }
}
