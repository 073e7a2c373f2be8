package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
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

/**
 * The longformer (SPEC 2.4) and synthesizer (SPEC 2.5) mixers under the real {@link Trainer}: a
 * short run on a small repetitive text lowers the loss (layers 2, width 32, context 16, batch 4,
 * 80 steps); a run stopped at step 15 and resumed from its checkpoint gives bit-identical losses,
 * parameters and moments to a straight 30-step run (JVM backend, 1 thread); a fixed random
 * synthesizer's table never moves while a learned one does.
 */
class LongformerSynthesizerTrainingTest {
    /** One worker: the runs stay fast on a busy 2-core machine (a pool's barriers suffer most from oversubscription). */
    private static final int THREADS = 1;

    /** Mixer variants by a short name: "longformer" (window 4, per-head dilation, 2 globals), "dense", "random", "fixed". */
    static ModelConfig shape(String variant) {
        ModelConfig base = new ModelConfig(1, 16, 2, 4, 32, "attention", Map.of());
        switch (variant) {
            case "longformer":
                return base.with("mixer", "longformer").withMixerOption("window", "4").withMixerOption("dilation", "1,1,2,4")
                        .withMixerOption("globals", "2");
            case "dense":
                return base.with("mixer", "synthesizer");
            case "random":
                return base.with("mixer", "synthesizer").withMixerOption("kind", "random");
            case "fixed":
                return base.with("mixer", "synthesizer").withMixerOption("kind", "random").withMixerOption("fixed", "true");
            default:
                throw new IllegalArgumentException(variant);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"longformer", "dense", "random", "fixed"})
    void lossFallsInAShortRun(String variant) throws Exception {
        TrainConfig cfg = Fixtures.tinyTrain(80);
        cfg.batchSize = 4;
        cfg.evalInterval = 0;
        try (Backend backend = new JvmBackend(THREADS, true, new Profiler())) {
            Trainer trainer = Fixtures.newTrainer(Fixtures.text(4000), shape(variant), cfg, backend, null, new Fixtures.Console().out);
            Trainer.Result r = trainer.run(0);
            assertEquals(Trainer.Outcome.COMPLETED, r.outcome);
            double first = Fixtures.meanLoss(r.losses, 0, 5), last = Fixtures.meanLoss(r.losses, 75, 80);
            assertTrue(last < 0.8 * first, variant + ": loss did not fall enough: first 5 steps " + first + ", last 5 " + last);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"longformer", "dense", "fixed"})
    void stoppedAndResumedRunIsBitIdenticalToAStraightRun(String variant, @TempDir Path tmp) throws Exception {
        String text = Fixtures.text(3000);
        int steps = 30, stopAt = 15;
        Fixtures.Console console = new Fixtures.Console();
        Trainer.Result straight, first, second;
        Gpt straightModel, resumedModel;
        try (Backend backend = new JvmBackend(THREADS, true, new Profiler())) {
            Trainer t = Fixtures.newTrainer(text, shape(variant), Fixtures.tinyTrain(steps), backend, tmp.resolve("straight"), console.out);
            straight = t.run(0);
            straightModel = Fixtures.model(t);
        }
        Path split = tmp.resolve("split");
        try (Backend backend = new JvmBackend(THREADS, true, new Profiler())) {
            first = Fixtures.newTrainer(text, shape(variant), Fixtures.tinyTrain(steps), backend, split, console.out).run(stopAt);
        }
        try (Backend backend = new JvmBackend(THREADS, true, new Profiler())) {
            Trainer t = Fixtures.resume(text, split, Fixtures.tinyTrain(steps), backend, console.out);
            assertEquals(stopAt, t.step());
            second = t.run(0);
            resumedModel = Fixtures.model(t);
        }
        List<Float> joined = new ArrayList<>(first.losses);
        joined.addAll(second.losses);
        assertEquals(steps, joined.size());
        for (int i = 0; i < steps; i++) {
            assertEquals(Float.floatToRawIntBits(straight.losses.get(i)), Float.floatToRawIntBits(joined.get(i)),
                    variant + ": loss of step " + (i + 1) + ": straight " + straight.losses.get(i) + ", resumed " + joined.get(i));
        }
        assertArrayEquals(straightModel.params.array(), resumedModel.params.array(), variant + ": final parameters");
        assertArrayEquals(straightModel.m.array(), resumedModel.m.array(), variant + ": final AdamW first moments");
        assertArrayEquals(straightModel.v.array(), resumedModel.v.array(), variant + ": final AdamW second moments");
    }

    @Test
    void fixedRandomTableNeverMovesWhileALearnedOneDoes() throws Exception {
        for (String variant : new String[] {"fixed", "random"}) {
            try (Backend backend = new JvmBackend(THREADS, true, new Profiler())) {
                Trainer trainer = Fixtures.newTrainer(Fixtures.text(2000), shape(variant), Fixtures.tinyTrain(20), backend, null,
                        new Fixtures.Console().out);
                Gpt model = Fixtures.model(trainer);
                float[] table = model.param("h.0.attn.synth_logits").toArray(), values = model.param("h.0.attn.c_v.weight").toArray();
                for (int s = 0; s < 10; s++) {
                    trainer.trainStep();
                }
                boolean tableMoved = !Arrays.equals(table, model.param("h.0.attn.synth_logits").toArray());
                assertFalse(Arrays.equals(values, model.param("h.0.attn.c_v.weight").toArray()), variant + ": c_v trains");
                if (variant.equals("fixed")) {
                    assertFalse(tableMoved, "a fixed table must not be updated by AdamW");
                } else {
                    assertTrue(tableMoved, "a learned table trains");
                }
            }
        }
    }
}
