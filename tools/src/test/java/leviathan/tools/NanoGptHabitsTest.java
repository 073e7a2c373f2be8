package leviathan.tools;

import static leviathan.tools.CliRunner.assertCleanError;
import static leviathan.tools.CliRunner.run;
import static leviathan.tools.CliRunner.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.model.Workspace;

/**
 * What a nanoGPT user reaches for: a config file and its effective copy in the run, sampling
 * options, {@code info} of a checkpoint and of the shakespeare preset, and the Hugging Face export.
 * ({@code plot}'s pixels: {@link PlotCommandTest}.)
 */
class NanoGptHabitsTest {
    @TempDir
    static Path shared;
    static Path data;
    /** A tiny attention run with dropout, options from a config file and the command line. */
    static Path run;
    static Path config;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainOnce() throws IOException {
        data = CliRunner.textFile(shared, 3000);
        config = CliRunner.writeText(shared.resolve("exp.json"),
                "{\"steps\": 99, \"beta2\": 0.95, \"dropout\": 0.1, \"eval_interval\": 3, \"log_interval\": 1, \"data\": \"" + data + "\"}");
        run = shared.resolve("run");
        CliRunner.Result r = train("--config=" + config, "--out=" + run, "--steps=6");
        assertEquals(0, r.code(), r.toString());
    }

    @Test
    void theCommandLineWinsOverTheConfigFileAndTheRunRecordsEveryOption() throws IOException {
        JsonObject effective = JsonParser.parseString(Files.readString(run.resolve("config.json"))).getAsJsonObject();
        assertEquals(6, effective.get("steps").getAsInt(), "--steps on the command line wins over the file's 99");
        assertEquals(0.95, effective.get("beta2").getAsDouble(), 1e-7, "from the file");
        assertEquals(0.1, effective.get("dropout").getAsDouble(), 1e-7, "from the file");
        assertEquals(2, effective.get("batch").getAsInt(), "from the command line");
        for (String key : new String[] {"layers", "heads", "width", "context", "mixer", "lr", "warmup", "weight_decay", "seed", "keep_last"}) {
            assertTrue(effective.has(key), "every option is recorded, defaults resolved: " + key);
        }
    }

    @Test
    void rerunningFromARunsConfigGivesTheSameLosses() throws IOException {
        Path again = tmp.resolve("again");
        CliRunner.Result r = run("train", "--config=" + run.resolve("config.json"), "--out=" + again, "--threads=2");
        assertEquals(0, r.code(), r.toString());
        assertEquals(losses(run), losses(again), "a rerun from config.json (on another thread count) is the same experiment");
        assertEquals(Files.readString(run.resolve("config.json")), Files.readString(again.resolve("config.json")));
    }

