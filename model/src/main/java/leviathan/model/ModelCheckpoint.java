package leviathan.model;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;

import leviathan.graph.FloatBlock;

/**
 * A model checkpoint: one safetensors file with Hugging Face GPT-2 tensor names and [in, out]
 * weights (SPEC 4), and metadata {@code format = leviathan-1}, {@code config}, {@code vocab}.
 */
public final class ModelCheckpoint {
    private ModelCheckpoint() {}

    public static final String FORMAT = "leviathan-1";

    /** What a checkpoint file holds. */
    public static final class Loaded {
        public final ModelConfig config;
        public final List<String> vocab;
        public final Safetensors.Contents contents;

        Loaded(ModelConfig config, List<String> vocab, Safetensors.Contents contents) {
            this.config = config;
            this.vocab = vocab;
            this.contents = contents;
        }
    }

    public static void save(Path path, Gpt model, List<String> vocab, Map<String, String> extraMetadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("config", new Gson().toJson(model.effectiveConfig().toMap()));
        meta.put("vocab", new Gson().toJson(vocab));
        meta.putAll(extraMetadata);
        Safetensors.write(path, tensors(model, model.params, ""), meta);
    }

    /** Every tensor of a block in spec order, under {@code prefix + name}, in its on-disk shape. */
    public static Map<String, Safetensors.Tensor> tensors(Gpt model, FloatBlock block, String prefix) {
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        for (ParamSpec s : model.specs()) {
            float[] data = block.slice(s.name).toArray();
            if (s.transposedOnDisk) {
                data = transpose(data, s.shape[0], s.shape[1]);
            }
            out.put(prefix + s.name, new Safetensors.Tensor(s.diskShape(), data));
        }
        return out;
    }

    /** Copies every tensor of the model's specs from {@code contents} into {@code block}, checking names and shapes. */
    public static void restore(Gpt model, FloatBlock block, Safetensors.Contents contents, String prefix, String what) throws Safetensors.FormatException {
        for (ParamSpec s : model.specs()) {
            Safetensors.Tensor t = contents.tensors.get(prefix + s.name);
            if (t == null) {
                throw new Safetensors.FormatException(what + " has no tensor " + prefix + s.name + " (does it belong to another mixer or config?)");
            }
            if (!Arrays.equals(t.shape, s.diskShape())) {
                throw new Safetensors.FormatException(what + ": tensor " + prefix + s.name + " has shape " + Arrays.toString(t.shape)
                        + ", the config needs " + Arrays.toString(s.diskShape()));
            }
            float[] data = s.transposedOnDisk ? transpose(t.data, s.shape[1], s.shape[0]) : t.data;
            block.slice(s.name).copyFrom(data);
        }
    }

    public static Loaded load(Path path) throws IOException {
        Safetensors.Contents c = Safetensors.read(path);
        String format = c.metadata.get("format");
        if (!FORMAT.equals(format)) {
            throw new Safetensors.FormatException(path + " is a safetensors file but not a Leviathan checkpoint (format "
                    + (format == null ? "missing" : "'" + format + "'") + ", expected " + FORMAT + ")");
        }
        ModelConfig config;
        List<String> vocab;
        try {
            Type mapType = new TypeToken<Map<String, Object>>() {}.getType();
            Map<String, Object> cfg = new Gson().fromJson(c.metadata.get("config"), mapType);
            if (cfg == null) {
                throw new Safetensors.FormatException(path + ": checkpoint metadata has no config");
            }
            config = ModelConfig.fromMap(cfg);
        } catch (JsonParseException | IllegalArgumentException e) {
            throw new Safetensors.FormatException(path + ": the model config in the checkpoint metadata is malformed");
        }
        try {
            Type listType = new TypeToken<List<String>>() {}.getType();
            vocab = new Gson().fromJson(c.metadata.get("vocab"), listType);
        } catch (JsonParseException e) {
            throw new Safetensors.FormatException(path + ": the vocabulary in the checkpoint metadata is not a JSON list of characters");
        }
        if (vocab != null && new java.util.HashSet<>(vocab).size() != vocab.size()) {
            throw new Safetensors.FormatException(path + ": the vocabulary in the checkpoint metadata lists a character twice");
        }
        if (vocab == null || vocab.size() != config.vocabSize) {
            throw new Safetensors.FormatException(path + ": vocabulary in the metadata does not match vocab_size " + config.vocabSize);
        }
        try {
            config.validate();
        } catch (IllegalArgumentException e) {
            throw new Safetensors.FormatException(path + ": checkpoint config is invalid: " + e.getMessage());
        }
        return new Loaded(config, new ArrayList<>(vocab), c);
    }

    /** Loads a checkpoint into a new model; refuses one whose weights hold NaN or infinity, naming the tensor. */
    public static Gpt loadModel(Loaded loaded, Path path) throws Safetensors.FormatException {
        Gpt model;
        try {
            model = new Gpt(loaded.config);
        } catch (IllegalArgumentException | OutOfMemoryError e) {
            throw new Safetensors.FormatException(path + ": the checkpoint describes a model that cannot be built here ("
                    + loaded.config + "): " + (e instanceof OutOfMemoryError ? "out of memory" : e.getMessage()));
        }
        restore(model, model.params, loaded.contents, "", path.toString());
        float[] p = model.params.array();
        for (ParamSpec s : model.specs()) {
            int off = model.layout.offsetOf(s.name);
            for (int i = 0; i < s.size(); i++) {
                if (!Float.isFinite(p[off + i])) {
                    throw new Safetensors.FormatException(path + ": tensor " + s.name + " holds " + p[off + i] + " (at index " + i
                            + "): the checkpoint is not usable");
                }
            }
        }
        return model;
    }

    static float[] transpose(float[] src, int rows, int cols) {
        float[] dst = new float[src.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                dst[c * rows + r] = src[r * cols + c];
            }
        }
        return dst;
    }
}
