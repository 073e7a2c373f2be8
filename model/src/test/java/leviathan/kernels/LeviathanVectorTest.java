package leviathan.kernels;

import static leviathan.kernels.LeviathanKernelTest.causal;
import static leviathan.kernels.LeviathanKernelTest.lags;
import static leviathan.kernels.LeviathanKernelTest.nanMap;
import static leviathan.testing.Check.FAST_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.padded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.jvm.JvmFastKernels;
import leviathan.jvm.LeviathanVector;
import leviathan.jvm.WorkerPool;
import leviathan.model.mixers.LeviathanMixer;
import leviathan.stages.DropoutSite;
import leviathan.testing.GraphRunner;

/**
 * The Vector API variants of Leviathan's row kernels ({@link LeviathanVector}) against the plain
 * bodies of {@link Leviathan}, stage by stage on identical inputs: the score-map kernels within
 * relative 1e-5, the direct lag correlations bit for bit; masked entries and buffer padding never
 * written; the same bits on 1 and 3 threads; and fast mode runs them. Shapes are not multiples of
 * the vector width (T = 5, 37; D = 4, 17) besides the baby model's (T = 64, D = 32).
 */
class LeviathanVectorTest {

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> s = Stream.builder();
        int[][] bTcH = {{2, 5, 12, 3}, {1, 37, 34, 2}, {2, 64, 128, 4}, {3, 17, 48, 1}, {1, 1, 16, 2}};
        for (int[] x : bTcH) {
            int T = x[1];
            for (int L : new int[] {1, 4, T}) {
                s.add(Arguments.of(x[0], T, x[2], x[3], L));
            }
        }
        return s.build().distinct();
    }

    /** Runs one stage by the given binding on `threads` workers. */
    static void run(Stage stage, Function<Stage, JvmFastKernels.JvmStage> binding, int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            binding.apply(stage).run(pool);
        }
    }

    /** Plain body (variant 0) or fast variant on 1 thread (1) or 3 threads (2). */
    static Function<Stage, JvmFastKernels.JvmStage> binding(int variant, Function<Stage, JvmFastKernels.JvmStage> fast) {
        return variant == 0 ? JvmFastKernels::plain : fast;
    }

    static int threads(int variant) {
        return variant == 2 ? 3 : 2;
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} H={3} L={4}")
    @MethodSource("shapes")
    void fastVariantsEqualPlainBodies(int B, int T, int C, int H, int L) {
        Random r = new Random(B * 7919 + T * 131 + C * 17 + H * 3 + L);
        float[] x = gaussian(r, B * T * 3 * C, 1), g = lags(r, H, L), dy = gaussian(r, B * T * C, 1);
        float[] prior = gaussian(r, B * T * 3 * C, 1);
        // Realistic score maps for the stages' inputs: the plain forward of these qkv and lags.
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), lag = padded("lag", g, H, L), dout = padded("dout", dy, B, T, C);
        FloatSlice base0 = FloatSlice.of("base", B, H, T, T), pre0 = FloatSlice.of("preatt", B, H, T, T);
        FloatSlice att0 = FloatSlice.of("att", B, H, T, T), out0 = FloatSlice.of("out", B, T, C);
        GraphRunner.run(false, LeviathanKernelTest.forwardStages(out0, base0, pre0, att0, qkv, lag, B, T, C, H, L));
        float[] a = base0.toArray(), s = pre0.toArray(), p = att0.toArray();
        float[] ds = gaussian(r, B * H * T * T, 1), da = gaussian(r, B * H * T * T, 1);
        int BH = B * H;
        String shape = " B=" + B + " T=" + T + " C=" + C + " H=" + H + " L=" + L;

        float[][] base = new float[3][], pre = new float[3][], att = new float[3][], out = new float[3][];
        float[][] dpre = new float[3][], dbase = new float[3][], dqkv = new float[3][];
        for (int v = 0; v < 3; v++) {
            FloatSlice bs = nanMap("base", B, H, T);
            run(LeviathanMixer.Stages.baseScores("base", bs, qkv, B, T, C, H), binding(v, LeviathanVector::baseScores), threads(v));
            base[v] = causal(bs, BH, T);

            FloatSlice in = padded("base_in", a.clone(), B, H, T, T), ps = nanMap("preatt", B, H, T);
            run(LeviathanMixer.Stages.lagCorrelate("lag", ps, in, lag, B, T, H, L), binding(v, LeviathanVector::lagCorrelate), threads(v));
            pre[v] = causal(ps, BH, T);

            FloatSlice si = padded("preatt_in", s.clone(), B, H, T, T), as = nanMap("att", B, H, T);
            FloatSlice os = padded("out", gaussian(new Random(v), B * T * C, 1), B, T, C);   // garbage: overwritten
            run(LeviathanMixer.Stages.softmaxValues("softmax", os, as, si, qkv, B, T, C, H, DropoutSite.NONE), binding(v, LeviathanVector::softmaxValues),
                    threads(v));
            att[v] = causal(as, BH, T);
            out[v] = os.toArray();

            FloatSlice pi = padded("att_in", p.clone(), B, H, T, T), dps = nanMap("dpreatt", B, H, T);
            run(LeviathanMixer.Stages.scoresBackward("scores_bw", dps, dout, qkv, pi, B, T, C, H, DropoutSite.NONE),
                    binding(v, LeviathanVector::scoresBackward), threads(v));
            dpre[v] = causal(dps, BH, T);

            FloatSlice dsi = padded("dpreatt_in", ds.clone(), B, H, T, T), dbs = nanMap("dbase", B, H, T);
            run(LeviathanMixer.Stages.lagCorrelateBackward("lag_bw", dbs, dsi, lag, B, T, H, L),
                    binding(v, LeviathanVector::lagCorrelateBackward), threads(v));
            dbase[v] = causal(dbs, BH, T);

            FloatSlice dai = padded("dbase_in", da.clone(), B, H, T, T), dq = padded("dqkv", prior.clone(), B, T, 3 * C);
            run(LeviathanMixer.Stages.queryBackward("query_bw", dq, dai, qkv, B, T, C, H), binding(v, LeviathanVector::queryBackward),
                    threads(v));
            dqkv[v] = dq.toArray();

            assertPaddingIntact(qkv, lag, dout, bs, in, ps, si, as, os, pi, dps, dsi, dbs, dai, dq);
        }
        assertClose(base[0], base[1], FAST_RTOL, "A (base scores) fast vs plain" + shape);
        assertClose(att[0], att[1], FAST_RTOL, "P (softmax) fast vs plain" + shape);
        assertClose(out[0], out[1], FAST_RTOL, "out (P·V) fast vs plain" + shape);
        assertClose(dpre[0], dpre[1], FAST_RTOL, "dS (scores backward) fast vs plain" + shape);
        assertClose(dqkv[0], dqkv[1], FAST_RTOL, "dqkv (query backward) fast vs plain" + shape);
        assertArrayEquals(pre[0], pre[1], "S (lag correlation): bit for bit" + shape);
        assertArrayEquals(dbase[0], dbase[1], "dA (lag correlation backward): bit for bit" + shape);
        // One head (or row) per task on one thread: the thread count changes nothing.
        assertArrayEquals(base[1], base[2], "A: 1 vs 3 threads" + shape);
        assertArrayEquals(att[1], att[2], "P: 1 vs 3 threads" + shape);
        assertArrayEquals(out[1], out[2], "out: 1 vs 3 threads" + shape);
        assertArrayEquals(dpre[1], dpre[2], "dS: 1 vs 3 threads" + shape);
        assertArrayEquals(dqkv[1], dqkv[2], "dqkv: 1 vs 3 threads" + shape);
        assertArrayEquals(pre[1], pre[2], "S: 1 vs 3 threads" + shape);
        assertArrayEquals(dbase[1], dbase[2], "dA: 1 vs 3 threads" + shape);
    }

    /** Fast mode (the backend's registry) runs the vector variants: the same bits as calling them directly. */
    @ParameterizedTest(name = "B={0} T={1} C={2} H={3} L={4}")
    @MethodSource("shapes")
    void fastModeRunsTheVectorVariants(int B, int T, int C, int H, int L) {
        if (T < 30) {
            return;   // a few shapes suffice
        }
        Random r = new Random(T + L);
        float[] x = gaussian(r, B * T * 3 * C, 1), g = lags(r, H, L), dy = gaussian(r, B * T * C, 1);
        float[][] results = new float[2][];
        for (int v = 0; v < 2; v++) {
            FloatSlice qkv = padded("qkv", x.clone(), B, T, 3 * C), lag = padded("lag", g.clone(), H, L);
            FloatSlice dout = padded("dout", dy.clone(), B, T, C);
            FloatSlice out = padded("out", B, T, C), base = nanMap("base", B, H, T), pre = nanMap("preatt", B, H, T);
            FloatSlice att = nanMap("att", B, H, T), dbase = nanMap("dbase", B, H, T), dpre = nanMap("dpreatt", B, H, T);
            FloatSlice dqkv = padded("dqkv", B, T, 3 * C);
            Stage[] stages = {
                    LeviathanMixer.Stages.baseScores("base", base, qkv, B, T, C, H),
                    LeviathanMixer.Stages.lagCorrelate("lag", pre, base, lag, B, T, H, L),
                    LeviathanMixer.Stages.softmaxValues("softmax", out, att, pre, qkv, B, T, C, H, DropoutSite.NONE),
                    LeviathanMixer.Stages.scoresBackward("scores_bw", dpre, dout, qkv, att, B, T, C, H, DropoutSite.NONE),
                    LeviathanMixer.Stages.lagCorrelateBackward("lag_bw", dbase, dpre, lag, B, T, H, L),
                    LeviathanMixer.Stages.queryBackward("query_bw", dqkv, dbase, qkv, B, T, C, H)};
            if (v == 0) {
                GraphRunner.run(true, stages);
            } else {
                run(stages[0], LeviathanVector::baseScores, 2);
                run(stages[1], LeviathanVector::lagCorrelate, 2);
                run(stages[2], LeviathanVector::softmaxValues, 2);
                run(stages[3], LeviathanVector::scoresBackward, 2);
                run(stages[4], LeviathanVector::lagCorrelateBackward, 2);
                run(stages[5], LeviathanVector::queryBackward, 2);
            }
            results[v] = dqkv.toArray();
        }
        assertArrayEquals(results[1], results[0], "fast mode ran LeviathanVector's variants");
    }
}
