package leviathan.kernels;

import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.GRAD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.constant;
import static leviathan.testing.TestData.dot;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.minus;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.toDouble;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.stages.CoreStages;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;

/**
 * {@link Matmul}: forward with and without bias against the double reference (relative 1e-5),
 * and the three backward kernels against central finite differences of the double reference
 * forward (relative 1e-3), accumulating into gradients pre-filled with a constant. Every test runs
 * with the plain bodies (fast=false) and with the Vector API variants (fast=true).
 */
class MatmulTest {
    static final int BT = 10, C = 12, OC = 19;
    static final float PREFILL = 0.375f;

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void forwardWithBiasMatchesReference(boolean fast) {
        forward(fast, true);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void forwardWithoutBiasMatchesReference(boolean fast) {
        forward(fast, false);
    }

    private void forward(boolean fast, boolean withBias) {
        Random r = new Random(withBias ? 1 : 2);
        float[] x = gaussian(r, BT * C, 1), w = gaussian(r, OC * C, 0.5), b = gaussian(r, OC, 1);
        // The output is pre-filled with garbage: forward must overwrite, not accumulate.
        FloatSlice out = padded("out", gaussian(r, BT * OC, 3), BT, OC);
        FloatSlice inp = padded("inp", x, BT, C), weight = padded("weight", w, OC, C);
        FloatSlice bias = withBias ? padded("bias", b, OC) : null;
        GraphRunner.run(fast, CoreStages.matmulForward("mm", out, inp, weight, bias, BT, C, OC));
        double[] ref = Reference.matmul(toDouble(x), toDouble(w), withBias ? toDouble(b) : null, BT, C, OC);
        assertClose(ref, out.toArray(), FORWARD_RTOL, "matmul forward out (bias=" + withBias + ")");
        assertPaddingIntact(out, inp, weight);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void backwardMatchesFiniteDifferencesAndAccumulates(boolean fast) {
        Random r = new Random(3);
        float[] x = gaussian(r, BT * C, 1), w = gaussian(r, OC * C, 0.5), b = gaussian(r, OC, 1);
        float[] dy = gaussian(r, BT * OC, 1);   // L = Σ dy·out, so dL/dout = dy
        FloatSlice inp = padded("inp", x, BT, C), weight = padded("weight", w, OC, C), dout = padded("dout", dy, BT, OC);
        FloatSlice dinp = padded("dinp", constant(BT * C, PREFILL), BT, C);
        FloatSlice dweight = padded("dweight", constant(OC * C, PREFILL), OC, C);
        FloatSlice dbias = padded("dbias", constant(OC, PREFILL), OC);
        GraphRunner.run(fast,
                CoreStages.matmulBackwardInput("mm_bi", dinp, dout, weight, BT, C, OC),
                CoreStages.matmulBackwardWeight("mm_bw", dweight, dout, inp, BT, C, OC),
                CoreStages.matmulBackwardBias("mm_bb", dbias, dout, BT, OC));

        double[] X = toDouble(x), W = toDouble(w), Bv = toDouble(b);
        double[] gx = FiniteDifference.gradient(xx -> dot(dy, Reference.matmul(xx, W, Bv, BT, C, OC)), X);
        double[] gw = FiniteDifference.gradient(ww -> dot(dy, Reference.matmul(X, ww, Bv, BT, C, OC)), W);
        double[] gb = FiniteDifference.gradient(bb -> dot(dy, Reference.matmul(X, W, bb, BT, C, OC)), Bv);
        // Subtracting the pre-fill checks accumulation: a body that wrote (=) would be off by PREFILL.
        assertClose(gx, minus(dinp.toArray(), PREFILL), GRAD_RTOL, "dinp");
        assertClose(gw, minus(dweight.toArray(), PREFILL), GRAD_RTOL, "dweight");
        assertClose(gb, minus(dbias.toArray(), PREFILL), GRAD_RTOL, "dbias");
        assertPaddingIntact(dinp, dweight, dbias, inp, weight, dout);
        // Matmul's gradients have a closed form: also hold them to the forward tolerance.
        double[] DY = toDouble(dy);
        assertClose(Reference.matmulBackwardInput(DY, W, BT, C, OC), minus(dinp.toArray(), PREFILL), FORWARD_RTOL, "dinp (closed form)");
        assertClose(Reference.matmulBackwardWeight(DY, X, BT, C, OC), minus(dweight.toArray(), PREFILL), FORWARD_RTOL, "dweight (closed form)");
    }

    /** As a gradient's first writer (accumulate = false) the input gradient overwrites whatever was there, NaN included. */
    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void backwardInputOverwritesWhenNotAccumulating(boolean fast) {
        Random r = new Random(5);
        float[] w = gaussian(r, OC * C, 0.5), dy = gaussian(r, BT * OC, 1);
        FloatSlice weight = padded("weight", w, OC, C), dout = padded("dout", dy, BT, OC);
        FloatSlice dinp = padded("dinp", constant(BT * C, Float.NaN), BT, C);
        GraphRunner.run(fast, CoreStages.matmulBackwardInput("mm_bi", dinp, dout, weight, BT, C, OC, false));
        assertClose(Reference.matmulBackwardInput(toDouble(dy), toDouble(w), BT, C, OC), dinp.toArray(), FORWARD_RTOL, "dinp");
        assertPaddingIntact(dinp, weight, dout);
    }
}
