package leviathan.kernels;

import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.GRAD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.constant;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.minus;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.paddedInts;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.graph.Stage;
import leviathan.stages.CoreStages;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;
import leviathan.testing.TestData;

/**
 * {@link CrossEntropy}: per-position losses, probabilities and their mean against the double
 * reference (relative 1e-5, natural log); backward against finite differences of the mean loss
 * w.r.t. the logits (relative 1e-3), accumulating; stability with huge logits.
 */
class CrossEntropyTest {
    static final int BT = 10, V = 7;
    static final float PREFILL = 0.125f;

    /** Logits ~ N(0, 2²) and targets drawn from one seed, in guarded buffers, with guarded losses and probabilities. */
    private record Batch(float[] z, int[] tgt, FloatSlice losses, FloatSlice probs, FloatSlice logits, IntSlice targets) {
        static Batch random(long seed) {
            Random r = new Random(seed);
            float[] z = gaussian(r, BT * V, 2);
            int[] tgt = TestData.ints(r, BT, V);
            return new Batch(z, tgt, padded("losses", BT), padded("probs", BT, V), padded("logits", z, BT, V), paddedInts("targets", tgt));
        }

        Stage forward() {
            return CoreStages.crossEntropyForward("ce", losses, probs, logits, targets, BT, V);
        }
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void forwardAndMeanMatchReference(boolean fast) {
        Batch batch = Batch.random(51);
        FloatSlice mean = padded("mean", 1);
        GraphRunner.run(fast, batch.forward(), CoreStages.meanLoss("ce_mean", mean, batch.losses(), BT));
        double[] Z = toDouble(batch.z());
        double[] ref = Reference.crossEntropy(Z, batch.tgt(), BT, V);
        assertClose(ref, batch.losses().toArray(), FORWARD_RTOL, "per-position losses");
        assertClose(Reference.softmax(Z, BT, V), batch.probs().toArray(), FORWARD_RTOL, "probabilities");
        assertClose(Reference.mean(ref), mean.get(0), FORWARD_RTOL, "mean loss");
        assertPaddingIntact(batch.losses(), batch.probs(), batch.logits(), mean);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void backwardMatchesFiniteDifferencesOfMeanLossAndAccumulates(boolean fast) {
        Batch batch = Batch.random(52);
        FloatSlice dlogits = padded("dlogits", constant(BT * V, PREFILL), BT, V);
        GraphRunner.run(fast, batch.forward(), CoreStages.crossEntropyBackward("ce_b", dlogits, batch.probs(), batch.targets(), BT, V));
        int[] tgt = batch.tgt();
        double[] g = FiniteDifference.gradient(zz -> Reference.mean(Reference.crossEntropy(zz, tgt, BT, V)), toDouble(batch.z()));
        assertClose(g, minus(dlogits.toArray(), PREFILL), GRAD_RTOL, "dlogits of the mean loss");
        assertPaddingIntact(dlogits, batch.probs());
    }

    /** The target's probability underflows to 0 in float: the loss is still the exact log-sum-exp value. */
    @Test
    void hugeLogitsGiveFiniteExactLoss() {
        float[] z = new float[2 * V];
        z[0] = 1000f;          // row 0: target 1 has logit 0, probability e^-1000
        z[V + 3] = -1000f;     // row 1: target 3 is hopeless, the rest are equal
        int[] tgt = {1, 3};
        FloatSlice losses = padded("losses", 2), probs = padded("probs", 2, V), logits = padded("logits", z, 2, V);
        GraphRunner.run(false, CoreStages.crossEntropyForward("ce", losses, probs, logits, paddedInts("targets", tgt), 2, V));
        double[] ref = Reference.crossEntropy(toDouble(z), tgt, 2, V);
        assertClose(ref, losses.toArray(), FORWARD_RTOL, "losses with huge logits");
        assertEquals(1000.0, losses.get(0), 1e-3);
        assertClose(Reference.softmax(toDouble(z), 2, V), probs.toArray(), FORWARD_RTOL, "probabilities with huge logits");
    }
}
