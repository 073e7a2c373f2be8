package leviathan.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import leviathan.graph.Backend;
import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.IntSlice;
import leviathan.graph.Stage;
import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;
import leviathan.model.Workspace;
import leviathan.trainer.TrainConfig;
import leviathan.trainer.TrainingStep;

/**
 * A device backend against a reference backend (the JVM's), on the same inputs: whole graphs
 * compared buffer by buffer, one forward + loss + backward of a model compared over every activation
 * and gradient, and training losses step by step. Shared by the emulated device (exact, in the
 * default build) and the real TornadoVM device (within a tolerance, in tornado-backend).
 */
public final class DeviceParity {
    private DeviceParity() {}

    /** max |got − want| / max |want| (NaN anywhere gives NaN, which fails every bound). */
    public static double maxRelative(float[] got, float[] want) {
        double diff = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) got[i] - want[i]);
            if (Double.isNaN(d) && !(Float.isNaN(got[i]) && Float.isNaN(want[i]))) {
                return Double.NaN;
            }
            if (!Double.isNaN(d)) {
                diff = Math.max(diff, d);
            }
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    /** Runs the graph on both backends from the same inputs; every float buffer of every stage agrees within {@code tol}. */
    public static void sameGraph(Graph g, Supplier<Backend> reference, Supplier<Backend> device, double tol) {
        Map<Object, Object> initial = new IdentityHashMap<>();
        for (Stage s : g.stages()) {
            for (Object a : arraysOf(s)) {
                initial.put(a, Coherence.copyOf(a));
            }
        }
        Map<Object, Object> expected = new IdentityHashMap<>();
        try (Backend ref = reference.get()) {
            ref.compile(g).run();
        }
        for (Object a : initial.keySet()) {
            expected.put(a, Coherence.copyOf(a));
            System.arraycopy(initial.get(a), 0, a, 0, java.lang.reflect.Array.getLength(a));
        }
        try (Backend dev = device.get()) {
            dev.compile(g).run();
            dev.syncToHost(initial.keySet().toArray());
        }
        Map<String, Double> errors = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (Stage s : g.stages()) {
            double worst = 0;
            for (Object a : arraysOf(s)) {
                if (a instanceof float[] got) {
                    worst = Math.max(worst, maxRelative(got, (float[]) expected.get(a)));
                } else if (!java.util.Arrays.equals((int[]) a, (int[]) expected.get(a))) {
                    worst = Double.POSITIVE_INFINITY;
                }
            }
            errors.put(s.name, worst);
            if (!(worst <= tol)) {
                failures.add(s.name + " (kernel " + s.kernel.name + "): relative error " + worst);
            }
        }
        errors.forEach((k, v) -> System.out.printf("  %-34s max relative difference %.2e%n", k, v));
        assertTrue(failures.isEmpty(), "the device differs from the reference: " + failures);
    }

    private static List<Object> arraysOf(Stage s) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < s.argCount(); i++) {
            Object a = PlanLayout.arrayOf(s.arg(i));
            if (a != null) {
                out.add(a);
            }
        }
        return out;
    }

    /** Activations, gradients and loss after one forward + loss + backward. */
    public record Step(float[] acts, float[] grads, float loss, BlockLayout actsLayout) {}

    /**
     * One forward + loss + backward of {@code mc} on batch B×T; every trainable tensor is moved by
     * N(0, 0.1) first, so that e.g. Leviathan's lag weights are not the identity.
     */
    public static Step step(ModelConfig mc, int B, int T, Backend backend) {
        return step(mc, B, T, 0f, backend);
    }

    /** The same with dropout at {@code rate} (step 3's masks), through a training workspace's dropout stages. */
    public static Step step(ModelConfig mc, int B, int T, float rate, Backend backend) {
        Gpt model = new Gpt(mc);
        model.initialise(1337);
        Rng noise = new Rng(4242);
        float[] p = model.params.array();
        for (ParamSpec s : model.specs()) {
            if (s.trainable) {
                int off = model.layout.offsetOf(s.name);
                for (int i = 0; i < s.size(); i++) {
                    p[off + i] += (float) (noise.nextGaussian() * 0.1);
                }
            }
        }
        Workspace ws = rate > 0 ? model.trainingWorkspace(B, T, 1337) : model.workspace(B, T, true);
        ws.setDropout(rate, 3);
        Rng rng = new Rng(99);
        for (int i = 0; i < ws.tokens.length; i++) {
            ws.tokens.set(i, rng.nextInt(mc.vocabSize));
            ws.targets.set(i, rng.nextInt(mc.vocabSize));
        }
        Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
        Backend.CompiledGraph loss = backend.compile(ws.lossGraph);
        Backend.CompiledGraph backward = backend.compile(ws.backwardGraph);
        backend.syncToDevice(model.params.array(), ws.tokens.array, ws.targets.array, ws.dropoutScalars.array);
        logits.run();
        loss.run();
        backward.run();
        backend.syncToHost(ws.acts.array(), model.grads.array(), ws.loss.array);
        return new Step(ws.acts.array().clone(), model.grads.array().clone(), ws.loss.get(0), ws.acts.layout());
    }

    /** One step of {@code mc} on both backends agrees within {@code tol} in loss, activations and gradients. */
    public static void sameStep(ModelConfig mc, int B, int T, float dropout, Supplier<Backend> reference, Supplier<Backend> device,
                                double tol) {
        String what = mc.mixer + (mc.mixerOptions.isEmpty() ? "" : " " + mc.mixerOptions) + (dropout > 0 ? " dropout " + dropout : "");
        Step want, got;
        try (Backend ref = reference.get()) {
            want = step(mc, B, T, dropout, ref);
        }
        try (Backend dev = device.get()) {
            got = step(mc, B, T, dropout, dev);
        }
        double loss = Math.abs(got.loss - want.loss) / Math.abs(want.loss);
        double acts = maxRelative(got.acts, want.acts);
        double grads = maxRelative(got.grads, want.grads);
        System.out.printf("%s: loss %.6f vs %.6f (relative %.2e), activations %.2e, gradients %.2e%n", what, got.loss, want.loss, loss,
                acts, grads);
        assertEquals(want.acts.length, got.acts.length);
        assertTrue(Float.isFinite(want.loss), what + ": the reference loss is not finite");
        double gradMax = 0;
        for (float g : want.grads) {
            gradMax = Math.max(gradMax, Math.abs(g));
        }
        assertTrue(gradMax > 0, what + ": the reference gradients are all zero");
        assertTrue(loss <= tol, what + ": device loss " + got.loss + " vs " + want.loss + " (relative " + loss + ")");
        assertTrue(acts <= tol, what + ": activations differ by " + acts + " of their largest magnitude");
        assertTrue(grads <= tol, what + ": gradients differ by " + grads + " of their largest magnitude");
    }

    /** Losses of {@code steps} training steps ({@link TrainingStep}, as the trainer runs them) on a learnable toy language. */
    public static List<Float> train(ModelConfig mc, int batch, Backend backend, int steps) {
        return train(mc, batch, 0f, backend, steps);
    }

    public static List<Float> train(ModelConfig mc, int batch, float dropout, Backend backend, int steps) {
        TrainConfig tc = new TrainConfig();
        tc.batchSize = batch;
        tc.dropout = dropout;
        Gpt model = new Gpt(mc);
        model.initialise(tc.seed);
        Rng rng = new Rng(42);
        TrainingStep step = new TrainingStep(model, tc, backend, (B, T, tokens, targets) -> {
            for (int i = 0; i < tokens.length; i++) { // next token = (token * 7 + 3) mod V, with noise
                int t = rng.nextInt(mc.vocabSize);
                tokens.set(i, t);
                targets.set(i, rng.nextInt(4) == 0 ? rng.nextInt(mc.vocabSize) : (t * 7 + 3) % mc.vocabSize);
            }
        });
        List<Float> losses = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            losses.add(step.run(i));
        }
        return losses;
    }

    /** A random buffer. */
    public static FloatSlice random(Rng rng, String name, int... shape) {
        FloatSlice s = FloatSlice.of(name, shape);
        for (int i = 0; i < s.length; i++) {
            s.array[i] = (float) rng.nextGaussian();
        }
        return s;
    }

    /** A random buffer of values in [0.5, ∞): standard deviations, probabilities to be. */
    public static FloatSlice positive(Rng rng, String name, int... shape) {
        FloatSlice s = FloatSlice.of(name, shape);
        for (int i = 0; i < s.length; i++) {
            s.array[i] = 0.5f + (float) Math.abs(rng.nextGaussian());
        }
        return s;
    }

    public static IntSlice randomInts(Rng rng, String name, int n, int bound) {
        IntSlice s = IntSlice.of(name, n);
        for (int i = 0; i < n; i++) {
            s.array[i] = rng.nextInt(bound);
        }
        return s;
    }
}
