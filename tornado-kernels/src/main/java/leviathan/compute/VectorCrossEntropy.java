package leviathan.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import leviathan.kernels.CrossEntropy;

/**
 * The JVM backend's fast {@link CrossEntropy#forward}: the plain body calls Math.exp once per logit
 * (a stub call, ~40 cycles, the whole of its cost); this one uses {@link VectorMath#exp} over whole
 * vectors. The logit rows are not padded (V = 65 for tiny Shakespeare), so every access past the
 * last whole vector is masked. Sums run per lane, then across the lanes in index order (never
 * reduceLanes): the same bits in every run; equal to the body within a few float ulps (its exp and
 * sum order differ), tested in VectorCrossEntropyTest.
 */
final class VectorCrossEntropy {
    private VectorCrossEntropy() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[L]);

    /** Args as {@link Ops#crossEntropyForward}: losses, probs, logits, targets, V. */
    static JvmFastKernels.JvmStage forward(Stage s) {
        FloatSlice losses = s.floats(0), probs = s.floats(1), logits = s.floats(2);
        IntSlice targets = s.ints(3);
        int V = s.intArg(4);
        Kernel.RangeBody body = (from, to) -> {
            float[] lanes = LANES.get();
            for (int row = from; row < to; row++) {
                int z = logits.offset + row * V;
                float max = maxOf(logits.array, z, V);
                float sum = softmaxRow(probs.array, probs.offset + row * V, logits.array, z, V, max, lanes);
                // As the body: log-sum-exp minus the target logit.
                losses.array[losses.offset + row] = (float) Math.log(sum) + max - logits.array[z + targets.array[targets.offset + row]];
            }
        };
        return pool -> pool.run(s.extent[0], body);
    }

    /** p[0, V) = softmax(x[0, V)) with its max subtracted; returns Σ e^(x − max). */
    private static float softmaxRow(float[] p, int pOff, float[] x, int xOff, int V, float max, float[] lanes) {
        int full = V - V % L;
        VectorMask<Float> tail = S.indexInRange(full, V);
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < full; j += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xOff + j).sub(max));
            e.intoArray(p, pOff + j);
            sum = sum.add(e);
        }
        if (full < V) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xOff + full, tail).sub(max));
            e.intoArray(p, pOff + full, tail);
            sum = sum.add(e, tail);
        }
        sum.intoArray(lanes, 0);
        float total = 0f;
        for (int l = 0; l < L; l++) {
            total += lanes[l];
        }
        float inv = 1.0f / total;
        for (int j = 0; j < full; j += L) {
            FloatVector.fromArray(S, p, pOff + j).mul(inv).intoArray(p, pOff + j);
        }
        if (full < V) {
            FloatVector.fromArray(S, p, pOff + full, tail).mul(inv).intoArray(p, pOff + full, tail);
        }
        return total;
    }

    /** max of x[0, V): exact in any order. */
    private static float maxOf(float[] x, int xOff, int V) {
        int full = V - V % L;
        FloatVector m = FloatVector.broadcast(S, -Float.MAX_VALUE);
        for (int j = 0; j < full; j += L) {
            m = m.max(FloatVector.fromArray(S, x, xOff + j));
        }
        if (full < V) {
            m = m.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xOff + full, S.indexInRange(full, V)), S.indexInRange(full, V));
        }
        return m.reduceLanes(VectorOperators.MAX);
    }
}
