package leviathan.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.model.mixers.LeviathanMixer;
import leviathan.model.mixers.LeviathanSameMixer;
import leviathan.model.mixers.LongformerMixer;
import leviathan.model.mixers.PerformerMixer;
import leviathan.model.mixers.SynthesizerMixer;
import leviathan.graph.Backend;
import leviathan.graph.BlockLayout;
import leviathan.graph.Kernel;
import leviathan.model.Gpt;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;
import leviathan.model.Workspace;

/**
 * Every mixer's kernels on the TornadoVM device equal the JVM backend: one forward, loss and backward
 * of a tiny one-block model, compared over the whole activation block and the whole gradient block
 * (max |got − want| / max |want|) and the loss (relative), within 1e-5.
 */
class MixerKernelsTornadoTest {
    static final double TOL = 1e-5;
    static final int B = 2, T = 16;

    /** The mixer classes' kernels; every public static Kernel constant of these must have a task. */
    static final Class<?>[] OPS = {LeviathanMixer.Stages.class, LeviathanSameMixer.Stages.class, PerformerMixer.Stages.class, LongformerMixer.Stages.class,
            SynthesizerMixer.Stages.class};

    /**
     * Option sets per mixer (default: none). Longformer gets a window shorter than T, two dilations and
     * global tokens so the banded paths are exercised; the synthesizer runs both kinds, so the random
     * kind's table-gradient kernels run too.
     */
    static final Map<String, List<Map<String, String>>> OPTIONS = Map.of(
            "leviathan", List.of(Map.of("lags", "4")),
            "performer", List.of(Map.of("features", "12")),
            "longformer", List.of(Map.of("window", "4", "dilation", "1,2", "globals", "2")),
            "synthesizer", List.of(Map.of("kind", "dense"), Map.of("kind", "random")));

    @BeforeAll
    static void tornadoPresent() {
        TornadoTestSupport.assumeTornado();
    }

    static Stream<String> mixers() {
        return Mixers.all().keySet().stream().filter(m -> !m.equals("attention"));
    }

    @Test
    void everyMixerKernelHasATask() {
        List<String> missing = new ArrayList<>();
        int n = 0;
        for (Class<?> ops : OPS) {
            for (Field f : ops.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == Kernel.class) {
                    n++;
                    try {
                        Kernel k = (Kernel) f.get(null);
                        if (!TornadoTasks.has(k)) {
                            missing.add(ops.getSimpleName() + "." + f.getName());
                        }
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        }
        assertTrue(n > 0);
        assertTrue(missing.isEmpty(), "mixer kernels without a TornadoVM task: " + missing);
    }

    @ParameterizedTest(name = "mixer {0}")
    @MethodSource("mixers")
    void mixerMatchesJvm(String mixer) {
        for (Map<String, String> options : OPTIONS.getOrDefault(mixer, List.of(Map.of()))) {
            sameStep(new ModelConfig(29, 16, 1, 2, 16, mixer, options));
        }
    }

    /** Activations, gradients and loss after one forward + loss + backward. */
    record Step(float[] acts, float[] grads, float loss, BlockLayout actsLayout, BlockLayout gradsLayout) {}

    static void sameStep(ModelConfig mc) {
        String what = mc.mixer + (mc.mixerOptions.isEmpty() ? "" : " " + mc.mixerOptions);
        Step want;
        try (Backend jvm = TornadoTestSupport.jvm()) {
            want = step(mc, jvm);
        }
        Step got;
        try (Backend tornado = TornadoTestSupport.tornado()) {
            got = step(mc, tornado);
        }
        double loss = Math.abs(got.loss - want.loss) / Math.abs(want.loss);
        double acts = maxRelative(got.acts, want.acts);
        double grads = maxRelative(got.grads, want.grads);
        System.out.printf("%s: loss %.6f vs %.6f (relative %.2e), activations %.2e (worst in %s), gradients %.2e (worst in %s)%n",
                what, got.loss, want.loss, loss, acts, worstTensor(got.acts, want.acts, want.actsLayout), grads,
                worstTensor(got.grads, want.grads, want.gradsLayout));
        assertEquals(want.acts.length, got.acts.length);
        assertEquals(want.grads.length, got.grads.length);
        assertTrue(Float.isFinite(want.loss), what + ": the JVM loss is not finite");
        double gradMax = 0;
        for (float g : want.grads) {
            gradMax = Math.max(gradMax, Math.abs(g));
        }
        assertTrue(gradMax > 0, what + ": the JVM gradients are all zero");
        assertTrue(loss <= TOL, what + ": TornadoVM loss " + got.loss + " vs JVM " + want.loss + " (relative " + loss + ")");
        assertTrue(acts <= TOL, what + ": activations differ by " + acts + " of their largest magnitude (worst in "
                + worstTensor(got.acts, want.acts, want.actsLayout) + ")");
        assertTrue(grads <= TOL, what + ": gradients differ by " + grads + " of their largest magnitude (worst in "
                + worstTensor(got.grads, want.grads, want.gradsLayout) + ")");
    }

    static Step step(ModelConfig mc, Backend backend) {
        Gpt model = new Gpt(mc);
        model.initialise(1337);
        // Move every trainable tensor by N(0, 0.1), so e.g. Leviathan's lag weights are not the identity
        // and the attention rows are not near-uniform (untrained buffers stay as initialised).
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
        Workspace ws = model.workspace(B, T, true);
        Rng rng = new Rng(99);
        for (int i = 0; i < ws.tokens.length; i++) {
            ws.tokens.set(i, rng.nextInt(mc.vocabSize));
            ws.targets.set(i, rng.nextInt(mc.vocabSize));
        }
        Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
        Backend.CompiledGraph loss = backend.compile(ws.lossGraph);
        Backend.CompiledGraph backward = backend.compile(ws.backwardGraph);
        backend.syncToDevice(model.params.array(), ws.tokens.array, ws.targets.array);
        logits.run();
        loss.run();
        backward.run();
        backend.syncToHost(ws.acts.array(), model.grads.array(), ws.loss.array);
        return new Step(ws.acts.array().clone(), model.grads.array().clone(), ws.loss.get(0), ws.acts.layout(), model.grads.layout());
    }

    /** max |got − want| / max |want| (NaN anywhere gives NaN, which fails every bound). */
    static double maxRelative(float[] got, float[] want) {
        double diff = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) got[i] - want[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            diff = Math.max(diff, d);
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    /** The tensor holding the largest absolute difference, for the report. */
    static String worstTensor(float[] got, float[] want, BlockLayout layout) {
        int worst = -1;
        double diff = -1;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs((double) got[i] - want[i]);
            if (Double.isNaN(d)) {
                worst = i;
                break;
            }
            if (d > diff) {
                diff = d;
                worst = i;
            }
        }
        String name = "?";
        int best = -1;
        for (String t : layout.names()) {
            int off = layout.offsetOf(t);
            if (off <= worst && off > best) {
                best = off;
                name = t;
            }
        }
        return name + "[" + (worst - best) + "]";
    }
}
