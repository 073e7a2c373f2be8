package leviathan.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.commons.math3.stat.descriptive.rank.Median;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

/**
 * Per-stage timing: call count, total and median time, GFLOP/s and GB/s from each stage's declared
 * work. The first {@code warmupCalls} calls of every stage (JIT compilation, first touch of
 * memory) are excluded, and the report says so. Backends record; {@link #table} and
 * {@link #json} render. The TornadoVM backend fills the same rows with device kernel times and
 * adds its copy and compile figures as {@link #putBackendFigure backend figures}.
 */
public final class Profiler {
    private volatile boolean enabled;
    private int warmupCalls;
    private final Map<String, StageStats> stats = new LinkedHashMap<>();
    private final Map<String, Double> backendFigures = new LinkedHashMap<>();

    public Profiler() {
        this(false, 0);
    }

    public Profiler(boolean enabled, int warmupCalls) {
        this.enabled = enabled;
        this.warmupCalls = warmupCalls;
    }

    public boolean enabled() {
        return enabled;
    }

    public void enable(int warmupCallsPerStage) {
        this.warmupCalls = warmupCallsPerStage;
        this.enabled = true;
    }

    public void disable() {
        this.enabled = false;
    }

    public int warmupCalls() {
        return warmupCalls;
    }

    /** Forgets every recorded call (keeps the stages). */
    public synchronized void reset() {
        for (StageStats s : stats.values()) {
            s.count = 0;
            s.n = 0;
        }
        backendFigures.clear();
    }

    public synchronized StageStats stats(String graph, Stage stage) {
        return stats.computeIfAbsent(graph + "/" + stage.name, k -> new StageStats(graph, stage.name, stage.kernel.name, stage.flops, stage.bytes));
    }

    /** A backend-wide number (e.g. "compile_ms", "copy_in_bytes_per_step"). */
    public synchronized void putBackendFigure(String key, double value) {
        backendFigures.put(key, value);
    }

    public synchronized Map<String, Double> backendFigures() {
        return new LinkedHashMap<>(backendFigures);
    }

    public synchronized List<StageStats> rows() {
        List<StageStats> rows = new ArrayList<>();
        for (StageStats s : stats.values()) {
            if (s.measuredCalls() > 0) {
                rows.add(s);
            }
        }
        return rows;
    }

    /** Timings of one stage. {@link #record} is called by one thread (the backend's). */
    public final class StageStats {
        public final String graph;
        public final String stage;
        public final String kernel;
        public final double flops;
        public final double bytes;
        private int count;
        private long[] nanos = new long[64];
        private int n;

        StageStats(String graph, String stage, String kernel, double flops, double bytes) {
            this.graph = graph;
            this.stage = stage;
            this.kernel = kernel;
            this.flops = flops;
            this.bytes = bytes;
        }

        public void record(long ns) {
            count++;
            if (count <= warmupCalls) {
                return;
            }
            if (n == nanos.length) {
                nanos = Arrays.copyOf(nanos, n * 2);
            }
            nanos[n++] = ns;
        }

        public int measuredCalls() {
            return n;
        }

        public double totalMs() {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += nanos[i];
            }
            return sum / 1e6;
        }

        /**
         * Median time of the measured calls in microseconds, NaN before any: Commons Math's
         * {@link Median} (the middle value; for an even count, the mean of the two middle values).
         */
        public double medianUs() {
            if (n == 0) {
                return Double.NaN;
            }
            double[] ns = new double[n];
            for (int i = 0; i < n; i++) {
                ns[i] = nanos[i];
            }
            return new Median().evaluate(ns) / 1e3;
        }

        /** GFLOP/s at the median time, NaN where the stage declares no arithmetic. */
        public double gflops() {
            return flops > 0 ? flops / (medianUs() * 1e3) : Double.NaN;
        }

        public double gbps() {
            return bytes > 0 ? bytes / (medianUs() * 1e3) : Double.NaN;
        }
    }

    public String table(String title) {
        StringBuilder sb = new StringBuilder();
        List<StageStats> rows = rows();
        sb.append(title).append(" (first ").append(warmupCalls).append(" calls of each stage excluded as warm-up)\n");
        sb.append(String.format(Locale.ROOT, "%-44s %-30s %7s %10s %11s %9s %8s%n",
                "stage", "kernel", "calls", "total ms", "median us", "GFLOP/s", "GB/s"));
        double total = 0;
        for (StageStats s : rows) {
            total += s.totalMs();
            sb.append(String.format(Locale.ROOT, "%-44s %-30s %7d %10.2f %11.1f %9s %8s%n",
                    trim(s.graph + "/" + s.stage, 44), trim(s.kernel, 30), s.measuredCalls(), s.totalMs(), s.medianUs(),
                    fmt(s.gflops()), fmt(s.gbps())));
        }
        sb.append(String.format(Locale.ROOT, "%-44s %-30s %7s %10.2f%n", "total", "", "", total));
        for (Map.Entry<String, Double> e : backendFigures().entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %s = %s%n", e.getKey(), fmt(e.getValue())));
        }
        return sb.toString();
    }

    /** The same rows as JSON: {"backend":…, "warmup_calls_excluded":…, "stages":[…], "figures":{…}}; NaN and ±∞ as null. */
    public String json(String backend) {
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(jsonTree(backend));
    }

    /** {@link #json} as a Gson tree, for reports that embed a profile. */
    public JsonObject jsonTree(String backend) {
        JsonObject root = new JsonObject();
        root.addProperty("backend", backend);
        root.addProperty("warmup_calls_excluded", warmupCalls);
        JsonArray stages = new JsonArray();
        for (StageStats s : rows()) {
            JsonObject row = new JsonObject();
            row.addProperty("graph", s.graph);
            row.addProperty("stage", s.stage);
            row.addProperty("kernel", s.kernel);
            row.addProperty("calls", s.measuredCalls());
            row.add("total_ms", number(s.totalMs()));
            row.add("median_us", number(s.medianUs()));
            row.add("gflops", number(s.gflops()));
            row.add("gbps", number(s.gbps()));
            stages.add(row);
        }
        root.add("stages", stages);
        JsonObject figures = new JsonObject();
        for (Map.Entry<String, Double> e : backendFigures().entrySet()) {
            figures.add(e.getKey(), number(e.getValue()));
        }
        root.add("figures", figures);
        return root;
    }

    /** JSON has no NaN or infinity: those become null. */
    private static JsonElement number(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    private static String trim(String s, int w) {
        return s.length() <= w ? s : "…" + s.substring(s.length() - w + 1);
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.2f", v);
    }
}
