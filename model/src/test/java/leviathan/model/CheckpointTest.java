package leviathan.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;

/**
 * Checkpoint round trip and file format (SPEC 4): save then load gives identical parameters, config
 * and vocabulary; the file is read here by a minimal independent safetensors reader (8-byte LE header
 * length, JSON header, F32 little-endian data) to check Hugging Face GPT-2 names, [in, out] layouts
 * and the leviathan-1 metadata.
 */
class CheckpointTest {
    @TempDir
    Path tmp;

    /** A vocabulary with characters JSON must escape and one outside the BMP. */
    static final List<String> VOCAB = List.of("\n", " ", "\"", "\\", "a", "b", "é", "\u2028", "\uD83D\uDE00", "z", "~");

    /** The loss of one fixed batch. */
    static float loss(Gpt model) {
        Workspace ws = model.workspace(2, model.config.contextLength, false);
        TestModels.randomBatch(ws, 5);
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            return TestModels.loss(backend, backend.compile(ws.logitsGraph), backend.compile(ws.lossGraph), ws);
        }
    }

    static Gpt model(ModelConfig cfg) {
        return TestModels.randomised(cfg, 3, 0.1f);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("leviathan.model.TestModels#allMixers")
    void roundTripIsExact(String mixer) throws IOException {
        ModelConfig cfg = TestModels.tiny(mixer);
        assertEquals(VOCAB.size(), cfg.vocabSize);
        Gpt model = model(cfg);
        Path file = tmp.resolve("model.safetensors");
        ModelCheckpoint.save(file, model, VOCAB, Map.of("note", "hello"));
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(file);
        // The file records every option the mixer resolved, defaults included: its own reader rebuilds the model.
        assertEquals(model.effectiveConfig(), loaded.config);
        assertEquals(cfg.withMixerOptions(Map.of()), loaded.config.withMixerOptions(Map.of()));
        assertEquals(Mixers.create(cfg).options().effective(), loaded.config.mixerOptions);
        assertEquals(VOCAB, loaded.vocab);
        Gpt back = ModelCheckpoint.loadModel(loaded, file);
        assertTrue(Arrays.equals(model.params.array(), back.params.array()), "parameters differ after the round trip");
        assertEquals(loss(model), loss(back), 0f, "the loaded model scores a batch differently");
        assertEquals("hello", loaded.contents.metadata.get("note"));
        // Saving the loaded model again gives the same bytes.
        Path again = tmp.resolve("again.safetensors");
        ModelCheckpoint.save(again, back, loaded.vocab, Map.of("note", "hello"));
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
        // No temporary files are left behind by the atomic write.
        try (var s = Files.list(tmp)) {
            assertEquals(Set.of("model.safetensors", "again.safetensors"),
                    s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void roundTripKeepsMixerOptionsInConfig() throws IOException {
        // The config (mixer options included) is what the metadata stores; attention takes none, so check the map form.
        ModelConfig cfg = TestModels.tiny();
        Path file = tmp.resolve("m.safetensors");
        ModelCheckpoint.save(file, model(cfg), VOCAB, Map.of());
        MiniSafetensors st = MiniSafetensors.read(file);
        JsonObject config = JsonParser.parseString(st.metadata.get("config")).getAsJsonObject();
        assertEquals(11, config.get("vocab_size").getAsInt());
        assertEquals(8, config.get("context").getAsInt());
        assertEquals(2, config.get("layers").getAsInt());
        assertEquals(2, config.get("heads").getAsInt());
        assertEquals(16, config.get("width").getAsInt());
        assertEquals("attention", config.get("mixer").getAsString());
        assertTrue(config.get("mixer_options").isJsonObject());
    }

    @Test
    void fileIsHuggingFaceGpt2Safetensors() throws IOException {
        ModelConfig cfg = TestModels.tiny();
        int V = cfg.vocabSize, C = cfg.width, Tmax = cfg.contextLength;
        Gpt model = model(cfg);
        Path file = tmp.resolve("model.safetensors");
        ModelCheckpoint.save(file, model, VOCAB, Map.of());
        MiniSafetensors st = MiniSafetensors.read(file);

        assertEquals("leviathan-1", st.metadata.get("format"));
        List<String> vocab = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(st.metadata.get("vocab")).getAsJsonArray()) {
            vocab.add(e.getAsString());
        }
        assertEquals(VOCAB, vocab);
        assertEquals(JsonParser.parseString(new com.google.gson.Gson().toJson(cfg.toMap())),
                JsonParser.parseString(st.metadata.get("config")));

        Map<String, int[]> expected = new LinkedHashMap<>();
        expected.put("wte.weight", new int[] {V, C});
        expected.put("wpe.weight", new int[] {Tmax, C});
        for (int l = 0; l < cfg.layers; l++) {
            String h = "h." + l + ".";
            expected.put(h + "ln_1.weight", new int[] {C});
            expected.put(h + "ln_1.bias", new int[] {C});
            expected.put(h + "attn.c_attn.weight", new int[] {C, 3 * C});
            expected.put(h + "attn.c_attn.bias", new int[] {3 * C});
            expected.put(h + "attn.c_proj.weight", new int[] {C, C});
            expected.put(h + "attn.c_proj.bias", new int[] {C});
            expected.put(h + "ln_2.weight", new int[] {C});
            expected.put(h + "ln_2.bias", new int[] {C});
            expected.put(h + "mlp.c_fc.weight", new int[] {C, 4 * C});
            expected.put(h + "mlp.c_fc.bias", new int[] {4 * C});
            expected.put(h + "mlp.c_proj.weight", new int[] {4 * C, C});
            expected.put(h + "mlp.c_proj.bias", new int[] {C});
        }
        expected.put("ln_f.weight", new int[] {C});
        expected.put("ln_f.bias", new int[] {C});
        assertEquals(expected.keySet(), st.tensors.keySet(), "tensor names (Hugging Face GPT-2, SPEC 4)");
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), st.tensors.get(e.getKey()).shape, "shape of " + e.getKey());
        }

        // Matmul weights are stored [in, out]: element [i][j] is the in-memory weight (out = j, in = i).
        for (String name : List.of("h.0.attn.c_attn.weight", "h.1.attn.c_proj.weight", "h.0.mlp.c_fc.weight", "h.1.mlp.c_proj.weight")) {
            MiniSafetensors.T t = st.tensors.get(name);
            int in = t.shape[0], out = t.shape[1];
            float[] mem = model.param(name).toArray();
            assertEquals(in * out, mem.length);
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < out; j++) {
                    assertEquals(Float.floatToRawIntBits(mem[j * in + i]), Float.floatToRawIntBits(t.data[i * out + j]),
                            name + "[" + i + "][" + j + "]");
                }
            }
        }
        // Embeddings, biases and LayerNorm are stored as they are.
        for (String name : List.of("wte.weight", "wpe.weight", "h.0.attn.c_attn.bias", "h.1.ln_2.weight", "ln_f.bias")) {
            assertArrayEquals(model.param(name).toArray(), st.tensors.get(name).data, name);
        }
        // y = x·W + b with the stored [in, out] W equals the model's own matmul convention out = inp·wᵀ + b.
        MiniSafetensors.T w = st.tensors.get("h.0.attn.c_attn.weight");
        float[] x = new float[C];
        for (int i = 0; i < C; i++) {
            x[i] = (i % 5) - 2;
        }
        float[] mem = model.param("h.0.attn.c_attn.weight").toArray();
        for (int j = 0; j < 3 * C; j++) {
            double a = 0, b = 0;
            for (int i = 0; i < C; i++) {
                a += x[i] * w.data[i * 3 * C + j];
                b += x[i] * mem[j * C + i];
            }
            assertEquals(b, a, 1e-6);
        }
    }

    @Test
    void loadRejectsForeignAndDamagedFiles() throws IOException {
        Path file = tmp.resolve("model.safetensors");
        ModelCheckpoint.save(file, model(TestModels.tiny()), VOCAB, Map.of());
        byte[] bytes = Files.readAllBytes(file);

        Path half = tmp.resolve("half.safetensors");
        Files.write(half, Arrays.copyOf(bytes, bytes.length / 2));
        assertFormatError(half, "truncated");

        Path text = tmp.resolve("text.safetensors");
        Files.writeString(text, "First Citizen:\nBefore we proceed any further, hear me speak.\n");
        assertFormatError(text, "not a safetensors file");

        Path tiny = tmp.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertFormatError(tiny, "not a safetensors file");

        Path foreign = tmp.resolve("foreign.safetensors");
        MiniSafetensors.writeMinimal(foreign, "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]);
        assertFormatError(foreign, "not a Leviathan checkpoint");

        Path badJson = tmp.resolve("badjson.safetensors");
        MiniSafetensors.writeMinimal(badJson, "{\"x\":", new byte[8]);
        assertFormatError(badJson, "not valid JSON");

        assertFormatError(tmp.resolve("missing.safetensors"), "does not exist");

        // Wrong tensor sizes: the metadata says width 32, the tensors were written for width 16.
        Path wide = tmp.resolve("wide.safetensors");
        Files.write(wide, MiniSafetensors.replaceInHeader(bytes, "\\\"width\\\":16", "\\\"width\\\":32"));
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(wide);
        assertEquals(32, loaded.config.width);
        Safetensors.FormatException e = assertThrows(Safetensors.FormatException.class, () -> ModelCheckpoint.loadModel(loaded, wide));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());

        // Vocabulary that does not match vocab_size.
        Path vocab = tmp.resolve("vocab.safetensors");
        Files.write(vocab, MiniSafetensors.replaceInHeader(bytes, "\\\"vocab_size\\\":11", "\\\"vocab_size\\\":12"));
        assertFormatError(vocab, "vocab");
    }

    private static void assertFormatError(Path file, String fragment) {
        Safetensors.FormatException e = assertThrows(Safetensors.FormatException.class, () -> {
            ModelCheckpoint.Loaded l = ModelCheckpoint.load(file);
            ModelCheckpoint.loadModel(l, file);
        });
        assertTrue(e.getMessage().contains(fragment), "message for " + file.getFileName() + ": " + e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
    }

    /** A minimal safetensors reader/writer independent of {@link Safetensors}. */
    static final class MiniSafetensors {
        static final class T {
            final int[] shape;
            final float[] data;

            T(int[] shape, float[] data) {
                this.shape = shape;
                this.data = data;
            }
        }

        final Map<String, String> metadata = new LinkedHashMap<>();
        final Map<String, T> tensors = new LinkedHashMap<>();

        static MiniSafetensors read(Path file) throws IOException {
            byte[] b = Files.readAllBytes(file);
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            long n = bb.getLong(0);
            assertTrue(n > 0 && 8 + n <= b.length, "header length " + n);
            assertEquals(0, (8 + n) % 8, "data section should start 8-byte aligned");
            JsonObject header = JsonParser.parseString(new String(b, 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
            int dataStart = 8 + (int) n;
            MiniSafetensors st = new MiniSafetensors();
            List<long[]> ranges = new ArrayList<>();
            Set<String> keys = new LinkedHashSet<>(header.keySet());
            for (String key : keys) {
                JsonObject o = header.getAsJsonObject(key);
                if (key.equals("__metadata__")) {
                    for (String k : o.keySet()) {
                        st.metadata.put(k, o.get(k).getAsString());
                    }
                    continue;
                }
                assertEquals("F32", o.get("dtype").getAsString(), key);
                JsonArray shapeJson = o.getAsJsonArray("shape");
                int[] shape = new int[shapeJson.size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeJson.get(i).getAsInt();
                    count *= shape[i];
                }
                JsonArray offs = o.getAsJsonArray("data_offsets");
                long begin = offs.get(0).getAsLong(), end = offs.get(1).getAsLong();
                assertEquals(count * 4, end - begin, key + ": data_offsets do not match its shape");
                ranges.add(new long[] {begin, end});
                float[] data = new float[(int) count];
                ByteBuffer fb = ByteBuffer.wrap(b, dataStart + (int) begin, (int) (end - begin)).slice().order(ByteOrder.LITTLE_ENDIAN);
                fb.asFloatBuffer().get(data);
                st.tensors.put(key, new T(shape, data));
            }
            // The tensors tile the data section exactly: no gaps, no overlaps, nothing after.
            ranges.sort((x, y) -> Long.compare(x[0], y[0]));
            long at = 0;
            for (long[] r : ranges) {
                assertEquals(at, r[0], "gap or overlap in the data section");
                at = r[1];
            }
            assertEquals(b.length - dataStart, at, "data section length");
            return st;
        }

        static void writeMinimal(Path file, String headerJson, byte[] data) throws IOException {
            byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
            ByteBuffer bb = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
            bb.putLong(h.length).put(h).put(data);
            Files.write(file, bb.array());
        }

        /** Replaces a same-length string inside the JSON header of a safetensors file. */
        static byte[] replaceInHeader(byte[] file, String from, String to) {
            assertEquals(from.length(), to.length());
            long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            String header = new String(file, 8, (int) n, StandardCharsets.ISO_8859_1);
            int at = header.indexOf(from);
            assertTrue(at >= 0, "header has no " + from + ": " + header.substring(0, Math.min(300, header.length())));
            byte[] out = file.clone();
            byte[] rep = to.getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(rep, 0, out, 8 + at, rep.length);
            return out;
        }
    }
}
