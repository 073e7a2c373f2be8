package leviathan.jvm;

import static leviathan.testing.Check.FAST_RTOL;
import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.toDouble;
import static leviathan.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.AdamWKernels;
import leviathan.kernels.AttentionKernels;
import leviathan.kernels.CrossEntropyKernels;
import leviathan.kernels.FillKernels;
import leviathan.kernels.GeluKernels;
import leviathan.kernels.GradNormKernels;
import leviathan.kernels.LayerNormKernels;
import leviathan.kernels.LeviathanKernels;
import leviathan.kernels.LeviathanNotebookKernels;
import leviathan.kernels.MatmulKernels;
import leviathan.kernels.PerformerKernels;
import leviathan.kernels.ResidualKernels;
import leviathan.stages.CoreStages;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;
import leviathan.testing.TestData;

/**
 * Every fast JVM variant ({@link JvmFastKernels}, implemented by {@link VectorGemm}) equals the
 * plain body it replaces within relative 1e-5, on sizes that are not multiples of the vector
 * width: ragged row tiles (BT mod 4 ≠ 0), partial panels (OC mod NR ≠ 0), K longer than one
 * K block ({@link VectorGemm#KC}), the degenerate 1×1×1, exact full panels. Forward runs with and
 * without bias over garbage in the output (it must overwrite); both backward passes accumulate
 * into non-zero gradient buffers. The plain path runs on 1 thread, the fast path on 3.
 *
 * <p>The fast attention ({@link VectorAttention}: forward, backward query, backward key/value) is
 * held to the same standard against {@link leviathan.kernels.Attention}'s plain bodies, on head
 * sizes and sequence lengths that are not multiples of the vector width, with guarded buffers,
 * masked score entries that must stay unwritten, a pre-filled dqkv, and its per-thread scratch
 * reused across shapes.
 */
class JvmFastKernelsTest {

    static Stream<Arguments> sizes() {
        int nr = VectorGemm.NR;
        return Stream.of(
                Arguments.of(37, 19, 53),
                Arguments.of(5, 300, 7),                       // K > KC = 256
                Arguments.of(1, 1, 1),
                Arguments.of(64, 128, 65),
                Arguments.of(13, 2 * VectorGemm.KC + 1, 2 * nr + 1),  // three K blocks, two full panels + 1 column
                Arguments.of(3 * VectorGemm.MR, 20, 2 * nr),   // exact tiles and full panels only
                Arguments.of(2, 3, nr - 1));                   // fewer rows than a tile, one partial panel
    }

    /**
     * The work split streams the larger packed operand the fewest times: the forward pass of the MLP
     * (A the activations) splits by rows, the weight gradient of its projection (B the 1.5 MB of
     * activations) by panels. Correctness of both splits is what the sizes above check; the weight
     * gradient of (13, 257, 129) splits by panels, with a ragged last panel.
     */
    @Test
    void theWorkSplitFollowsTheLargerOperand() {
        int mr = VectorGemm.MR, nr = VectorGemm.NR, target = 2 * WorkerPool.CHUNKS_PER_THREAD;
        int[] fcForward = VectorGemm.grid(768 / mr, 512 / nr, 128L * 768, 128L * 512, target);
        assertTrue(fcForward[0] > fcForward[1], "fc forward " + fcForward[0] + " x " + fcForward[1]);
        int projTiles = (128 + mr - 1) / mr;
        int[] projWeightGrad = VectorGemm.grid(projTiles, 512 / nr, 768L * projTiles * mr, 768L * 512, target);
        assertTrue(projWeightGrad[1] > projWeightGrad[0], "mlp.proj dweight " + projWeightGrad[0] + " x " + projWeightGrad[1]);
        int[] small = VectorGemm.grid((129 + mr - 1) / mr, 5, 13L * 132, 13L * (4 * nr + nr / 4), target);
        assertTrue(small[1] > 1, "(13, 257, 129) dweight " + small[0] + " x " + small[1]);
    }

