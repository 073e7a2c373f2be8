package leviathan.model.mixers;

import static leviathan.model.CausalityCheck.logits;
import static leviathan.model.CausalityCheck.relativeChange;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import leviathan.graph.Backend;
import leviathan.graph.BlockLayout;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.Gpt;
import leviathan.model.MixerContext;
import leviathan.model.MixerState;
import leviathan.model.ModelCheckpoint;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;
import leviathan.model.TestModels;
import leviathan.model.Workspace;
import leviathan.testing.Reference;

/**
 * {@link PerformerMixer} (SPEC 2.3) as the model uses it: options; tensors (the features buffer is
 * saved but not counted or trained); the orthogonal draw of ω; redraws in {@code beforeStep};
 * gradients of the whole mixer (input, c_attn, c_proj) against finite differences; causality of a
 * whole model; convergence to softmax attention as m grows; checkpoint round trip.
 */
class PerformerMixerTest {
    static ModelConfig config(int layers, int heads, int width, int context, Map<String, String> options) {
        return new ModelConfig(11, context, layers, heads, width, "performer", options);
    }

    // ------------------------------------------------------------------ options and tensors

    @Test
    void optionsHaveDefaultsAndClearErrors() {
        PerformerMixer mixer = new PerformerMixer(config(1, 2, 16, 8, Map.of()));
        assertEquals(16, mixer.features(), "default m = 2D with D = 8");
        assertEquals(PerformerMixer.DEFAULT_REDRAW, mixer.redraw());
        PerformerMixer custom = new PerformerMixer(config(1, 2, 16, 8, Map.of("features", "24", "redraw", "0")));
        assertEquals(24, custom.features());
        assertEquals(0, custom.redraw());
        assertRejected(Map.of("feature", "3"), "no option feature");
        assertRejected(Map.of("features", "0"), "features=0");
        assertRejected(Map.of("features", "many"), "expects an integer");
        assertRejected(Map.of("redraw", "-1"), "redraw=-1");
    }

    private static void assertRejected(Map<String, String> options, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Gpt(config(1, 2, 16, 8, options)));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void featuresAreAnUntrainedBufferOutsideTheParameterCount() {
        ModelConfig cfg = config(2, 2, 16, 8, Map.of("features", "12"));
        Gpt performer = new Gpt(cfg);
        Gpt attention = new Gpt(new ModelConfig(11, 8, 2, 2, 16, "attention", Map.of()));
        assertEquals(attention.parameterCount(), performer.parameterCount(), "same trainable tensors as attention");
        for (int l = 0; l < 2; l++) {
            ParamSpec spec = find(performer, PerformerMixer.featuresTensor(l));
            assertFalse(spec.trainable);
            assertFalse(spec.decay);
            assertArrayEquals(new int[] {2, 12, 8}, spec.diskShape());
        }
    }

    private static ParamSpec find(Gpt model, String name) {
        for (ParamSpec s : model.specs()) {
            if (s.name.equals(name)) {
                return s;
            }
        }
        throw new AssertionError("no tensor " + name);
    }

    // ------------------------------------------------------------------ the orthogonal draw of ω

    @Test
    void featureRowsAreOrthogonalWithinBlocksAndChiDistributedInNorm() {
        int H = 8, m = 40, D = 16;   // blocks of 16, 16 and 8 rows per head
        float[] w = new float[H * m * D];
        PerformerMixer.drawOrthogonalFeatures(w, 0, H, m, D, new Rng(5));
        double worstCosine = 0;
        int pairs = 0;
        for (int h = 0; h < H; h++) {
            for (int i = 0; i < m; i++) {
                for (int j = i + 1; j < m; j++) {
                    if (i / D != j / D) {
                        continue;
                    }
                    worstCosine = Math.max(worstCosine, Math.abs(cosine(w, (h * m + i) * D, (h * m + j) * D, D)));
                    pairs++;
                }
            }
        }
        assertEquals(H * (2 * 16 * 15 / 2 + 8 * 7 / 2), pairs);
        assertTrue(worstCosine < 1e-5, "rows of a block must be orthogonal; worst |cos| " + worstCosine);

        // Across blocks rows are independent, so some pairs are far from orthogonal.
        double acrossBlocks = 0;
        for (int j = D; j < m; j++) {
            acrossBlocks = Math.max(acrossBlocks, Math.abs(cosine(w, 0, j * D, D)));
        }
        assertTrue(acrossBlocks > 0.1, "rows of different blocks look orthogonal too (" + acrossBlocks + ")");

        // Norms: chi with D degrees of freedom, mean ≈ √(D − 1/2) ≈ √D, variance ≈ 1/2.
        float[] many = new float[32 * 64 * D];
        PerformerMixer.drawOrthogonalFeatures(many, 0, 32, 64, D, new Rng(6));
        int rows = 32 * 64;
        double sum = 0, sumSq = 0;
        for (int r = 0; r < rows; r++) {
            double n = Math.sqrt(dotRows(many, r * D, r * D, D));
            sum += n;
            sumSq += n * n;
        }
        double mean = sum / rows, var = sumSq / rows - mean * mean;
        assertEquals(Math.sqrt(D), mean, 0.1 * Math.sqrt(D), "mean row norm");
        assertEquals(0.5, var, 0.15, "variance of the row norms (chi_D: ≈ 1/2)");
    }

