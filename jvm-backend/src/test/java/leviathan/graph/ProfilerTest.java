package leviathan.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import leviathan.jvm.JvmBackend;
import leviathan.stages.CoreStages;

/**
 * {@link Profiler} through {@link JvmBackend}: with warm-up W and K runs, each stage reports
 * K − W measured calls and a positive median; the table names every stage and states the
 * warm-up; the JSON parses (Gson, strict) and carries the same numbers, NaN as null, names with
 * quotes, backslashes and control characters intact; a disabled profiler records nothing; reset forgets.
 */
class ProfilerTest {
    static final int W = 2, K = 7;
    static final int N = 64, C = 24, OC = 19;

    static Graph graph() {
        FloatSlice x = FloatSlice.of("x", N, C), w = FloatSlice.of("w", OC, C), y = FloatSlice.of("y", N, OC), g = FloatSlice.of("g", N, OC);
        x.fill(0.5f);
        w.fill(0.25f);
        return new Graph("prof")
                .add(CoreStages.fill("zero_y", y, 0f))
                .add(CoreStages.matmulForward("matmul_y", y, x, w, null, N, C, OC))
                .add(CoreStages.geluForward("gelu_y", g, y, N * OC));
    }

    static final List<String> STAGES = List.of("zero_y", "matmul_y", "gelu_y");

    @Test
    void reportsMeasuredCallsAfterWarmup() throws IOException {
        Profiler profiler = new Profiler();
        profiler.enable(W);
        try (JvmBackend backend = new JvmBackend(2, true, profiler)) {
            Backend.CompiledGraph g = backend.compile(graph());
            for (int i = 0; i < K; i++) {
                g.run();
            }
        }
        List<Profiler.StageStats> rows = profiler.rows();
        assertEquals(STAGES.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Profiler.StageStats s = rows.get(i);
            assertEquals(STAGES.get(i), s.stage);
            assertEquals("prof", s.graph);
            assertEquals(K - W, s.measuredCalls(), s.stage + ": measured calls");
            assertTrue(s.medianUs() > 0, s.stage + ": median " + s.medianUs());
            assertTrue(s.totalMs() > 0, s.stage + ": total " + s.totalMs());
        }
        assertTrue(rows.get(1).gflops() > 0, "matmul declares FLOPs");
        assertTrue(Double.isNaN(rows.get(0).gflops()), "fill declares none");

        String table = profiler.table("profile");
        for (String stage : STAGES) {
            assertTrue(table.contains("prof/" + stage), "table names " + stage + ":\n" + table);
        }
        assertTrue(table.contains("first " + W + " calls of each stage excluded as warm-up"), table);

        profiler.putBackendFigure("compile_ms", 1.5);
        JsonObject root = strictJson(profiler.json("jvm"));
        assertEquals("jvm", root.get("backend").getAsString());
        assertEquals(W, root.get("warmup_calls_excluded").getAsInt());
        JsonArray stages = root.getAsJsonArray("stages");
        assertEquals(STAGES.size(), stages.size());
        for (int i = 0; i < stages.size(); i++) {
            JsonObject st = stages.get(i).getAsJsonObject();
            Profiler.StageStats s = rows.get(i);
            assertEquals(STAGES.get(i), st.get("stage").getAsString());
            assertEquals("prof", st.get("graph").getAsString());
            assertEquals(s.kernel, st.get("kernel").getAsString());
            assertEquals(K - W, st.get("calls").getAsInt());
            assertEquals(s.medianUs(), st.get("median_us").getAsDouble(), 0.0);
            assertEquals(s.totalMs(), st.get("total_ms").getAsDouble(), 0.0);
        }
        JsonObject zero = stages.get(0).getAsJsonObject();
        assertTrue(zero.has("gflops"), "a NaN figure keeps its key");
        assertTrue(zero.get("gflops").isJsonNull(), "NaN is written as null");
        assertTrue(stages.get(1).getAsJsonObject().get("gflops").getAsDouble() > 0);
        assertEquals(1.5, root.getAsJsonObject("figures").get("compile_ms").getAsDouble(), 0.0);

        profiler.reset();
        assertTrue(profiler.rows().isEmpty(), "reset forgets every call");
        assertEquals(0, strictJson(profiler.json("jvm")).getAsJsonArray("stages").size());
    }

