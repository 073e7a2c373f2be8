package leviathan.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.CrossEntropy;
import leviathan.kernels.CrossEntropyKernels;
import leviathan.stages.CoreStages;

/**
 * The JVM backend's fast {@link CrossEntropy#forward}: the plain body calls Math.exp once per logit
 * (a stub call, ~40 cycles, the whole of its cost); this one uses {@link VectorMath#exp} over whole
 * vectors. Logit rows are not padded (V = 65 for tiny Shakespeare), so nothing may be read or
 * written past a row's end ({@link VectorRows}' max and normalise assume rows padded to whole
 * vectors, hence the small versions here), and the tails run without masks (on JDK 17, C2 leaves masked stores
 * and masked lanewise operations to the Vector API's allocating Java fallback): scalar, or through
 * a padded copy for exp. Sums run per lane, then across the lanes in index order, then over the
 * tail: the same bits in every run; equal to the body within a few float ulps (its exp and sum
 * order differ), tested in VectorCrossEntropyTest.
 */
final class VectorCrossEntropy {
    private VectorCrossEntropy() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Per thread: the lane sums and the padded tail of a row. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[L], new float[L]});

    /** Args as {@link CoreStages#crossEntropyForward}: losses, probs, logits, targets, V. */
    static JvmFastKernels.JvmStage forward(Stage s) {
        CrossEntropyKernels.ForwardArgs a = CrossEntropyKernels.ForwardArgs.of(s);
        FloatSlice losses = a.losses(), probs = a.probs(), logits = a.logits();
        IntSlice targets = a.targets();
        int V = a.V();
        Kernel.RangeBody body = (from, to) -> {
            float[][] scratch = SCRATCH.get();
            float[] x = logits.array, p = probs.array;
            for (int row = from; row < to; row++) {
                int z = logits.offset + row * V, pr = probs.offset + row * V;
                float max = maxOf(x, z, V);
                expInto(p, pr, x, z, V, max, scratch[1]);
                float sum = normalise(p, pr, V, scratch[0]);
                // As the body: log-sum-exp minus the target logit.
                losses.array[losses.offset + row] = (float) Math.log(sum) + max - x[z + targets.array[targets.offset + row]];
            }
        };
        return pool -> pool.run(s.extent[0], body);
    }

    /** max of x[xOff .. xOff + V): whole vectors, then the scalar tail. Exact in any order. */
    private static float maxOf(float[] x, int xOff, int V) {
        int full = V - V % L;
        FloatVector m = FloatVector.broadcast(S, -Float.MAX_VALUE);
        for (int j = 0; j < full; j += L) {
            m = m.max(FloatVector.fromArray(S, x, xOff + j));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (int j = full; j < V; j++) {
            max = Math.max(max, x[xOff + j]);
        }
        return max;
    }

    /**
     * p[pOff + j] = e^(x[xOff + j] − max) for j < V; the tail through {@code pad} (L floats) so that
     * every element gets the same {@link VectorMath#exp}. A method of its own: exp inlined into a
     * larger loop can push C2 past its node budget and leave the vectors boxed.
     */
    private static void expInto(float[] p, int pOff, float[] x, int xOff, int V, float max, float[] pad) {
        int full = V - V % L;
        for (int j = 0; j < full; j += L) {
            VectorMath.exp(FloatVector.fromArray(S, x, xOff + j).sub(max)).intoArray(p, pOff + j);
        }
        int rest = V - full;
        if (rest > 0) {
            System.arraycopy(x, xOff + full, pad, 0, rest);
            java.util.Arrays.fill(pad, rest, L, max);
            VectorMath.exp(FloatVector.fromArray(S, pad, 0).sub(max)).intoArray(pad, 0);
            System.arraycopy(pad, 0, p, pOff + full, rest);
        }
    }

    /** p[pOff .. pOff + V) /= its sum, summed per lane, lanes in index order, then the tail; returns the sum. */
    private static float normalise(float[] p, int pOff, int V, float[] lanes) {
        int full = V - V % L;
        FloatVector s = FloatVector.zero(S);
        for (int j = 0; j < full; j += L) {
            s = s.add(FloatVector.fromArray(S, p, pOff + j));
        }
        s.intoArray(lanes, 0);
        float sum = 0f;
        for (int l = 0; l < L; l++) {
            sum += lanes[l];
        }
        for (int j = full; j < V; j++) {
            sum += p[pOff + j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < full; j += L) {
            FloatVector.fromArray(S, p, pOff + j).mul(inv).intoArray(p, pOff + j);
        }
        for (int j = full; j < V; j++) {
            p[pOff + j] = p[pOff + j] * inv;
        }
        return sum;
    }
}