    /**
     * The kernels with a fast variant are exactly the ones whose variant is tested against its plain
     * body: here and in the Vector*Test classes (core kernels), and in the model's LeviathanVectorTest
     * (Leviathan's rows, lag correlations and their FFT path), NotebookCorrelationFftTest (the notebook's
     * 4-D correlation by FFT) and PerformerVectorTest (the Performer's feature map and scans). A new variant fails this until its test is named here.
     */
    @Test
    void everyRegisteredFastVariantIsCoveredByATest() {
        Set<String> withFast = new TreeSet<>();
        for (Kernel k : JvmFastKernels.kernels()) {
            withFast.add(k.name);
        }
        Set<Kernel> tested = Set.of(MatmulKernels.FORWARD, MatmulKernels.BACKWARD_INPUT, MatmulKernels.BACKWARD_WEIGHT, // here
                MatmulKernels.BACKWARD_BIAS, LayerNormKernels.BACKWARD_PARAMS,                                     // VectorColumnsTest
                AttentionKernels.FORWARD, AttentionKernels.BACKWARD_QUERY, AttentionKernels.BACKWARD_KEY_VALUE,   // VectorAttentionTest
                GeluKernels.FORWARD, GeluKernels.BACKWARD, AdamWKernels.UPDATE, ResidualKernels.FORWARD,        // VectorElementwiseTest
                ResidualKernels.BACKWARD, GradNormKernels.PARTIAL_SQUARES, FillKernels.FILL,
                CrossEntropyKernels.FORWARD,                                                                       // VectorCrossEntropyTest
                LayerNormKernels.FORWARD, LayerNormKernels.BACKWARD_INPUT,                                         // VectorLayerNormTest
                LeviathanKernels.BASE_SCORES, LeviathanKernels.SOFTMAX_VALUES, LeviathanKernels.SCORES_BACKWARD,  // model: LeviathanVectorTest
                LeviathanKernels.QUERY_BACKWARD, LeviathanKernels.LAG_CORRELATE, LeviathanKernels.LAG_CORRELATE_BACKWARD,
                LeviathanKernels.LAG_WEIGHT_BACKWARD,
                LeviathanNotebookKernels.CORRELATE_FORWARD,                                                       // model: NotebookCorrelationFftTest
                PerformerKernels.FEATURES, PerformerKernels.SCAN, PerformerKernels.BACKWARD_QUERY,                // model: PerformerVectorTest
                PerformerKernels.BACKWARD_KEY_VALUE, PerformerKernels.BACKWARD_FEATURES);
        Set<String> names = new TreeSet<>();
        tested.forEach(k -> names.add(k.name));
        assertEquals(names, withFast, "a fast variant was added or removed: test it against its plain body and name it here");
    }

    @ParameterizedTest(name = "BT={0} C={1} OC={2}")
    @MethodSource("sizes")
    void forwardWithBiasEqualsPlainBody(int BT, int C, int OC) {
        forward(BT, C, OC, true);
    }

    @ParameterizedTest(name = "BT={0} C={1} OC={2}")
    @MethodSource("sizes")
    void forwardWithoutBiasEqualsPlainBody(int BT, int C, int OC) {
        forward(BT, C, OC, false);
    }

    private void forward(int BT, int C, int OC, boolean withBias) {
        Random r = new Random(BT * 31 + C * 7 + OC);
        float[] x = uniform(r, BT * C, -1, 1), w = uniform(r, OC * C, -1, 1), b = uniform(r, OC, -1, 1);
        float[] garbage = gaussian(r, BT * OC, 10);
        FloatSlice[] outs = new FloatSlice[2];
        for (int variant = 0; variant < 2; variant++) {
            boolean fast = variant == 1;
            FloatSlice out = padded("out", garbage.clone(), BT, OC);
            FloatSlice inp = padded("inp", x, BT, C), weight = padded("weight", w, OC, C);
            FloatSlice bias = withBias ? padded("bias", b, OC) : null;
            GraphRunner.run(fast ? 3 : 1, fast, CoreStages.matmulForward("mm", out, inp, weight, bias, BT, C, OC));
            assertPaddingIntact(out, inp, weight);
            outs[variant] = out;
        }
        String what = "matmul forward BT=" + BT + " C=" + C + " OC=" + OC + " bias=" + withBias;
        assertClose(outs[0].toArray(), outs[1].toArray(), FAST_RTOL, what + " (fast vs plain)");
        // Both against the double reference, so that "equal to each other" cannot mean "equally wrong".
        double[] ref = Reference.matmul(toDouble(x), toDouble(w), withBias ? toDouble(b) : null, BT, C, OC);
        assertClose(ref, outs[1].toArray(), FORWARD_RTOL, what + " (fast vs reference)");
    }

    @ParameterizedTest(name = "BT={0} C={1} OC={2}")
    @MethodSource("sizes")
    void backwardInputEqualsPlainBodyAndAccumulates(int BT, int C, int OC) {
        backward(INPUT, new Random(BT * 17 + C * 5 + OC), BT, C, OC);
    }

    @ParameterizedTest(name = "BT={0} C={1} OC={2}")
    @MethodSource("sizes")
    void backwardWeightEqualsPlainBodyAndAccumulates(int BT, int C, int OC) {
        backward(WEIGHT, new Random(BT * 13 + C * 3 + OC), BT, C, OC);
    }