    @Test
    void featureDrawIsDeterministicBySeed() {
        float[] a = new float[2 * 24 * 8], b = new float[a.length], c = new float[a.length];
        PerformerMixer.drawOrthogonalFeatures(a, 0, 2, 24, 8, new Rng(77));
        PerformerMixer.drawOrthogonalFeatures(b, 0, 2, 24, 8, new Rng(77));
        PerformerMixer.drawOrthogonalFeatures(c, 0, 2, 24, 8, new Rng(78));
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));

        Gpt first = new Gpt(config(2, 2, 16, 8, Map.of()));
        Gpt second = new Gpt(config(2, 2, 16, 8, Map.of()));
        first.initialise(3);
        second.initialise(3);
        assertArrayEquals(first.param(PerformerMixer.featuresTensor(1)).toArray(), second.param(PerformerMixer.featuresTensor(1)).toArray());
        assertFalse(java.util.Arrays.equals(first.param(PerformerMixer.featuresTensor(0)).toArray(),
                first.param(PerformerMixer.featuresTensor(1)).toArray()), "layers draw different features");
    }

    private static double dotRows(float[] w, int a, int b, int D) {
        double s = 0;
        for (int d = 0; d < D; d++) {
            s += (double) w[a + d] * w[b + d];
        }
        return s;
    }

    private static double cosine(float[] w, int a, int b, int D) {
        return dotRows(w, a, b, D) / Math.sqrt(dotRows(w, a, a, D) * dotRows(w, b, b, D));
    }

    // ------------------------------------------------------------------ redraws

    /** The trainer's view of the model between steps, counting change notifications. */
    static final class State implements MixerState {
        final Gpt model;
        final long seed;
        int changes;

        State(Gpt model, long seed) {
            this.model = model;
            this.seed = seed;
        }

        @Override
        public FloatSlice tensor(String fullName) {
            return model.param(fullName);
        }

        @Override
        public void changed(FloatSlice slice) {
            changes++;
        }

        @Override
        public long seed() {
            return seed;
        }
    }

    @Test
    void redrawHappensEveryRedrawStepsFromTheSeedLayerAndIndex() {
        Gpt model = new Gpt(config(2, 2, 16, 8, Map.of("redraw", "3")));
        model.initialise(9);
        State state = new State(model, 1234);
        float[][] initial = features(model);
        for (long step = 0; step < 3; step++) {
            model.mixer.beforeStep(step, state);
            assertArrayEquals(initial[0], features(model)[0], "no redraw before step " + step);
        }
        assertEquals(0, state.changes);

        model.mixer.beforeStep(3, state);
        float[][] first = features(model);
        assertEquals(2, state.changes, "one notification per layer");
        for (int l = 0; l < 2; l++) {
            assertFalse(java.util.Arrays.equals(initial[l], first[l]), "layer " + l + " was not redrawn at step 3");
            float[] expected = new float[first[l].length];
            PerformerMixer.drawOrthogonalFeatures(expected, 0, 2, 16, 8, new Rng(PerformerMixer.redrawSeed(1234, l, 1)));
            assertArrayEquals(expected, first[l], "layer " + l + ": redraw 1 comes from (seed, layer, 1)");
        }
        assertFalse(java.util.Arrays.equals(first[0], first[1]), "layers redraw differently");

        model.mixer.beforeStep(4, state);
        assertArrayEquals(first[1], features(model)[1], "no redraw between multiples");
        model.mixer.beforeStep(6, state);
        assertFalse(java.util.Arrays.equals(first[1], features(model)[1]), "redraw 2 differs from redraw 1");

        // A fresh model (e.g. resumed elsewhere) redraws exactly the same at step 6.
        Gpt other = new Gpt(config(2, 2, 16, 8, Map.of("redraw", "3")));
        other.initialise(10);
        other.mixer.beforeStep(6, new State(other, 1234));
        assertArrayEquals(features(model)[0], features(other)[0]);
        assertArrayEquals(features(model)[1], features(other)[1]);
    }

    @Test
    void redrawZeroNeverRedraws() {
        Gpt model = new Gpt(config(1, 2, 16, 8, Map.of("redraw", "0")));
        model.initialise(9);
        State state = new State(model, 1);
        float[] initial = features(model)[0];
        for (long step : new long[] {0, 1, 1000, 2000}) {
            model.mixer.beforeStep(step, state);
        }
        assertArrayEquals(initial, features(model)[0]);
        assertEquals(0, state.changes);
    }

    private static float[][] features(Gpt model) {
        float[][] f = new float[model.config.layers][];
        for (int l = 0; l < f.length; l++) {
            f[l] = model.param(PerformerMixer.featuresTensor(l)).toArray();
        }
        return f;
    }

    // ------------------------------------------------------------------ gradients of the mixer

    /** One performer block on its own: parameters, activations, forward and backward graphs. */
    static final class Standalone {
        static final String PREFIX = "h.0.attn.";
        final ModelConfig cfg;
        final PerformerMixer mixer;
        final FloatBlock params, grads, acts, dacts;
        final FloatSlice u, y, du, dy;
        final int B, T;
        final Backend.CompiledGraph forward, backward;

        Standalone(ModelConfig cfg, int B, int T, long seed, Backend backend) {
            this.cfg = cfg;
            this.B = B;
            this.T = T;
            this.mixer = new PerformerMixer(cfg);
            BlockLayout pl = new BlockLayout("params");
            List<ParamSpec> specs = mixer.parameters(PREFIX);
            for (ParamSpec s : specs) {
                pl.add(s.name, s.shape);
            }
            params = pl.allocate("params");
            grads = pl.allocate("grads");
            Rng rng = new Rng(seed);
            for (ParamSpec s : specs) {
                FloatSlice p = params.slice(s.name);
                if (s.trainable) {
                    for (int i = 0; i < p.length; i++) {
                        p.set(i, (float) (rng.nextGaussian() * 0.3));
                    }
                } else {
                    s.custom.fill(p.array, p.offset, p.length, rng);
                }
            }
            BlockLayout al = new BlockLayout("acts");
            mixer.declareActivations(al, PREFIX, B, T);
            acts = al.allocate("acts");
            dacts = al.allocate("dacts");
            int C = cfg.width;
            u = FloatSlice.of("u", B, T, C);
            y = FloatSlice.of("y", B, T, C);
            du = FloatSlice.of("du", B, T, C);
            dy = FloatSlice.of("dy", B, T, C);
            for (int i = 0; i < u.length; i++) {
                u.set(i, (float) rng.nextGaussian());
                dy.set(i, (float) rng.nextGaussian());
            }
            MixerContext ctx = new MixerContext(cfg, PREFIX, "h0.attn", B, T, params, grads, acts, dacts, u, y, du, dy, leviathan.stages.DropoutSite.NONE);
            Graph f = new Graph("forward");
            mixer.forward(f, ctx);
            Graph b = new Graph("backward");
            b.add(leviathan.stages.CoreStages.fill("zero_grads", grads.all(), 0f));
            b.add(leviathan.stages.CoreStages.fill("zero_dacts", dacts.all(), 0f));
            b.add(leviathan.stages.CoreStages.fill("zero_du", du, 0f));
            mixer.backward(b, ctx);
            forward = backend.compile(f);
            backward = backend.compile(b);
        }

        /** L = Σ dy·y in double over the float forward. */
        double loss() {
            forward.run();
            double s = 0;
            for (int i = 0; i < y.length; i++) {
                s += (double) dy.get(i) * y.get(i);
            }
            return s;
        }
    }

    /**
     * dL/du, dL/dWqkv, dL/dbqkv, dL/dWo, dL/dbo against central differences of the float forward
     * (h = 1e-2; L summed in double) for every input element and sampled parameter coordinates
     * (the largest gradient of each tensor plus random ones). ω is fixed; the key constant is
     * recomputed by each forward, which the ratio cancels (up to ε = 1e-20), so the finite
     * differences see the same function the backward differentiates with c constant.
     * Tolerance |g − fd| ≤ 1e-2·max(|g|, |fd|) + 2e-4: float32 rounding of y (≈ 1e-7 relative)
     * over 2h = 2e-2 gives fd noise of order 1e-5; the O(h²) truncation stays under 1%.
     */
    @Test
    void mixerGradientsMatchFiniteDifferences() {
        ModelConfig cfg = config(1, 2, 8, 6, Map.of("features", "6"));
        try (Backend backend = new JvmBackend(2, false, new Profiler())) {
            Standalone s = new Standalone(cfg, 2, 6, 21, backend);
            s.loss();
            s.backward.run();
            List<String> failures = new ArrayList<>();
            checkCoordinates(s, s.u, s.du, allIndices(s.u.length), failures);
            Rng pick = new Rng(3);
            for (String local : new String[] {"c_attn.weight", "c_attn.bias", "c_proj.weight", "c_proj.bias"}) {
                FloatSlice p = s.params.slice(Standalone.PREFIX + local), g = s.grads.slice(Standalone.PREFIX + local);
                int[] coords = new int[12];
                coords[0] = argmaxAbs(g);
                for (int k = 1; k < coords.length; k++) {
                    coords[k] = pick.nextInt(p.length);
                }
                checkCoordinates(s, p, g, coords, failures);
            }
            if (!failures.isEmpty()) {
                fail(failures.size() + " gradient coordinates disagree:\n" + String.join("\n", failures));
            }
        }
    }

    private static void checkCoordinates(Standalone s, FloatSlice x, FloatSlice grad, int[] coords, List<String> failures) {
        final float h = 1e-2f;
        double maxFd = 0;
        for (int i : coords) {
            float orig = x.get(i);
            x.set(i, orig + h);
            double lp = s.loss();
            x.set(i, orig - h);
            double lm = s.loss();
            x.set(i, orig);
            double fd = (lp - lm) / ((double) (orig + h) - (orig - h));
            double g = grad.get(i);
            maxFd = Math.max(maxFd, Math.abs(fd));
            double tol = 1e-2 * Math.max(Math.abs(g), Math.abs(fd)) + 2e-4;
            if (!(Math.abs(g - fd) <= tol)) {
                failures.add(String.format("%s[%d]: backward %.6g, finite difference %.6g", x.name, i, g, fd));
            }
        }
        s.loss();
        assertTrue(maxFd > 1e-2, x.name + ": finite differences all ≈ 0, the check would be vacuous");
    }

    private static int[] allIndices(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static int argmaxAbs(FloatSlice s) {
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            if (Math.abs(s.get(i)) > Math.abs(s.get(best))) {
                best = i;
            }
        }
        return best;
    }

    // ------------------------------------------------------------------ causality of a whole model

    /**
     * Changing the token at position t of batch row 0 leaves the logits at positions &lt; t (and all of
     * batch row 1) unchanged within 1e-6 relative to the row's largest logit, and does change the
     * logits at t and later. Parameters: GPT-2 init moved by N(0, 0.2) noise.
     */
    @Test
    void laterTokensDoNotChangeEarlierLogits() {
        ModelConfig cfg = config(2, 2, 16, 12, Map.of());
        Gpt model = new Gpt(cfg);
        model.initialise(17);
        Rng noise = new Rng(18);
        for (ParamSpec s : model.specs()) {
            FloatSlice p = model.param(s.name);
            for (int i = 0; s.trainable && i < p.length; i++) {
                p.set(i, p.get(i) + (float) (noise.nextGaussian() * 0.2));
            }
        }
        int T = cfg.contextLength, V = cfg.vocabSize;
        Workspace ws = model.workspace(2, T, false);
        Rng tokens = new Rng(19);
        for (int i = 0; i < ws.tokens.length; i++) {
            ws.tokens.set(i, tokens.nextInt(V));
        }
        try (Backend backend = new JvmBackend(2, true, new Profiler())) {
            Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
            float[] base = logits(backend, logits, ws);
            for (int t : new int[] {1, T / 2, T - 1}) {
                int orig = ws.tokens.get(t);
                ws.tokens.set(t, (orig + 1 + V / 2) % V);
                float[] changed = logits(backend, logits, ws);
                ws.tokens.set(t, orig);
                for (int b = 0; b < 2; b++) {
                    for (int i = 0; i < (b == 0 ? t : T); i++) {
                        double change = relativeChange(base, changed, (b * T + i) * V, V);
                        assertTrue(change <= 1e-6, "token " + t + " changed logits of (" + b + ", " + i + ") by " + change);
                    }
                }
                double later = 0;
                for (int i = t; i < T; i++) {
                    later = Math.max(later, relativeChange(base, changed, i * V, V));
                }
                assertTrue(later > 1e-4, "token " + t + " changed nothing at or after itself");
            }
        }
    }

    // ------------------------------------------------------------------ convergence to softmax attention

    /**
     * The same q, k, v through the performer's stages with m = 16, 64, 256 orthogonal features and
     * through exact causal softmax attention (double): the relative Frobenius error, averaged over
     * 6 draws of ω, falls by at least 1.4× per 4× features (the estimator's error falls like 1/√m,
     * i.e. 2× per step; measured 0.214, 0.118, 0.058). q, k, v ~ N(0, 0.4²) so that |q̃ + k̃|² ≈ 1.3
     * and m = 16 is already in the 1/√m regime.
     */
    @Test
    void errorAgainstSoftmaxAttentionFallsAsFeaturesGrow() {
        int T = 24, H = 2, C = 32, D = C / H;
        Rng rng = new Rng(100);
        float[] qkv = new float[T * 3 * C];
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (float) (rng.nextGaussian() * 0.4);
        }
        double[] exact = Reference.attention(toDouble(qkv), 1, T, C, H)[0];
        int[] ms = {16, 64, 256};
        double[] err = new double[ms.length];
        int draws = 6;
        try (Backend backend = new JvmBackend(2, false, new Profiler())) {
            for (int k = 0; k < ms.length; k++) {
                for (int draw = 0; draw < draws; draw++) {
                    float[] out = performer(backend, qkv, T, C, H, ms[k], new Rng(1000 + draw));
                    err[k] += relativeFrobenius(exact, out) / draws;
                }
            }
        }
        assertTrue(err[0] > 1.4 * err[1] && err[1] > 1.4 * err[2],
                String.format("error against softmax attention must fall with m: m=16 %.4f, m=64 %.4f, m=256 %.4f", err[0], err[1], err[2]));
        assertTrue(err[2] < 0.1, "with 256 features the performer should be within 10% of attention, got " + err[2]);
    }

    private static float[] performer(Backend backend, float[] qkvValues, int T, int C, int H, int m, Rng omegaRng) {
        int D = C / H;
        FloatSlice qkv = FloatSlice.of("qkv", 1, T, 3 * C);
        qkv.copyFrom(qkvValues);
        FloatSlice omega = FloatSlice.of("omega", H, m, D);
        PerformerMixer.drawOrthogonalFeatures(omega.array, 0, H, m, D, omegaRng);
        FloatSlice phiQ = FloatSlice.of("phi_q", 1, H, T, m), phiK = FloatSlice.of("phi_k", 1, H, T, m);
        FloatSlice out = FloatSlice.of("out", 1, T, C);
        Graph g = new Graph("performer");
        FloatSlice keyMax = FloatSlice.of("key_max", 1, H);
        g.add(PerformerMixer.Stages.features("features", phiQ, phiK, keyMax, qkv, omega, 1, T, C, H, m));
        g.add(PerformerMixer.Stages.scan("scan", out, FloatSlice.of("numerator", 1, H, T, D + 1), FloatSlice.of("state", 1, H, m, D + 1),
                phiQ, phiK, keyMax, qkv, 1, T, C, H, m));
        backend.compile(g).run();
        return out.toArray();
    }

    private static double relativeFrobenius(double[] ref, float[] got) {
        double diff = 0, norm = 0;
        for (int i = 0; i < ref.length; i++) {
            diff += (got[i] - ref[i]) * (got[i] - ref[i]);
            norm += ref[i] * ref[i];
        }
        return Math.sqrt(diff / norm);
    }

    // ------------------------------------------------------------------ checkpoints

    @Test
    void checkpointRoundTripKeepsEveryTensorIncludingFeatures(@TempDir Path dir) throws IOException {
        ModelConfig cfg = config(2, 2, 16, 8, Map.of("features", "20", "redraw", "7"));
        Gpt model = new Gpt(cfg);
        model.initialise(31);
        model.mixer.beforeStep(7, new State(model, 5));   // features now differ from a fresh initialisation
        Path file = TestModels.save(dir, model, Map.of());
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(file);
        assertEquals(cfg, loaded.config, "mixer options survive in the metadata");
        Gpt back = ModelCheckpoint.loadModel(loaded, file);
        TestModels.assertSameParameters(model, back);
        assertArrayEquals(new int[] {2, 20, 8}, loaded.contents.tensors.get(PerformerMixer.featuresTensor(1)).shape);
        assertEquals(20, ((PerformerMixer) back.mixer).features());
        assertEquals(7, ((PerformerMixer) back.mixer).redraw());
    }
}
