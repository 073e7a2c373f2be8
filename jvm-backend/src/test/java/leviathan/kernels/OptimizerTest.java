package leviathan.kernels;

import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.minus;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.toDouble;
import static leviathan.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.stages.CoreStages;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;

/**
 * {@link AdamW} and {@link GradNorm} (SPEC 3) against the double reference, relative 1e-5:
 * AdamW on one group in the middle of a parameter block (the parameter change, both moments;
 * the rest of the block untouched), the two-pass global gradient norm over several
 * {@link CoreStages#GRADNORM_BLOCK}s with and without clipping, and the device-side hand-off of the
 * clipping scale from GradNorm to AdamW in one graph.
 */
class OptimizerTest {
    static final float LR = 0.1f, BETA1 = 0.9f, BETA2 = 0.99f, EPS = 1e-8f, WD = 0.1f;
    static final int STEP = 3;

    static float[] scalars(float gradScale) {
        float[] s = new float[StepScalars.SIZE];
        s[StepScalars.LEARNING_RATE] = LR;
        s[StepScalars.BETA1] = BETA1;
        s[StepScalars.BETA2] = BETA2;
        s[StepScalars.EPS] = EPS;
        s[StepScalars.BIAS_CORRECTION1] = (float) (1 - Math.pow(BETA1, STEP));
        s[StepScalars.BIAS_CORRECTION2] = (float) (1 - Math.pow(BETA2, STEP));
        s[StepScalars.GRAD_SCALE] = gradScale;
        return s;
    }

    /** Parameter, gradient and moment blocks of one layout; the group "grp" sits between two other tensors. */
    static final class Blocks {
        final BlockLayout layout = new BlockLayout("params");
        final FloatBlock p, g, m, v;

        Blocks(Random r, int groupSize) {
            layout.add("before", 5);
            layout.add("grp", groupSize);
            layout.add("after", 3);
            p = layout.allocate("p");
            g = layout.allocate("g");
            m = layout.allocate("m");
            v = layout.allocate("v");
            fill(p.array(), uniform(r, p.array().length, -1, 1));
            fill(g.array(), gaussian(r, g.array().length, 1));
            fill(m.array(), gaussian(r, m.array().length, 0.1));
            fill(v.array(), uniform(r, v.array().length, 0.01, 1));
        }

        static void fill(float[] dst, float[] src) {
            System.arraycopy(src, 0, dst, 0, dst.length);
        }
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void adamwUpdatesOneGroupLikeReference(boolean fast) {
        int n = 37;
        Blocks blk = new Blocks(new Random(71), n);
        float[] p0 = blk.p.array().clone(), g0 = blk.g.array().clone(), m0 = blk.m.array().clone(), v0 = blk.v.array().clone();
        float gradScale = 0.7f;
        FloatSlice sc = FloatSlice.of("scalars", StepScalars.SIZE);
        sc.copyFrom(scalars(gradScale));
        GraphRunner.run(fast, CoreStages.adamw("adamw", blk.p.slice("grp"), blk.g.slice("grp"), blk.m.slice("grp"), blk.v.slice("grp"), sc, WD));

        int off = blk.layout.offsetOf("grp");
        double[] p = toDouble(Arrays.copyOfRange(p0, off, off + n));
        double[] pBefore = p.clone();
        double[] g = toDouble(Arrays.copyOfRange(g0, off, off + n));
        double[] m = toDouble(Arrays.copyOfRange(m0, off, off + n));
        double[] v = toDouble(Arrays.copyOfRange(v0, off, off + n));
        float[] s = sc.toArray();
        Reference.adamw(p, g, m, v, LR, BETA1, BETA2, EPS, s[StepScalars.BIAS_CORRECTION1], s[StepScalars.BIAS_CORRECTION2],
                gradScale, WD);
        double[] dp = new double[n];
        for (int i = 0; i < n; i++) {
            dp[i] = p[i] - pBefore[i];
        }
        // The change of the parameters, not the parameters: a wrong update of size lr would hide in |p| ≈ 1.
        float[] gotDp = minus(blk.p.slice("grp").toArray(), Arrays.copyOfRange(p0, off, off + n));
        assertClose(dp, gotDp, FORWARD_RTOL, "adamw parameter change");
        assertClose(m, blk.m.slice("grp").toArray(), FORWARD_RTOL, "adamw first moment");
        assertClose(v, blk.v.slice("grp").toArray(), FORWARD_RTOL, "adamw second moment");
        assertArrayEquals(g0, blk.g.array(), "gradients are read only");
        for (int i = 0; i < p0.length; i++) {
            if (i < off || i >= off + n) {
                assertEquals(p0[i], blk.p.array()[i], "parameter " + i + " outside the group");
                assertEquals(m0[i], blk.m.array()[i], "m " + i + " outside the group");
                assertEquals(v0[i], blk.v.array()[i], "v " + i + " outside the group");
            }
        }
        assertArrayEquals(scalars(gradScale), sc.toArray(), "step scalars are read only");
    }

