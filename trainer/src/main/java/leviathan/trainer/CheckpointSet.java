package leviathan.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import leviathan.model.AtomicFiles;
import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;
import leviathan.model.Safetensors;

/**
 * One checkpoint set, {@code checkpoints/step-NNNNNNNN/}: {@code model.safetensors} (SPEC 4, opens
 * anywhere), {@code optimizer.safetensors} (AdamW's moments {@code exp_avg.*}, {@code exp_avg_sq.*}),
 * {@code state.json} ({@link RunState}) and {@code config.json} (the run's effective options).
 *
 * <p><b>Commit.</b> The set is written complete into a fresh {@code .incomplete-…} directory beside
 * the committed ones, every file and the directory fsynced, and then renamed to its final name: that
 * one atomic rename is the commit. A crash, a kill or a full disk at any moment before it leaves the
 * committed sets as they were (and a leftover {@code .incomplete-…} directory, removed by the next
 * writer); after it, the set is whole.
 */
public final class CheckpointSet {
    public static final String MODEL_FILE = "model.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String CONFIG_FILE = "config.json";
    public static final String OPTIMIZER_FORMAT = "leviathan-1-optimizer";
    static final String INCOMPLETE = ".incomplete-";
    /** Fault-injection aid for the tests: a pause (ms) between the files of a set, so that a kill lands mid-save. */
    static final String SAVE_PAUSE_ENV = "LEVIATHAN_FAULT_SAVE_PAUSE_MS";

    private CheckpointSet() {}

    public static String name(int step) {
        return String.format("step-%08d", step);
    }

    /** Writes and commits the set of {@code state.step} under {@code checkpoints}; returns its directory. */
    static Path commit(Path checkpoints, Gpt model, List<String> vocab, RunState state, Map<String, String> modelMetadata,
                       String configJson) throws IOException {
        Files.createDirectories(checkpoints);
        Path done = checkpoints.resolve(name(state.step()));
        if (Files.isDirectory(done)) {
            return done; // this step is committed already (a resume that saves before training further)
        }
        Path tmp = checkpoints.resolve(INCOMPLETE + name(state.step()) + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Files.createDirectory(tmp);
        try {
            Map<String, String> meta = new LinkedHashMap<>(modelMetadata);
            meta.put("step", Integer.toString(state.step()));
            ModelCheckpoint.save(tmp.resolve(MODEL_FILE), model, vocab, meta);
            pause();
            Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>(ModelCheckpoint.tensors(model, model.m, "exp_avg."));
            tensors.putAll(ModelCheckpoint.tensors(model, model.v, "exp_avg_sq."));
            // The model's hash ties the moments to their model: a model file copied in from elsewhere is caught.
            String sha = Corpus.sha256(Files.readAllBytes(tmp.resolve(MODEL_FILE)));
            Map<String, String> om = new LinkedHashMap<>(); // in a fixed order: the same state gives the same bytes
            om.put("format", OPTIMIZER_FORMAT);
            om.put("step", Integer.toString(state.step()));
            om.put("model_sha256", sha);
            Safetensors.write(tmp.resolve(OPTIMIZER_FILE), tensors, om);
            pause();
            AtomicFiles.writeString(tmp.resolve(CONFIG_FILE), configJson);
            AtomicFiles.writeString(tmp.resolve(RunState.FILE), state.toJson());
            pause();
            AtomicFiles.syncDirectory(tmp);
            Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.syncDirectory(checkpoints);
            return done;
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** Restores the moments of a committed set into {@code model} (whose parameters came from the same set). */
    static void restoreOptimizer(Path set, Gpt model) throws IOException {
        Path file = set.resolve(OPTIMIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException("cannot resume: " + file + " is missing (the set holds no optimizer state)");
        }
        Safetensors.Contents c = Safetensors.read(file);
        if (!OPTIMIZER_FORMAT.equals(c.metadata.get("format"))) {
            throw new CheckpointException(file + " is not a Leviathan optimizer state");
        }
        if (!Corpus.sha256(Files.readAllBytes(set.resolve(MODEL_FILE))).equals(c.metadata.get("model_sha256"))) {
            throw new CheckpointException("cannot resume: " + file + " belongs to a different " + MODEL_FILE
                    + " (the set's files were mixed by hand); restore the set or start a new run");
        }
        ModelCheckpoint.restore(model, model.m, c, "exp_avg.", file.toString());
        ModelCheckpoint.restore(model, model.v, c, "exp_avg_sq.", file.toString());
    }

    static RunState readState(Path set) throws IOException {
        Path file = set.resolve(RunState.FILE);
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(set + " is not a checkpoint set (no " + RunState.FILE + ")");
        }
        return RunState.fromJson(Files.readString(file), file.toString());
    }

    private static void pause() {
        String ms = System.getenv(SAVE_PAUSE_ENV);
        if (ms != null) {
            try {
                Thread.sleep(Long.parseLong(ms));
            } catch (InterruptedException | NumberFormatException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Removes a directory and what it holds (an incomplete or pruned set: files only, no subdirectories). */
    static void deleteTree(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // best effort: a leftover incomplete set is removed by the next writer, a pruned one is only space
        }
    }
}
