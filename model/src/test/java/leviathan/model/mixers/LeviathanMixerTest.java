package leviathan.model.mixers;

import static leviathan.model.CausalityCheck.logits;
import static leviathan.model.TestModels.loss;
import static leviathan.model.TestModels.lossDifference;
import static leviathan.model.TestModels.randomBatch;
import static leviathan.model.TestModels.randomised;
import static leviathan.model.TestModels.sampledCoordinates;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.jvm.LeviathanFft;
import leviathan.model.Gpt;
import leviathan.model.Mixers;
import leviathan.model.ModelCheckpoint;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;
import leviathan.model.Safetensors;
import leviathan.model.TestModels;
import leviathan.model.Workspace;

/**
 * The {@code leviathan} mixer (SPEC 2.2) inside a real model (Gpt + Workspace + JVM backend):
 * <ul>
 *   <li>fresh lag weights g = (1, 0, …, 0): with every shared tensor copied from an attention
 *       model, logits, loss and every shared gradient equal attention's bit for bit (plain kernels;
 *       within 1e-5 relative in fast mode, where attention runs its Vector API variant);</li>
 *   <li>backward vs central finite differences of the float32 loss for every mixer tensor,
 *       lag_weight included, with non-trivial g, on the direct path and (T = 128, L = 32) the FFT
 *       path; tolerance |g − fd| ≤ 2e-2·max(|g|, |fd|) + 1e-4 with e = 1e-2, as in GradientCheckTest;</li>
 *   <li>causality: a later token never changes earlier logits (1e-6 relative), also on the FFT path;</li>
 *   <li>options, registration, the lag_weight tensor (shape [H, L], init e_0, not decayed) and a
 *       checkpoint round trip.</li>
 * </ul>
 */
class LeviathanMixerTest {
    static final int VOCAB = 11;
    static final float FD_EPS = 1e-2f;
    static final double FD_REL = 2e-2;
    static final double FD_ABS = 1e-4;

    static ModelConfig config(String mixer, int context, int layers, int heads, int width, Map<String, String> options) {
        return new ModelConfig(VOCAB, context, layers, heads, width, mixer, options);
    }

    /**
     * Backward gradients vs central finite differences for the tensors {@code which} selects: the
     * largest-gradient coordinate and {@code randomCoords} random ones of each (all coordinates of
     * tensors with at most {@code allBelow} entries). Fails listing every disagreeing coordinate.
     */
    static void checkGradients(Gpt model, Workspace ws, boolean fast, Predicate<String> which, int randomCoords, int allBelow) {
        try (Backend backend = new JvmBackend(2, fast, new Profiler())) {
            Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
            Backend.CompiledGraph lossGraph = backend.compile(ws.lossGraph);
            Backend.CompiledGraph backward = backend.compile(ws.backwardGraph);
            float l0 = loss(backend, logits, lossGraph, ws);
            backward.run();
            backend.syncToHost(model.grads.array());
            float[] grads = model.grads.array().clone();
            float[] p = model.params.array();
            Rng pick = new Rng(99);
            List<String> failures = new ArrayList<>();
            int checked = 0;
            for (ParamSpec s : model.specs()) {
                if (!s.trainable || !which.test(s.name)) {
                    continue;
                }
                int off = model.layout.offsetOf(s.name), n = s.size();
                List<Integer> coords = new ArrayList<>();
                if (n <= allBelow) {
                    for (int i = 0; i < n; i++) {
                        coords.add(i);
                    }
                } else {
                    coords = sampledCoordinates(grads, off, n, randomCoords, pick);
                }
                double maxFd = 0;
                for (int i : coords) {
                    double fd = lossDifference(backend, logits, lossGraph, ws, p, off + i, FD_EPS);
                    double g = grads[off + i];
                    maxFd = Math.max(maxFd, Math.abs(fd));
                    double tol = FD_REL * Math.max(Math.abs(g), Math.abs(fd)) + FD_ABS;
                    if (Math.abs(g - fd) > tol) {
                        failures.add(String.format("%s[%d]: backward %.6g, finite difference %.6g", s.name, i, g, fd));
                    }
                    checked++;
                }
                assertTrue(maxFd > 1e-3, s.name + ": finite differences all ≈ 0 (max " + maxFd + "), the check would be vacuous");
            }
            assertTrue(checked > 0, "no tensor selected");
            assertEquals(l0, loss(backend, logits, lossGraph, ws), 0f, "restored parameters give the original loss");
            if (!failures.isEmpty()) {
                fail(failures.size() + " of " + checked + " coordinates disagree (fast=" + fast + "):\n" + String.join("\n", failures));
            }
        }
    }