    @ParameterizedTest(name = "maxNormFactor={0}")
    @ValueSource(doubles = {0.5, 2.0})
    void gradNormMatchesReferenceWithAndWithoutClipping(double maxNormFactor) {
        int n = 2 * CoreStages.GRADNORM_BLOCK + 37;   // three blocks, the last one ragged
        Random r = new Random(72);
        float[] gr = gaussian(r, n, 0.05);
        double[] G = toDouble(gr);
        double norm = Reference.l2norm(G);
        float maxNorm = (float) (norm * maxNormFactor);
        FloatSlice grads = padded("grads", gr, n);
        FloatSlice partials = padded("partials", CoreStages.gradNormBlocks(n));
        FloatSlice sc = FloatSlice.of("scalars", StepScalars.SIZE);
        float[] s0 = scalars(-1f);
        sc.copyFrom(s0);
        GraphRunner.run(false, CoreStages.gradNormPartial("gn_partial", partials, grads), CoreStages.gradNormClip("gn_clip", sc, partials, maxNorm));

        assertEquals(3, partials.length);
        double[] refPartials = new double[3];
        for (int i = 0; i < n; i++) {
            refPartials[i / CoreStages.GRADNORM_BLOCK] += G[i] * G[i];
        }
        assertClose(refPartials, partials.toArray(), FORWARD_RTOL, "partial sums of squares");
        float[] s = sc.toArray();
        assertClose(norm, s[StepScalars.GRAD_NORM], FORWARD_RTOL, "global gradient norm");
        assertClose(Reference.clipScale(norm, maxNorm), s[StepScalars.GRAD_SCALE], FORWARD_RTOL, "clipping scale");
        if (maxNormFactor >= 1) {
            assertEquals(1.0f, s[StepScalars.GRAD_SCALE], "no clipping below the threshold");
        }
        for (int k = 0; k < StepScalars.SIZE; k++) {
            if (k != StepScalars.GRAD_NORM && k != StepScalars.GRAD_SCALE) {
                assertEquals(s0[k], s[k], "slot " + k + " of the step scalars is not GradNorm's");
            }
        }
        assertPaddingIntact(grads, partials);
    }

    /** GradNorm writes the scale on the device; AdamW reads it in the same graph. */
    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void clippingScaleFlowsFromGradNormIntoAdamw(boolean fast) {
        int n = CoreStages.GRADNORM_BLOCK + 100;
        Blocks blk = new Blocks(new Random(73), n);
        float[] p0 = blk.p.array().clone();
        double[] G = toDouble(blk.g.array());
        double norm = Reference.l2norm(Arrays.copyOf(G, blk.layout.size()));
        float maxNorm = (float) (norm / 4);
        FloatSlice sc = FloatSlice.of("scalars", StepScalars.SIZE);
        sc.copyFrom(scalars(123f));   // a wrong scale, to be overwritten by gn_clip
        FloatSlice all = blk.g.range("all", 0, blk.layout.size());
        FloatSlice partials = FloatSlice.of("partials", CoreStages.gradNormBlocks(all.length));
        Stage[] stages = {
            CoreStages.gradNormPartial("gn_partial", partials, all),
            CoreStages.gradNormClip("gn_clip", sc, partials, maxNorm),
            CoreStages.adamw("adamw", blk.p.range("all", 0, blk.layout.size()), all, blk.m.range("all", 0, blk.layout.size()),
                    blk.v.range("all", 0, blk.layout.size()), sc, WD),
        };
        double[] p = toDouble(Arrays.copyOf(p0, blk.layout.size()));
        double[] m = toDouble(Arrays.copyOf(blk.m.array(), blk.layout.size()));
        double[] v = toDouble(Arrays.copyOf(blk.v.array(), blk.layout.size()));
        GraphRunner.run(fast, stages);
        double[] pBefore = p.clone();
        double scale = Reference.clipScale(norm, maxNorm);
        float[] s = scalars(0f);
        Reference.adamw(p, Arrays.copyOf(G, blk.layout.size()), m, v, LR, BETA1, BETA2, EPS,
                s[StepScalars.BIAS_CORRECTION1], s[StepScalars.BIAS_CORRECTION2], scale, WD);
        double[] dp = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            dp[i] = p[i] - pBefore[i];
        }
        assertClose(scale, sc.get(StepScalars.GRAD_SCALE), FORWARD_RTOL, "clipping scale");
        assertClose(dp, minus(Arrays.copyOf(blk.p.array(), blk.layout.size()), Arrays.copyOf(p0, blk.layout.size())),
                FORWARD_RTOL, "adamw change with the clipped gradient");
        assertClose(m, Arrays.copyOf(blk.m.array(), blk.layout.size()), FORWARD_RTOL, "first moment with the clipped gradient");
    }
}
