package leviathan.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;

/**
 * The parameter block reaches the optimiser's ranges for any width: the trainable group ends at a
 * 16-float boundary, past the last bias when the width is not a multiple of 16 (the seed
 * notebook's width 4, the {@code seed} preset's 34). One full training step (forward, backward,
 * clipped AdamW) runs and moves every trainable tensor; the default width 16 is the control.
 */
class ParameterLayoutTest {
    @ParameterizedTest(name = "width={0} mixer={1}")
    @CsvSource({"4,attention", "12,attention", "34,attention", "16,attention", "4,leviathan-same", "6,performer"})
    void aTrainingStepRunsAtAnyWidth(int width, String mixer) {
        Gpt model = new Gpt(new ModelConfig(11, 8, 2, 2, width, mixer, Map.of()));
        model.initialise(3);
        float[] before = model.params.array().clone();
        Workspace ws = model.workspace(2, 8, true);
        TestModels.randomBatch(ws, 5);
        try (Backend backend = new JvmBackend(2, false, new Profiler())) {
            float loss = TestModels.loss(backend, backend.compile(ws.logitsGraph), backend.compile(ws.lossGraph), ws);
            backend.compile(ws.backwardGraph).run();
            model.setStepScalars(1, 1e-2f, 0.9f, 0.99f, 1e-8f);
            backend.syncToDevice(model.stepScalars.array);
            backend.compile(model.updateGraph(0.1f, 1f)).run();
            backend.syncToHost(model.params.array());
            assertTrue(Float.isFinite(loss), "loss " + loss);
        }
        float[] after = model.params.array();
        for (ParamSpec s : model.specs()) {
            if (!s.trainable) {
                continue;
            }
            int off = model.layout.offsetOf(s.name);
            boolean moved = false;
            for (int i = off; i < off + s.size(); i++) {
                assertTrue(Float.isFinite(after[i]), s.name + " became " + after[i]);
                moved |= after[i] != before[i];
            }
            assertTrue(moved, s.name + " was not updated");
        }
    }
}
