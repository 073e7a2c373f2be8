package leviathan.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;
import leviathan.model.Safetensors;
import leviathan.trainer.Corpus;
import leviathan.trainer.Dataset;
import leviathan.trainer.Preset;
import leviathan.trainer.StopSignal;
import leviathan.trainer.Tokenizer;
import leviathan.trainer.TrainConfig;
import leviathan.trainer.Trainer;
import leviathan.trainer.TrainingCheckpoint;

/** {@code leviathan train}: train (or resume) a model and save checkpoints in a run directory. */
final class TrainCommand implements Main.Command {
    @Override
    public String summary() {
        return "train a model (or --resume one) and save checkpoints";
    }

    @Override
    public String help() {
        return String.join("\n",
                "usage: leviathan train [--preset baby|seed] [--data FILE|tinyshakespeare] [--out DIR] [--resume]",
                "                       [--stop-at N] [--threads N] [--backend jvm|tornado] [--device B:D] [--profile] [--KEY=VALUE ...]",
                "",
                "  --preset NAME      starting configuration (default baby: " + Preset.get("baby").description + ")",
                "  --data FILE        any UTF-8 text; default tinyshakespeare (data/, ../shared/data/, cache, or downloaded)",
                "  --out DIR          run directory for model.safetensors, optimizer.safetensors, metrics.jsonl",
                "                     (default runs/<preset>-<mixer>, or -2, -3, … if taken); a new run never writes over",
                "                     a directory that holds a checkpoint",
                "  --resume           continue the run in --out exactly where it stopped (same data required)",
                "  --stop-at N        stop after step N (schedule unchanged), save, and exit; resume later",
                "  --backend NAME     jvm (default) or tornado (under the TornadoVM launcher); --device B:D picks the",
                "                     TornadoVM device listed by 'leviathan devices' (also written tornado:B:D)",
                "  --profile          print the per-stage profile after training (and write profile.json)",
                "  model options:     --layers --heads --width --context --mixer NAME",
                "  training options:  --" + TrainConfig.KEYS.replace(", ", " --"),
                "  mixer options:     any other --KEY=VALUE goes to the mixer (e.g. --lags=4 for leviathan)",
                "",
                "Ctrl-C finishes the current step, saves a checkpoint and exits with code 130.");
    }

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("resume", "debug", "profile"));
        boolean resume = args.flag("resume");
        args.flag("debug");
        boolean profile = args.flag("profile");
        String presetName = args.get("preset", "baby");
        Preset preset = Preset.get(presetName);
        String dataArg = args.get("data", Corpus.DEFAULT_NAME);
        int stopAt = args.integer("stop-at", 0);
        if (stopAt < 0 || args.has("stop-at") && stopAt == 0) {
            throw new CliException("--stop-at must be a positive step number, got " + stopAt, 2);
        }
        String outArg = args.get("out", null);
        Profiler profiler = new Profiler(profile, 5);
        String backendSpec = Cli.backendSpec(args);
        int threads = args.integer("threads", 0);

        Corpus corpus = Corpus.load(dataArg);
        Gpt model;
        Tokenizer tokenizer;
        TrainConfig cfg;
        Rng rng;
        int startStep;
        Path outDir;
        if (resume) {
            outDir = outArg != null ? Paths.get(outArg) : latestRun("runs/" + presetName + "-" + mixerOverride(args, preset.model.mixer));
            Path modelFile = outDir.resolve(TrainingCheckpoint.MODEL_FILE);
            if (!Files.isRegularFile(modelFile)) {
                throw new CliException("cannot resume: " + modelFile + " does not exist", 1);
            }
            ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(modelFile);
            tokenizer = new Tokenizer(loaded.vocab);
            Tokenizer fromData = Tokenizer.fromText(corpus.text);
            if (!fromData.vocab().equals(loaded.vocab)) {
                throw new CliException("cannot resume: the checkpoint's vocabulary (" + loaded.vocab.size() + " characters) does not match "
                        + corpus.path + " (" + fromData.size() + " characters; " + vocabDifference(loaded.vocab, fromData.vocab())
                        + "); resume with the data the run was trained on", 1);
            }
            model = ModelCheckpoint.loadModel(loaded, modelFile);
            TrainingCheckpoint.State state = TrainingCheckpoint.restoreOptimizer(outDir, model);
            cfg = new TrainConfig();
            for (Map.Entry<String, Object> e : state.trainConfig.entrySet()) {
                cfg.set(e.getKey(), plain(e.getValue()));
            }
            for (Map.Entry<String, String> e : args.unused().entrySet()) {
                if (!TrainConfig.isKey(e.getKey())) {
                    throw new CliException("--" + e.getKey() + " cannot change on --resume (only training options such as --steps can)", 2);
                }
                cfg.set(e.getKey(), e.getValue());
                args.get(e.getKey(), null);
            }
            rng = new Rng(0);
            rng.setState(state.rngState);
            startStep = state.step;
            System.out.println("resuming " + outDir + " at step " + startStep);
        } else {
            tokenizer = Tokenizer.fromText(corpus.text);
            ModelConfig mc = preset.model.withVocabSize(tokenizer.size());
            cfg = preset.train.copy();
            mc = Cli.applyOverrides(args, mc, cfg);
            model = new Gpt(mc);
            model.initialise(cfg.seed);
            rng = new Rng(cfg.seed);
            startStep = 0;
            outDir = outArg != null ? Paths.get(outArg) : freshRun("runs/" + presetName + "-" + mc.mixer);
            if (Files.exists(outDir.resolve(TrainingCheckpoint.MODEL_FILE))) {
                throw new CliException(outDir + " already holds a checkpoint; continue it with --resume, or choose another --out", 1);
            }
        }
        args.rejectUnused("train");
        checkWritable(outDir);
        Dataset data = new Dataset(tokenizer.encode(corpus.text));
        if (cfg.batchSize <= 0) {
            throw new CliException("batch must be positive", 2);
        }
        try {
            data.requireWindows(model.config.contextLength);
        } catch (IllegalArgumentException e) {
            throw new CliException(corpus.path + ": " + e.getMessage(), 1);
        }
        try (Backend backend = Cli.backend(backendSpec, threads, profiler)) {
            Cli.warnIfLeaky(model.mixer, System.out);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("causal", Boolean.toString(model.mixer.causal()));
            Trainer trainer = new Trainer(model, tokenizer, data, cfg, backend, outDir, System.out, rng, startStep, meta);
            printHeader(model, cfg, corpus, data, backend, trainer, outDir);
            StopSignal.install();
            Trainer.Result r = trainer.run(stopAt);
            if (profile) {
                System.out.println(profiler.table("profile (" + backend.name() + ")"));
                leviathan.model.AtomicFiles.writeString(outDir.resolve("profile.json"), profiler.json(backend.name()));
            }
            switch (r.outcome) {
                case DIVERGED: throw new CliException(r.message, 3);
                case INTERRUPTED: return 130;
                default: return 0;
            }
        } catch (Safetensors.FormatException e) {
            throw new CliException(e.getMessage(), 1);
        }
    }

    /** The default run directory: base, base-2, base-3, … — the first that holds no checkpoint. */
    static Path freshRun(String base) {
        for (int i = 1; ; i++) {
            Path p = Paths.get(i == 1 ? base : base + "-" + i);
            if (!Files.exists(p.resolve(TrainingCheckpoint.MODEL_FILE))) {
                return p;
            }
        }
    }

    /** For --resume without --out: the newest of base, base-2, … that holds a checkpoint. */
    static Path latestRun(String base) {
        Path last = Paths.get(base);
        for (int i = 2; Files.exists(Paths.get(base + "-" + i).resolve(TrainingCheckpoint.MODEL_FILE)); i++) {
            last = Paths.get(base + "-" + i);
        }
        return last;
    }

    /** The first character one vocabulary has and the other lacks, for the mismatch message. */
    static String vocabDifference(java.util.List<String> checkpoint, java.util.List<String> data) {
        for (String c : data) {
            if (!checkpoint.contains(c)) {
                return "the data has " + quote(c) + ", the checkpoint does not";
            }
        }
        for (String c : checkpoint) {
            if (!data.contains(c)) {
                return "the checkpoint has " + quote(c) + ", the data does not";
            }
        }
        return "same characters, different order";
    }

    private static String quote(String c) {
        int cp = c.codePointAt(0);
        return (Character.isISOControl(cp) || Character.isWhitespace(cp) ? "" : "'" + c + "' ") + String.format("U+%04X", cp);
    }

    private static String mixerOverride(Args args, String fallback) {
        return args.has("mixer") ? args.get("mixer", fallback) : fallback;
    }

    private static String plain(Object v) {
        if (v instanceof Double) {
            double d = (Double) v;
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d);
            }
        }
        return String.valueOf(v);
    }

    static void checkWritable(Path dir) {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new CliException("cannot write to the output directory " + dir + " (" + e.getClass().getSimpleName() + ")", 1);
        }
    }

    private static void printHeader(Gpt model, TrainConfig cfg, Corpus corpus, Dataset data, Backend backend, Trainer trainer, Path outDir) {
        System.out.println("data: " + corpus.path + " | " + Cli.count(data.train.length) + " train / " + Cli.count(data.val.length)
                + " val characters | vocabulary " + model.config.vocabSize);
        System.out.println("model: " + model.config + " | " + Cli.count(model.parameterCount()) + " parameters");
        long mem = model.stateBytes() + trainer.workspace().activationBytes();
        System.out.println("memory: ~" + Cli.bytes(mem) + " (parameters, gradients, AdamW moments " + Cli.bytes(model.stateBytes())
                + "; activations and their gradients " + Cli.bytes(trainer.workspace().activationBytes()) + ")");
        System.out.println("training: batch " + cfg.batchSize + " x " + model.config.contextLength + " tokens, " + cfg.steps
                + " steps, lr " + String.format(java.util.Locale.ROOT, "%.2g -> %.2g", cfg.learningRate, cfg.minLearningRate)
                + " (warm-up " + cfg.warmupSteps + "), seed " + cfg.seed
                + " | backend " + backend.name() + " | run dir " + outDir);
    }
}
