package leviathan.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.commons.math3.stat.descriptive.rank.Median;
import org.jfree.chart.JFreeChart;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import leviathan.graph.Backend;
import leviathan.graph.BackendProvider;
import leviathan.graph.Profiler;
import leviathan.model.AtomicFiles;
import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.trainer.Preset;
import leviathan.trainer.TrainConfig;
import leviathan.trainer.TrainingStep;

/**
 * {@code leviathan bench backends --backends jvm,tornado:0:0}: the same training steps (same
 * initial parameters, same batches) on each backend and device. Reports per-kernel time side by
 * side (the backends' own profiles: wall time per stage on the JVM, device kernel time on
 * TornadoVM), median step time, the backend figures (compile time, copies per step), and the
 * largest difference of the loss (every step) and of the first step's gradients against the
 * first backend listed (the JVM backend, as reference). Writes a table, JSON and a PNG bar chart.
 */
final class BackendComparison {
    private BackendComparison() {}

    static String help() {
        return String.join("\n",
                "usage: leviathan bench backends [--backends jvm,tornado:0:0] [--preset baby] [--steps N] [--warmup W]",
                "                                [--json FILE] [--png FILE] [--threads N] [--KEY=VALUE ...]",
                "",
                "  runs W + N training steps of the preset on every backend (same seed, same batches): per-kernel time",
                "  side by side, median step time, compile/copy figures, and the largest relative difference of the loss",
                "  (every step) and of the first step's gradients against the first backend; default N=10, W=3.",
                "  The TornadoVM backend needs the tornado launcher (see tornado-backend/README.md).");
    }

    /** What one backend produced. */
    static final class Result {
        final String spec;
        String name;
        double medianStepMs;
        double firstStepMs;
        float[] losses;
        float[] grads;
        final Map<String, Double> kernelUs = new LinkedHashMap<>();
        Map<String, Double> figures = new LinkedHashMap<>();
        JsonObject profile;

        Result(String spec) {
            this.spec = spec;
        }
    }

