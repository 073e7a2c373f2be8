package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;

import leviathan.graph.Backend;
import leviathan.graph.IntSlice;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.kernels.StepScalars;
import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;
import leviathan.model.mixers.PerformerMixer;

/**
 * {@link TrainingStep}: synthetic windows are next-token windows of one seeded sequence; a step
 * sets AdamW's scalars from the learning-rate schedule and calls the mixer's hook (a performer
 * redraws ω exactly at its redraw steps); the trainer's steps are TrainingStep's (same losses).
 */
class TrainingStepTest {
    @Test
    void syntheticWindowsAreNextTokenWindowsOfOneSeededSequence() {
        int B = 3, T = 10, V = 7;
        IntSlice tokens = IntSlice.of("tokens", B * T), targets = IntSlice.of("targets", B * T);
        TrainingStep.syntheticWindows(V, 500, 99).fill(B, T, tokens, targets);
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int i = b * T + t;
                assertTrue(tokens.array[i] >= 0 && tokens.array[i] < V, "token " + tokens.array[i]);
                if (t + 1 < T) {
                    assertEquals(tokens.array[i + 1], targets.array[i], "target of (" + b + ", " + t + ") is the next token");
                }
            }
        }
        IntSlice again = IntSlice.of("again", B * T), againTargets = IntSlice.of("again_targets", B * T);
        TrainingStep.syntheticWindows(V, 500, 99).fill(B, T, again, againTargets);
        assertArrayEquals(tokens.array, again.array, "the same seed gives the same batches");
        TrainingStep.syntheticWindows(V, 500, 100).fill(B, T, again, againTargets);
        assertFalse(Arrays.equals(tokens.array, again.array), "another seed gives other batches");
    }

    @Test
    void eachStepFollowsTheScheduleAndCallsTheMixerHook() {
        TrainConfig cfg = Fixtures.mixerTrain(20, 5);
        Gpt model = new Gpt(new ModelConfig(11, 8, 1, 2, 16, "performer", Map.of("redraw", "3")));
        model.initialise(cfg.seed);
        String omega = PerformerMixer.featuresTensor(0);
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            TrainingStep step = new TrainingStep(model, cfg, backend, TrainingStep.syntheticWindows(11, 400, 1));
            float[] before = model.param(omega).toArray();
            for (int s = 0; s < 7; s++) {
                float loss = step.run(s);
                assertTrue(Float.isFinite(loss), "loss " + loss);
                float[] scalars = model.stepScalars.array;
                assertEquals(cfg.learningRateAt(s), scalars[StepScalars.LEARNING_RATE], 0f, "learning rate of step " + s);
                assertEquals((float) (1 - Math.pow(cfg.beta1, s + 1)), scalars[StepScalars.BIAS_CORRECTION1], 0f, "AdamW's t at step " + s);
                float[] now = model.param(omega).toArray();
                boolean redrawStep = s == 3 || s == 6;
                assertEquals(redrawStep, !Arrays.equals(before, now), "ω redrawn before step " + s + ": " + redrawStep);
                before = now;
            }
        }
    }

    @Test
    void theTrainersStepsAreTrainingSteps() throws IOException {
        String text = Fixtures.text(2000);
        Tokenizer tok = Tokenizer.fromText(text);
        Dataset data = new Dataset(tok.encode(text));
        TrainConfig cfg = Fixtures.mixerTrain(10, 77);
        float[] viaTrainer = new float[5], viaStep = new float[5];
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Gpt a = new Gpt(Fixtures.tinyModel(tok.size()));
            a.initialise(cfg.seed);
            Trainer trainer = new Trainer(a, tok, data, cfg, backend, Fixtures.QUIET, new Rng(cfg.seed), Trainer.Checkpointing.none());
            Gpt b = new Gpt(Fixtures.tinyModel(tok.size()));
            b.initialise(cfg.seed);
            TrainingStep step = new TrainingStep(b, cfg, backend, TrainingStep.windows(data.train, new Rng(cfg.seed)));
            for (int s = 0; s < 5; s++) {
                viaTrainer[s] = trainer.trainStep();
                viaStep[s] = step.run(s);
            }
            assertArrayEquals(viaTrainer, viaStep, 0f);
            assertArrayEquals(a.params.array(), b.params.array(), 0f);
        }
    }
}