    /** Every loss in a run's metrics, in order (times left out). */
    static List<String> losses(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            for (String key : new String[] {"train_loss", "grad_norm", "eval_train_loss", "eval_val_loss"}) {
                if (o.has(key)) {
                    out.add(o.get("step") + " " + key + " " + o.get(key));
                }
            }
        }
        assertTrue(out.size() > 6, "the run logged its losses");
        return out;
    }

    @Test
    void samplesAreSeparatedAndEachIsANewDrawFromTheSamePrompt() throws IOException {
        Path prompt = CliRunner.writeText(tmp.resolve("prompt.txt"), "the cat\nsat");
        CliRunner.Result r = run("sample", "--checkpoint=" + run, "--prompt_file=" + prompt, "--num_samples=3", "--length=30", "--threads=1");
        assertEquals(0, r.code(), r.toString());
        String[] parts = r.out().split("--- sample \\d of 3 ---\\R", -1);
        assertEquals(4, parts.length, "three headed samples:\n" + r.out());
        assertEquals("", parts[0]);
        for (int i = 1; i <= 3; i++) {
            assertTrue(parts[i].startsWith("the cat\nsat"), "each sample continues the file's prompt: " + parts[i]);
            assertEquals("the cat\nsat".length() + 30 + 1, parts[i].length(), "prompt, 30 characters and a newline");
        }
        assertFalse(parts[1].equals(parts[2]) && parts[2].equals(parts[3]), "different draws");
        CliRunner.Result again = run("sample", "--checkpoint=" + run, "--prompt_file=" + prompt, "--num_samples=3", "--length=30", "--threads=1");
        assertEquals(r.out(), again.out(), "the same seed gives the same samples");
        CliRunner.Result one = run("sample", "--checkpoint=" + run, "--prompt=the cat\nsat", "--length=30", "--threads=1");
        assertEquals(parts[1], one.out(), "one sample is printed bare, and is the first of several");

        assertCleanError(run("sample", "--checkpoint=" + run, "--prompt=x", "--prompt_file=" + prompt), 2, "not both");
        assertCleanError(run("sample", "--checkpoint=" + run, "--prompt_file=" + tmp.resolve("none.txt")), 1, "does not exist");
        assertCleanError(run("sample", "--checkpoint=" + run, "--prompt_file=" + CliRunner.writeText(tmp.resolve("e.txt"), "")), 2, "is empty");
        assertCleanError(run("sample", "--checkpoint=" + run, "--num_samples=0"), 2, "--num_samples must be at least 1");
    }

    @Test
    void infoOfACheckpointShowsItsProgressLossesAndOptions() throws IOException {
        CliRunner.Result r = run("info", "--checkpoint=" + run, "--no_estimate");
        assertEquals(0, r.code(), r.toString());
        JsonObject lastEval = null;
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("eval_val_loss")) {
                lastEval = o;
            }
        }
        assertTrue(r.out().contains("trained:     step 6, 96 tokens seen"), "6 steps of 2 x 8 tokens:\n" + r.out());
        assertTrue(r.out().contains(String.format(Locale.ROOT, "validation %.4f at step 6", lastEval.get("eval_val_loss").getAsDouble())), r.out());
        assertTrue(r.out().contains("losses:      last train "), r.out());
        Matcher saved = Pattern.compile("saved (\\d{4}-\\d\\d-\\d\\dT\\S+)").matcher(r.out());
        assertTrue(saved.find(), "when it was saved:\n" + r.out());
        assertTrue(r.out().contains("options:     ") && r.out().contains("dropout=0.1") && r.out().contains("beta2=0.95"), "the recorded options:\n" + r.out());
        assertFalse(r.out().contains("step time:"), "--no_estimate skips the timing");
    }

    @Test
    void infoOfTheShakespearePresetShowsItsSizeAndAStepTimeEstimate() {
        CliRunner.Result r = run("info", "--preset=shakespeare", "--no_estimate");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("layers=6 heads=6 width=384 context=256"), r.out());
        assertTrue(r.out().contains("parameters:  10,770,816"), "nanoGPT's 10.65M plus the position table and LayerNorm shifts it counts too:\n" + r.out());
        assertTrue(r.out().contains("batch=64") && r.out().contains("dropout=0.2") && r.out().contains("steps=5000") && r.out().contains("beta2=0.99")
                && r.out().contains("min_lr=1.0E-4") && r.out().contains("warmup=100"), r.out());
        CliRunner.Result timed = run("info", "--layers=1", "--heads=2", "--width=16", "--context=8", "--batch=4", "--threads=1");
        assertEquals(0, timed.code(), timed.toString());
        Matcher m = Pattern.compile("step time:   ~([\\d.]+) (ms|s) per step at batch 4 on jvm \\(measured at batch 2, scaled\\); 2000 steps ~").matcher(timed.out());
        assertTrue(m.find(), timed.out());
        assertTrue(Double.parseDouble(m.group(1)) > 0, timed.out());
    }

    @Test
    void activationMemoryIsKnownWithoutAllocatingIt() {
        Gpt model = new Gpt(new ModelConfig(65, 32, 2, 2, 16, "attention", java.util.Map.of()));
        assertEquals(model.workspace(3, 32, true).activationBytes(), Workspace.activationBytes(model, 3, 32, true));
        assertEquals(model.workspace(3, 32, false).activationBytes(), Workspace.activationBytes(model, 3, 32, false));
    }

    @Test
    void anAttentionRunExportsForTransformersAndOtherMixersAreRefused() throws IOException {
        Path hf = tmp.resolve("hf");
        CliRunner.Result r = run("export", "--checkpoint=" + run, "--hf=" + hf);
        assertEquals(0, r.code(), r.toString());
        JsonObject c = JsonParser.parseString(Files.readString(hf.resolve("config.json"))).getAsJsonObject();
        assertEquals("gpt2", c.get("model_type").getAsString());
        assertEquals("GPT2LMHeadModel", c.getAsJsonArray("architectures").get(0).getAsString());
        assertEquals("gelu_new", c.get("activation_function").getAsString());
        assertEquals(1e-5, c.get("layer_norm_epsilon").getAsDouble(), 0);
        assertEquals(8, c.get("n_positions").getAsInt(), "the context");
        assertEquals(2, c.get("n_layer").getAsInt());
        assertEquals(2, c.get("n_head").getAsInt());
        assertEquals(16, c.get("n_embd").getAsInt());
        assertTrue(c.get("tie_word_embeddings").getAsBoolean());
        assertEquals(0.1, c.get("resid_pdrop").getAsDouble(), 1e-7, "the run's dropout, used by transformers in training mode only");
        Cli.LoadedModel m = Cli.load(leviathan.trainer.Checkpoints.resolve(run, null));
        assertEquals(m.model.config.vocabSize, c.get("vocab_size").getAsInt());
        JsonObject vocab = JsonParser.parseString(Files.readString(hf.resolve("vocab.json"))).getAsJsonObject();
        assertEquals(m.tokenizer.size(), vocab.size());
        for (var e : vocab.entrySet()) {
            assertArrayEquals(new int[] {e.getValue().getAsInt()}, m.tokenizer.encode(e.getKey()), "character " + e.getKey());
        }
        assertArrayEquals(Files.readAllBytes(m.file), Files.readAllBytes(hf.resolve("model.safetensors")), "the checkpoint's weights as they are");

        Path other = tmp.resolve("leviathan");
        assertEquals(0, train("--data=" + data, "--out=" + other, "--steps=2", "--eval_interval=0", "--mixer=leviathan").code());
        assertCleanError(run("export", "--checkpoint=" + other, "--hf=" + tmp.resolve("hf2")), 1, "mixer leviathan is not GPT-2");
        assertFalse(Files.exists(tmp.resolve("hf2")));
        assertCleanError(run("export", "--checkpoint=" + run, "--hf=" + other), 1, "is a run directory");
        assertCleanError(run("export", "--checkpoint=" + run), 2, "--hf DIR");
        assertNotEquals(0, run("export", "--checkpoint=" + run, "--hf=" + hf, "--format=onnx").code());
    }
}