    @Test
    void namesWithQuotesBackslashesAndControlCharactersSurviveTheJson() throws IOException {
        String graphName = "g\"1\\", stageName = "fill \"y\" C:\\tmp\ttab\nline <&>", backendName = "jvm \"fast\"";
        FloatSlice y = FloatSlice.of("y", 8);
        Profiler profiler = new Profiler(true, 0);
        try (JvmBackend backend = new JvmBackend(1, false, profiler)) {
            backend.compile(new Graph(graphName).add(CoreStages.fill(stageName, y, 1f))).run();
        }
        profiler.putBackendFigure("copy \"in\"", 2.0);
        profiler.putBackendFigure("infinite", Double.POSITIVE_INFINITY);
        String json = profiler.json(backendName);
        JsonObject root = strictJson(json);
        assertEquals(backendName, root.get("backend").getAsString(), json);
        JsonObject stage = root.getAsJsonArray("stages").get(0).getAsJsonObject();
        assertEquals(graphName, stage.get("graph").getAsString(), json);
        assertEquals(stageName, stage.get("stage").getAsString(), json);
        assertEquals(2.0, root.getAsJsonObject("figures").get("copy \"in\"").getAsDouble(), 0.0);
        assertTrue(root.getAsJsonObject("figures").get("infinite").isJsonNull(), json);
        // The reader used above is strict: it would have refused what JSON does not allow.
        assertThrows(IOException.class, () -> strictJson("{\"a\":NaN}"));
        assertThrows(IOException.class, () -> strictJson("{\"a\":1}x"));
    }

    @Test
    void medianIsTheMiddleCallOrTheMeanOfTheTwoMiddleOnes() {
        Profiler profiler = new Profiler(true, 1);
        Stage stage = CoreStages.fill("f", FloatSlice.of("v", 4), 0f);
        Profiler.StageStats odd = profiler.stats("odd", stage), even = profiler.stats("even", stage);
        for (long ns : new long[] {999_000, 3_000, 1_000, 50_000}) {   // the first call is warm-up
            odd.record(ns);
        }
        for (long ns : new long[] {999_000, 4_000, 1_000, 2_000, 90_000}) {
            even.record(ns);
        }
        assertEquals(3.0, odd.medianUs(), 1e-12);
        assertEquals(3.0, even.medianUs(), 1e-12, "mean of 2 and 4 us");
        assertEquals(54e-3, odd.totalMs(), 1e-12);
    }

    /** Parses with Gson's reader in strict mode (JsonParser itself is lenient) and requires the document to end there. */
    static JsonObject strictJson(String json) throws IOException {
        JsonReader reader = new JsonReader(new StringReader(json));
        reader.setLenient(false);
        JsonElement e = new Gson().getAdapter(JsonElement.class).read(reader);
        if (reader.peek() != JsonToken.END_DOCUMENT) {
            throw new IOException("trailing characters in " + json);
        }
        return e.getAsJsonObject();
    }

    @Test
    void disabledProfilerRecordsNothingAndWarmupCanSwallowEverything() {
        Profiler off = new Profiler();
        try (JvmBackend backend = new JvmBackend(1, false, off)) {
            Backend.CompiledGraph g = backend.compile(graph());
            g.run();
            g.run();
        }
        assertTrue(off.rows().isEmpty());

        Profiler allWarm = new Profiler(true, 5);
        try (JvmBackend backend = new JvmBackend(1, false, allWarm)) {
            Backend.CompiledGraph g = backend.compile(graph());
            for (int i = 0; i < 5; i++) {
                g.run();
            }
        }
        assertTrue(allWarm.rows().isEmpty(), "five warm-up calls of five leave nothing measured");
    }
}
