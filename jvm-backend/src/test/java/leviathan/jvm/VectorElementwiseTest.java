package leviathan.jvm;

import static leviathan.testing.Check.FAST_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.kernels.StepScalars;
import leviathan.stages.CoreStages;
import leviathan.testing.GraphRunner;

/**
 * The Vector API variants of GELU, AdamW, the residual and fill ({@link VectorElementwise}) equal the
 * plain bodies (GELU within relative 1e-5, the others bit for bit), on lengths that are not multiples of the vector width (the tail runs the
 * plain body) and split across 3 threads (each part has its own ragged tail).
 */
class VectorElementwiseTest {

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 15, 16, 17, 1000, 4099})
    void geluForwardAndBackwardEqualPlainBodies(int n) {
        Random r = new Random(n);
        float[] x = uniform(r, n, -7, 7), dy = uniform(r, n, -1, 1), prior = uniform(r, n, -1, 1);
        float[][][] res = GraphRunner.plainAndFast((threads, fast) -> {
            FloatSlice o = padded("out", n), inp = padded("inp", x, n), dout = padded("dout", dy, n);
            FloatSlice d = padded("dinp", prior.clone(), n);
            GraphRunner.run(threads, fast, CoreStages.geluForward("gelu", o, inp, n), CoreStages.geluBackward("gelu_bwd", d, inp, dout, n));
            assertPaddingIntact(o, inp, dout, d);
            return new float[][] {o.toArray(), d.toArray()};
        });
        assertClose(res[0][0], res[1][0], FAST_RTOL, "gelu forward n=" + n);
        assertClose(res[0][1], res[1][1], FAST_RTOL, "gelu backward n=" + n);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 17, 1000, 4099})
    void adamwEqualsPlainBody(int n) {
        Random r = new Random(n + 1);
        float[] p0 = uniform(r, n, -1, 1), g0 = uniform(r, n, -1, 1), m0 = uniform(r, n, -0.1, 0.1), v0 = uniform(r, n, 0, 0.01);
        float[][][] res = GraphRunner.plainAndFast((threads, fast) -> {
            // One layout, as the model has: the group starts at offset 5 of each block.
            float[] pa = new float[n + 9], ga = new float[n + 9], ma = new float[n + 9], va = new float[n + 9];
            System.arraycopy(p0, 0, pa, 5, n);
            System.arraycopy(g0, 0, ga, 5, n);
            System.arraycopy(m0, 0, ma, 5, n);
            System.arraycopy(v0, 0, va, 5, n);
            FloatSlice ps = new FloatSlice("p", pa, 5, new int[] {n}), gs = new FloatSlice("g", ga, 5, new int[] {n});
            FloatSlice ms = new FloatSlice("m", ma, 5, new int[] {n}), vs = new FloatSlice("v", va, 5, new int[] {n});
            FloatSlice scalars = FloatSlice.of("scalars", StepScalars.SIZE);
            scalars.set(StepScalars.LEARNING_RATE, 1e-3f);
            scalars.set(StepScalars.BETA1, 0.9f);
            scalars.set(StepScalars.BETA2, 0.99f);
            scalars.set(StepScalars.EPS, 1e-8f);
            scalars.set(StepScalars.BIAS_CORRECTION1, 0.271f);
            scalars.set(StepScalars.BIAS_CORRECTION2, 0.0297f);
            scalars.set(StepScalars.GRAD_SCALE, 0.5f);
            GraphRunner.run(threads, fast, CoreStages.adamw("adamw", ps, gs, ms, vs, scalars, 0.1f));
            assertEquals(0f, pa[4]);
            assertEquals(0f, pa[n + 5]);
            return new float[][] {ms.toArray(), vs.toArray(), ps.toArray()};
        });
        // The same float operations in the same order: bit-identical, not merely close.
        assertBitIdentical(res, "adamw first moment", "adamw second moment", "adamw parameters");
        float[] change = new float[n];
        for (int i = 0; i < n; i++) {
            change[i] = res[1][2][i] - p0[i];
        }
        assertTrue(max(change) > 0, "the update moved the parameters");
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 17, 1000, 4099})
    void residualForwardAndBackwardAreBitIdentical(int n) {
        Random r = new Random(n + 7);
        float[] x = uniform(r, n, -1, 1), y = uniform(r, n, -1, 1), g = uniform(r, n, -1, 1), prior = uniform(r, n, -1, 1);
        float[][][] res = GraphRunner.plainAndFast((threads, fast) -> {
            FloatSlice o = padded("out", n), a = padded("a", x, n), b = padded("b", y, n), dout = padded("dout", g, n);
            FloatSlice dA = padded("da", prior.clone(), n), dB = padded("db", x.clone(), n);
            FloatSlice firstA = padded("first_a", prior.clone(), n), firstB = padded("first_b", y.clone(), n);
            GraphRunner.run(threads, fast, CoreStages.residualForward("res", o, a, b, n), CoreStages.residualBackward("res_bwd", dA, dB, dout, n),
                    CoreStages.residualBackward("res_bwd_first", firstA, firstB, dout, n, false));
            assertPaddingIntact(o, a, b, dout, dA, dB, firstA, firstB);
            return new float[][] {o.toArray(), dA.toArray(), dB.toArray(), firstA.toArray(), firstB.toArray()};
        });
        assertBitIdentical(res, "residual forward", "residual backward (accumulating) da", "residual backward (accumulating) db",
                "residual backward (first writer) da", "residual backward (first writer) db");
        float[] out = res[1][0], da = res[1][1], fa = res[1][3];
        assertArrayEquals(g, fa, "a first writer's gradient is dout itself");
        assertEquals(x[n - 1] + y[n - 1], out[n - 1]);
        assertEquals(prior[n - 1] + g[n - 1], da[n - 1]);
    }

    /** Output k of the plain run equals output k of the fast run bit for bit, named what[k]. */
    private static void assertBitIdentical(float[][][] plainAndFast, String... what) {
        for (int k = 0; k < what.length; k++) {
            assertArrayEquals(plainAndFast[0][k], plainAndFast[1][k], what[k]);
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 17, 4096, 4097, 30001})
    void gradNormPartialsEqualPlainBody(int n) {
        Random r = new Random(n + 11);
        float[] g = uniform(r, n, -0.1, 0.1);
        int blocks = CoreStages.gradNormBlocks(n);
        float[][] res = new float[3][];
        for (int variant = 0; variant < 3; variant++) {
            boolean fast = variant > 0;
            FloatSlice partials = padded("partials", blocks), grads = padded("grads", g, n);
            GraphRunner.run(variant == 2 ? 1 : 3, fast, CoreStages.gradNormPartial("gn", partials, grads));
            assertPaddingIntact(partials, grads);
            res[variant] = partials.toArray();
        }
        // Double sums in another order: equal to the body within double rounding, so to a float ulp.
        assertClose(res[0], res[1], 1e-6, "gradient norm partials");
        assertArrayEquals(res[1], res[2], "the same partials on 1 and 3 threads");
        double exact = 0;
        for (float x : g) {
            exact += (double) x * x;
        }
        double sum = 0;
        for (float p : res[1]) {
            sum += p;
        }
        assertEquals(exact, sum, 1e-6 * exact, "the partials sum to Σ g²");
    }

    private static float max(float[] a) {
        float m = 0f;
        for (float x : a) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 33, 4099})
    void fillEqualsPlainBody(int n) {
        FloatSlice a = padded("a", n), b = padded("b", n);
        GraphRunner.run(1, false, CoreStages.fill("fill", a, 2.5f));
        GraphRunner.run(3, true, CoreStages.fill("fill", b, 2.5f));
        assertPaddingIntact(a, b);
        assertClose(a.toArray(), b.toArray(), 0, "fill");
    }
}
