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
import leviathan.model.AtomicFiles;
import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;
import leviathan.trainer.Corpus;
import leviathan.trainer.Dataset;
import leviathan.trainer.Preset;
import leviathan.trainer.StopSignal;
import leviathan.trainer.Tokenizer;
import leviathan.trainer.TrainConfig;
import leviathan.trainer.Trainer;
import leviathan.trainer.Checkpoints;
import leviathan.trainer.RunDirectory;
import leviathan.trainer.RunLock;
import leviathan.trainer.RunState;

/** {@code leviathan train}: train (or resume) a model and save checkpoints in a run directory. */
final class TrainCommand implements Main.Command {
    @Override
    public Map<String, ?> helpValues() {
        return Map.of("presets", String.join("|", Preset.all().keySet()), "baby", Preset.get("baby").description(),
                "training_options", "--" + TrainConfig.KEYS.replace(", ", " --"));
    }

    /** Where the run's console output goes; null: System.out as it is when the command runs (tests replace it). */
    private final java.io.PrintStream log;

    TrainCommand() {
        this(null);
    }

    /** A train command that writes its console output to {@code log} (the study keeps one log file per cell). */
    TrainCommand(java.io.PrintStream log) {
        this.log = log;
    }

    private java.io.PrintStream out() {
        return log != null ? log : System.out;
    }

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("resume", "debug", "profile"));
        boolean resume = args.flag("resume");
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
        int threads = Cli.threads(args);

        Corpus corpus = Corpus.load(dataArg);
        warnAboutText(corpus, out());
        Path outDir = outArg != null ? Paths.get(outArg)
                : resume ? latestRun("runs/" + presetName + "-" + mixerOverride(args, preset.model().mixer))
                : freshRun("runs/" + presetName + "-" + mixerOverride(args, preset.model().mixer));
        RunDirectory run = new RunDirectory(outDir);
        if (resume) {
            return resume(args, corpus, run, stopAt, backendSpec, threads, profile, profiler);
        }
        Tokenizer tokenizer = Tokenizer.fromText(corpus.text);
        ModelConfig mc = preset.model().withVocabSize(tokenizer.size());
        TrainConfig cfg = preset.train().copy();
        mc = Cli.applyOverrides(args, mc, cfg);
        args.rejectUnused("train");
        cfg.validate();
        Gpt model = new Gpt(mc);
        Dataset data = dataset(corpus, tokenizer, model);
        if (Files.isDirectory(outDir)) {
            RunLock.acquire(outDir).close(); // a directory another process is training says so, naming it
        }
        if (run.hasCheckpoint()) {
            throw new CliException(outDir + " already holds a checkpoint; continue it with --resume, or choose another --out", 1);
        }
        try (Backend backend = Cli.backend(backendSpec, threads, profiler)) {
            // Everything is checked: only now does the run directory appear.
            boolean created = !Files.exists(outDir);
            checkWritable(outDir);
            try (RunLock lock = RunLock.acquire(outDir)) {
                if (run.hasCheckpoint()) { // another writer got here between the check above and the lock
                    throw new CliException(outDir + " already holds a checkpoint; continue it with --resume, or choose another --out", 1);
                }
                run.discardUncommittedMetrics();
                run.removeIncomplete();
                model.initialise(cfg.seed);
                String config = RunConfig.json(corpus, model, cfg);
                AtomicFiles.writeString(run.configFile(), config);
                return train(model, tokenizer, data, cfg, backend, new Rng(cfg.seed), run, null, config, corpus, stopAt, profile, profiler);
            } catch (IOException | RuntimeException e) {
                if (created) {
                    RunConfig.removeIfUnused(run);
                }
                throw e;
            }
        }
    }

    /** --resume: continue the latest committed checkpoint of {@code run} with its own config; only training options may change. */
    private int resume(Args args, Corpus corpus, RunDirectory run, int stopAt, String backendSpec, int threads, boolean profile,
                       Profiler profiler)
            throws IOException {
        if (!Files.isDirectory(run.root)) {
            throw new CliException("cannot resume: " + run.root + " does not exist", 1);
        }
        try (RunLock lock = RunLock.acquire(run.root)) {
            if (!run.hasCheckpoint()) {
                throw new CliException("cannot resume: " + run.root + " holds no committed checkpoint", 1);
            }
            Checkpoints.Resumed r = Checkpoints.resume(run);
            Tokenizer tokenizer = new Tokenizer(r.vocab());
            Tokenizer fromData = Tokenizer.fromText(corpus.text);
            if (!fromData.vocab().equals(r.vocab())) {
                throw new CliException("cannot resume: the checkpoint's vocabulary (" + r.vocab().size() + " characters) does not match "
                        + corpus.path + " (" + fromData.size() + " characters; " + vocabDifference(r.vocab(), fromData.vocab())
                        + "); resume with the data the run was trained on", 1);
            }
            TrainConfig cfg = new TrainConfig();
            for (Map.Entry<String, Object> e : r.state().trainConfig().entrySet()) {
                cfg.set(e.getKey(), plain(e.getValue()));
            }
            ModelConfig saved = r.model().effectiveConfig();
            for (Map.Entry<String, String> e : args.unused().entrySet()) {
                String k = e.getKey();
                if (TrainConfig.isKey(k)) {
                    cfg.set(k, args.get(k, null));
                } else if (sameAsSaved(saved, k, e.getValue())) {
                    args.use(k);
                } else if (ModelConfig.isShapeKey(k) || k.equals("mixer") || saved.mixerOptions.containsKey(k)) {
                    throw new CliException("--" + k + " cannot change on --resume (the run has " + k + "=" + savedValue(saved, k)
                            + "; only training options such as --steps can)", 2);
                }
            }
            args.alsoKnown(OptionNames.modelAndTraining());
            args.rejectUnused("train");
            cfg.validate();
            int step = r.state().step();
            int end = stopAt > 0 ? Math.min(stopAt, cfg.steps) : cfg.steps;
            if (step >= end) {
                out().println("nothing to do: " + run.root + " is at step " + step + (stopAt > 0 && stopAt < cfg.steps ? ", and --stop-at is "
                        + stopAt : ", and --steps is " + cfg.steps) + " (raise --steps to train further); no checkpoint was written");
                return 0;
            }
            Rng rng = new Rng(0);
            rng.setState(r.state().rngState());
            Dataset data = dataset(corpus, tokenizer, r.model());
            if (!run.isLegacy()) {
                run.repair(cfg.keepLast);
            }
            String config = RunConfig.json(corpus, r.model(), cfg);
            out().println("resuming " + run.root + " at step " + step);
            try (Backend backend = Cli.backend(backendSpec, threads, profiler)) {
                AtomicFiles.writeString(run.configFile(), config);
                return train(r.model(), tokenizer, data, cfg, backend, rng, run, r.state(), config, corpus, stopAt, profile, profiler);
            }
        }
    }

    private int train(Gpt model, Tokenizer tokenizer, Dataset data, TrainConfig cfg, Backend backend, Rng rng, RunDirectory run,
                      RunState resumed, String config, Corpus corpus, int stopAt, boolean profile, Profiler profiler) throws IOException {
        Cli.warnIfLeaky(model.mixer, out());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("causal", Boolean.toString(model.mixer.causal()));
        Trainer trainer = new Trainer(model, tokenizer, data, cfg, backend, out(), rng,
                new Trainer.Checkpointing(run, resumed, meta, config));
        printHeader(out(), model, cfg, corpus, data, backend, trainer, run.root);
        StopSignal.install();
        Trainer.Result r = trainer.run(stopAt);
        if (profile) {
            out().println(profiler.table("profile (" + backend.name() + ")"));
            AtomicFiles.writeString(run.root.resolve("profile.json"), profiler.json(backend.name()));
        }
        switch (r.outcome) {
            case DIVERGED: throw new CliException(r.message, 3);
            case INTERRUPTED: return StopSignal.exitCode(StopSignal.signal());
            default: return 0;
        }
    }

    /** The data as tokens, checked to hold a window of the model's context in each split. */
    private static Dataset dataset(Corpus corpus, Tokenizer tokenizer, Gpt model) {
        Dataset data = new Dataset(tokenizer.encode(corpus.text));
        try {
            data.requireWindows(model.config.contextLength);
        } catch (IllegalArgumentException e) {
            throw new CliException(corpus.path + ": " + e.getMessage(), 1);
        }
        return data;
    }

    /** Text that trains but cannot mean what the user wants gets a warning, not silence. */
    private static void warnAboutText(Corpus corpus, java.io.PrintStream out) {
        long distinct = corpus.text.codePoints().distinct().count();
        if (distinct < 2) {
            out.println("warning: " + corpus.path + " has " + distinct + " distinct character" + (distinct == 1 ? "" : "s")
                    + ": there is nothing to predict, the loss goes to 0");
        }
        if (corpus.text.indexOf('\r') >= 0) {
            out.println("warning: " + corpus.path + " has carriage returns (\\r, Windows line ends): \\r is a character of the"
                    + " vocabulary; convert the file (e.g. dos2unix) unless that is what you want");
        }
    }

    private static boolean sameAsSaved(ModelConfig saved, String key, String value) {
        String v = savedValue(saved, key);
        return v != null && v.equals(value.trim());
    }

    private static String savedValue(ModelConfig saved, String key) {
        switch (key) {
            case "layers": return Integer.toString(saved.layers);
            case "heads": return Integer.toString(saved.heads);
            case "width": return Integer.toString(saved.width);
            case "context": return Integer.toString(saved.contextLength);
            case "mixer": return saved.mixer;
            default: return saved.mixerOptions.get(key);
        }
    }

    /** The default run directory: base, base-2, base-3, … — the first that holds no checkpoint. */
    static Path freshRun(String base) throws IOException {
        for (int i = 1; ; i++) {
            Path p = Paths.get(i == 1 ? base : base + "-" + i);
            if (!new RunDirectory(p).hasCheckpoint()) {
                return p;
            }
        }
    }

    /** For --resume without --out: the newest of base, base-2, … that holds a checkpoint. */
    static Path latestRun(String base) throws IOException {
        Path last = Paths.get(base);
        for (int i = 2; new RunDirectory(Paths.get(base + "-" + i)).hasCheckpoint(); i++) {
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

    /** Fails unless files can be written in {@code dir} (which it creates: call it once the start is checked). */
    static void checkWritable(Path dir) {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new CliException("cannot write to the output directory " + dir + ": " + Cli.describe(e), 1);
        }
    }

    private static void printHeader(java.io.PrintStream out, Gpt model, TrainConfig cfg, Corpus corpus, Dataset data, Backend backend, Trainer trainer, Path outDir) {
        out.println("data: " + corpus.path + " | " + Cli.count(data.train.length) + " train / " + Cli.count(data.val.length)
                + " val characters | vocabulary " + model.config.vocabSize);
        out.println("model: " + model.config + " | " + Cli.count(model.parameterCount()) + " parameters");
        long mem = model.stateBytes() + trainer.workspace().activationBytes();
        out.println("memory: ~" + Cli.bytes(mem) + " (parameters, gradients, AdamW moments " + Cli.bytes(model.stateBytes())
                + "; activations and their gradients " + Cli.bytes(trainer.workspace().activationBytes()) + ")");
        out.println("training: batch " + cfg.batchSize + " x " + model.config.contextLength + " tokens, " + cfg.steps
                + " steps, lr " + String.format(java.util.Locale.ROOT, "%.2g -> %.2g", cfg.learningRate, cfg.minLearningRate)
                + " (warm-up " + cfg.warmupSteps + "), seed " + cfg.seed
                + " | backend " + backend.name() + " | run dir " + outDir);
    }
}
