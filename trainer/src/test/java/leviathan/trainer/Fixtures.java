package leviathan.trainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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
        return train("batch=4", "steps=" + steps, "warmup=5", "eval_interval=0", "log_interval=1000", "sample_chars=0", "seed=" + seed);
    }

    /** 2 layers, 2 heads, width 16, context 8. */
    static ModelConfig tinyModel(int vocab) {
        return new ModelConfig(vocab, 8, 2, 2, 16, "attention", Map.of());
    }

    /** The mixer training tests' model: 2 layers, 2 heads, width 32, context 16 (the vocabulary is the text's). */
    static ModelConfig mixerModel(String mixer, Map<String, String> options) {
        return new ModelConfig(0, 16, 2, 2, 32, mixer, options);
    }

    /** Batch 2, the given steps, quick evaluation, a short warm-up and a learning rate that moves a tiny model. */
    static TrainConfig tinyTrain(int steps) {
        return train("batch=2", "steps=" + steps, "warmup=10", "eval_interval=30", "log_interval=10", "sample_chars=10", "seed=1337");
    }

    /** Settings as the CLI takes them ("key=value"), over what every test run shares: lr 1e-2 → 1e-3, 2 batches per evaluation. */
    private static TrainConfig train(String... settings) {
        TrainConfig c = new TrainConfig().set("lr", "1e-2").set("min_lr", "1e-3").set("eval_iters", "2");
        for (String setting : settings) {
            String[] kv = setting.split("=", 2);
            c.set(kv[0], kv[1]);
        }
        return c;
    }

    /** The mean of losses[from … to−1]. */
    static double meanLoss(List<Float> losses, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += losses.get(i);
        }
        return s / (to - from);
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
        return new Trainer(model, tok, new Dataset(tok.encode(text)), cfg, backend, out, new Rng(cfg.seed), checkpointing(outDir, null, model));
    }

    /** Resumes a run directory the way the CLI does: model, optimiser moments, step and generator state. */
    static Trainer resume(String text, Path dir, TrainConfig cfg, Backend backend, PrintStream out) throws IOException {
        Checkpoints.Resumed r = Checkpoints.resume(new RunDirectory(dir));
        Tokenizer tok = new Tokenizer(r.vocab());
        Rng rng = new Rng(0);
        rng.setState(r.state().rngState());
        return new Trainer(r.model(), tok, new Dataset(tok.encode(text)), cfg, backend, out, rng, checkpointing(dir, r.state(), r.model()));
    }

    /**
     * Saving into {@code dir} (nothing when null), continuing {@code resumed} (null for a new run),
     * recording whether the model is causal as {@code train} does.
     */
    static Trainer.Checkpointing checkpointing(Path dir, RunState resumed, Gpt model) {
        return dir == null ? Trainer.Checkpointing.none()
                : new Trainer.Checkpointing(new RunDirectory(dir), resumed, Map.of("causal", Boolean.toString(model.mixer.causal())), "{}");
    }

    /** The model a trainer trains (via reflection-free access: the workspace knows it). */
    static Gpt model(Trainer t) {
        return t.workspace().model;
    }
}
