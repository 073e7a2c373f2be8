package leviathan.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import leviathan.graph.Backend;
import leviathan.graph.BackendProvider;
import leviathan.graph.Profiler;
import leviathan.model.Gpt;
import leviathan.model.Mixer;
import leviathan.model.ModelCheckpoint;
import leviathan.model.ModelConfig;
import leviathan.trainer.Tokenizer;
import leviathan.trainer.TrainConfig;
import leviathan.trainer.Checkpoints;
import leviathan.trainer.RunState;

/** Pieces every command shares: the backend, checkpoints, sizes in words. */
final class Cli {
    private Cli() {}

    /**
     * The backend a command runs on: {@code --backend NAME[:DEVICE]} (default jvm), or the device given
     * apart as {@code --device B:D} (so {@code --backend tornado --device 0:1} is {@code --backend tornado:0:1}).
     */
    static String backendSpec(Args args) {
        String backend = args.get("backend", "jvm");
        String device = args.get("device", null);
        if (device == null) {
            return backend;
        }
        if (backend.contains(":")) {
            throw new CliException("give the device once: --backend " + backend + " already names one (drop --device " + device + ")", 2);
        }
        if (backend.equals("jvm")) {
            throw new CliException("--device " + device + " selects a TornadoVM device; the jvm backend has none (use --backend tornado --device B:D)", 2);
        }
        return backend + ":" + device;
    }

    static Backend backend(String spec, int threads, Profiler profiler) {
        checkThreads(threads);
        return BackendProvider.open(spec, threads, profiler);
    }

    /** Most threads worth running: beyond a few per core they only contend (and can slow a step by orders of magnitude). */
    static int maxThreads() {
        return 4 * Runtime.getRuntime().availableProcessors();
    }

    /** --threads N: 0 means all cores; more than {@link #maxThreads()} is refused. */
    static int checkThreads(int threads) {
        if (threads < 0) {
            throw new CliException("--threads must not be negative (0 means all cores)", 2);
        }
        if (threads > maxThreads()) {
            throw new CliException("--threads " + threads + " is more than 4 per core of this machine's " + Runtime.getRuntime().availableProcessors()
                    + " cores (at most " + maxThreads() + "; 0 means all cores)", 2);
        }
        return threads;
    }

    /**
     * Applies the model, training and mixer options no command has read yet: training options to
     * {@code train}, shape options and --mixer to the model config, and the options of the chosen mixer
     * to it. --mixer goes first, since switching mixers drops the previous mixer's options. An option
     * of another mixer is an error saying whose it is; anything else is left for
     * {@link Args#rejectUnused} (unknown option, with a hint).
     */
    static ModelConfig applyOverrides(Args args, ModelConfig mc, TrainConfig train) {
        args.alsoKnown(OptionNames.modelAndTraining());
        java.util.Map<String, String> overrides = args.unused();
        if (overrides.containsKey("mixer")) {
            mc = mc.with("mixer", args.get("mixer", null));
        }
        java.util.List<String> mixerOptions = leviathan.model.Mixers.optionNames(mc.mixer);
        for (java.util.Map.Entry<String, String> e : overrides.entrySet()) {
            String k = e.getKey();
            if (k.equals("mixer")) {
                continue;
            }
            if (TrainConfig.isKey(k)) {
                train.set(k, args.get(k, null));
            } else if (ModelConfig.isShapeKey(k)) {
                mc = mc.with(k, args.get(k, null));
            } else if (mixerOptions.contains(k)) {
                mc = mc.withMixerOption(k, args.get(k, null));
            } else {
                String owner = mixerOwning(k);
                if (owner != null) {
                    throw new CliException("mixer " + mc.mixer + " has no option --" + k + " (it is an option of " + owner + "; "
                            + (mixerOptions.isEmpty() ? mc.mixer + " takes none" : mc.mixer + " takes " + String.join(", ", mixerOptions)) + ")", 2);
                }
            }
        }
        return mc;
    }

    /** The first mixer (in registration order) that takes option {@code key}, or null. */
    private static String mixerOwning(String key) {
        for (String m : leviathan.model.Mixers.all().keySet()) {
            if (leviathan.model.Mixers.optionNames(m).contains(key)) {
                return m;
            }
        }
        return null;
    }

    /** A model loaded from a checkpoint: the file, the model, its tokenizer and, for a set, where the run stood. */
    static final class LoadedModel {
        final Path file;
        final Gpt model;
        final Tokenizer tokenizer;
        final RunState state;

        LoadedModel(Path file, Gpt model, Tokenizer tokenizer, RunState state) {
            this.file = file;
            this.model = model;
            this.tokenizer = tokenizer;
            this.state = state;
        }
    }

    /** Reads --checkpoint (a run directory, a set, or a model file) and --set (latest, best or a step). */
    static Checkpoints.Resolved checkpoint(Args args) throws IOException {
        String path = args.get("checkpoint", null);
        String which = args.get("set", null);
        if (path == null) {
            throw new CliException("give a checkpoint with --checkpoint RUN_DIR (its latest set; --set best or --set STEP for another),"
                    + " a set directory or a model file", 2);
        }
        return Checkpoints.resolve(Paths.get(path), which);
    }

    static LoadedModel load(Checkpoints.Resolved c) throws IOException {
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(c.modelFile());
        Gpt model = ModelCheckpoint.loadModel(loaded, c.modelFile());
        return new LoadedModel(c.modelFile(), model, new Tokenizer(loaded.vocab), c.state());
    }

    /** --threads N for any command (0: all cores). */
    static int threads(Args args) {
        return checkThreads(args.integer("threads", 0));
    }

    /**
     * Fails now, before any work, if {@code file} cannot be written (its directory cannot be made, or
     * a file cannot be created in it): long commands must not compute for minutes and then fail to save.
     */
    static void checkOutputFile(String file, String option) {
        if (file == null) {
            return;
        }
        Path dir = Paths.get(file).toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new CliException("cannot write " + option + " " + file + ": " + describe(e), 1);
        }
    }

    /** An I/O failure in words, without Java class names where the OS gave a reason. */
    static String describe(Exception e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static void warnIfLeaky(Mixer mixer, java.io.PrintStream out) {
        if (!mixer.causal()) {
            out.println("WARNING: mixer '" + mixer.name() + "' is NOT causal: later characters leak into earlier positions,"
                    + " so its loss is not a language-model result (kept only to reproduce the seed notebook).");
        }
    }

    static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format("%.2f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format("%.1f MiB", b / (double) (1L << 20));
        }
        return String.format("%.1f KiB", b / 1024.0);
    }

    static String count(long n) {
        return String.format("%,d", n);
    }
}
