package leviathan.model.mixers;

import static leviathan.model.mixers.StandaloneMixer.linear;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.FiniteDifference.gradientInPlace;
import static leviathan.testing.TestData.dot;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.Backend;
import leviathan.graph.BlockLayout;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.CausalityCheck;
import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;
import leviathan.model.TestModels;
import leviathan.model.Workspace;

/**
 * The longformer mixer (SPEC 2.4) as the model runs it: c_attn → banded windowed attention →
 * c_proj on its own buffers against a double-precision reference (relative 1e-5) and its
 * gradients for the input and every parameter against central finite differences of that
 * reference (relative 1e-3, float32 backward); with W ≥ T, d = 1 and no globals a whole model is
 * bit-identical to the attention model (logits and gradients); causality through the whole model;
 * activations linear in T; options; checkpoint round-trip.
 */
class LongformerMixerTest {
    static final int V = 11, TMAX = 10, C = 12, H = 3, B = 2, T = 9;

    static ModelConfig config(String window, String dilation, String globals) {
        return new ModelConfig(V, TMAX, 2, H, C, "longformer", Map.of("window", window, "dilation", dilation, "globals", globals));
    }

    /** The mixer in double precision: qkv = u·Wqkv + b, banded attention per the SPEC's allowed set, y = o·Wo + b. */
    static double[] reference(Map<String, double[]> p, double[] u, int W, int[] dil, int G) {
        int D = C / H;
        double[] qkv = linear(u, p.get("c_attn.weight"), p.get("c_attn.bias"), B * T, C, 3 * C);
        double[] o = new double[B * T * C];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < T; i++) {
                    List<Integer> keys = new ArrayList<>();
                    for (int j = 0; j <= i; j++) {
                        boolean window = (i - j) % dil[h] == 0 && (i - j) / dil[h] < W;
                        if (i < G || j < G || window) {
                            keys.add(j);
                        }
                    }
                    double[] s = new double[keys.size()];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int k = 0; k < s.length; k++) {
                        int j = keys.get(k);
                        for (int d = 0; d < D; d++) {
                            s[k] += qkv[(b * T + i) * 3 * C + h * D + d] * qkv[(b * T + j) * 3 * C + C + h * D + d];
                        }
                        s[k] /= Math.sqrt(D);
                        max = Math.max(max, s[k]);
                    }
                    for (int k = 0; k < s.length; k++) {
                        s[k] = Math.exp(s[k] - max);
                        sum += s[k];
                    }
                    for (int k = 0; k < s.length; k++) {
                        int j = keys.get(k);
                        for (int d = 0; d < D; d++) {
                            o[(b * T + i) * C + h * D + d] += s[k] / sum * qkv[(b * T + j) * 3 * C + 2 * C + h * D + d];
                        }
                    }
                }
            }
        }
        return linear(o, p.get("c_proj.weight"), p.get("c_proj.bias"), B * T, C, C);
    }

    private static int[] dilations(String text) {
        return LongformerMixer.parseDilation(text, H, TMAX);
    }

    /** window/dilation/globals: dilation 2 with 2 globals (the brief's case), per-head dilations, no globals, a global prefix. */
    @ParameterizedTest(name = "window/dilation/globals = {0}")
    @ValueSource(strings = {"3/2/2", "2/1,3,2/1", "4/1/0", "1/3/4"})
    void forwardAndGradientsMatchTheReference(String spec) {
        String[] f = spec.split("/");
        int W = Integer.parseInt(f[0]), G = Integer.parseInt(f[2]);
        int[] dil = dilations(f[1]);
        Random r = new Random(7);
        try (StandaloneMixer m = new StandaloneMixer(config(f[0], f[1], f[2]), B, T, 11, 0.3f)) {
            float[] u = gaussian(r, m.inputSize(), 1), dy = gaussian(r, m.inputSize(), 1);
            Map<String, double[]> p = m.parameterValues();
            double[] u0 = toDouble(u);
            assertClose(reference(p, u0, W, dil, G), m.forward(u), 1e-5, "y");

            float[] du = m.gradients(u, dy);
            assertClose(gradientInPlace(x -> dot(dy, reference(p, x, W, dil, G)), u0), du, 1e-3, "du");
            for (Map.Entry<String, double[]> e : p.entrySet()) {
                double[] fd = gradientInPlace(x -> dot(dy, reference(p, u0, W, dil, G)), e.getValue());
                assertClose(fd, m.gradient(e.getKey()), 1e-3, "d " + e.getKey());
            }
        }
    }

    /** W ≥ T, d = 1, no globals: the same floats as the attention model, forward and backward (plain kernels). */
    @Test
    void fullWindowModelIsTheAttentionModelExactly() {
        ModelConfig attnCfg = new ModelConfig(V, TMAX, 2, H, C, "attention", Map.of());
        Gpt attention = StandaloneMixer.randomisedModel(attnCfg, 3, 0.2f);
        Gpt longformer = new Gpt(config(Integer.toString(TMAX), "1", "0"));
        assertEquals(attention.specs().size(), longformer.specs().size(), "the same tensors");
        for (ParamSpec s : attention.specs()) {
            longformer.param(s.name).copyFrom(attention.param(s.name).toArray());
        }
        float[][] a = logitsAndGradients(attention), l = logitsAndGradients(longformer);
        assertArrayEquals(a[0], l[0], "logits");
        assertArrayEquals(a[1], l[1], "parameter gradients");
    }

    private static float[][] logitsAndGradients(Gpt model) {
        Workspace ws = model.workspace(B, TMAX, true);
        Rng rng = new Rng(5);
        for (int i = 0; i < ws.tokens.length; i++) {
            ws.tokens.set(i, rng.nextInt(V));
            ws.targets.set(i, rng.nextInt(V));
        }
        try (Backend backend = new JvmBackend(2, false, new Profiler())) {
            backend.compile(ws.logitsGraph).run();
            backend.compile(ws.lossGraph).run();
            backend.compile(ws.backwardGraph).run();
        }
        return new float[][] {ws.acts.slice("logits").toArray(), model.grads.all().toArray()};
    }

    @Test
    void causalWithWindowDilationAndGlobals() {
        CausalityCheck.assertCausal(config("3", "1,2,3", "2"));
        // (With dilation 2 in every head odd and even positions would never meet: the check also
        // requires that a token reaches the positions after it, so one head keeps dilation 1.)
        CausalityCheck.assertCausal(config("2", "2,1,4", "0"));
    }

    /** The mixer's own activations are linear in T (banded scores): doubling T doubles them; attention's grow ~4×. */
    @Test
    void activationsGrowLinearlyInSequenceLength() {
        ModelConfig lf = new ModelConfig(V, 128, 1, 4, 32, "longformer", Map.of("window", "8"));
        ModelConfig lfGlobals = lf.withMixerOption("globals", "2").withMixerOption("dilation", "1,2,4,8");
        ModelConfig attn = new ModelConfig(V, 128, 1, 4, 32, "attention", Map.of());
        for (ModelConfig cfg : new ModelConfig[] {lf, lfGlobals}) {
            long at64 = mixerActivationFloats(cfg, 64), at128 = mixerActivationFloats(cfg, 128);
            assertEquals(2 * at64, at128, "longformer activations for T=128 vs T=64 (" + cfg.mixerOptions + ")");
            Gpt model = new Gpt(cfg);
            assertEquals(2 * model.workspace(1, 64, true).activationBytes(), model.workspace(1, 128, true).activationBytes(),
                    "whole training workspace");
        }
        double attnRatio = (double) mixerActivationFloats(attn, 128) / mixerActivationFloats(attn, 64);
        assertTrue(attnRatio > 3.0, "attention's T×T scores make its activations grow " + attnRatio + "×");
    }

    private static long mixerActivationFloats(ModelConfig cfg, int T) {
        BlockLayout layout = new BlockLayout("acts");
        new Gpt(cfg).mixer.declareActivations(layout, "h.0.attn.", 1, T);
        return layout.size();
    }

    @Test
    void optionsHaveDefaultsAndBadOnesAreRejected() {
        LongformerMixer defaults = new LongformerMixer(new ModelConfig(V, 64, 1, 4, 16, "longformer", Map.of()));
        assertEquals(LongformerMixer.DEFAULT_WINDOW, defaults.window());
        assertEquals(0, defaults.globals());
        assertArrayEquals(new int[] {1, 1, 1, 1}, defaults.dilations());
        assertArrayEquals(new int[] {1, 1, 2, 4}, new LongformerMixer(new ModelConfig(V, 64, 1, 4, 16, "longformer",
                Map.of("dilation", "1, 1,2,4"))).dilations());
        // A context shorter than the default window: the window covers the whole context.
        assertEquals(TMAX, new LongformerMixer(new ModelConfig(V, TMAX, 1, H, C, "longformer", Map.of())).window());

        assertRejected(Map.of("lags", "4"), "lags");
        assertRejected(Map.of("window", "0"), "window");
        assertRejected(Map.of("window", Integer.toString(TMAX + 1)), "window");
        assertRejected(Map.of("globals", "-1"), "globals");
        assertRejected(Map.of("dilation", "1,2"), "one per head");
        assertRejected(Map.of("dilation", "1,x,2"), "integers");
        assertRejected(Map.of("dilation", "0"), "dilation=0");
    }

    private static void assertRejected(Map<String, String> options, String mentions) {
        ModelConfig cfg = new ModelConfig(V, TMAX, 1, H, C, "longformer", options);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Gpt(cfg), options.toString());
        assertTrue(e.getMessage().contains(mentions), e.getMessage());
    }

    @Test
    void checkpointRoundTripKeepsEveryTensor(@TempDir Path dir) throws IOException {
        Gpt model = StandaloneMixer.randomisedModel(config("3", "1,2,3", "2"), 9, 0.1f);
        Path file = TestModels.save(dir, model, Map.of());
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(file);
        assertEquals(model.config, loaded.config, "config with the mixer options");
        Gpt back = ModelCheckpoint.loadModel(loaded, file);
        assertArrayEquals(model.params.all().toArray(), back.params.all().toArray());
        for (ParamSpec s : model.specs()) {
            if (s.name.startsWith("h.0.attn.")) {
                assertTrue(List.of("h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias")
                        .contains(s.name), "longformer has no extra tensors, found " + s.name);
            }
        }
    }
}