    /**
     * Replaces the token at position {@code changed} of a random sequence and returns the largest
     * change of the logits {before, at or after} that position, relative to the largest logit.
     */
    static double[] logitChanges(Gpt model, int T, boolean fast, int changed) {
        Workspace ws = model.workspace(1, T, false);
        randomBatch(ws, 3);
        try (Backend backend = new JvmBackend(2, fast, new Profiler())) {
            Backend.CompiledGraph g = backend.compile(ws.logitsGraph);
            float[] before = logits(backend, g, ws);
            ws.tokens.set(changed, (ws.tokens.get(changed) + 1 + VOCAB / 2) % VOCAB);
            float[] after = logits(backend, g, ws);
            double scale = 0, earlier = 0, later = 0;
            for (int i = 0; i < before.length; i++) {
                scale = Math.max(scale, Math.abs(before[i]));
                double d = Math.abs(after[i] - before[i]);
                if (i / VOCAB < changed) {
                    earlier = Math.max(earlier, d);
                } else {
                    later = Math.max(later, d);
                }
            }
            return new double[] {earlier / scale, later / scale};
        }
    }

    // ---- equality with attention ---------------------------------------------------------

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void freshLagWeightsEqualAttention(boolean fast) {
        ModelConfig att = config("attention", 8, 2, 2, 16, Map.of());
        ModelConfig lev = config(LeviathanMixer.NAME, 8, 2, 2, 16, Map.of("lags", "3"));
        Gpt a = randomised(att, 5, 0.25f);
        Gpt l = new Gpt(lev);
        l.initialise(5);
        for (ParamSpec s : a.specs()) {
            l.param(s.name).copyFrom(a.param(s.name).toArray());
        }
        for (int h = 0; h < lev.heads; h++) {   // still e_0 after the copy
            assertEquals(1f, l.param("h.1.attn.lag_weight").get(h * 3));
        }
        Workspace wa = a.workspace(2, 8, true), wl = l.workspace(2, 8, true);
        randomBatch(wa, 9);
        randomBatch(wl, 9);
        float[][] logits = new float[2][];
        float[] losses = new float[2];
        Workspace[] ws = {wa, wl};
        for (int m = 0; m < 2; m++) {
            try (Backend backend = new JvmBackend(2, fast, new Profiler())) {
                Backend.CompiledGraph lg = backend.compile(ws[m].logitsGraph);
                losses[m] = loss(backend, lg, backend.compile(ws[m].lossGraph), ws[m]);
                backend.compile(ws[m].backwardGraph).run();
                backend.syncToHost(ws[m].acts.array(), ws[m].model.grads.array());
                logits[m] = ws[m].acts.slice("logits").toArray();
            }
        }
        if (!fast) {
            assertArrayEquals(logits[0], logits[1], "logits");
            assertEquals(losses[0], losses[1], 0f, "loss");
            for (ParamSpec s : a.specs()) {
                assertArrayEquals(a.grad(s.name).toArray(), l.grad(s.name).toArray(), "gradient of " + s.name);
            }
        } else {
            assertClose(logits[0], logits[1], 1e-5, "logits (fast)");
            assertEquals(losses[0], losses[1], 1e-5 * Math.abs(losses[0]), "loss (fast)");
            for (ParamSpec s : a.specs()) {
                assertClose(a.grad(s.name).toArray(), l.grad(s.name).toArray(), 1e-4, "gradient of " + s.name + " (fast)");
            }
        }
        float[] dg = l.grad("h.0.attn.lag_weight").toArray();
        assertTrue(Math.abs(dg[1]) + Math.abs(dg[2]) > 0, "the lags beyond 0 get a gradient even at g = e_0");
    }

    /** max |a − b| ≤ rtol · max |a| (normwise, as the kernel tests measure). */
    static void assertClose(float[] ref, float[] got, double rtol, String what) {
        double scale = 1e-6, diff = 0;
        for (int i = 0; i < ref.length; i++) {
            scale = Math.max(scale, Math.abs(ref[i]));
            diff = Math.max(diff, Math.abs(got[i] - ref[i]));
        }
        assertTrue(diff <= rtol * scale, what + ": relative difference " + diff / scale + " > " + rtol);
    }

    // ---- gradients ----------------------------------------------------------------------------

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void mixerGradientsMatchFiniteDifferences(boolean fast) {
        ModelConfig cfg = config(LeviathanMixer.NAME, 8, 2, 2, 16, Map.of("lags", "3"));
        Gpt model = randomised(cfg, 42, 0.25f);
        float[] g = model.param("h.0.attn.lag_weight").toArray();
        assertTrue(Math.abs(g[1]) > 0.01 && Math.abs(g[0] - 1) > 0.01, "g is not e_0: " + java.util.Arrays.toString(g));
        Workspace ws = model.workspace(2, 8, true);
        randomBatch(ws, 7);
        checkGradients(model, ws, fast, name -> name.contains(".attn."), 4, 8);
    }

