package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;
import leviathan.model.mixers.PerformerMixer;

/**
 * The performer mixer in the real training loop ({@link Trainer}): the loss of a tiny model falls
 * on a repetitive text, and a run stopped, checkpointed and resumed across redraws of ω gives
 * bit-identical per-step losses and final features to a straight run (ω is saved in the
 * checkpoint; each redraw depends only on the run seed, the layer and the redraw index).
 */
class PerformerTrainingTest {

    static TrainConfig train(int steps) {
        return Fixtures.mixerTrain(steps, 4242);
    }

    static Trainer newRun(String text, Map<String, String> mixerOptions, TrainConfig cfg, Backend backend, Path outDir) throws IOException {
        Tokenizer tok = Tokenizer.fromText(text);
        Gpt model = new Gpt(new ModelConfig(tok.size(), 16, 2, 2, 32, "performer", mixerOptions));
        model.initialise(cfg.seed);
        return new Trainer(model, tok, new Dataset(tok.encode(text)), cfg, backend, Fixtures.QUIET, new Rng(cfg.seed), Fixtures.checkpointing(outDir, null));
    }

    /** 80 steps, layers 2, width 32, context 16, batch 4: the mean loss of the last 10 steps is below 60% of the first 10's. */
    @Test
    void lossFallsOnARepetitiveText() throws IOException {
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer.Result r = newRun(Fixtures.threeLineText(3000), Map.of("redraw", "25"), train(80), backend, null).run(0);
            assertEquals(Trainer.Outcome.COMPLETED, r.outcome);
            double first = mean(r.losses.subList(0, 10)), last = mean(r.losses.subList(70, 80));
            assertTrue(last < 0.6 * first, "loss did not fall: first 10 steps " + first + ", last 10 " + last);
        }
    }

    private static double mean(List<Float> xs) {
        double s = 0;
        for (float x : xs) {
            s += x;
        }
        return s / xs.size();
    }

    /**
     * redraw = 4 over 14 steps redraws before steps 4, 8 and 12. Stopping at 6 puts redraws on both
     * sides of the checkpoint; stopping at 8 resumes right at a redraw.
     */
    @ParameterizedTest(name = "stop at {0}")
    @ValueSource(ints = {6, 8})
    void resumeAcrossRedrawsIsBitExact(int stopAt, @TempDir Path dir) throws IOException {
        String text = Fixtures.threeLineText(3000);
        Map<String, String> options = Map.of("redraw", "4", "features", "12");
        TrainConfig cfg = train(14);
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer straight = newRun(text, options, cfg, backend, null);
            List<Float> expected = straight.run(0).losses;
            float[] straightFeatures = features(straight);

            Trainer first = newRun(text, options, cfg, backend, dir);
            Trainer.Result head = first.run(stopAt);
            assertEquals(Trainer.Outcome.STOPPED, head.outcome);
            assertFalse(Arrays.equals(straightFeatures, features(first)), "the stopped run has not reached the last redraw yet");

            Trainer resumed = resume(text, dir, cfg, backend);
            assertEquals(stopAt, resumed.step());
            List<Float> tail = resumed.run(0).losses;
            assertEquals(expected.subList(0, stopAt), head.losses);
            assertEquals(expected.subList(stopAt, expected.size()), tail, "losses after resuming differ from the straight run");
            assertTrue(Arrays.equals(straightFeatures, features(resumed)), "final features differ from the straight run");
        }
    }

    private static float[] features(Trainer trainer) {
        Gpt model = trainer.workspace().model;
        float[] a = model.param(PerformerMixer.featuresTensor(0)).toArray(), b = model.param(PerformerMixer.featuresTensor(1)).toArray();
        float[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    /** What {@code train --resume} does: model and optimiser state from the run directory, the data generator's state. */
    private static Trainer resume(String text, Path dir, TrainConfig cfg, Backend backend) throws IOException {
        Checkpoints.Resumed r = Checkpoints.resume(new RunDirectory(dir));
        Rng rng = new Rng(0);
        rng.setState(r.state().rngState());
        Tokenizer tok = new Tokenizer(r.vocab());
        return new Trainer(r.model(), tok, new Dataset(tok.encode(text)), cfg, backend, Fixtures.QUIET, rng,
                new Trainer.Checkpointing(new RunDirectory(dir), r.state(), Map.of(), "{}"));
    }

}
