package leviathan.model.mixers;

import static leviathan.model.CausalityCheck.logits;
import static leviathan.model.TestModels.loss;
import static leviathan.model.TestModels.lossDifference;
import static leviathan.model.TestModels.randomBatch;
import static leviathan.model.TestModels.randomised;
import static leviathan.model.mixers.LeviathanMixerTest.FD_ABS;
import static leviathan.model.mixers.LeviathanMixerTest.FD_EPS;
import static leviathan.model.mixers.LeviathanMixerTest.FD_REL;
import static leviathan.model.mixers.LeviathanMixerTest.config;
import static leviathan.model.mixers.LeviathanMixerTest.logitChanges;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.Backend;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.graph.Stage;
import leviathan.jvm.JvmBackend;
import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.TestModels;
import leviathan.model.Workspace;

/**
 * {@code leviathan-same --notebook=true} (the notebook's code exactly; SPEC 2.2) in a real model:
 * the option parses (default false) and switches the stages; the mode says it is not causal and is
 * not (the last token moves earlier logits); batch rows mix in it and not in the default mode; the
 * backward respects the notebook's detach (Q's rows of c_attn get exactly zero gradient although the
 * loss depends on them, K's miss the Cmat path, V's and c_proj's equal finite differences of the
 * float32 loss); the option survives a checkpoint round trip.
 */
class LeviathanSameNotebookMixerTest {

    static ModelConfig cfg(int layers) {
        return config(LeviathanSameMixer.NAME, 8, layers, 2, 16, Map.of("notebook", "true"));
    }

    static LeviathanSameMixer mixer(Map<String, String> options) {
        return (LeviathanSameMixer) new Gpt(config(LeviathanSameMixer.NAME, 8, 1, 2, 8, options)).mixer;
    }

    static Set<String> kernels(Graph... graphs) {
        Set<String> names = new TreeSet<>();
        for (Graph g : graphs) {
            for (Stage s : g.stages()) {
                names.add(s.kernel.name);
            }
        }
        return names;
    }

    @Test
    void optionSwitchesTheComputationAndDefaultsToFalse() {
        assertFalse(mixer(Map.of()).notebook());
        assertFalse(mixer(Map.of("notebook", "false")).notebook());
        assertTrue(mixer(Map.of("notebook", "true")).notebook());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> mixer(Map.of("notebook", "yes")));
        assertTrue(bad.getMessage().contains("expects true or false"), bad.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> mixer(Map.of("lags", "2")));
        assertTrue(unknown.getMessage().contains("no option lags") && unknown.getMessage().contains("known: notebook"), unknown.getMessage());