    /** T = 128, L = 32: fast mode runs the FFT lag stages, whose gradients must be as exact. */
    @Test
    void lagWeightGradientsOnTheFftPath() {
        int T = 128, L = 32;
        assertTrue(LeviathanFft.faster(T, L), "this shape should take the FFT path");
        ModelConfig cfg = config(LeviathanMixer.NAME, T, 1, 2, 8, Map.of("lags", Integer.toString(L)));
        Gpt model = randomised(cfg, 4, 0.25f);
        Workspace ws = model.workspace(1, T, true);
        randomBatch(ws, 8);
        checkGradients(model, ws, true, name -> name.endsWith("lag_weight") || name.endsWith("c_attn.weight"), 3, 0);
    }

    // ---- causality ----------------------------------------------------------------------------

    @ParameterizedTest(name = "lags={0} fast={1}")
    @CsvSource({"4,false", "4,true", "8,false", "1,true"})
    void laterTokenNeverChangesEarlierLogits(int lags, boolean fast) {
        ModelConfig cfg = config(LeviathanMixer.NAME, 8, 2, 2, 16, Map.of("lags", Integer.toString(lags)));
        Gpt model = randomised(cfg, 11, 0.25f);
        for (int changed : new int[] {1, 4, 7}) {
            assertCausal(logitChanges(model, 8, fast, changed), changed);
        }
    }

    @Test
    void causalOnTheFftPath() {
        int T = 128, L = 40;
        Gpt model = randomised(config(LeviathanMixer.NAME, T, 1, 2, 8, Map.of("lags", Integer.toString(L))), 12, 0.25f);
        assertCausal(logitChanges(model, T, true, 70), 70);
    }

    static void assertCausal(double[] changes, int changed) {
        assertTrue(changes[0] <= 1e-6, "changing token " + changed + " moved earlier logits by " + changes[0] + " (relative)");
        assertTrue(changes[1] > 1e-4, "changing token " + changed + " should change the logits from there on");
    }

    // ---- options, tensors, registration, checkpoints -------------------------------------------

    @Test
    void optionsAreCheckedWithClearMessages() {
        assertEquals(LeviathanMixer.DEFAULT_LAGS, new LeviathanMixer(config(LeviathanMixer.NAME, 8, 1, 2, 8, Map.of())).lags());
        assertEquals(8, new LeviathanMixer(config(LeviathanMixer.NAME, 8, 1, 2, 8, Map.of("lags", "8"))).lags());
        assertRejected(Map.of("lags", "0"), "lags=0", "[1, 8]");
        assertRejected(Map.of("lags", "9"), "lags=9", "[1, 8]");
        assertRejected(Map.of("lags", "four"), "lags", "integer");
        assertRejected(Map.of("lag", "3"), "no option lag", "lags");
    }

    static void assertRejected(Map<String, String> options, String... mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Gpt(config(LeviathanMixer.NAME, 8, 1, 2, 8, options)));
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "message '" + e.getMessage() + "' should mention " + m);
        }
    }

    @Test
    void registeredWithItsTensors() {
        ModelConfig cfg = config(LeviathanMixer.NAME, 8, 2, 4, 16, Map.of("lags", "5"));
        assertTrue(Mixers.describe(LeviathanMixer.NAME).contains("SPEC 2.2"));
        Gpt model = new Gpt(cfg);
        assertInstanceOf(LeviathanMixer.class, model.mixer);
        assertTrue(model.mixer.causal());
        ParamSpec lag = model.specs().stream().filter(s -> s.name.equals("h.1.attn.lag_weight")).findFirst().orElseThrow();
        assertArrayEquals(new int[] {4, 5}, lag.shape);
        assertArrayEquals(new int[] {4, 5}, lag.diskShape());
        assertFalse(lag.decay, "lag weights are not decayed");
        assertTrue(lag.trainable);
        for (String t : new String[] {"c_attn.weight", "c_attn.bias", "c_proj.weight", "c_proj.bias"}) {
            assertTrue(model.layout.contains("h.0.attn." + t), t);
        }
        model.initialise(1);
        float[] g = model.param("h.1.attn.lag_weight").toArray();
        for (int h = 0; h < 4; h++) {
            for (int tau = 0; tau < 5; tau++) {
                assertEquals(tau == 0 ? 1f : 0f, g[h * 5 + tau], "g[" + h + ", " + tau + "] at init");
            }
        }
    }

    @Test
    void checkpointRoundTripKeepsEveryTensor(@TempDir Path dir) throws IOException {
        ModelConfig cfg = config(LeviathanMixer.NAME, 8, 2, 2, 16, Map.of("lags", "3"));
        Gpt model = randomised(cfg, 21, 0.25f);
        Path file = TestModels.save(dir, model, Map.of());
        Safetensors.Contents raw = Safetensors.read(file);
        assertArrayEquals(new int[] {2, 3}, raw.tensors.get("h.0.attn.lag_weight").shape, "lag_weight is stored [H, L]");
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(file);
        assertEquals(cfg, loaded.config);
        Gpt back = ModelCheckpoint.loadModel(loaded, file);
        TestModels.assertSameParameters(model, back);
        assertTrue(Files.size(file) > 0);
    }
}