    /** A matmul stage that accumulates dy (BT, OC) times an operand into a gradient. */
    private interface BackwardStage {
        Stage declare(String name, FloatSlice gradient, FloatSlice dout, FloatSlice operand, int BT, int C, int OC);
    }

    /** Its double reference: the product alone, without the prior gradient. */
    private interface BackwardReference {
        double[] of(double[] dy, double[] operand, int BT, int C, int OC);
    }

    /**
     * One backward pass of the matmul: what it is called in messages, its stage's and buffers'
     * names, whether the gradient is the weight's (OC, C, the operand then the input (BT, C)) or the
     * input's (BT, C, the operand the weight (OC, C)), and the product it adds.
     */
    private record MatmulBackward(String what, String stageName, String gradientName, String operandName, boolean ofWeight,
                                  String product, BackwardStage stage, BackwardReference reference) {}

    private static final MatmulBackward INPUT = new MatmulBackward("input", "mm_bi", "dinp", "weight", false, "dy·W",
            CoreStages::matmulBackwardInput, Reference::matmulBackwardInput);
    private static final MatmulBackward WEIGHT = new MatmulBackward("weight", "mm_bw", "dweight", "inp", true, "dyᵀ·x",
            CoreStages::matmulBackwardWeight, Reference::matmulBackwardWeight);

    /** Fast equals plain, both accumulating into the same non-zero prior, and fast equals prior + the double product. */
    private static void backward(MatmulBackward pass, Random r, int BT, int C, int OC) {
        int[] gradientShape = pass.ofWeight() ? new int[] {OC, C} : new int[] {BT, C};
        int[] operandShape = pass.ofWeight() ? new int[] {BT, C} : new int[] {OC, C};
        float[] dy = uniform(r, BT * OC, -1, 1), operand = uniform(r, FloatSlice.product(operandShape), -1, 1);
        float[] prior = uniform(r, FloatSlice.product(gradientShape), -2, 2);
        FloatSlice[] res = new FloatSlice[2];
        for (int variant = 0; variant < 2; variant++) {
            boolean fast = variant == 1;
            FloatSlice gradient = padded(pass.gradientName(), prior.clone(), gradientShape);
            FloatSlice dout = padded("dout", dy, BT, OC), op = padded(pass.operandName(), operand, operandShape);
            GraphRunner.run(fast ? 3 : 1, fast, pass.stage().declare(pass.stageName(), gradient, dout, op, BT, C, OC));
            assertPaddingIntact(gradient, dout, op);
            res[variant] = gradient;
        }
        String what = "matmul backward " + pass.what() + " BT=" + BT + " C=" + C + " OC=" + OC;
        assertClose(res[0].toArray(), res[1].toArray(), FAST_RTOL, what + " (fast vs plain)");
        double[] ref = Reference.add(toDouble(prior), pass.reference().of(toDouble(dy), toDouble(operand), BT, C, OC));
        assertClose(ref, res[1].toArray(), FORWARD_RTOL, what + " (fast vs reference, prior + " + pass.product() + ")");
    }

    /** The fast path keeps no stale state between runs: running a compiled graph twice accumulates twice. */
    @Test
    void fastBackwardRunTwiceAccumulatesTwice() {
        int BT = 37, C = 19, OC = 53;
        Random r = new Random(5);
        float[] dy = uniform(r, BT * OC, -1, 1), x = uniform(r, BT * C, -1, 1), w = uniform(r, OC * C, -1, 1);
        FloatSlice dw = padded("dweight", OC, C), dx = padded("dinp", BT, C);
        FloatSlice dout = padded("dout", dy, BT, OC), inp = padded("inp", x, BT, C), weight = padded("weight", w, OC, C);
        GraphRunner.runTimes(2, true, 2,
                CoreStages.matmulBackwardWeight("mm_bw", dw, dout, inp, BT, C, OC),
                CoreStages.matmulBackwardInput("mm_bi", dx, dout, weight, BT, C, OC));
        double[] gw = Reference.matmulBackwardWeight(toDouble(dy), toDouble(x), BT, C, OC);
        double[] gx = Reference.matmulBackwardInput(toDouble(dy), toDouble(w), BT, C, OC);
        assertClose(Reference.add(gw, gw), dw.toArray(), FORWARD_RTOL, "dweight after two runs");
        assertClose(Reference.add(gx, gx), dx.toArray(), FORWARD_RTOL, "dinp after two runs");
    }

    static Stream<Arguments> attentionSizes() {
        return Stream.of(
                Arguments.of(2, 5, 12, 3),     // D = 4
                Arguments.of(1, 37, 34, 2),    // D = 17, T not a multiple of the vector width
                Arguments.of(3, 17, 48, 1),    // one head, D = 48
                Arguments.of(1, 1, 16, 2),     // a single position
                Arguments.of(2, 33, 40, 5),    // D = 8
                Arguments.of(1, 70, 12, 4));   // D = 3, T > 4 vectors
    }

