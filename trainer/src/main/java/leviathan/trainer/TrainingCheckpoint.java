package leviathan.trainer;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;

import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;
import leviathan.model.Safetensors;

/**
 * A resumable checkpoint in a run directory: {@code model.safetensors} (SPEC 4, opens anywhere)
 * and beside it {@code optimizer.safetensors} with AdamW's moments ({@code exp_avg.*},
 * {@code exp_avg_sq.*}) and, in its metadata, the step, the data generator's state, the
 * training config and the SHA-256 of the model file it belongs to. Each file is written
 * atomically; the hash catches a pair torn by a crash between the two renames.
 */
public final class TrainingCheckpoint {
    private TrainingCheckpoint() {}

    public static final String MODEL_FILE = "model.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String OPTIMIZER_FORMAT = "leviathan-1-optimizer";

    /** Step, generator state and config stored beside the model. */
    public static final class State {
        public final int step;
        public final long rngState;
        public final Map<String, Object> trainConfig;

        public State(int step, long rngState, Map<String, Object> trainConfig) {
            this.step = step;
            this.rngState = rngState;
            this.trainConfig = trainConfig;
        }
    }

    public static void save(Path dir, Gpt model, List<String> vocab, State state, Map<String, String> extraModelMetadata) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> meta = new LinkedHashMap<>(extraModelMetadata);
        meta.put("step", Integer.toString(state.step));
        Path modelFile = dir.resolve(MODEL_FILE);
        ModelCheckpoint.save(modelFile, model, vocab, meta);
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>(ModelCheckpoint.tensors(model, model.m, "exp_avg."));
        tensors.putAll(ModelCheckpoint.tensors(model, model.v, "exp_avg_sq."));
        Map<String, String> om = new LinkedHashMap<>();
        om.put("format", OPTIMIZER_FORMAT);
        om.put("step", Integer.toString(state.step));
        om.put("rng_state", Long.toString(state.rngState));
        om.put("train_config", new Gson().toJson(state.trainConfig));
        om.put("model_sha256", Corpus.sha256(Files.readAllBytes(modelFile)));
        Safetensors.write(dir.resolve(OPTIMIZER_FILE), tensors, om);
    }

    /** Restores moments into {@code model} (whose parameters were loaded from dir's model file) and returns the state. */
    public static State restoreOptimizer(Path dir, Gpt model) throws IOException {
        Path optFile = dir.resolve(OPTIMIZER_FILE);
        if (!Files.isRegularFile(optFile)) {
            throw new Safetensors.FormatException("cannot resume: " + optFile + " is missing (the run directory holds no optimizer state)");
        }
        Safetensors.Contents c = Safetensors.read(optFile);
        if (!OPTIMIZER_FORMAT.equals(c.metadata.get("format"))) {
            throw new Safetensors.FormatException(optFile + " is not a Leviathan optimizer state");
        }
        String sha = Corpus.sha256(Files.readAllBytes(dir.resolve(MODEL_FILE)));
        if (!sha.equals(c.metadata.get("model_sha256"))) {
            throw new Safetensors.FormatException("cannot resume: " + optFile + " belongs to a different " + MODEL_FILE
                    + " (the pair was torn or mixed); start a new run or restore both files");
        }
        ModelCheckpoint.restore(model, model.m, c, "exp_avg.", optFile.toString());
        ModelCheckpoint.restore(model, model.v, c, "exp_avg_sq.", optFile.toString());
        try {
            int step = Integer.parseInt(c.metadata.get("step"));
            long rng = Long.parseLong(c.metadata.get("rng_state"));
            Type mapType = new TypeToken<Map<String, Object>>() {}.getType();
            Map<String, Object> cfg = new Gson().fromJson(c.metadata.get("train_config"), mapType);
            return new State(step, rng, cfg);
        } catch (NumberFormatException | JsonParseException | NullPointerException e) {
            throw new Safetensors.FormatException(optFile + ": step, generator state or config is malformed");
        }
    }
}
