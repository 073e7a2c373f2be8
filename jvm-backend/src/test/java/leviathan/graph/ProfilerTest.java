package leviathan.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import leviathan.jvm.JvmBackend;
import leviathan.stages.CoreStages;

/**
 * {@link Profiler} through {@link JvmBackend}: with warm-up W and K runs, each stage reports
 * K − W measured calls and a positive median; the table names every stage and states the
 * warm-up; the JSON parses (a minimal strict parser below, no dependency) and carries the same
 * numbers; a disabled profiler records nothing; reset forgets.
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
    void reportsMeasuredCallsAfterWarmup() {
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
        String json = profiler.json("jvm");
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) new MiniJson(json).parseDocument();
        assertEquals("jvm", root.get("backend"));
        assertEquals((double) W, root.get("warmup_calls_excluded"));
        @SuppressWarnings("unchecked")
        List<Object> stages = (List<Object>) root.get("stages");
        assertEquals(STAGES.size(), stages.size());
        for (int i = 0; i < stages.size(); i++) {
            @SuppressWarnings("unchecked")
            Map<String, Object> st = (Map<String, Object>) stages.get(i);
            assertEquals(STAGES.get(i), st.get("stage"));
            assertEquals((double) (K - W), st.get("calls"));
            assertTrue((Double) st.get("median_us") > 0);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> zero = (Map<String, Object>) stages.get(0);
        assertNull(zero.get("gflops"), "NaN is written as null");
        assertTrue(zero.containsKey("gflops"));
        @SuppressWarnings("unchecked")
        Map<String, Object> figures = (Map<String, Object>) root.get("figures");
        assertEquals(1.5, figures.get("compile_ms"));

        profiler.reset();
        assertTrue(profiler.rows().isEmpty(), "reset forgets every call");
        assertEquals(0, ((List<?>) ((Map<?, ?>) new MiniJson(profiler.json("jvm")).parseDocument()).get("stages")).size());
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

    @Test
    void miniJsonRejectsMalformedInput() {
        for (String bad : List.of("{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":1}x", "{a:1}", "{\"a\":NaN}")) {
            assertThrows(IllegalArgumentException.class, () -> new MiniJson(bad).parseDocument(), bad);
        }
    }

    /** A strict JSON parser (objects, arrays, strings with escapes, numbers, true/false/null). */
    static final class MiniJson {
        private final String s;
        private int i;

        MiniJson(String s) {
            this.s = s;
        }

        Object parseDocument() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw error("trailing characters");
            }
            return v;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at " + i + " in " + s);
        }

        private void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private char peek() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private Object value() {
            char c = peek();
            if (c == '{') {
                return object();
            }
            if (c == '[') {
                return array();
            }
            if (c == '"') {
                return string();
            }
            if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            return number();
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            expect('{');
            if (peek() == '}') {
                i++;
                return m;
            }
            while (true) {
                if (peek() != '"') {
                    throw error("expected a key");
                }
                String k = string();
                expect(':');
                if (m.containsKey(k)) {
                    throw error("duplicate key " + k);
                }
                m.put(k, value());
                char c = peek();
                i++;
                if (c == '}') {
                    return m;
                }
                if (c != ',') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> array() {
            List<Object> a = new ArrayList<>();
            expect('[');
            if (peek() == ']') {
                i++;
                return a;
            }
            while (true) {
                a.add(value());
                char c = peek();
                i++;
                if (c == ']') {
                    return a;
                }
                if (c != ',') {
                    throw error("expected ',' or ']'");
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error("control character in string");
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case '"', '\\', '/' -> sb.append(e);
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'n' -> sb.append('\n');
                        case 'r' -> sb.append('\r');
                        case 't' -> sb.append('\t');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> throw error("bad escape");
                    }
                } else {
                    sb.append(c);
                }
            }
        }

        private Double number() {
            int start = i;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")
                    .matcher(s).region(i, s.length());
            if (!m.lookingAt()) {
                throw error("expected a value");
            }
            i = m.end();
            return Double.parseDouble(s.substring(start, i));
        }
    }
}
