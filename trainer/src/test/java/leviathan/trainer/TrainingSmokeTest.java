package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;

/** A short training run on a small repetitive text: the training loss falls clearly (SPEC 3). */
class TrainingSmokeTest {
    @Test
    void lossFallsInAShortRun() throws Exception {
        String text = Fixtures.text(4000);
        TrainConfig cfg = Fixtures.tinyTrain(80);
        cfg.batchSize = 4;
        cfg.evalInterval = 0;
        Fixtures.Console console = new Fixtures.Console();
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer trainer = Fixtures.newTrainer(text, Fixtures.tinyModel(0).with("width", "32").with("context", "16"), cfg, backend, null, console.out);
            Trainer.Result r = trainer.run(0);
            assertEquals(Trainer.Outcome.COMPLETED, r.outcome);
            assertEquals(80, r.step);
            List<Float> losses = r.losses;
            assertEquals(80, losses.size());
            int V = Fixtures.model(trainer).config.vocabSize;
            double first = Fixtures.meanLoss(losses, 0, 5), last = Fixtures.meanLoss(losses, 75, 80);
            // An untrained GPT-2-initialised model predicts nearly uniformly: loss ≈ ln V.
            assertEquals(Math.log(V), first, 0.3, "initial loss should be near ln V = " + Math.log(V));
            assertTrue(last < 0.8 * first, "loss did not fall enough: first 5 steps " + first + ", last 5 " + last);
            for (float l : losses) {
                assertTrue(Float.isFinite(l));
            }
            assertTrue(Double.isFinite(r.lastValLoss) && r.lastValLoss < 0.8 * first, "validation loss " + r.lastValLoss);
            String log = console.text();
            assertTrue(log.contains("step    80/80"), log);
            assertTrue(log.contains("eval step 80"), log);
        }
    }

    @Test
    void aNonFiniteLossStopsTheRunWithoutSaving(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        TrainConfig cfg = Fixtures.tinyTrain(50);
        cfg.learningRate = 1e30f;
        cfg.warmupSteps = 0;
        cfg.evalInterval = 0;
        java.nio.file.Path dir = tmp.resolve("run");
        Fixtures.Console console = new Fixtures.Console();
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer trainer = Fixtures.newTrainer(Fixtures.text(2000), Fixtures.tinyModel(0), cfg, backend, dir, console.out);
            Trainer.Result r = trainer.run(0);
            assertEquals(Trainer.Outcome.DIVERGED, r.outcome);
            assertTrue(r.step > 1 && r.step < 50, "diverged at step " + r.step);
            assertEquals(r.step - 1, r.losses.size(), "losses of the good steps only");
            assertTrue(r.message.contains("at step " + r.step), r.message);
            assertTrue(r.message.contains("No checkpoint was saved"), r.message);
            assertTrue(console.text().contains("step " + r.step), console.text());
        }
        assertTrue(!java.nio.file.Files.exists(dir.resolve(CheckpointSet.MODEL_FILE)), "a diverged run must not save");
    }
}
