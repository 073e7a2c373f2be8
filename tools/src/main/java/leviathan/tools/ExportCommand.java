package leviathan.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.google.gson.GsonBuilder;

import leviathan.model.AtomicFiles;
import leviathan.model.ModelConfig;
import leviathan.trainer.Checkpoints;

/**
 * {@code leviathan export --hf DIR}: an {@code attention} checkpoint as a folder Hugging Face
 * {@code transformers} opens with {@code GPT2LMHeadModel.from_pretrained(DIR)}: the weights (already
 * under GPT-2's tensor names, tied embeddings), a GPT-2 {@code config.json} and the character vocabulary
 * in {@code vocab.json} (character → id). The other mixers are not GPT-2's attention, so they are refused.
 */
final class ExportCommand implements Main.Command {
    static final String VOCAB_FILE = "vocab.json";

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        Checkpoints.Resolved c = Cli.checkpoint(args);
        String hf = args.get("hf", null);
        args.rejectUnused("export");
        if (hf == null) {
            throw new CliException("give the folder to write with --hf DIR (the only export format)", 2);
        }
        Cli.LoadedModel m = Cli.load(c);
        ModelConfig mc = m.model.config;
        if (!mc.mixer.equals("attention")) {
            throw new CliException("mixer " + mc.mixer + " is not GPT-2: transformers' GPT2LMHeadModel runs scaled dot-product attention"
                    + " only, so it cannot run this model; export works for mixer=attention runs", 1);
        }
        Path dir = Paths.get(hf);
        if (Files.exists(dir.resolve("metrics.jsonl")) || Files.exists(dir.resolve("checkpoints"))) {
            throw new CliException(dir + " is a run directory; export into a folder of its own", 1);
        }
        Cli.checkOutputFile(dir.resolve("config.json").toString(), "--hf");
        float dropout = dropoutOf(c);
        // The weights first: a folder holding a config.json is what from_pretrained takes for complete.
        Path model = dir.resolve("model.safetensors");
        byte[] weights = Files.readAllBytes(m.file);
        AtomicFiles.write(model, ch -> ch.write(java.nio.ByteBuffer.wrap(weights)));
        AtomicFiles.writeString(dir.resolve(VOCAB_FILE), vocabJson(m.tokenizer.vocab()));
        AtomicFiles.writeString(dir.resolve("config.json"), gpt2Config(mc, dropout));
        System.out.println("wrote " + dir + " (model.safetensors, config.json, " + VOCAB_FILE + ") from " + m.file);
        System.out.println("open it with: GPT2LMHeadModel.from_pretrained(\"" + dir + "\"); encode with vocab = json.load(open(\""
                + dir.resolve(VOCAB_FILE) + "\")); ids = [vocab[c] for c in text]");
        return 0;
    }

    /** GPT-2's configuration of this shape: tanh GELU ({@code gelu_new}), LayerNorm ε 1e-5, tied embeddings, no special tokens. */
    static String gpt2Config(ModelConfig mc, float dropout) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("GPT2LMHeadModel"));
        m.put("model_type", "gpt2");
        m.put("vocab_size", mc.vocabSize);
        m.put("n_positions", mc.contextLength);
        m.put("n_embd", mc.width);
        m.put("n_layer", mc.layers);
        m.put("n_head", mc.heads);
        m.put("n_inner", 4 * mc.width);
        m.put("activation_function", "gelu_new");
        m.put("layer_norm_epsilon", 1e-5);
        m.put("resid_pdrop", dropout);
        m.put("embd_pdrop", dropout);
        m.put("attn_pdrop", dropout);
        m.put("scale_attn_weights", true);
        m.put("tie_word_embeddings", true);
        // GPT-2's defaults name token 50256; a character vocabulary has no such token.
        m.put("bos_token_id", null);
        m.put("eos_token_id", null);
        m.put("dtype", "float32");
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(m) + "\n";
    }

    /** The vocabulary as a JSON object, character → id, in id order. */
    static String vocabJson(List<String> vocab) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            m.put(vocab.get(i), i);
        }
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(m) + "\n";
    }

    /** The run's dropout from its recorded options (0 when none are recorded): transformers applies it in training mode only. */
    private static float dropoutOf(Checkpoints.Resolved c) throws IOException {
        String d = RunConfig.recorded(c).get("dropout");
        return d == null ? 0f : Float.parseFloat(d);
    }
}
