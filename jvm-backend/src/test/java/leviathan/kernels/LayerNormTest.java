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
 * {@link LayerNorm}: forward (output, saved mean and 1/std) against the double reference with
 * ε = 1e-5 (relative 1e-5); backwardInput and backwardParams against finite differences of
 * L = Σ w·LN(x) (relative 1e-3), accumulating into pre-filled gradients.
 */
class LayerNormTest {
    static final int N = 10, C = 12;
    static final float PREFILL = -0.625f;

    /** Rows with a non-zero mean and different scales, so mean subtraction and 1/std both matter. */
    static float[] input(Random r) {
        float[] x = gaussian(r, N * C, 1);
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                x[n * C + c] = x[n * C + c] * (0.5f + n) + 3f - n;
            }
        }
        return x;
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void forwardMatchesReference(boolean fast) {
        Random r = new Random(21);
        float[] x = input(r), w = gaussian(r, C, 1), b = gaussian(r, C, 1);
        FloatSlice out = padded("out", N, C), mean = padded("mean", N), rstd = padded("rstd", N);
        FloatSlice inp = padded("inp", x, N, C), weight = padded("weight", w, C), bias = padded("bias", b, C);
        GraphRunner.run(fast, CoreStages.layerNormForward("ln", out, mean, rstd, inp, weight, bias, N, C));
        double[] X = toDouble(x);
        assertClose(Reference.layerNorm(X, toDouble(w), toDouble(b), N, C), out.toArray(), FORWARD_RTOL, "layernorm out");
        assertClose(Reference.rowMeans(X, N, C), mean.toArray(), FORWARD_RTOL, "layernorm mean");
        assertClose(Reference.rowRstd(X, N, C), rstd.toArray(), FORWARD_RTOL, "layernorm rstd");
        assertPaddingIntact(out, mean, rstd, inp, weight, bias);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void backwardMatchesFiniteDifferencesAndAccumulates(boolean fast) {
        Random r = new Random(22);
        float[] x = input(r), w = gaussian(r, C, 1), b = gaussian(r, C, 1), dy = gaussian(r, N * C, 1);
        FloatSlice out = padded("out", N, C), mean = padded("mean", N), rstd = padded("rstd", N);
        FloatSlice inp = padded("inp", x, N, C), weight = padded("weight", w, C), bias = padded("bias", b, C);
        FloatSlice dout = padded("dout", dy, N, C);
        FloatSlice dinp = padded("dinp", constant(N * C, PREFILL), N, C);
        FloatSlice dweight = padded("dweight", constant(C, PREFILL), C);
        FloatSlice dbias = padded("dbias", constant(C, PREFILL), C);
        GraphRunner.run(fast,
                CoreStages.layerNormForward("ln", out, mean, rstd, inp, weight, bias, N, C),
                CoreStages.layerNormBackwardInput("ln_bi", dinp, dout, inp, weight, mean, rstd, N, C),
                CoreStages.layerNormBackwardParams("ln_bp", dweight, dbias, dout, inp, mean, rstd, N, C));
        double[] X = toDouble(x), W = toDouble(w), Bv = toDouble(b);
        double[] gx = FiniteDifference.gradient(xx -> dot(dy, Reference.layerNorm(xx, W, Bv, N, C)), X);
        double[] gw = FiniteDifference.gradient(ww -> dot(dy, Reference.layerNorm(X, ww, Bv, N, C)), W);
        double[] gb = FiniteDifference.gradient(bb -> dot(dy, Reference.layerNorm(X, W, bb, N, C)), Bv);
        assertClose(gx, minus(dinp.toArray(), PREFILL), GRAD_RTOL, "layernorm dinp");
        assertClose(gw, minus(dweight.toArray(), PREFILL), GRAD_RTOL, "layernorm dweight");
        assertClose(gb, minus(dbias.toArray(), PREFILL), GRAD_RTOL, "layernorm dbias");
        assertPaddingIntact(dinp, dweight, dbias);
    }
}
