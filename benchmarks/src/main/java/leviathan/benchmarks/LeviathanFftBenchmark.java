package leviathan.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.jvm.JvmFastKernels;
import leviathan.jvm.LeviathanFft;
import leviathan.jvm.LeviathanVector;
import leviathan.jvm.WorkerPool;
import leviathan.model.mixers.LeviathanMixer;

/**
 * Where Leviathan's FFT lag correlation beats the direct sum: the crossover behind
 * {@link LeviathanFft#faster}. One invocation runs the three lag stages of a training step (S from
 * A, dA from dS, dg) over {@code maps} score maps (batch·heads; B = maps, H = 1) of length T with L
 * lags, on one worker thread, by one of three paths:
 * <ul>
 *   <li>{@code plain}: the kernel bodies, the direct O(T²·L) sums;</li>
 *   <li>{@code direct}: what the JVM backend runs where {@code faster} is false ({@link LeviathanVector}'s
 *       correlations, the plain body of dg);</li>
 *   <li>{@code fft}: {@link LeviathanFft}, what it runs where {@code faster} is true.</li>
 * </ul>
 * <pre>
 *   mvn -B -DskipTests package -pl benchmarks -am
 *   java -jar benchmarks/target/benchmarks.jar LeviathanFft                      # the whole grid
 *   java -jar benchmarks/target/benchmarks.jar LeviathanFft -p T=128,256 -p L=16,24,32 -p path=direct,fft
 * </pre>
 * The FFT pays where direct/fft time exceeds 1; compare each (T, L) with {@code LeviathanFft.faster(T, L)}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})   // LeviathanVector and the backend need the Vector API
public class LeviathanFftBenchmark {
    /** Sequence length. */
    @Param({"64", "96", "128", "192", "256"})
    public int T;

    /** Lag window (min(L, T) lags take part). */
    @Param({"8", "16", "24", "32", "64", "128"})
    public int L;

    @Param({"plain", "direct", "fft"})
    public String path;

    /** Score maps per stage: batch × heads. */
    @Param("8")
    public int maps;

    private WorkerPool pool;
    private JvmFastKernels.JvmStage[] stages;
    private FloatSlice preatt;
    private FloatSlice dbase;
    private FloatSlice dlag;

    /** The three lag stages on random score maps, bound to the chosen path. */
    @Setup(Level.Trial)
    public void bind() {
        Random r = new Random(T * 7L + L);
        int n = maps * T * T;
        FloatSlice base = random(r, "base", n), dpreatt = random(r, "dpreatt", n), lag = random(r, "lag", L);
        preatt = FloatSlice.of("preatt", n);
        dbase = FloatSlice.of("dbase", n);
        dlag = FloatSlice.of("dlag", L);   // accumulates over invocations, as the gradient does over a step's stages
        Stage correlate = LeviathanMixer.Stages.lagCorrelate("lag_correlate", preatt, base, lag, maps, T, 1, L);
        Stage adjoint = LeviathanMixer.Stages.lagCorrelateBackward("lag_correlate.backward", dbase, dpreatt, lag, maps, T, 1, L);
        Stage weights = LeviathanMixer.Stages.lagWeightBackward("lag_weight.backward", dlag, dpreatt, base, maps, T, 1, L);
        switch (path) {
            case "plain" -> stages = new JvmFastKernels.JvmStage[] {
                JvmFastKernels.plain(correlate), JvmFastKernels.plain(adjoint), JvmFastKernels.plain(weights)};
            case "direct" -> stages = new JvmFastKernels.JvmStage[] {
                LeviathanVector.lagCorrelate(correlate), LeviathanVector.lagCorrelateBackward(adjoint), JvmFastKernels.plain(weights)};
            case "fft" -> stages = new JvmFastKernels.JvmStage[] {
                LeviathanFft.lagCorrelate(correlate), LeviathanFft.lagCorrelateBackward(adjoint), LeviathanFft.lagWeightBackward(weights)};
            default -> throw new IllegalArgumentException("path must be plain, direct or fft, got '" + path + "'");
        }
        pool = new WorkerPool(1);   // one thread, as the crossover is stated: the paths parallelise alike over maps
    }

    @Benchmark
    public void lagStages() {
        for (JvmFastKernels.JvmStage s : stages) {
            s.run(pool);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        pool.close();
    }

    /** What the three stages wrote (S, dA, dg), for checking that the paths compute the same. */
    float[][] outputs() {
        return new float[][] {preatt.toArray(), dbase.toArray(), dlag.toArray()};
    }

    private static FloatSlice random(Random r, String name, int n) {
        FloatSlice s = FloatSlice.of(name, n);
        for (int i = 0; i < n; i++) {
            s.array[i] = (float) r.nextGaussian();
        }
        return s;
    }
}
