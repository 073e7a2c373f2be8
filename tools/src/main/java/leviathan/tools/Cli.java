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
import leviathan.trainer.TrainingCheckpoint;

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
        if (threads < 0) {
            throw new CliException("--threads must not be negative", 2);
        }
        return BackendProvider.open(spec, threads, profiler);
    }

    /**
     * Applies every option no command has read yet: training options to {@code train}, shape options and
     * --mixer to the model config, anything else as an option of the mixer (which rejects unknown ones).
     * --mixer goes first, since switching mixers drops the previous mixer's options.
     */
    static ModelConfig applyOverrides(Args args, ModelConfig mc, TrainConfig train) {
        java.util.Map<String, String> overrides = args.unused();
        if (overrides.containsKey("mixer")) {
            mc = mc.with("mixer", args.get("mixer", null));
        }
        for (java.util.Map.Entry<String, String> e : overrides.entrySet()) {
            String k = e.getKey();
            if (k.equals("mixer")) {
                continue;
            }
            if (TrainConfig.isKey(k)) {
                train.set(k, e.getValue());
            } else if (ModelConfig.isShapeKey(k)) {
                mc = mc.with(k, e.getValue());
            } else {
                mc = mc.withMixerOption(k, e.getValue());
            }
            args.get(k, null);
        }
        return mc;
    }

    /** A model loaded from a checkpoint file or a run directory holding model.safetensors. */
    static final class LoadedModel {
        final Path file;
        final Gpt model;
        final Tokenizer tokenizer;

        LoadedModel(Path file, Gpt model, Tokenizer tokenizer) {
            this.file = file;
            this.model = model;
            this.tokenizer = tokenizer;
        }
    }

    static Path checkpointFile(String pathOrDir) {
        if (pathOrDir == null) {
            throw new CliException("give a checkpoint with --checkpoint FILE_OR_RUN_DIR", 2);
        }
        Path p = Paths.get(pathOrDir);
        if (Files.isDirectory(p)) {
            p = p.resolve(TrainingCheckpoint.MODEL_FILE);
        }
        if (!Files.exists(p)) {
            throw new CliException("checkpoint " + p + " does not exist", 1);
        }
        return p;
    }

    static LoadedModel load(String pathOrDir) throws IOException {
        Path file = checkpointFile(pathOrDir);
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(file);
        Gpt model = ModelCheckpoint.loadModel(loaded, file);
        return new LoadedModel(file, model, new Tokenizer(loaded.vocab));
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
