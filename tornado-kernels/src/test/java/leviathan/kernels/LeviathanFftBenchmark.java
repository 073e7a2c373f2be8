package leviathan.kernels;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

import leviathan.compute.FloatSlice;
import leviathan.compute.JvmFastKernels;
import leviathan.compute.Stage;
import leviathan.compute.WorkerPool;
import leviathan.compute.mixers.LeviathanFft;
import leviathan.compute.mixers.LeviathanOps;

/**
 * Measures where Leviathan's FFT lag correlation beats the direct sum (run by hand, not a test):
 * <pre>
 *   mvn -q -pl tornado-kernels test-compile
 *   java -cp tornado-kernels/target/classes:tornado-kernels/target/test-classes:$JTRANSFORMS_JARS \
 *        leviathan.kernels.LeviathanFftBenchmark [heads [T,T,… [L,L,…]]]
 * </pre>
 * For each (T, L) it times, on one thread, the three lag stages of one training step (S from A,
 * dA from dS, dg) with the plain bodies and with {@link LeviathanFft}, over {@code heads}
 * (batch·heads, default 8) score maps, and prints the fastest of several alternating runs,
 * the ratio plain/FFT and the current heuristic's choice ({@link LeviathanFft#faster}).
 */
public final class LeviathanFftBenchmark {
    private LeviathanFftBenchmark() {}

    public static void main(String[] args) {
        int heads = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int[] ts = args.length > 1 ? parse(args[1]) : new int[] {32, 64, 96, 128, 192, 256, 384, 512};
        int[] ls = args.length > 2 ? parse(args[2]) : new int[] {4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512};
        System.out.println("T     L    plain ms   fft ms   plain/fft  heuristic");
        try (WorkerPool pool = new WorkerPool(1)) {
            for (int T : ts) {
                for (int L : ls) {
                    if (L > T) {
                        continue;
                    }
                    double[] ms = time(pool, heads, T, L);
                    System.out.println(String.format(Locale.ROOT, "%-5d %-4d %9.3f %9.3f %8.2f   %s",
                            T, L, ms[0], ms[1], ms[0] / ms[1], LeviathanFft.faster(T, L) ? "fft" : "direct"));
                }
            }
        }
    }

    private static int[] parse(String list) {
        return Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /**
     * Fastest time in milliseconds of the three lag stages over B = heads, H = 1: {plain, fft}. The
     * two paths run alternately and the minimum is kept, so load from other processes on the
     * machine (which only ever adds time) disturbs the comparison as little as possible.
     */
    static double[] time(WorkerPool pool, int heads, int T, int L) {
        Random r = new Random(T * 7 + L);
        FloatSlice base = random(r, "base", heads * T * T), dpre = random(r, "dpreatt", heads * T * T);
        FloatSlice lag = random(r, "lag", L), pre = FloatSlice.of("preatt", heads * T * T);
        FloatSlice dbase = FloatSlice.of("dbase", heads * T * T), dlag = FloatSlice.of("dlag", L);
        Stage[] stages = {
                LeviathanOps.lagCorrelate("lag", pre, base, lag, heads, T, 1, L),
                LeviathanOps.lagCorrelateBackward("lag_bw", dbase, dpre, lag, heads, T, 1, L),
                LeviathanOps.lagWeightBackward("lag_weight_bw", dlag, dpre, base, heads, T, 1, L)};
        List<Function<Stage, JvmFastKernels.JvmStage>> fft = List.of(
                LeviathanFft::lagCorrelate, LeviathanFft::lagCorrelateBackward, LeviathanFft::lagWeightBackward);
        JvmFastKernels.JvmStage[][] bound = new JvmFastKernels.JvmStage[2][3];
        for (int k = 0; k < 3; k++) {
            bound[0][k] = JvmFastKernels.plain(stages[k]);
            bound[1][k] = fft.get(k).apply(stages[k]);
        }
        double work = (double) heads * T * T * L;
        int reps = (int) Math.max(5, Math.min(60, 4e8 / work));
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int i = 0; i < reps + 3; i++) {
            for (int variant = 0; variant < 2; variant++) {
                long t0 = System.nanoTime();
                for (JvmFastKernels.JvmStage s : bound[variant]) {
                    s.run(pool);
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                if (i >= 3) {   // the first runs compile
                    best[variant] = Math.min(best[variant], ms);
                }
            }
        }
        return best;
    }

    private static FloatSlice random(Random r, String name, int n) {
        FloatSlice s = FloatSlice.of(name, n);
        for (int i = 0; i < n; i++) {
            s.array[i] = (float) r.nextGaussian();
        }
        return s;
    }
}