        Workspace nb = new Gpt(cfg(1)).workspace(2, 8, true);
        Workspace same = new Gpt(config(LeviathanSameMixer.NAME, 8, 1, 2, 16, Map.of())).workspace(2, 8, true);
        Set<String> notebookKernels = kernels(nb.logitsGraph, nb.backwardGraph);
        Set<String> defaultKernels = kernels(same.logitsGraph, same.backwardGraph);
        for (String k : List.of("leviathan_notebook_correlate", "leviathan_notebook_attention",
                "leviathan_notebook_attention_backward_scores", "leviathan_notebook_attention_backward_key_value")) {
            assertTrue(notebookKernels.contains(k) && !defaultKernels.contains(k), k + " runs in notebook mode only");
        }
        // No correlation backward and no causal attention in notebook mode.
        for (String k : List.of("leviathan_same_correlate", "leviathan_same_correlate_backward", "attention_forward", "attention_backward_query")) {
            assertTrue(defaultKernels.contains(k) && !notebookKernels.contains(k), k + " runs in the default mode only");
        }
    }

    @Test
    void declaresItselfNotCausal() {
        Gpt model = new Gpt(cfg(2));
        assertFalse(model.mixer.causal());
        String d = Mixers.describe(LeviathanSameMixer.NAME);
        assertTrue(d.contains("NOT CAUSAL") && d.contains("notebook=true"), d);
    }

    /** No mask: replacing the last token moves the logits of every earlier position. */
    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void lastTokenChangesEarlierLogits(boolean fast) {
        double[] changes = logitChanges(randomised(cfg(2), 11, 0.25f), 8, fast, 7);
        assertTrue(changes[0] > 1e-4, "changing token 7 should leak into earlier logits (moved them by " + changes[0] + ", relative)");
    }

    /** Changing batch row 1's tokens moves batch row 0's logits in notebook mode, and not at all in the default mode. */
    @Test
    void batchRowsMixOnlyInNotebookMode() {
        double[] moved = new double[2];
        int T = 8;
        for (int mode = 0; mode < 2; mode++) {
            ModelConfig c = mode == 0 ? cfg(2) : config(LeviathanSameMixer.NAME, T, 2, 2, 16, Map.of());
            Workspace ws = randomised(c, 13, 0.25f).workspace(2, T, false);
            randomBatch(ws, 4);
            try (Backend backend = new JvmBackend(2, false, new Profiler())) {
                Backend.CompiledGraph g = backend.compile(ws.logitsGraph);
                float[] before = logits(backend, g, ws);
                for (int t = 0; t < T; t++) {
                    ws.tokens.set(T + t, (ws.tokens.get(T + t) + 3) % LeviathanMixerTest.VOCAB);
                }
                float[] after = logits(backend, g, ws);
                int row = T * LeviathanMixerTest.VOCAB;
                double scale = 0;
                for (int i = 0; i < row; i++) {
                    scale = Math.max(scale, Math.abs(before[i]));
                    moved[mode] = Math.max(moved[mode], Math.abs(after[i] - before[i]));
                }
                moved[mode] /= scale;
            }
        }
        assertTrue(moved[0] > 1e-4, "notebook mode: batch row 1 should move batch row 0's logits (moved them by " + moved[0] + ")");
        assertEquals(0.0, moved[1], 0.0, "default mode: batch rows are independent");
    }

    /**
     * One block, so that Cmat is the only detached path. Coordinates of c_attn.weight [3C, C] (row o is
     * output column o: Q for o &lt; C, K for o &lt; 2C, V above) and c_attn.bias, c_proj.
     */
    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void gradientsRespectTheDetach(boolean fast) {
        Gpt model = randomised(cfg(1), 42, 0.25f);
        int C = model.config.width;
        Workspace ws = model.workspace(2, 8, true);
        randomBatch(ws, 7);
        try (Backend backend = new JvmBackend(2, fast, new Profiler())) {
            Backend.CompiledGraph lg = backend.compile(ws.logitsGraph), ls = backend.compile(ws.lossGraph);
            loss(backend, lg, ls, ws);
            backend.compile(ws.backwardGraph).run();
            backend.syncToHost(model.grads.array());
            float[] w = model.grad("h.0.attn.c_attn.weight").toArray(), b = model.grad("h.0.attn.c_attn.bias").toArray();
            assertArrayEquals(new float[C * C], Arrays.copyOf(w, C * C), "Q rows of c_attn.weight: no gradient through the detached Cmat");
            assertArrayEquals(new float[C], Arrays.copyOf(b, C), "Q part of c_attn.bias");

            double qDependence = 0;
            List<String> kMisses = new ArrayList<>(), failures = new ArrayList<>();
            for (int row = 0; row < 3 * C; row += 3) {
                for (int col : new int[] {row % C, (row * 7 + 3) % C}) {
                    double[] gf = compare(model, backend, lg, ls, ws, "h.0.attn.c_attn.weight", row * C + col);
                    String at = String.format("c_attn.weight[%d, %d]: backward %.6g, finite difference %.6g", row, col, gf[0], gf[1]);
                    if (row < C) {
                        qDependence = Math.max(qDependence, Math.abs(gf[1]));
                    } else if (row < 2 * C) {
                        if (!agrees(gf)) {
                            kMisses.add(at);
                        }
                    } else if (!agrees(gf)) {
                        failures.add(at);
                    }
                }
            }
            for (String name : List.of("h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias")) {
                for (int i = 0; i < 5; i++) {
                    int coord = (i * 37) % model.param(name).length;
                    double[] gf = compare(model, backend, lg, ls, ws, name, coord);
                    if (!agrees(gf)) {
                        failures.add(String.format("%s[%d]: backward %.6g, finite difference %.6g", name, coord, gf[0], gf[1]));
                    }
                }
            }
            assertTrue(qDependence > 1e-3, "the loss should depend on Q's weights (largest finite difference " + qDependence + ")");
            assertFalse(kMisses.isEmpty(), "K's rows should miss the gradient path through Cmat, yet every one agrees");
            assertTrue(failures.isEmpty(), "V and c_proj gradients disagree (fast=" + fast + "):\n" + String.join("\n", failures));
        }
    }

    /** {backward gradient, central finite difference of the float32 loss} at one coordinate of a tensor. */
    private static double[] compare(Gpt model, Backend backend, Backend.CompiledGraph lg, Backend.CompiledGraph ls, Workspace ws,
                                    String name, int i) {
        int at = model.layout.offsetOf(name) + i;
        return new double[] {model.grads.array()[at], lossDifference(backend, lg, ls, ws, model.params.array(), at, FD_EPS)};
    }

    private static boolean agrees(double[] gf) {
        return Math.abs(gf[0] - gf[1]) <= FD_REL * Math.max(Math.abs(gf[0]), Math.abs(gf[1])) + FD_ABS;
    }

    @Test
    void checkpointKeepsTheOption(@TempDir Path dir) throws IOException {
        Gpt model = randomised(cfg(2), 21, 0.25f);
        Path file = TestModels.save(dir, model, Map.of("causal", "false"));
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(file);
        assertEquals(cfg(2), loaded.config);
        Gpt back = ModelCheckpoint.loadModel(loaded, file);
        assertTrue(((LeviathanSameMixer) back.mixer).notebook(), "the reloaded model is in notebook mode");
        Workspace a = model.workspace(2, 8, false), b = back.workspace(2, 8, false);
        randomBatch(a, 3);
        randomBatch(b, 3);
        try (Backend backend = new JvmBackend(2, false, new Profiler())) {
            assertArrayEquals(logits(backend, backend.compile(a.logitsGraph), a), logits(backend, backend.compile(b.logitsGraph), b));
        }
    }
}
