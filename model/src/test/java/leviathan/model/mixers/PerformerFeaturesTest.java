package leviathan.model.mixers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import leviathan.graph.FloatSlice;
import leviathan.model.Gpt;
import leviathan.model.MixerState;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;

/**
 * The Performer's random features (SPEC 2.3): an untrained buffer outside the parameter count, the
 * orthogonal draw of ω (orthogonal rows within blocks, χ-distributed norms), determinism by seed, and
 * the redraws in {@code beforeStep} from (seed, layer, redraw index).
 */
class PerformerFeaturesTest {
    private static ModelConfig config(int layers, int heads, int width, int context, Map<String, String> options) {
        return PerformerMixerTest.config(layers, heads, width, context, options);
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

}
