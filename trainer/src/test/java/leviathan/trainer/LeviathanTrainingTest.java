package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;

/**
 * {@code leviathan} and {@code leviathan-same} in the real training loop ({@link Trainer}): the
 * loss of a tiny model (layers 2, width 32, context 16, batch 4, 80 steps) falls on a repetitive
 * text and the lag weights move away from their initial e_0; a run stopped, checkpointed and
 * resumed gives bit-identical per-step losses and final parameters to a straight run (leviathan
 * with lags 3 and with lags = context 16). leviathan-same's falling loss is not a language-model
 * result: it leaks.
 */
class LeviathanTrainingTest {

    static TrainConfig train(int steps) {
        return Fixtures.mixerTrain(steps, 777);
    }

    static Map<String, String> options(int lags) {
        return lags > 0 ? Map.of("lags", Integer.toString(lags)) : Map.of();
    }

    static Trainer newRun(String text, String mixer, int lags, TrainConfig cfg, Backend backend, Path outDir) throws IOException {
        return Fixtures.newTrainer(text, Fixtures.mixerModel(mixer, options(lags)), cfg, backend, outDir, Fixtures.QUIET);
    }

    /** The mean loss of the last 10 of 80 steps is below 60% of the first 10's. */
    @ParameterizedTest(name = "{0} lags={1}")
    @CsvSource({"leviathan,4", "leviathan-same,0"})
    void lossFallsOnARepetitiveText(String mixer, int lags) throws IOException {
        try (Backend backend = new JvmBackend(2, true, new Profiler())) {
            Trainer trainer = newRun(Fixtures.threeLineText(3000), mixer, lags, train(80), backend, null);
            Trainer.Result r = trainer.run(0);
            assertEquals(Trainer.Outcome.COMPLETED, r.outcome);
            double first = Fixtures.meanLoss(r.losses, 0, 10), last = Fixtures.meanLoss(r.losses, 70, 80);
            assertTrue(last < 0.6 * first, mixer + ": loss did not fall: first 10 steps " + first + ", last 10 " + last);
            if (lags > 0) {
                float[] g = trainer.workspace().model.param("h.0.attn.lag_weight").toArray();
                double moved = Math.abs(g[0] - 1) + Math.abs(g[1]);
                assertTrue(moved > 1e-3, "lag weights are trained: g = " + java.util.Arrays.toString(g));
            }
        }
    }

    /**
     * Runs on the plain kernel bodies: the fast variants' Vector API lanewise EXP (attention's
     * softmax, which leviathan-same runs) and TANH (GELU) give different last bits before and after
     * C2 compiles them (the fallback is Math.exp per lane, the intrinsic a vector math library), so
     * in fast mode two runs agree bit for bit only if the JIT happens to be in the same state.
     */
    @ParameterizedTest(name = "{0} lags={1}")
    @CsvSource({"leviathan,3", "leviathan,16", "leviathan-same,0"})
    void resumeIsBitExact(String mixer, int lags, @TempDir Path dir) throws IOException {
        String text = Fixtures.threeLineText(3000);
        TrainConfig cfg = train(16);
        int stopAt = 7;
        try (Backend backend = new JvmBackend(2, false, new Profiler())) {
            Trainer straight = newRun(text, mixer, lags, cfg, backend, null);
            List<Float> expected = straight.run(0).losses;

            Trainer first = newRun(text, mixer, lags, cfg, backend, dir);
            Trainer.Result head = first.run(stopAt);
            assertEquals(Trainer.Outcome.STOPPED, head.outcome);

            Trainer resumed = Fixtures.resume(text, dir, cfg, backend, Fixtures.QUIET);
            assertEquals(stopAt, resumed.step());
            List<Float> tail = resumed.run(0).losses;
            assertEquals(expected.subList(0, stopAt), head.losses);
            assertEquals(expected.subList(stopAt, expected.size()), tail, "losses after resuming differ from the straight run");
            assertArrayEquals(straight.workspace().model.params.array(), resumed.workspace().model.params.array(),
                    "final parameters differ from the straight run");
        }
    }
}