    static int run(String list, String json, String png, Preset preset, ModelConfig mc, TrainConfig tc, int warmup, int steps,
                   int threads) throws IOException {
        List<String> specs = new ArrayList<>(Arrays.asList(list.split(",")));
        List<Result> results = new ArrayList<>();
        for (String spec : specs) {
            results.add(runOne(spec.trim(), mc, tc, warmup, steps, threads));
        }
        Result ref = results.get(0);
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "bench backends: %s (%s), B=%d T=%d, %d steps (%d warm-up excluded from times), reference %s%n",
                preset.name(), mc, tc.batchSize, mc.contextLength, steps, warmup, ref.name));
        // per kernel, side by side
        Set<String> kernels = new LinkedHashSet<>();
        for (Result r : results) {
            kernels.addAll(r.kernelUs.keySet());
        }
        out.append(String.format(Locale.ROOT, "%-30s", "kernel (us per step)"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, " %18s", trim(r.name, 18)));
        }
        out.append('\n');
        for (String k : kernels) {
            out.append(String.format(Locale.ROOT, "%-30s", k));
            for (Result r : results) {
                Double v = r.kernelUs.get(k);
                out.append(String.format(Locale.ROOT, " %18s", v == null ? "-" : String.format(Locale.ROOT, "%.1f", v)));
            }
            out.append('\n');
        }
        out.append(String.format(Locale.ROOT, "%-30s", "sum of kernels (ms)"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, " %18.2f", r.kernelUs.values().stream().mapToDouble(Double::doubleValue).sum() / 1e3));
        }
        out.append('\n');
        out.append(String.format(Locale.ROOT, "%-30s", "median step (ms, wall)"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, " %18.2f", r.medianStepMs));
        }
        out.append('\n');
        out.append(String.format(Locale.ROOT, "%-30s", "first step (ms, incl. JIT)"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, " %18.1f", r.firstStepMs));
        }
        out.append('\n');
        out.append(String.format(Locale.ROOT, "%-30s", "max rel. diff loss (all steps)"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, " %18.2e", maxRel(r.losses, ref.losses)));
        }
        out.append('\n');
        out.append(String.format(Locale.ROOT, "%-30s", "max rel. diff gradients"));
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, " %18.2e", gradDiff(r.grads, ref.grads)));
        }
        out.append('\n');
        for (Result r : results) {
            if (!r.figures.isEmpty()) {
                out.append(r.name).append(" figures:");
                r.figures.forEach((k, v) -> out.append(String.format(Locale.ROOT, " %s=%.6g", k, v)));
                out.append('\n');
            }
        }
        out.append("(gradient difference: max |g - g_ref| / max |g_ref| over all parameters after the first step; losses relative per step)\n");
        System.out.print(out);
        if (json != null) {
            AtomicFiles.writeString(Paths.get(json), toJson(preset, mc, tc, steps, warmup, results));
            System.out.println("wrote " + json);
        }
        if (png != null) {
            writeChart(Paths.get(png), new ArrayList<>(kernels), results);
            System.out.println("wrote " + png);
        }
        return 0;
    }

    private static Result runOne(String spec, ModelConfig mc, TrainConfig tc, int warmup, int steps, int threads) {
        Result r = new Result(spec);
        Profiler profiler = new Profiler(true, warmup);
        try (Backend backend = BackendProvider.open(spec, threads, profiler)) {
            r.name = backend.name();
            Gpt model = new Gpt(mc);
            model.initialise(tc.seed);
            TrainingStep trainingStep = new TrainingStep(model, tc, backend, BenchCommand.syntheticBatches(mc, tc));
            int total = warmup + steps;
            r.losses = new float[total];
            double[] ms = new double[total];
            for (int step = 0; step < total; step++) {
                long t0 = System.nanoTime();
                r.losses[step] = trainingStep.run(step);
                ms[step] = (System.nanoTime() - t0) / 1e6;
                if (step == 0) {
                    backend.syncToHost(model.grads.array()); // on demand, outside the timed step
                    r.grads = model.grads.array().clone();
                }
            }
            r.firstStepMs = ms[0];
            r.medianStepMs = new Median().evaluate(ms, warmup, steps);   // as Profiler's medians: Commons Math's Median
            for (Profiler.StageStats s : profiler.rows()) {
                double perStep = s.medianUs() * s.measuredCalls() / Math.max(1, steps);
                r.kernelUs.merge(s.kernel, perStep, Double::sum);
            }
            r.figures = profiler.backendFigures();
            r.profile = profiler.jsonTree(backend.name());
        }
        return r;
    }

    static double maxRel(float[] a, float[] ref) {
        double worst = 0;
        for (int i = 0; i < Math.min(a.length, ref.length); i++) {
            worst = Math.max(worst, Math.abs(a[i] - ref[i]) / Math.max(1e-30, Math.abs(ref[i])));
        }
        return worst;
    }

    static double gradDiff(float[] g, float[] ref) {
        double maxRef = 1e-30, maxDiff = 0;
        for (int i = 0; i < Math.min(g.length, ref.length); i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxDiff = Math.max(maxDiff, Math.abs(g[i] - ref[i]));
        }
        return maxDiff / maxRef;
    }

    private static String toJson(Preset preset, ModelConfig mc, TrainConfig tc, int steps, int warmup, List<Result> results) {
        Result ref = results.get(0);
        JsonObject root = new JsonObject();
        root.addProperty("preset", preset.name());
        root.addProperty("model", mc.toString());
        root.addProperty("batch", tc.batchSize);
        root.addProperty("steps", steps);
        root.addProperty("warmup", warmup);
        root.addProperty("reference", ref.name);
        JsonArray backends = new JsonArray();
        for (Result r : results) {
            JsonObject b = new JsonObject();
            b.addProperty("backend", r.name);
            b.add("median_step_ms", number(r.medianStepMs));
            b.add("first_step_ms", number(r.firstStepMs));
            b.add("max_rel_diff_loss", number(maxRel(r.losses, ref.losses)));
            b.add("max_rel_diff_grads", number(gradDiff(r.grads, ref.grads)));
            JsonArray losses = new JsonArray();
            for (float l : r.losses) {
                losses.add(number(l));
            }
            b.add("losses", losses);
            JsonObject kernels = new JsonObject();
            r.kernelUs.forEach((k, v) -> kernels.add(k, number(v)));
            b.add("kernel_us_per_step", kernels);
            b.add("profile", r.profile);
            backends.add(b);
        }
        root.add("backends", backends);
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(root);
    }

    /** JSON has no NaN or infinity (a diverged loss): those become null, as in the profiles. Floats print as floats. */
    private static JsonElement number(Number v) {
        return Double.isFinite(v.doubleValue()) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    private static void writeChart(Path file, List<String> kernels, List<Result> results) throws IOException {
        List<String> labels = new ArrayList<>(); // short enough to read under the bars
        for (String k : kernels) {
            labels.add(k.replace("backward", "bwd").replace("forward", "fwd").replace("_key_value", "_kv"));
        }
        Map<String, double[]> series = new LinkedHashMap<>();
        for (Result r : results) {
            double[] v = new double[kernels.size()];
            for (int i = 0; i < v.length; i++) {
                Double x = r.kernelUs.get(kernels.get(i));
                v[i] = x == null ? Double.NaN : x;
            }
            String name = r.name;
            for (int n = 2; series.containsKey(name); n++) {   // the same backend twice (e.g. two devices of one kind)
                name = r.name + " #" + n;
            }
            series.put(name, v);
        }
        JFreeChart chart = Charts.bars("per-kernel time per training step (log scale)", "microseconds per step", true, labels, series);
        Charts.writePng(file, Charts.figure(Math.max(900, 60 * kernels.size()), 520, 1, chart));
    }

    private static String trim(String s, int w) {
        return s.length() <= w ? s : s.substring(0, w);
    }
}
