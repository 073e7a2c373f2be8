package leviathan.jvm;

import static leviathan.testing.Check.FAST_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.paddedInts;
import static leviathan.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.stages.CoreStages;
import leviathan.testing.GraphRunner;

/**
 * The Vector API cross-entropy forward ({@link VectorCrossEntropy}) against the plain body: the
 * probabilities and losses within relative 1e-5, on vocabularies that are and are not whole vectors,
 * with one row of logits large enough that an unshifted exp would overflow; on arrays sized exactly
 * (a read past the last row would throw) and on padded ones (a write outside would show).
 */
class VectorCrossEntropyTest {

    @ParameterizedTest(name = "BT={0} V={1}")
    @CsvSource({"1,1", "3,16", "5,17", "768,65", "7,100"})
    void forwardEqualsPlainBody(int BT, int V) {
        Random r = new Random(BT * 131L + V);
        float[] z = uniform(r, BT * V, -5, 5);
        for (int v = 0; v < V; v++) {
            z[v] += 100f;
        }
        int[] t = new int[BT];
        for (int i = 0; i < BT; i++) {
            t[i] = r.nextInt(V);
        }
        float[][] loss = new float[3][], probs = new float[3][];
        for (int variant = 0; variant < 3; variant++) {
            boolean fast = variant > 0;
            FloatSlice losses, p, logits;
            IntSlice targets;
            if (variant == 2) { // exactly sized: no padding to read into
                losses = FloatSlice.of("losses", BT);
                p = FloatSlice.of("probs", BT, V);
                logits = FloatSlice.of("logits", BT, V);
                System.arraycopy(z, 0, logits.array, 0, z.length);
                targets = new IntSlice("targets", t.clone(), 0, BT);
            } else {
                losses = padded("losses", BT);
                p = padded("probs", BT, V);
                logits = padded("logits", z, BT, V);
                targets = paddedInts("targets", t);
            }
            GraphRunner.run(fast ? 3 : 1, fast, CoreStages.crossEntropyForward("ce", losses, p, logits, targets, BT, V));
            if (variant != 2) {
                assertPaddingIntact(losses, p, logits);
            }
            loss[variant] = losses.toArray();
            probs[variant] = p.toArray();
        }
        assertClose(probs[0], probs[1], FAST_RTOL, "probabilities");
        assertClose(loss[0], loss[1], FAST_RTOL, "losses");
        assertArrayEquals(probs[1], probs[2], "padded or not, the same bits");
        assertArrayEquals(loss[1], loss[2], "padded or not, the same bits");
    }
}
