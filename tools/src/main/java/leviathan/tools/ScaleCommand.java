package leviathan.tools;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.commons.math3.stat.descriptive.rank.Median;
import org.jfree.chart.JFreeChart;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.GsonBuilder;
import com.google.gson.annotations.SerializedName;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.model.AtomicFiles;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;

/**
 * {@code leviathan scale}: forward + backward time and memory of one mixer layer against sequence
 * length, for every mixer, with a log-log plot and the fitted exponent (slope of log time on log T).
 */
final class ScaleCommand implements Main.Command {
    @Override
    public Map<String, ?> helpValues() {
        return Map.of("min_warmup_seconds", MIN_WARMUP_SECONDS, "max_warmup_runs", MAX_WARMUP_RUNS);
    }

    /** Warm-up runs stop once two consecutive ones differ by at most this fraction: the JIT has compiled the kernels. */
    static final double SETTLED = 0.10;
    /** At most this many warm-up runs per length (a busy machine may never settle). */
    static final int MAX_WARMUP_RUNS = 30;
    /**
     * Warm-up lasts at least this long: the first runs of a new kernel settle on the C1 compiler's
     * code, and two of them agree within 10% long before C2 has compiled it (docs/performance.md,
     * the scale section, has the measurement).
     */
    static final double MIN_WARMUP_SECONDS = 1.0;

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        String mixerList = args.get("mixers", String.join(",", Mixers.all().keySet()));
        int[] lengths = Arrays.stream(args.get("lengths", "256,512,1024,2048,4096").split(",")).mapToInt(s -> parse(s, "--lengths")).toArray();
        int B = args.integer("batch", 1);
        int C = args.integer("width", 128);
        int H = args.integer("heads", 4);
        int reps = args.integer("reps", 3);
        double maxSeconds = args.number("max-seconds", 20f);
        int fitFrom = args.integer("fit-from", 512);
        Path out = Paths.get(args.get("out", "runs/scale"));
        String backendSpec = Cli.backendSpec(args);
        int threads = Cli.threads(args);
        Map<String, Map<String, String>> options = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : args.unused().entrySet()) {
            int dot = e.getKey().indexOf('.');
            if (dot > 0) {
                options.computeIfAbsent(e.getKey().substring(0, dot), x -> new LinkedHashMap<>()).put(e.getKey().substring(dot + 1), e.getValue());
                args.get(e.getKey(), null);
            }
        }
        args.rejectUnused("scale");
        if (B <= 0 || reps <= 0 || lengths.length == 0) {
            throw new CliException("--batch and --reps must be positive and --lengths not empty", 2);
        }
        List<String> mixers = new ArrayList<>();
        for (String m : mixerList.split(",")) {
            Mixers.describe(m.trim());
            mixers.add(m.trim());
        }
        TrainCommand.checkWritable(out);
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        Map<String, ScaleFit> exponents = new LinkedHashMap<>();
        System.out.println(String.format(Locale.ROOT, "scale: one mixer layer, batch %d, width %d, heads %d; forward+backward median of %d",
                B, C, H, reps));
        System.out.println(String.format(Locale.ROOT, "%-16s %7s %12s %12s %8s", "mixer", "T", "ms", "memory", "warm-up"));
        try (Backend backend = Cli.backend(backendSpec, threads, new Profiler())) {
            for (String mixer : mixers) {
                List<double[]> points = new ArrayList<>();
                java.util.function.IntFunction<MixerLayer> layer = T -> {
                    ModelConfig mc = new ModelConfig(65, T, 1, H, C, mixer, Map.of());
                    for (Map.Entry<String, String> o : options.getOrDefault(mixer, Map.of()).entrySet()) {
                        mc = mc.withMixerOption(o.getKey(), o.getValue());
                    }
                    return new MixerLayer(mc.validate(), B, T, 1);
                };
                // An untimed first sweep over the lengths: the JIT compiles the mixer's kernels during it, so that
                // no length of the measured sweep (the first above all) absorbs the compilation.
                for (int T : lengths) {
                    Backend.CompiledGraph[] fb = compile(layer.apply(T), backend);
                    List<Double> runs = warmUp(fb[0], fb[1], maxSeconds);
                    if (runs.get(runs.size() - 1) / 1e3 > maxSeconds) {
                        break;
                    }
                }
                for (int T : lengths) {
                    double[] r = measure(layer.apply(T), backend, reps, maxSeconds);
                    points.add(new double[] {T, r[0], r[1]});
                    System.out.println(String.format(Locale.ROOT, "%-16s %7d %12.2f %12s %8s", mixer, T, r[0], Cli.bytes((long) r[1]),
                            (int) r[2] + (r[3] > 0 ? " runs" : " runs, times had not settled")));
                    if (r[0] / 1e3 > maxSeconds) {
                        System.out.println(String.format(Locale.ROOT, "%-16s stops here: one run took more than %.0f s", mixer, maxSeconds));
                        break;
                    }
                }
                results.put(mixer, points);
                exponents.put(mixer, ScaleFit.of(points, fitFrom));
            }
        }
        System.out.println();
        System.out.println("| mixer | fitted exponent (T ≥ " + fitFrom + ") | R² | lengths | ms at largest T | memory at largest T |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (String m : mixers) {
            List<double[]> p = results.get(m);
            double[] last = p.get(p.size() - 1);
            ScaleFit f = exponents.get(m);
            System.out.println(String.format(Locale.ROOT, "| %s | %.2f | %.3f | %d | %.1f (T=%d) | %s |", m, f.slope(), f.rSquared(), f.points(),
                    last[1], (int) last[0], Cli.bytes((long) last[2])));
        }
        for (String m : mixers) {
            String warning = exponents.get(m).warning();
            if (warning != null) {
                System.out.println("warning: " + m + ": " + warning);
            }
        }
        write(out, results, exponents, B, C, H, reps, fitFrom);
        return 0;
    }

    private static int parse(String s, String what) {
        try {
            int v = Integer.parseInt(s.trim());
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new CliException(what + " expects positive integers, got '" + s + "'", 2);
        }
    }

    /**
     * {median forward+backward ms over reps, the layer's bytes, warm-up runs, 1 if the warm-up settled
     * else 0}. One warm-up run is not enough: the JIT compiles the kernels over several, so with one the
     * first lengths measured absorb the compilation and the fitted exponent drops (even below zero).
     * The median is Commons Math's (the middle value, or the mean of the two middle ones), as in the profiles.
     */
    private static double[] measure(MixerLayer layer, Backend backend, int reps, double maxSeconds) {
        Backend.CompiledGraph[] fb = compile(layer, backend);
        Backend.CompiledGraph f = fb[0], b = fb[1];
        List<Double> warmup = warmUp(f, b, maxSeconds);
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            ms[i] = time(f, b);
        }
        return new double[] {new Median().evaluate(ms), layer.bytes, warmup.size(), settled(warmup) ? 1 : 0};
    }

    private static Backend.CompiledGraph[] compile(MixerLayer layer, Backend backend) {
        return new Backend.CompiledGraph[] {backend.compile(layer.forward), backend.compile(layer.backward)};
    }

    /** Forward+backward runs, for at least {@link #MIN_WARMUP_SECONDS} and until two in a row agree (capped); their times. */
    private static List<Double> warmUp(Backend.CompiledGraph f, Backend.CompiledGraph b, double maxSeconds) {
        List<Double> runs = new ArrayList<>();
        double spent = 0;
        do {
            runs.add(time(f, b));
            spent += runs.get(runs.size() - 1) / 1e3;
        } while ((spent < MIN_WARMUP_SECONDS || !settled(runs)) && runs.size() < MAX_WARMUP_RUNS && spent < maxSeconds);
        return runs;
    }

    private static double time(Backend.CompiledGraph f, Backend.CompiledGraph b) {
        long t0 = System.nanoTime();
        f.run();
        b.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Whether the last two warm-up times are within {@link #SETTLED} of each other. */
    static boolean settled(List<Double> ms) {
        if (ms.size() < 2) {
            return false;
        }
        double a = ms.get(ms.size() - 2), b = ms.get(ms.size() - 1);
        return Math.abs(a - b) <= SETTLED * Math.max(a, b);
    }

    /** Least-squares slope of log(ms) on log(T) over points with T ≥ from; NaN with fewer than two. */
    static double fit(List<double[]> points, int from) {
        return ScaleFit.of(points, from).slope();
    }

    /** scale.json: the run's shape, then per mixer its fit and its points. */
    private record ScaleJson(int batch, int width, int heads, int reps, int fitFrom, Map<String, MixerJson> mixers) {}

    private record MixerJson(double exponent, double rSquared, int fitPoints, String fitWarning, List<PointJson> points) {}

    private record PointJson(@SerializedName("T") int length, double ms, long bytes) {}

    private static void write(Path out, Map<String, List<double[]>> results, Map<String, ScaleFit> exponents,
                              int B, int C, int H, int reps, int fitFrom) throws IOException {
        Map<String, MixerJson> mixers = new LinkedHashMap<>();
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            ScaleFit fit = exponents.get(e.getKey());
            List<PointJson> points = new ArrayList<>();
            for (double[] p : e.getValue()) {
                points.add(new PointJson((int) p[0], p[1], (long) p[2]));
            }
            mixers.put(e.getKey(), new MixerJson(fit.slope(), fit.rSquared(), fit.points(), fit.warning(), points));
        }
        ScaleJson root = new ScaleJson(B, C, H, reps, fitFrom, mixers);
        AtomicFiles.writeString(out.resolve("scale.json"), new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().serializeNulls()
                .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).create().toJson(root));
        JFreeChart time = Charts.lines("forward+backward of one layer", "sequence length T", "ms", true, true);
        JFreeChart mem = Charts.lines("memory of one layer", "sequence length T", "bytes", true, true);
        int i = 0;
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            List<double[]> p = e.getValue();
            double[] x = new double[p.size()], y = new double[p.size()], z = new double[p.size()];
            for (int k = 0; k < x.length; k++) {
                x[k] = p.get(k)[0];
                y[k] = p.get(k)[1];
                z[k] = p.get(k)[2];
            }
            ScaleFit fit = exponents.get(e.getKey());
            String label = String.format(Locale.ROOT, "%s (slope %.2f%s)", e.getKey(), fit.slope(), fit.warning() == null ? "" : ", unreliable");
            Color colour = Charts.PALETTE[i++ % Charts.PALETTE.length];
            Charts.line(time, label, x, y, colour, Charts.Style.SOLID);
            Charts.line(mem, e.getKey(), x, z, colour, Charts.Style.SOLID);
        }
        Charts.writePng(out.resolve("scale.png"), Charts.figure(620, 440, 2, time, mem));
        System.out.println("wrote " + out.resolve("scale.json") + " and " + out.resolve("scale.png"));
    }
}
