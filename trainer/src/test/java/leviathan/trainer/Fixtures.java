package leviathan.trainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import leviathan.graph.Backend;
import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;

/** Small texts, tiny configs and trainer set-up shared by the trainer tests. */
final class Fixtures {
    private Fixtures() {}

    /** A repetitive text of about {@code n} characters (a 27-character vocabulary or so). */
    static String text(int n) {
        String[] lines = {
            "the cat sat on the mat.\n",
            "a dog ran to the big red barn.\n",
            "we sing when the sun is up.\n",
            "quick brown foxes jump over lazy dogs.\n",
        };
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (sb.length() < n) {
            sb.append(lines[i++ % lines.length]);
        }
        return sb.substring(0, n);
    }

    /** Swallows a trainer's console output in tests that only look at its results. */
    static final java.io.PrintStream QUIET = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());

    /** The three-line repetitive text the mixer training tests learn (a short, easy vocabulary). */
    static String threeLineText(int n) {
        String[] lines = {"the cat sat on the mat.\n", "a dog ran to the big red barn.\n", "we sing when the sun is up.\n"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < n; i++) {
            sb.append(lines[i % lines.length]);
        }
        return sb.substring(0, n);
    }

    /** The mixer training tests' settings: batch 4, no evaluation or samples, lr 1e-2 → 1e-3, the given seed. */
    static TrainConfig mixerTrain(int steps, long seed) {
        TrainConfig c = new TrainConfig();
        c.batchSize = 4;
        c.steps = steps;
        c.learningRate = 1e-2f;
        c.minLearningRate = 1e-3f;
        c.warmupSteps = 5;
        c.evalInterval = 0;
        c.evalIters = 2;
        c.logInterval = 1000;
        c.sampleChars = 0;
        c.seed = seed;
        return c;
    }

    /** 2 layers, 2 heads, width 16, context 8. */
    static ModelConfig tinyModel(int vocab) {
        return new ModelConfig(vocab, 8, 2, 2, 16, "attention", Map.of());
    }

    /** Batch 2, the given steps, quick evaluation, a short warm-up and a learning rate that moves a tiny model. */
    static TrainConfig tinyTrain(int steps) {
        TrainConfig c = new TrainConfig();
        c.batchSize = 2;
        c.steps = steps;
        c.learningRate = 1e-2f;
        c.minLearningRate = 1e-3f;
        c.warmupSteps = 10;
        c.evalInterval = 30;
        c.evalIters = 2;
        c.logInterval = 10;
        c.sampleChars = 10;
        c.seed = 1337;
        return c;
    }

    /** A console stream that keeps what was printed. */
    static final class Console {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    /** A new run: model initialised from cfg.seed, data generator seeded with cfg.seed (as the CLI does). */
    static Trainer newTrainer(String text, ModelConfig shape, TrainConfig cfg, Backend backend, Path outDir, PrintStream out) throws IOException {
        Tokenizer tok = Tokenizer.fromText(text);
        Gpt model = new Gpt(shape.withVocabSize(tok.size()));
        model.initialise(cfg.seed);
        return new Trainer(model, tok, new Dataset(tok.encode(text)), cfg, backend, out, new Rng(cfg.seed), checkpointing(outDir, null));
    }

    /** Resumes a run directory the way the CLI does: model, optimiser moments, step and generator state. */
    static Trainer resume(String text, Path dir, TrainConfig cfg, Backend backend, PrintStream out) throws IOException {
        Checkpoints.Resumed r = Checkpoints.resume(new RunDirectory(dir));
        Tokenizer tok = new Tokenizer(r.vocab());
        Rng rng = new Rng(0);
        rng.setState(r.state().rngState());
        return new Trainer(r.model(), tok, new Dataset(tok.encode(text)), cfg, backend, out, rng, checkpointing(dir, r.state()));
    }

    /** Saving into {@code dir} (nothing when null), continuing {@code resumed} (null for a new run). */
    static Trainer.Checkpointing checkpointing(Path dir, RunState resumed) {
        return dir == null ? Trainer.Checkpointing.none() : new Trainer.Checkpointing(new RunDirectory(dir), resumed, Map.of(), "{}");
    }

    /** The model a trainer trains (via reflection-free access: the workspace knows it). */
    static Gpt model(Trainer t) {
        return t.workspace().model;
    }
}
