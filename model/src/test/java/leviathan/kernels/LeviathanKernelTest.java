package leviathan.kernels;

import static leviathan.testing.Check.FAST_RTOL;
import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.GRAD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.Check.assertQkvClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.constant;
import static leviathan.testing.TestData.dot;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.minus;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.jvm.JvmFastKernels;
import leviathan.jvm.LeviathanFft;
import leviathan.jvm.WorkerPool;
import leviathan.model.mixers.LeviathanMixer;
import leviathan.stages.CoreStages;
import leviathan.stages.DropoutSite;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;

/**
 * {@link Leviathan} (SPEC 2.2, causal) through its declared stages ({@link LeviathanMixer.Stages}):
 * <ul>
 *   <li>forward scores S, probabilities P and output against a double reference written from the
 *       definition S_ij = (1/√D)·Σ_τ g_τ·q_{i−τ}·k_{j−τ} (relative 1e-5), masked entries never
 *       written, for L = 1, L &lt; T, L = T and L &gt; T;</li>
 *   <li>the backward stages give dQ, dK, dV and dg matching central finite differences of
 *       L = Σ w·out in double precision (relative 1e-3), accumulating into pre-filled gradients;</li>
 *   <li>with g = (1, 0, …, 0) every stage equals {@link Attention}'s bit for bit;</li>
 *   <li>the FFT variant ({@link LeviathanFft}) equals the plain bodies (relative 1e-5) on shapes
 *       with one and many overlap-save blocks, is what fast mode runs past the crossover (and only
 *       there), and does not depend on the thread count;</li>
 *   <li>the stage factories reject wrong buffer lengths and a non-positive L.</li>
 * </ul>
 */
class LeviathanKernelTest {
    static final float PREFILL = 0.25f;

    /** Non-trivial lag weights: g_0 near 1, later lags of either sign. */
    static float[] lags(Random r, int H, int L) {
        float[] g = gaussian(r, H * L, 0.5);
        for (int h = 0; h < H; h++) {
            g[h * L] += 1f;
        }
        return g;
    }

    /** {out, att, preatt} of the definition, in double: S_ij = (1/√D)·Σ_{τ ≤ min(L−1, j)} g_τ·q_{i−τ}·k_{j−τ}. */
    static double[][] reference(double[] qkv, double[] g, int B, int T, int C, int H, int L) {
        double sqrtD = Math.sqrt(C / H);
        return Reference.causalAttention(qkv, B, T, C, H, (b, h, i, j) -> {
            double s = 0;
            for (int tau = 0; tau < L && tau <= j; tau++) {
                s += g[h * L + tau] * Reference.qk(qkv, b, h, i - tau, j - tau, T, C, H);
            }
            return s / sqrtD;
        });
    }

    /** The forward stages over the given buffers: A, S, then P and out. */
    static Stage[] forwardStages(FloatSlice out, FloatSlice base, FloatSlice pre, FloatSlice att, FloatSlice qkv, FloatSlice lag,
                                 int B, int T, int C, int H, int L) {
        return new Stage[] {
                LeviathanMixer.Stages.baseScores("lev_base", base, qkv, B, T, C, H),
                LeviathanMixer.Stages.lagCorrelate("lev_lag", pre, base, lag, B, T, H, L),
                LeviathanMixer.Stages.softmaxValues("lev_softmax", out, att, pre, qkv, B, T, C, H, DropoutSite.NONE)};
    }

    /** The backward stages, in the mixer's order. */
    static Stage[] backwardStages(FloatSlice dqkv, FloatSlice dlag, FloatSlice dbase, FloatSlice dpre, FloatSlice dout,
                                  FloatSlice base, FloatSlice att, FloatSlice qkv, FloatSlice lag, int B, int T, int C, int H, int L) {
        return new Stage[] {
                LeviathanMixer.Stages.scoresBackward("lev_scores_bw", dpre, dout, qkv, att, B, T, C, H, DropoutSite.NONE),
                LeviathanMixer.Stages.lagCorrelateBackward("lev_lag_bw", dbase, dpre, lag, B, T, H, L),
                LeviathanMixer.Stages.lagWeightBackward("lev_lag_weight_bw", dlag, dpre, base, B, T, H, L),
                LeviathanMixer.Stages.queryBackward("lev_query_bw", dqkv, dbase, qkv, B, T, C, H),
                CoreStages.attentionBackwardKeyValue("lev_kv_bw", dqkv, dbase, dout, qkv, att, B, T, C, H)};
    }

