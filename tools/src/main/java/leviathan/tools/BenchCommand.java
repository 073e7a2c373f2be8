package leviathan.tools;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Set;

import org.apache.commons.math3.stat.StatUtils;
import org.apache.commons.math3.stat.descriptive.rank.Median;

import leviathan.graph.Backend;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.model.AtomicFiles;
import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;
import leviathan.stages.CoreStages;
import leviathan.trainer.Preset;
import leviathan.trainer.TrainConfig;
import leviathan.trainer.TrainingStep;

/**
 * {@code leviathan bench}: per-stage profiles of a training step at a preset's shapes plus standalone
 * matmuls ({@code kernels}), and steady-state step time ({@code step}). Benchmarks, not tests:
 * warm-up calls are excluded and medians reported.
 */
final class BenchCommand implements Main.Command {
    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("plain", "debug"));
        args.flag("debug");
        String what = args.positional.isEmpty() ? "kernels" : args.positional.get(0);
        Preset preset = Preset.get(args.get("preset", "baby"));
        int warmup = args.integer("warmup", 10);
        int steps = args.integer("steps", what.equals("step") ? 50 : 30);
        boolean plain = args.flag("plain");
        int threads = Cli.threads(args);
        String json = args.get("json", null);
        String backendSpec = Cli.backendSpec(args);
        ModelConfig mc = preset.model().withVocabSize(65);
        TrainConfig tc = preset.train().copy();
        String backends = what.equals("backends") ? args.get("backends", "jvm,tornado:0:0") : null;
        String png = what.equals("backends") ? args.get("png", null) : null;
        mc = Cli.applyOverrides(args, mc, tc);
        args.rejectUnused("bench", 1);
        Cli.checkOutputFile(json, "--json");
        Cli.checkOutputFile(png, "--png");
        if (backends != null) { // the same training step on each backend: BackendComparison
            return BackendComparison.run(backends, json, png, preset, mc, tc, warmup, steps, threads);
        }
        if (steps <= 0 || warmup < 0) {
            throw new CliException("--steps must be positive and --warmup not negative", 2);
        }
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Profiler profiler = new Profiler(false, warmup);
        boolean jvm = backendSpec.equals("jvm");
        try (Backend backend = jvm ? new leviathan.jvm.JvmBackend(n, !plain, profiler) : Cli.backend(backendSpec, n, profiler)) {
            String label = backend.name() + (plain ? " (plain bodies)" : "") + (jvm ? ", " + n + " threads" : "");
            switch (what) {
                case "kernels":
                case "matmul":
                    profiler.enable(warmup);
                    if (what.equals("kernels")) {
                        runSteps(mc, tc, backend, warmup + steps);
                    }
                    runMatmuls(backend, warmup + steps);
                    System.out.println(profiler.table("bench " + what + ": " + (what.equals("kernels") ? preset.name() + " step (B="
                            + tc.batchSize + ", T=" + mc.contextLength + ", C=" + mc.width + ", V=" + mc.vocabSize + ") and " : "")
                            + "standalone matmuls, " + label));
                    if (json != null) {
                        AtomicFiles.writeString(Paths.get(json), profiler.json(backend.name()));
                        System.out.println("wrote " + json);
                    }
                    return 0;
                case "step":
                    double[] ms = runSteps(mc, tc, backend, warmup + steps);
                    // Commons Math's Median (the middle value, or the mean of the two middle ones), as in the profiles.
                    double median = new Median().evaluate(ms, warmup, steps);
                    double min = StatUtils.min(ms, warmup, steps), max = StatUtils.max(ms, warmup, steps);
                    int tokens = tc.batchSize * mc.contextLength;
                    System.out.println(String.format(Locale.ROOT,
                            "bench step: %s (%s), B=%d T=%d, %s: median %.2f ms/step (min %.2f, max %.2f) = %.0f tokens/s over %d steps (%d warm-up excluded)",
                            preset.name(), mc, tc.batchSize, mc.contextLength, label, median, min, max,
                            tokens / (median / 1e3), steps, warmup));
                    return 0;
                default:
                    throw new CliException("unknown benchmark '" + what + "' (kernels, matmul, step or backends)", 2);
            }
        }
    }

    /**
     * Whole training steps, as the trainer runs them (mixer hook and learning-rate schedule included),
     * on synthetic token windows; returns each step's wall time in ms.
     */
    private static double[] runSteps(ModelConfig mc, TrainConfig tc, Backend backend, int count) {
        Gpt model = new Gpt(mc);
        model.initialise(tc.seed);
        TrainingStep step = new TrainingStep(model, tc, backend, syntheticBatches(mc, tc));
        double[] ms = new double[count];
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            step.run(i);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    /** Random windows of a synthetic token sequence (64 batches long), the same for a given seed on every backend. */
    static TrainingStep.BatchSource syntheticBatches(ModelConfig mc, TrainConfig tc) {
        return TrainingStep.syntheticWindows(mc.vocabSize, 64 * tc.batchSize * (mc.contextLength + 1), tc.seed + 1);
    }

    private static void runMatmuls(Backend backend, int count) {
        Graph g = new Graph("matmul");
        Rng rng = new Rng(7);
        for (int[] s : new int[][] {{768, 128, 512}, {1024, 1024, 1024}}) {
            int BT = s[0], C = s[1], OC = s[2];
            String name = BT + "x" + C + "x" + OC;
            FloatSlice inp = random("inp", rng, BT, C), w = random("w", rng, OC, C), b = random("b", rng, OC);
            FloatSlice out = FloatSlice.of("out", BT, OC), dout = random("dout", rng, BT, OC);
            FloatSlice dinp = FloatSlice.of("dinp", BT, C), dw = FloatSlice.of("dw", OC, C);
            g.add(CoreStages.matmulForward(name + ".forward", out, inp, w, b, BT, C, OC));
            g.add(CoreStages.matmulBackwardInput(name + ".backward_input", dinp, dout, w, BT, C, OC));
            g.add(CoreStages.matmulBackwardWeight(name + ".backward_weight", dw, dout, inp, BT, C, OC));
        }
        Backend.CompiledGraph c = backend.compile(g);
        for (int i = 0; i < count; i++) {
            c.run();
        }
    }

    private static FloatSlice random(String name, Rng rng, int... shape) {
        FloatSlice s = FloatSlice.of(name, shape);
        for (int i = 0; i < s.length; i++) {
            s.array[i] = (float) rng.nextGaussian();
        }
        return s;
    }
}
