package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.Gpt;
import leviathan.model.Rng;
import leviathan.model.Workspace;

/**
 * Training with dropout: it changes training, draws the same masks on any thread count, resumes
 * bit for bit (the masks need no saved state), and never reaches evaluation.
 */
class DropoutTrainingTest {
    @TempDir
    Path tmp;

    static TrainConfig withDropout(int steps, float p) {
        TrainConfig cfg = Fixtures.tinyTrain(steps);
        cfg.dropout = p;
        cfg.evalInterval = 0;
        return cfg;
    }

    private List<Float> losses(int threads, TrainConfig cfg, Path dir, int stopAt) throws Exception {
        try (Backend backend = new JvmBackend(threads, true, new Profiler())) {
            return Fixtures.newTrainer(Fixtures.text(2000), Fixtures.tinyModel(0), cfg, backend, dir, Fixtures.QUIET).run(stopAt).losses;
        }
    }

    @Test
    void dropoutChangesTrainingAndIsTheSameOnAnyThreadCount() throws Exception {
        List<Float> none = losses(1, withDropout(20, 0f), null, 0);
        List<Float> one = losses(1, withDropout(20, 0.2f), null, 0);
        List<Float> three = losses(3, withDropout(20, 0.2f), null, 0);
        assertNotEquals(none, one, "dropout 0.2 trained exactly as no dropout");
        assertEquals(bits(one), bits(three), "1 and 3 threads drew different masks");
    }

    @Test
    void aRunWithDropoutResumesBitForBit() throws Exception {
        String text = Fixtures.text(2000);
        List<Float> straight = losses(2, withDropout(24, 0.2f), tmp.resolve("straight"), 0);
        List<Float> joined = new ArrayList<>(losses(2, withDropout(24, 0.2f), tmp.resolve("split"), 11));
        try (Backend backend = new JvmBackend(2, true, new Profiler())) {
            joined.addAll(Fixtures.resume(text, tmp.resolve("split"), withDropout(24, 0.2f), backend, Fixtures.QUIET).run(0).losses);
        }
        assertEquals(bits(straight), bits(joined), "the resumed run with dropout differs from the straight one");
    }

    @Test
    void evaluationNeverDrops() throws Exception {
        String text = Fixtures.text(2000);
        Tokenizer tok = Tokenizer.fromText(text);
        Dataset data = new Dataset(tok.encode(text));
        Gpt model = new Gpt(Fixtures.tinyModel(tok.size()));
        model.initialise(5);
        TrainConfig cfg = withDropout(10, 0.5f);
        try (Backend backend = new JvmBackend(2, true, new Profiler())) {
            TrainingStep step = new TrainingStep(model, cfg, backend, TrainingStep.windows(data.train, new Rng(3)));
            step.run(0); // leaves the training workspace's dropout rate at 0.5
            Workspace ws = step.workspace();
            double shared = new Evaluator(ws, backend, step.logits(), step.loss()).randomBatches(data.val, 3, 11);
            double plain = Evaluator.create(model, cfg.batchSize, backend).randomBatches(data.val, 3, 11);
            assertEquals(plain, shared, 0.0, "evaluation on the training workspace dropped out");
            // and the training workspace does drop at its rate
            ws.setDropout(0.5f, 1);
            Dataset.sampleBatch(data.val, ws.B, ws.T, new Rng(11), ws.tokens, ws.targets);
            step.logits().run();
            step.loss().run();
            float dropped = ws.loss.get(0);
            assertTrue(Float.isFinite(dropped));
        }
    }

    private static List<Integer> bits(List<Float> xs) {
        List<Integer> out = new ArrayList<>();
        xs.forEach(x -> out.add(Float.floatToRawIntBits(x)));
        return out;
    }
}
