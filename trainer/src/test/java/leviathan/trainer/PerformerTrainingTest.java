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
        return Fixtures.newTrainer(text, Fixtures.mixerModel("performer", mixerOptions), cfg, backend, outDir, Fixtures.QUIET);
    }

    /** 80 steps, layers 2, width 32, context 16, batch 4: the mean loss of the last 10 steps is below 60% of the first 10's. */
    @Test
    void lossFallsOnARepetitiveText() throws IOException {
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer.Result r = newRun(Fixtures.threeLineText(3000), Map.of("redraw", "25"), train(80), backend, null).run(0);
            assertEquals(Trainer.Outcome.COMPLETED, r.outcome);
            double first = Fixtures.meanLoss(r.losses, 0, 10), last = Fixtures.meanLoss(r.losses, 70, 80);
            assertTrue(last < 0.6 * first, "loss did not fall: first 10 steps " + first + ", last 10 " + last);
        }
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

            Trainer resumed = Fixtures.resume(text, dir, cfg, backend, Fixtures.QUIET);
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
}
