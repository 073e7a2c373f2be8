package leviathan.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;

/**
 * Finding and loading checkpoints. A command is given a run directory (its latest committed set),
 * a set directory ({@code RUN/checkpoints/step-N}, or {@code RUN/checkpoints/best}), a run
 * directory and a set name ({@code latest}, {@code best} or a step number), or a model file.
 */
public final class Checkpoints {
    private Checkpoints() {}

    /** A checkpoint to read: its model file and, unless it is a bare model file, its run state. */
    public record Resolved(Path modelFile, Path set, RunState state) {
        public int step() {
            return state == null ? -1 : state.step();
        }
    }

    /** What {@code path} (and {@code which}: null, "latest", "best" or a step) names. */
    public static Resolved resolve(Path path, String which) throws IOException {
        if (!Files.exists(path)) {
            throw new CheckpointException("checkpoint " + path + " does not exist");
        }
        if (Files.isRegularFile(path)) {
            if (which != null) {
                throw new CheckpointException(path + " is a model file, not a run directory: it has no set '" + which + "'");
            }
            return new Resolved(path, null, null);
        }
        if (Files.isRegularFile(path.resolve(RunState.FILE))) {
            if (which != null) {
                throw new CheckpointException(path + " is a checkpoint set already; drop --set " + which);
            }
            return new Resolved(path.resolve(CheckpointSet.MODEL_FILE), path, CheckpointSet.readState(path));
        }
        RunDirectory run = new RunDirectory(path);
        if (run.isLegacy()) {
            if (which != null && !which.equals("latest")) {
                throw new CheckpointException(path + " holds one checkpoint (the earlier layout); it has no set '" + which + "'");
            }
            return new Resolved(run.modelFile(), null, null);
        }
        Path set = pick(run, which == null ? "latest" : which);
        return new Resolved(set.resolve(CheckpointSet.MODEL_FILE), set, CheckpointSet.readState(set));
    }

    private static Path pick(RunDirectory run, String which) throws IOException {
        if (which.equals("latest")) {
            Path latest = run.latest();
            if (latest == null) {
                throw new CheckpointException(run.root + " holds no committed checkpoint (no " + RunDirectory.CHECKPOINTS + "/step-N set)");
            }
            return latest;
        }
        if (which.equals(RunDirectory.BEST)) {
            Path best = run.best();
            if (best == null) {
                throw new CheckpointException(run.root + " has no best checkpoint yet (none was saved at an evaluation step)");
            }
            return best;
        }
        int step;
        try {
            step = Integer.parseInt(which);
        } catch (NumberFormatException e) {
            throw new CheckpointException("--set takes latest, best or a step number, got '" + which + "'");
        }
        Path set = run.checkpoints().resolve(CheckpointSet.name(step));
        if (!Files.isDirectory(set)) {
            throw new CheckpointException(run.root + " has no checkpoint at step " + step + " (sets: " + run.sets().stream()
                    .map(s -> Integer.toString(RunDirectory.stepOf(s))).reduce((a, b) -> a + ", " + b).orElse("none") + ")");
        }
        return set;
    }

    /** A run to continue: the model with its optimizer moments, its vocabulary and where it stood. */
    public record Resumed(Gpt model, List<String> vocab, RunState state) {}

    /** Loads the latest committed checkpoint of a run (either layout) for training to continue from. */
    public static Resumed resume(RunDirectory run) throws IOException {
        if (run.isLegacy()) {
            ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(run.modelFile());
            Gpt model = ModelCheckpoint.loadModel(loaded, run.modelFile());
            LegacyCheckpoint.State s = LegacyCheckpoint.restoreOptimizer(run.root, model);
            long metrics = MetricsFile.bytesThroughStep(run.metrics(), s.step);
            Number batch = (Number) s.trainConfig.getOrDefault("batch", 0);
            RunState state = new RunState(s.step, s.rngState, s.trainConfig, metrics, 0, (long) s.step * batch.intValue()
                    * model.config.contextLength, Double.NaN, Double.NaN, -1, "");
            return new Resumed(model, loaded.vocab, state);
        }
        Path set = run.latest();
        if (set == null) {
            throw new CheckpointException("cannot resume: " + run.root + " holds no committed checkpoint");
        }
        Path modelFile = set.resolve(CheckpointSet.MODEL_FILE);
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(modelFile);
        Gpt model = ModelCheckpoint.loadModel(loaded, modelFile);
        CheckpointSet.restoreOptimizer(set, model);
        return new Resumed(model, loaded.vocab, CheckpointSet.readState(set));
    }
}
