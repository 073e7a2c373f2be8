package leviathan.model.mixers;

import static leviathan.model.mixers.StandaloneMixer.linear;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.FiniteDifference.gradientInPlace;
import static leviathan.testing.TestData.dot;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.model.CausalityCheck;
import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.TestModels;

/**
 * The synthesizer mixer (SPEC 2.5), dense, random and fixed random, as the model runs it, on its
 * own buffers with T &lt; Tmax: y against a double-precision reference of the whole mixer
 * (relative 1e-5), gradients for the input and every trained parameter against central finite
 * differences of it (relative 1e-3; a fixed table gets no gradient); causality through the whole
 * model; checkpoint names, shapes and round-trip; options.
 */
class SynthesizerMixerTest {
    static final int V = 11, TMAX = 7, C = 12, H = 3, B = 2, T = 5, D = C / H;

    /** "dense", "random" or "fixed" (a random synthesizer whose table is not trained). */
    static ModelConfig config(String variant) {
        Map<String, String> options = new LinkedHashMap<>();
        if (!variant.equals("dense")) {
            options.put("kind", "random");
            options.put("fixed", Boolean.toString(variant.equals("fixed")));
        }
        return new ModelConfig(V, TMAX, 2, H, C, "synthesizer", options);
    }

    /** The mixer in double precision from its tensors by local name. */
    static double[] reference(Map<String, double[]> p, double[] u) {
        boolean dense = p.containsKey("synth_fc.weight");
        double[] logits = null;
        if (dense) {
            double[] hidden = linear(u, p.get("synth_fc.weight"), p.get("synth_fc.bias"), B * T, C, C);
            for (int k = 0; k < hidden.length; k++) {
                hidden[k] = Math.max(hidden[k], 0);
            }
            logits = linear(hidden, p.get("synth_out.weight"), p.get("synth_out.bias"), B * T, C, H * TMAX);
        }
        double[] table = p.get("synth_logits");
        double[] v = linear(u, p.get("c_v.weight"), p.get("c_v.bias"), B * T, C, C);
        double[] o = new double[B * T * C];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < T; i++) {
                    // Head-major row of Tmax logits; positions j ≤ i < T are used.
                    double[] row = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= i; j++) {
                        row[j] = dense ? logits[(b * T + i) * H * TMAX + h * TMAX + j] : table[(h * TMAX + i) * TMAX + j];
                        max = Math.max(max, row[j]);
                    }
                    for (int j = 0; j <= i; j++) {
                        row[j] = Math.exp(row[j] - max);
                        sum += row[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < D; d++) {
                            o[(b * T + i) * C + h * D + d] += row[j] / sum * v[(b * T + j) * C + h * D + d];
                        }
                    }
                }
            }
        }
        return linear(o, p.get("c_proj.weight"), p.get("c_proj.bias"), B * T, C, C);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dense", "random", "fixed"})
    void outputMatchesDoubleReferenceAndGradientsMatchFiniteDifferences(String variant) {
        Random r = new Random(17);
        try (StandaloneMixer m = new StandaloneMixer(config(variant), B, T, 23, 0.4f)) {
            float[] u = gaussian(r, m.inputSize(), 1), dy = gaussian(r, m.inputSize(), 1);
            Map<String, double[]> p = m.parameterValues();
            double[] u0 = toDouble(u);
            assertClose(reference(p, u0), m.forward(u), 1e-5, variant + " y");

            float[] du = m.gradients(u, dy);
            assertClose(gradientInPlace(x -> dot(dy, reference(p, x)), u0), du, 1e-3, variant + " du");
            for (ParamSpec s : m.specs) {
                String local = s.name.substring(StandaloneMixer.PREFIX.length());
                if (!s.trainable) {
                    assertArrayEquals(new float[s.size()], m.gradient(local), "a fixed table gets no gradient");
                    continue;
                }
                double[] fd = gradientInPlace(x -> dot(dy, reference(p, u0)), p.get(local));
                assertClose(fd, m.gradient(local), 1e-3, variant + " d " + local);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dense", "random"})
    void causal(String variant) {
        CausalityCheck.assertCausal(config(variant));
    }

    @Test
    void tensorsAreNamedAndShapedAsSpecified() {
        Map<String, int[]> dense = diskShapes(config("dense"));
        assertEquals(List.of("synth_fc.weight", "synth_fc.bias", "synth_out.weight", "synth_out.bias", "c_v.weight", "c_v.bias",
                "c_proj.weight", "c_proj.bias"), new ArrayList<>(dense.keySet()));
        assertArrayEquals(new int[] {C, C}, dense.get("synth_fc.weight"));
        assertArrayEquals(new int[] {C, H * TMAX}, dense.get("synth_out.weight"));
        assertArrayEquals(new int[] {H * TMAX}, dense.get("synth_out.bias"));
        assertArrayEquals(new int[] {C, C}, dense.get("c_v.weight"));

        Map<String, int[]> random = diskShapes(config("random"));
        assertEquals(List.of("synth_logits", "c_v.weight", "c_v.bias", "c_proj.weight", "c_proj.bias"), new ArrayList<>(random.keySet()));
        assertArrayEquals(new int[] {H, TMAX, TMAX}, random.get("synth_logits"));

        ParamSpec learned = spec(new Gpt(config("random")), "h.0.attn.synth_logits");
        ParamSpec fixed = spec(new Gpt(config("fixed")), "h.0.attn.synth_logits");
        assertTrue(learned.trainable && learned.decay, "a learned table is trained and decayed (rank ≥ 2)");
        assertFalse(fixed.trainable, "a fixed table is a buffer AdamW never updates");
    }

    /** A fixed table is still drawn N(0, 0.02) from the init generator, identically to a learned one. */
    @Test
    void fixedTableIsInitialisedLikeTheLearnedOne() {
        Gpt learned = new Gpt(config("random")), fixed = new Gpt(config("fixed"));
        learned.initialise(99);
        fixed.initialise(99);
        float[] a = learned.param("h.1.attn.synth_logits").toArray(), b = fixed.param("h.1.attn.synth_logits").toArray();
        assertArrayEquals(a, b);
        double sq = 0;
        for (float x : a) {
            sq += x * x;
        }
        assertEquals(0.02, Math.sqrt(sq / a.length), 0.004, "standard deviation of the table's init");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dense", "random", "fixed"})
    void checkpointRoundTripKeepsEveryTensor(String variant, @TempDir Path dir) throws IOException {
        Gpt model = StandaloneMixer.randomisedModel(config(variant), 9, 0.1f);
        Path file = TestModels.save(dir, model, Map.of());
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(file);
        assertEquals(model.effectiveConfig(), loaded.config, "config with the mixer options, defaults resolved");
        assertTrue(loaded.contents.tensors.containsKey(variant.equals("dense") ? "h.1.attn.synth_out.weight" : "h.1.attn.synth_logits"));
        Gpt back = ModelCheckpoint.loadModel(loaded, file);
        assertArrayEquals(model.params.all().toArray(), back.params.all().toArray());
    }

    @Test
    void optionsAreChecked() {
        assertEquals(SynthesizerMixer.Kind.DENSE, new SynthesizerMixer(new ModelConfig(V, TMAX, 1, H, C, "synthesizer", Map.of())).kind());
        assertTrue(new SynthesizerMixer(config("fixed")).fixed());
        assertRejected(Map.of("kind", "sparse"), "dense or random");
        assertRejected(Map.of("fixed", "true"), "only valid with kind=random");
        assertRejected(Map.of("kind", "random", "fixed", "maybe"), "true or false");
        assertRejected(Map.of("window", "4"), "window");
    }

    private static void assertRejected(Map<String, String> options, String mentions) {
        ModelConfig cfg = new ModelConfig(V, TMAX, 1, H, C, "synthesizer", options);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Gpt(cfg), options.toString());
        assertTrue(e.getMessage().contains(mentions), e.getMessage());
    }

    /** The mixer's tensors of block 0 by local name, in checkpoint shape. */
    private static Map<String, int[]> diskShapes(ModelConfig cfg) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (ParamSpec s : new Gpt(cfg).specs()) {
            if (s.name.startsWith("h.0.attn.")) {
                m.put(s.name.substring("h.0.attn.".length()), s.diskShape());
            }
        }
        return m;
    }

    private static ParamSpec spec(Gpt model, String name) {
        return model.specs().stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow();
    }
}
