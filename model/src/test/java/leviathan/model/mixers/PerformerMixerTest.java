package leviathan.model.mixers;

import static leviathan.model.CausalityCheck.logits;
import static leviathan.model.CausalityCheck.relativeChange;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import leviathan.model.ModelCheckpoint;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;
import leviathan.model.TestModels;
import leviathan.model.Workspace;
import leviathan.testing.Reference;

/**
 * {@link PerformerMixer} (SPEC 2.3) as the model uses it: options; gradients of the whole mixer (input, c_attn, c_proj) against finite differences; causality of a
 * whole model; convergence to softmax attention as m grows; checkpoint round trip.
 * The random features and their redraws are in {@link PerformerFeaturesTest}.
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
        model.mixer.beforeStep(7, new PerformerFeaturesTest.State(model, 5));   // features now differ from a fresh initialisation
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
