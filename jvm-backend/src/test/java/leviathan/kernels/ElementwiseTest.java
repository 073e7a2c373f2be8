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
import static leviathan.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.stages.CoreStages;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;

/**
 * The elementwise kernels {@link Gelu} (tanh approximation), {@link Residual} and {@link Fill}:
 * forward against the double reference (relative 1e-5), backward against finite differences
 * (relative 1e-3) accumulating into pre-filled gradients; fill writes exactly its window.
 */
class ElementwiseTest {
    /** Not a multiple of 16. */
    static final int N = 2 * 5 * 12 + 7;
    static final float PREFILL = 0.75f;

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void geluForwardMatchesReference(boolean fast) {
        float[] x = uniform(new Random(61), N, -6, 6);
        FloatSlice out = padded("out", N), inp = padded("inp", x, N);
        GraphRunner.run(fast, CoreStages.geluForward("gelu", out, inp, N));
        assertClose(Reference.gelu(toDouble(x)), out.toArray(), FORWARD_RTOL, "gelu out");
        assertPaddingIntact(out, inp);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void geluBackwardMatchesFiniteDifferencesAndAccumulates(boolean fast) {
        Random r = new Random(62);
        float[] x = uniform(r, N, -6, 6), dy = gaussian(r, N, 1);
        FloatSlice inp = padded("inp", x, N), dout = padded("dout", dy, N), dinp = padded("dinp", constant(N, PREFILL), N);
        GraphRunner.run(fast, CoreStages.geluBackward("gelu_b", dinp, inp, dout, N));
        double[] g = FiniteDifference.gradient(xx -> dot(dy, Reference.gelu(xx)), toDouble(x));
        assertClose(g, minus(dinp.toArray(), PREFILL), GRAD_RTOL, "gelu dinp");
        assertPaddingIntact(dinp);
    }

    /** As a gradient's first writer (accumulate = false) GELU's backward overwrites, NaN included. */
    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void geluBackwardOverwritesWhenNotAccumulating(boolean fast) {
        Random r = new Random(64);
        float[] x = uniform(r, N, -6, 6), dy = gaussian(r, N, 1);
        FloatSlice inp = padded("inp", x, N), dout = padded("dout", dy, N), dinp = padded("dinp", constant(N, Float.NaN), N);
        GraphRunner.run(fast, CoreStages.geluBackward("gelu_b", dinp, inp, dout, N, false));
        double[] g = FiniteDifference.gradient(xx -> dot(dy, Reference.gelu(xx)), toDouble(x));
        assertClose(g, dinp.toArray(), GRAD_RTOL, "gelu dinp");
        assertPaddingIntact(dinp);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void residualForwardMatchesReference(boolean fast) {
        Random r = new Random(63);
        float[] a = gaussian(r, N, 1), b = gaussian(r, N, 1);
        FloatSlice out = padded("out", N), sa = padded("a", a, N), sb = padded("b", b, N);
        GraphRunner.run(fast, CoreStages.residualForward("res", out, sa, sb, N));
        assertClose(Reference.add(toDouble(a), toDouble(b)), out.toArray(), FORWARD_RTOL, "residual out");
        assertPaddingIntact(out, sa, sb);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void residualBackwardMatchesFiniteDifferencesAndAccumulates(boolean fast) {
        Random r = new Random(64);
        float[] a = gaussian(r, N, 1), b = gaussian(r, N, 1), dy = gaussian(r, N, 1);
        FloatSlice dout = padded("dout", dy, N);
        FloatSlice da = padded("da", constant(N, PREFILL), N), db = padded("db", constant(N, -PREFILL), N);
        GraphRunner.run(fast, CoreStages.residualBackward("res_b", da, db, dout, N));
        double[] A = toDouble(a), Bv = toDouble(b);
        double[] ga = FiniteDifference.gradient(aa -> dot(dy, Reference.add(aa, Bv)), A);
        double[] gb = FiniteDifference.gradient(bb -> dot(dy, Reference.add(A, bb)), Bv);
        assertClose(ga, minus(da.toArray(), PREFILL), GRAD_RTOL, "residual da");
        assertClose(gb, minus(db.toArray(), -PREFILL), GRAD_RTOL, "residual db");
        assertPaddingIntact(da, db, dout);
    }

    /** As the first writer of both gradients (accumulate = false) the residual's backward overwrites them, NaN included. */
    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void residualBackwardOverwritesWhenNotAccumulating(boolean fast) {
        Random r = new Random(65);
        float[] dy = gaussian(r, N, 1);
        FloatSlice dout = padded("dout", dy, N);
        FloatSlice da = padded("da", constant(N, Float.NaN), N), db = padded("db", constant(N, Float.NaN), N);
        GraphRunner.run(fast, CoreStages.residualBackward("res_b", da, db, dout, N, false));
        assertClose(toDouble(dy), da.toArray(), FORWARD_RTOL, "residual da");
        assertClose(toDouble(dy), db.toArray(), FORWARD_RTOL, "residual db");
        assertPaddingIntact(da, db, dout);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void fillWritesExactlyItsWindow(boolean fast) {
        FloatSlice buf = padded("buf", gaussian(new Random(65), N, 1), N);
        GraphRunner.run(fast, CoreStages.fill("fill", buf, -2.5f));
        assertArrayEquals(constant(N, -2.5f), buf.toArray());
        assertPaddingIntact(buf);
    }
}
