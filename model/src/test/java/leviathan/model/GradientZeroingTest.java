package leviathan.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.Backend;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Profiler;
import leviathan.graph.Stage;
import leviathan.jvm.JvmBackend;
import leviathan.stages.CoreStages;
import leviathan.kernels.GeluKernels;
import leviathan.kernels.MatmulKernels;
import leviathan.kernels.ResidualKernels;

/**
 * {@link GradientZeroing}: the parts of the activation gradients it leaves unzeroed are exactly
 * those a first writer overwrites. Checked end to end: with the activation gradients poisoned with
 * NaN before the backward pass, every mixer's parameter gradients equal those of a clean run bit
 * for bit (any range read or accumulated into before being written would carry the NaN).
 */
class GradientZeroingTest {
    static List<String> mixers() {
        return List.copyOf(Mixers.all().keySet());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mixers")
    void staleActivationGradientsNeverReachTheParameterGradients(String mixer) {
        for (boolean fast : new boolean[] {false, true}) {
            ModelConfig cfg = new ModelConfig(11, 8, 2, 2, 16, mixer, Map.of());
            Gpt model = TestModels.randomised(cfg, 42, 0.25f);
            Workspace ws = model.workspace(2, cfg.contextLength, true);
            TestModels.randomBatch(ws, 7);
            try (Backend backend = new JvmBackend(2, fast, new Profiler())) {
                Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
                Backend.CompiledGraph loss = backend.compile(ws.lossGraph);
                Backend.CompiledGraph backward = backend.compile(ws.backwardGraph);
                TestModels.loss(backend, logits, loss, ws);
                backward.run();
                backend.syncToHost(model.grads.array());
                float[] clean = model.grads.array().clone();
                Arrays.fill(ws.dacts.array(), Float.NaN);
                backend.syncToDevice(ws.dacts.array());
                backward.run();
                backend.syncToHost(model.grads.array());
                assertArrayEquals(clean, model.grads.array(), mixer + " fast=" + fast);
            }
        }
    }

    @Test
    void theBaselineSkipsZeroingWhatItsFirstWritersOverwrite() {
        ModelConfig cfg = TestModels.tiny();
        Workspace ws = new Gpt(cfg).workspace(2, cfg.contextLength, true);
        long zeroed = 0;
        int overwriting = 0;
        for (Stage s : ws.backwardGraph.stages()) {
            if (s.name.startsWith(GradientZeroing.FILL_NAME)) {
                zeroed += s.floats(0).length;
            }
            boolean overwrites = s.kernel == MatmulKernels.BACKWARD_INPUT && MatmulKernels.BackwardInputArgs.of(s).accumulate() == 0
                    || s.kernel == GeluKernels.BACKWARD && GeluKernels.BackwardArgs.of(s).accumulate() == 0
                    || s.kernel == ResidualKernels.BACKWARD && ResidualKernels.BackwardArgs.of(s).accumulate() == 0;
            if (overwrites) {
                overwriting++;
                for (FloatSlice out : CoreStages.firstWriterOutputs(s)) {
                    for (Stage f : ws.backwardGraph.stages()) {
                        if (f.name.startsWith(GradientZeroing.FILL_NAME)) {
                            assertTrue(disjoint(f.floats(0), out), s.name + " overwrites what " + f.name + " zeroes");
                        }
                    }
                }
            }
        }
        // lm_head, and per layer mlp.proj, GELU, mlp.fc, attention proj and qkv: every input gradient has one
        // writer; and the two residual stages per layer write their two gradients first.
        assertEquals(1 + 7 * cfg.layers, overwriting);
        int C = cfg.width, BT = ws.B * ws.T;
        long skipped = (long) BT * C + cfg.layers * (long) BT * (4 * C + 4 * C + C + C + C + 4 * C);
        assertTrue(zeroed <= ws.dacts.all().length - skipped, zeroed + " zeroed");
        // Nothing reads or writes the gradient of attention's probabilities: it is not zeroed either.
        FloatSlice att = ws.dacts.slice("h.0.attn.att");
        for (Stage f : ws.backwardGraph.stages()) {
            if (f.name.startsWith(GradientZeroing.FILL_NAME)) {
                assertTrue(disjoint(f.floats(0), att), f.name + " zeroes the unused " + att.name);
            }
        }
    }

    @Test
    void aRangeTouchedEarlierIsStillZeroedAndAccumulated() {
        leviathan.graph.BlockLayout layout = new leviathan.graph.BlockLayout("d");
        layout.add("x", 4, 3);
        layout.add("y", 4, 5);
        FloatBlock dacts = layout.allocate("dacts");
        FloatSlice x = dacts.slice("x"), y = dacts.slice("y"), w = FloatSlice.of("w", 5, 3);
        FloatSlice y12 = new FloatSlice("y12", y.array, y.offset, new int[] {4, 3});
        // y is read first, so its matmul stays accumulating and y's range is zeroed; x's writer overwrites.
        List<Stage> plan = GradientZeroing.plan(dacts, List.of(
                CoreStages.residualForward("read_y", FloatSlice.of("o", 20), y, y, 20),
                CoreStages.matmulBackwardInput("into_x", x, y, w, 4, 3, 5),
                CoreStages.matmulBackwardInput("into_y", y12, FloatSlice.of("g", 4, 3), FloatSlice.of("v", 3, 3), 4, 3, 3)));
        assertEquals(List.of(GradientZeroing.FILL_NAME + ".0", "read_y", "into_x", "into_y"),
                plan.stream().map(s -> s.name).toList());
        FloatSlice zeroed = plan.get(0).floats(0); // everything after x (the layout may pad between tensors)
        assertEquals(x.offset + x.length, zeroed.offset);
        assertEquals(y.offset + y.length, zeroed.offset + zeroed.length);
        assertEquals(0, plan.get(2).intArg(5));
        assertEquals(1, plan.get(3).intArg(5));
    }

    private static boolean disjoint(FloatSlice a, FloatSlice b) {
        return a.array != b.array || a.offset + a.length <= b.offset || b.offset + b.length <= a.offset;
    }
}