    static Stage[] concat(Stage[] a, Stage[] b) {
        Stage[] s = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, s, a.length, b.length);
        return s;
    }

    /** The causal entries (j ≤ i) of a (B, H, T, T) map; asserts the masked ones still hold their NaN. */
    static float[] causal(FloatSlice map, int BH, int T) {
        float[] a = map.toArray();
        float[] live = new float[BH * T * T];
        for (int row = 0; row < BH * T; row++) {
            int i = row % T;
            for (int j = 0; j < T; j++) {
                float v = a[row * T + j];
                if (j <= i) {
                    live[row * T + j] = v;
                } else {
                    assertTrue(Float.isNaN(v), map.name + ": masked entry (row " + row + ", j " + j + ") was written: " + v);
                }
            }
        }
        return live;
    }

    static double[] causalOnly(double[] ref, int BH, int T) {
        double[] live = ref.clone();
        for (int row = 0; row < BH * T; row++) {
            for (int j = row % T + 1; j < T; j++) {
                live[row * T + j] = 0;
            }
        }
        return live;
    }

    static FloatSlice nanMap(String name, int B, int H, int T) {
        return padded(name, constant(B * H * T * T, Float.NaN), B, H, T, T);
    }

    @ParameterizedTest(name = "T={1} L={4} fast={5}")
    @CsvSource({"2,6,12,3,1,false", "2,6,12,3,3,false", "1,7,8,2,7,false", "2,5,12,3,9,false",
                "2,6,12,3,3,true", "1,7,8,2,7,true"})
    void forwardMatchesDefinition(int B, int T, int C, int H, int L, boolean fast) {
        Random r = new Random(100 + T * 10 + L);
        float[] x = gaussian(r, B * T * 3 * C, 1), g = lags(r, H, L);
        FloatSlice out = padded("out", gaussian(r, B * T * C, 1), B, T, C);   // garbage: forward overwrites
        FloatSlice base = nanMap("base", B, H, T), pre = nanMap("preatt", B, H, T), att = nanMap("att", B, H, T);
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), lag = padded("lag", g, H, L);
        GraphRunner.run(fast, forwardStages(out, base, pre, att, qkv, lag, B, T, C, H, L));

        double[][] ref = reference(toDouble(x), toDouble(g), B, T, C, H, L);
        double[][] attention = leviathan.testing.Reference.attention(toDouble(x), B, T, C, H);
        assertClose(ref[0], out.toArray(), FORWARD_RTOL, "leviathan out");
        assertClose(causalOnly(ref[1], B * H, T), causal(att, B * H, T), FORWARD_RTOL, "leviathan probabilities");
        assertClose(causalOnly(ref[2], B * H, T), causal(pre, B * H, T), FORWARD_RTOL, "leviathan scores S");
        assertClose(causalOnly(attention[2], B * H, T), causal(base, B * H, T), FORWARD_RTOL, "base map A = QKᵀ/√D");
        assertPaddingIntact(out, base, pre, att, qkv, lag);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void backwardMatchesFiniteDifferencesAndAccumulates(boolean fast) {
        int B = 2, T = 6, C = 12, H = 3, L = 3;
        Random r = new Random(7);
        float[] x = gaussian(r, B * T * 3 * C, 1), g = lags(r, H, L), dy = gaussian(r, B * T * C, 1);
        FloatSlice out = padded("out", B, T, C), base = nanMap("base", B, H, T), pre = nanMap("preatt", B, H, T);
        FloatSlice att = nanMap("att", B, H, T), dbase = nanMap("dbase", B, H, T), dpre = nanMap("dpreatt", B, H, T);
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), lag = padded("lag", g, H, L), dout = padded("dout", dy, B, T, C);
        FloatSlice dqkv = padded("dqkv", constant(B * T * 3 * C, PREFILL), B, T, 3 * C);
        FloatSlice dlag = padded("dlag", constant(H * L, PREFILL), H, L);
        GraphRunner.run(fast, concat(forwardStages(out, base, pre, att, qkv, lag, B, T, C, H, L),
                backwardStages(dqkv, dlag, dbase, dpre, dout, base, att, qkv, lag, B, T, C, H, L)));

        double[] X = toDouble(x), G = toDouble(g);
        double[] gx = FiniteDifference.gradient(q -> dot(dy, reference(q, G, B, T, C, H, L)[0]), X);
        double[] gg = FiniteDifference.gradient(w -> dot(dy, reference(X, w, B, T, C, H, L)[0]), G);
        float[] got = minus(dqkv.toArray(), PREFILL);
        assertQkvClose(gx, got, GRAD_RTOL, B * T, C, "leviathan");
        assertClose(gg, minus(dlag.toArray(), PREFILL), GRAD_RTOL, "leviathan dg (lag weights)");
        causal(dbase, B * H, T);
        causal(dpre, B * H, T);
        assertPaddingIntact(dqkv, dlag, dbase, dpre, qkv, dout, att, base);
    }

    /** g = (1, 0, …, 0): scores, probabilities, output and dqkv are attention's, bit for bit (plain bodies). */
    @ParameterizedTest(name = "L={0}")
    @ValueSource(ints = {1, 4, 9})
    void identityLagsEqualAttentionExactly(int L) {
        int B = 2, T = 7, C = 12, H = 3;
        Random r = new Random(11);
        float[] x = gaussian(r, B * T * 3 * C, 1), dy = gaussian(r, B * T * C, 1);
        float[] g = new float[H * L];
        for (int h = 0; h < H; h++) {
            g[h * L] = 1f;
        }
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), lag = padded("lag", g, H, L), dout = padded("dout", dy, B, T, C);
        FloatSlice out = padded("out", B, T, C), base = nanMap("base", B, H, T), pre = nanMap("preatt", B, H, T);
        FloatSlice att = nanMap("att", B, H, T), dbase = nanMap("dbase", B, H, T), dpre = nanMap("dpreatt", B, H, T);
        FloatSlice dqkv = padded("dqkv", B, T, 3 * C), dlag = padded("dlag", H, L);
        GraphRunner.run(false, concat(forwardStages(out, base, pre, att, qkv, lag, B, T, C, H, L),
                backwardStages(dqkv, dlag, dbase, dpre, dout, base, att, qkv, lag, B, T, C, H, L)));

        FloatSlice aOut = padded("a_out", B, T, C), aPre = nanMap("a_preatt", B, H, T), aAtt = nanMap("a_att", B, H, T);
        FloatSlice aDpre = nanMap("a_dpreatt", B, H, T), aDqkv = padded("a_dqkv", B, T, 3 * C);
        GraphRunner.run(false,
                CoreStages.attentionForward("attn", aOut, aPre, aAtt, qkv, B, T, C, H),
                CoreStages.attentionBackwardQuery("attn_bq", aDqkv, aDpre, dout, qkv, aAtt, B, T, C, H),
                CoreStages.attentionBackwardKeyValue("attn_bkv", aDqkv, aDpre, dout, qkv, aAtt, B, T, C, H));

        assertArrayEquals(aOut.toArray(), out.toArray(), "out");
        assertArrayEquals(causal(aPre, B * H, T), causal(pre, B * H, T), "scores");
        assertArrayEquals(causal(aAtt, B * H, T), causal(att, B * H, T), "probabilities");
        assertArrayEquals(causal(aDpre, B * H, T), causal(dbase, B * H, T), "dA = dS");
        assertArrayEquals(aDqkv.toArray(), dqkv.toArray(), "dqkv");
    }

    // ---- the FFT variant -------------------------------------------------------------------

    static Stream<Arguments> fftShapes() {
        return Stream.of(
                Arguments.of(1, 3, 2, 2),      // one overlap-save block holds the whole packed sequence
                Arguments.of(2, 9, 3, 9),      // L = T
                Arguments.of(1, 7, 2, 12),     // L > T: lags ≥ T pair nothing
                Arguments.of(2, 40, 2, 5),     // many blocks of 32
                Arguments.of(1, 33, 1, 1),     // L = 1: a scaled copy
                Arguments.of(1, 1, 3, 4),      // a single position
                Arguments.of(2, 70, 2, 23));   // many blocks of 128
    }

    /** One lag stage's result: {S}, {dA} or {dg}, by the given binding on `threads` workers. */
    static float[] runLagStage(Stage stage, Function<Stage, JvmFastKernels.JvmStage> binding, int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            binding.apply(stage).run(pool);
        }
        return stage.floats(0).toArray();
    }

    @ParameterizedTest(name = "B={0} T={1} H={2} L={3}")
    @MethodSource("fftShapes")
    void fftEqualsPlainBodies(int B, int T, int H, int L) {
        Random r = new Random(B * 1000 + T * 10 + L);
        float[] a = gaussian(r, B * H * T * T, 1), ds = gaussian(r, B * H * T * T, 1), g = lags(r, H, L);
        float[] prior = gaussian(r, H * L, 1);
        float[][] lag = new float[2][], lagBw = new float[2][], weight = new float[2][];
        for (int variant = 0; variant < 2; variant++) {
            Function<Stage, JvmFastKernels.JvmStage> correlate = variant == 0 ? JvmFastKernels::plain : LeviathanFft::lagCorrelate;
            Function<Stage, JvmFastKernels.JvmStage> adjoint = variant == 0 ? JvmFastKernels::plain : LeviathanFft::lagCorrelateBackward;
            Function<Stage, JvmFastKernels.JvmStage> reduce = variant == 0 ? JvmFastKernels::plain : LeviathanFft::lagWeightBackward;
            FloatSlice base = padded("base", a, B, H, T, T), dpre = padded("dpreatt", ds, B, H, T, T), gs = padded("lag", g, H, L);
            FloatSlice pre = nanMap("preatt", B, H, T), dbase = nanMap("dbase", B, H, T);
            FloatSlice dlag = padded("dlag", prior.clone(), H, L);
            runLagStage(LeviathanMixer.Stages.lagCorrelate("lag", pre, base, gs, B, T, H, L), correlate, 2);
            runLagStage(LeviathanMixer.Stages.lagCorrelateBackward("lag_bw", dbase, dpre, gs, B, T, H, L), adjoint, 2);
            runLagStage(LeviathanMixer.Stages.lagWeightBackward("lag_weight_bw", dlag, dpre, base, B, T, H, L), reduce, 2);
            lag[variant] = causal(pre, B * H, T);
            lagBw[variant] = causal(dbase, B * H, T);
            weight[variant] = dlag.toArray();
            assertPaddingIntact(base, dpre, gs, pre, dbase, dlag);
        }
        String shape = " B=" + B + " T=" + T + " H=" + H + " L=" + L;
        assertClose(lag[0], lag[1], FAST_RTOL, "S by FFT vs plain" + shape);
        assertClose(lagBw[0], lagBw[1], FAST_RTOL, "dA by FFT vs plain" + shape);
        assertClose(weight[0], weight[1], FAST_RTOL, "dg by FFT vs plain" + shape);
        // Against the definition too, so that "equal to each other" cannot mean "equally wrong".
        assertClose(lagReference(a, g, B, T, H, L), lag[1], FORWARD_RTOL, "S by FFT vs definition" + shape);
    }

    /** S_ij = Σ_{τ ≤ min(L−1, j)} g_τ·A_{i−τ, j−τ} on the causal entries, in double. */
    static double[] lagReference(float[] a, float[] g, int B, int T, int H, int L) {
        double[] s = new double[B * H * T * T];
        for (int bh = 0; bh < B * H; bh++) {
            int h = bh % H;
            for (int i = 0; i < T; i++) {
                for (int j = 0; j <= i; j++) {
                    double acc = 0;
                    for (int tau = 0; tau < L && tau <= j; tau++) {
                        acc += (double) g[h * L + tau] * a[(bh * T + i - tau) * T + j - tau];
                    }
                    s[(bh * T + i) * T + j] = acc;
                }
            }
        }
        return s;
    }

    /** Each worker owns whole heads and the blocks are summed in a fixed order: the thread count changes nothing. */
    @Test
    void fftIsIndependentOfThreadCount() {
        int B = 3, T = 30, H = 2, L = 11;
        Random r = new Random(3);
        float[] a = gaussian(r, B * H * T * T, 1), ds = gaussian(r, B * H * T * T, 1), g = lags(r, H, L);
        float[][] s = new float[2][], da = new float[2][], dg = new float[2][];
        int[] threads = {1, 3};
        for (int k = 0; k < 2; k++) {
            FloatSlice base = FloatSlice.of("base", B, H, T, T), dpre = FloatSlice.of("dpreatt", B, H, T, T);
            base.copyFrom(a);
            dpre.copyFrom(ds);
            FloatSlice gs = FloatSlice.of("lag", H, L);
            gs.copyFrom(g);
            s[k] = runLagStage(LeviathanMixer.Stages.lagCorrelate("lag", FloatSlice.of("preatt", B, H, T, T), base, gs, B, T, H, L),
                    LeviathanFft::lagCorrelate, threads[k]);
            da[k] = runLagStage(LeviathanMixer.Stages.lagCorrelateBackward("lag_bw", FloatSlice.of("dbase", B, H, T, T), dpre, gs, B, T, H, L),
                    LeviathanFft::lagCorrelateBackward, threads[k]);
            dg[k] = runLagStage(LeviathanMixer.Stages.lagWeightBackward("lag_weight_bw", FloatSlice.of("dlag", H, L), dpre, base, B, T, H, L),
                    LeviathanFft::lagWeightBackward, threads[k]);
        }
        assertArrayEquals(s[0], s[1], "S");
        assertArrayEquals(da[0], da[1], "dA");
        assertArrayEquals(dg[0], dg[1], "dg");
    }

    /**
     * Fast mode takes the FFT past the measured crossover and the plain body before it: its result
     * equals the chosen path's bit for bit (and the two paths differ in the last bits, so the check
     * tells them apart).
     */
    @ParameterizedTest(name = "T={0} L={1} fft={2}")
    @CsvSource({"128,64,true", "128,200,true", "16,4,false", "128,16,false", "64,64,false"})
    void fastModeChoosesByTheMeasuredCrossover(int T, int L, boolean expectFft) {
        int B = 1, H = 1;
        boolean fft = LeviathanFft.faster(T, L);
        assertEquals(expectFft, fft, "the crossover puts T=" + T + ", L=" + L + " on the " + (fft ? "FFT" : "direct") + " side");
        Random r = new Random(T + L);
        float[] a = gaussian(r, B * H * T * T, 1), g = lags(r, H, L);
        float[][] results = new float[3][];
        for (int variant = 0; variant < 3; variant++) {
            FloatSlice base = FloatSlice.of("base", B, H, T, T), pre = FloatSlice.of("preatt", B, H, T, T), gs = FloatSlice.of("lag", H, L);
            base.copyFrom(a);
            gs.copyFrom(g);
            Stage stage = LeviathanMixer.Stages.lagCorrelate("lag", pre, base, gs, B, T, H, L);
            if (variant == 0) {
                GraphRunner.run(true, stage);
                results[0] = pre.toArray();
            } else {
                results[variant] = runLagStage(stage, variant == 1 ? LeviathanFft::lagCorrelate : JvmFastKernels::plain, 2);
            }
        }
        float[] chosen = fft ? results[1] : results[2], other = fft ? results[2] : results[1];
        assertArrayEquals(chosen, results[0], "fast mode ran the " + (fft ? "FFT" : "plain") + " path");
        assertFalse(Arrays.equals(other, results[0]), "the two paths should differ in rounding");
    }

    @Test
    void stageFactoriesRejectWrongSizes() {
        int B = 2, T = 4, C = 8, H = 2, L = 3;
        FloatSlice map = FloatSlice.of("map", B, H, T, T), qkv = FloatSlice.of("qkv", B, T, 3 * C), lag = FloatSlice.of("lag", H, L);
        FloatSlice shortMap = FloatSlice.of("short_map", B * H * T * T - 1), wrongLag = FloatSlice.of("wrong_lag", H * L + 1);
        assertRejected(() -> LeviathanMixer.Stages.baseScores("s", shortMap, qkv, B, T, C, H), "short_map", "B*H*T*T");
        assertRejected(() -> LeviathanMixer.Stages.lagCorrelate("s", map, map, wrongLag, B, T, H, L), "wrong_lag", "H*L");
        assertRejected(() -> LeviathanMixer.Stages.lagCorrelate("s", map, map, lag, B, T, H, 0), "L (lags)");
        assertRejected(() -> LeviathanMixer.Stages.lagWeightBackward("s", wrongLag, map, map, B, T, H, L), "wrong_lag", "H*L");
        assertRejected(() -> LeviathanMixer.Stages.softmaxValues("s", FloatSlice.of("out", B, T, C), map, map, qkv, B, T, C, 3, DropoutSite.NONE), "not divisible");
        assertRejected(() -> LeviathanMixer.Stages.queryBackward("s", FloatSlice.of("dqkv", B, T, C), map, qkv, B, T, C, H), "dqkv", "B*T*3C");
    }

    static void assertRejected(Runnable declare, String... mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, declare::run);
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "message '" + e.getMessage() + "' should mention " + m);
        }
    }
}