    /** Attention outputs of one variant: out, scores, probabilities, dscores, dqkv. */
    static float[][] attention(int threads, boolean fast, int B, int T, int C, int H, float[] x, float[] dy, float[] prior) {
        FloatSlice out = padded("out", gaussian(new Random(1), B * T * C, 5), B, T, C);   // garbage: overwritten
        FloatSlice pre = padded("preatt", TestData.constant(B * H * T * T, Float.NaN), B, H, T, T);
        FloatSlice att = padded("att", TestData.constant(B * H * T * T, Float.NaN), B, H, T, T);
        FloatSlice dpre = padded("dpreatt", TestData.constant(B * H * T * T, Float.NaN), B, H, T, T);
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), dout = padded("dout", dy, B, T, C);
        FloatSlice dqkv = padded("dqkv", prior.clone(), B, T, 3 * C);
        GraphRunner.run(threads, fast,
                CoreStages.attentionForward("attn", out, pre, att, qkv, B, T, C, H),
                CoreStages.attentionBackwardQuery("attn_bq", dqkv, dpre, dout, qkv, att, B, T, C, H),
                CoreStages.attentionBackwardKeyValue("attn_bkv", dqkv, dpre, dout, qkv, att, B, T, C, H));
        assertPaddingIntact(out, pre, att, dpre, qkv, dout, dqkv);
        return new float[][] {out.toArray(), causal(pre, B, T, H), causal(att, B, T, H), causal(dpre, B, T, H), dqkv.toArray()};
    }

    /** The causal entries (j ≤ i) of a (B, H, T, T) score buffer; asserts the masked ones were never written. */
    static float[] causal(FloatSlice scores, int B, int T, int H) {
        float[] a = scores.toArray();
        float[] live = new float[B * H * T * (T + 1) / 2];
        int n = 0;
        for (int row = 0; row < B * H * T; row++) {
            int i = row % T;
            for (int j = 0; j < T; j++) {
                float v = a[row * T + j];
                if (j <= i) {
                    live[n++] = v;
                } else if (!Float.isNaN(v)) {
                    throw new AssertionError(scores.name + ": masked entry (row " + row + ", j " + j + ") was written: " + v);
                }
            }
        }
        return live;
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} H={3}")
    @MethodSource("attentionSizes")
    void attentionEqualsPlainBodies(int B, int T, int C, int H) {
        Random r = new Random(B * 1000 + T * 10 + H);
        float[] x = gaussian(r, B * T * 3 * C, 1), dy = gaussian(r, B * T * C, 1), prior = uniform(r, B * T * 3 * C, -1, 1);
        float[][] plain = attention(1, false, B, T, C, H, x, dy, prior);
        float[][] fast = attention(3, true, B, T, C, H, x, dy, prior);
        String[] what = {"out", "preatt", "att", "dpreatt", "dqkv"};
        for (int k = 0; k < what.length; k++) {
            assertClose(plain[k], fast[k], FAST_RTOL, "attention " + what[k] + " B=" + B + " T=" + T + " C=" + C + " H=" + H);
        }
    }

    /**
     * The fast attention keeps per-thread scratch sized by the first shape it sees and reuses it
     * across stages, graphs and backends (the calling thread runs part 0 of every stage). A later
     * shape with a longer sequence but a smaller head, D·pad(T) unchanged, must still fit.
     */
    @Test
    void attentionScratchIsResizedForEveryShape() {
        int L = VectorGemm.L;
        int[][] shapes = {{1, L, 4, 1}, {1, 4 * L, 2, 2}, {1, 3, 8, 2}, {2, 2 * L + 1, 12, 4}};   // {B, T, C, H}
        for (int[] sh : shapes) {
            int B = sh[0], T = sh[1], C = sh[2], H = sh[3];
            Random r = new Random(T);
            float[] x = gaussian(r, B * T * 3 * C, 1), dy = gaussian(r, B * T * C, 1), prior = uniform(r, B * T * 3 * C, -1, 1);
            float[][] plain = attention(1, false, B, T, C, H, x, dy, prior);
            float[][] fast = attention(1, true, B, T, C, H, x, dy, prior);
            assertClose(plain[0], fast[0], FAST_RTOL, "attention out after a shape change, T=" + T + " C=" + C + " H=" + H);
            assertClose(plain[4], fast[4], FAST_RTOL, "attention dqkv after a shape change, T=" + T + " C=" + C + " H=" + H);
        }
    }
}
