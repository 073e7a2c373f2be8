package leviathan.trainer;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;

import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;
import leviathan.model.Safetensors;

/**
 * Reads a run directory of the earlier layout: {@code model.safetensors} and beside it
 * {@code optimizer.safetensors} with AdamW's moments and, in its metadata, the step, the data
 * generator's state, the training config and the SHA-256 of the model file it belongs to (the hash
 * catches a pair torn by a crash between the two renames, which that layout allowed). Such a run
 * still resumes; its first new commit moves it to {@link RunDirectory}'s layout.
 */
final class LegacyCheckpoint {
    private LegacyCheckpoint() {}

    static final String OPTIMIZER_FORMAT = CheckpointSet.OPTIMIZER_FORMAT;

    /** Step, generator state and config stored beside the model. */
    static final class State {
        final int step;
        final long rngState;
        final Map<String, Object> trainConfig;

        State(int step, long rngState, Map<String, Object> trainConfig) {
            this.step = step;
            this.rngState = rngState;
            this.trainConfig = trainConfig;
        }
    }

    /** Restores moments into {@code model} (whose parameters were loaded from dir's model file) and returns the state. */
    static State restoreOptimizer(Path dir, Gpt model) throws IOException {
        Path optFile = dir.resolve(RunDirectory.LEGACY_OPTIMIZER);
        if (!Files.isRegularFile(optFile)) {
            throw new CheckpointException("cannot resume: " + optFile + " is missing (the run directory holds no optimizer state)");
        }
        Safetensors.Contents c = Safetensors.read(optFile);
        if (!OPTIMIZER_FORMAT.equals(c.metadata.get("format"))) {
            throw new CheckpointException(optFile + " is not a Leviathan optimizer state");
        }
        String sha = Corpus.sha256(Files.readAllBytes(dir.resolve(CheckpointSet.MODEL_FILE)));
        if (!sha.equals(c.metadata.get("model_sha256"))) {
            throw new CheckpointException("cannot resume: " + optFile + " belongs to a different " + CheckpointSet.MODEL_FILE
                    + " (the pair was torn or mixed); start a new run or restore both files");
        }
        ModelCheckpoint.restore(model, model.m, c, "exp_avg.", optFile.toString());
        ModelCheckpoint.restore(model, model.v, c, "exp_avg_sq.", optFile.toString());
        try {
            int step = Integer.parseInt(c.metadata.get("step"));
            long rng = Long.parseLong(c.metadata.get("rng_state"));
            Type mapType = new TypeToken<Map<String, Object>>() {}.getType();
            Map<String, Object> cfg = new Gson().fromJson(c.metadata.get("train_config"), mapType);
            if (cfg == null) {
                throw new NullPointerException();
            }
            return new State(step, rng, cfg);
        } catch (NumberFormatException | JsonParseException | NullPointerException e) {
            throw new CheckpointException(optFile + ": step, generator state or config is malformed");
        }
    }
}
