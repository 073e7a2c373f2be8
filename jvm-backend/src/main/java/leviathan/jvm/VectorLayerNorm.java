package leviathan.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.LayerNormKernels;
import leviathan.stages.CoreStages;

/**
 * Fast JVM variants of LayerNorm's per-row passes ({@link leviathan.kernels.LayerNorm#forward} and
 * {@link leviathan.kernels.LayerNorm#backwardInput}, the oracles they are tested against). The plain
 * bodies' row sums are scalar chains (C2 does not vectorise float reductions); here each reduction
 * runs a vector of channels at a time and adds the lanes at the end, so the sums are rounded in a
 * different order (within 1e-6 of the plain body). Rows are independent: the result does not depend
 * on the split across threads.
 */
final class VectorLayerNorm {
    private VectorLayerNorm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Args as {@link CoreStages#layerNormForward}: out, mean, rstd, inp, weight, bias, C. */
    static JvmFastKernels.JvmStage forward(Stage s) {
        LayerNormKernels.ForwardArgs a = LayerNormKernels.ForwardArgs.of(s);
        FloatSlice out = a.out(), mean = a.mean(), rstd = a.rstd(), inp = a.inp(), w = a.weight(), b = a.bias();
        int C = a.C();
        Kernel.RangeBody body = (from, to) -> forwardRows(out.array, out.offset, mean.array, mean.offset, rstd.array, rstd.offset,
                inp.array, inp.offset, w.array, w.offset, b.array, b.offset, C, from, to);
        return pool -> pool.run(s.extent[0], body);
    }

    /** Args as {@link CoreStages#layerNormBackwardInput}: dinp, dout, inp, weight, mean, rstd, C. */
    static JvmFastKernels.JvmStage backwardInput(Stage s) {
        LayerNormKernels.BackwardInputArgs a = LayerNormKernels.BackwardInputArgs.of(s);
        FloatSlice dinp = a.dinp(), dout = a.dout(), inp = a.inp(), w = a.weight(), mean = a.mean(), rstd = a.rstd();
        int C = a.C();
        Kernel.RangeBody body = (from, to) -> backwardInputRows(dinp.array, dinp.offset, dout.array, dout.offset, inp.array, inp.offset,
                w.array, w.offset, mean.array, mean.offset, rstd.array, rstd.offset, C, from, to);
        return pool -> pool.run(s.extent[0], body);
    }

    // One call per row: the vector code sits in small static methods of its own (C2's inlining budget; see VectorElementwise).

    static void forwardRows(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                            float[] inp, int inpOff, float[] w, int wOff, float[] b, int bOff, int C, int from, int to) {
        for (int row = from; row < to; row++) {
            forwardRow(out, outOff, mean, meanOff, rstd, rstdOff, inp, inpOff, w, wOff, b, bOff, C, row);
        }
    }

    static void backwardInputRows(float[] dinp, int dinpOff, float[] dout, int doutOff, float[] inp, int inpOff,
                                  float[] w, int wOff, float[] mean, int meanOff, float[] rstd, int rstdOff, int C, int from, int to) {
        for (int row = from; row < to; row++) {
            backwardInputRow(dinp, dinpOff, dout, doutOff, inp, inpOff, w, wOff, mean, meanOff, rstd, rstdOff, C, row);
        }
    }

    private static void forwardRow(float[] out, int outOff,     // (N, C)
                                   float[] mean, int meanOff,   // (N)
                                   float[] rstd, int rstdOff,   // (N)
                                   float[] inp, int inpOff,     // (N, C)
                                   float[] w, int wOff,         // (C)
                                   float[] b, int bOff,         // (C)
                                   int C, int row) {
        int full = S.loopBound(C);
        VectorMask<Float> tail = S.indexInRange(full, C);
        int x = inpOff + row * C;
        FloatVector sum = FloatVector.zero(S);
        int c = 0;
        for (; c < full; c += L) {
            sum = sum.add(FloatVector.fromArray(S, inp, x + c));
        }
        if (c < C) {
            sum = sum.add(FloatVector.fromArray(S, inp, x + c, tail));
        }
        float m = sum.reduceLanes(VectorOperators.ADD) / C;
        FloatVector sq = FloatVector.zero(S);
        for (c = 0; c < full; c += L) {
            FloatVector d = FloatVector.fromArray(S, inp, x + c).sub(m);
            sq = d.fma(d, sq);
        }
        if (c < C) {
            FloatVector d = FloatVector.fromArray(S, inp, x + c, tail).sub(m, tail);
            sq = d.fma(d, sq);
        }
        float var = sq.reduceLanes(VectorOperators.ADD) / C;
        float rs = 1.0f / (float) Math.sqrt(var + leviathan.kernels.LayerNorm.EPS);
        int y = outOff + row * C;
        for (c = 0; c < full; c += L) {
            FloatVector.fromArray(S, inp, x + c).sub(m).mul(rs).mul(FloatVector.fromArray(S, w, wOff + c))
                    .add(FloatVector.fromArray(S, b, bOff + c)).intoArray(out, y + c);
        }
        if (c < C) {
            FloatVector.fromArray(S, inp, x + c, tail).sub(m).mul(rs).mul(FloatVector.fromArray(S, w, wOff + c, tail))
                    .add(FloatVector.fromArray(S, b, bOff + c, tail)).intoArray(out, y + c, tail);
        }
        mean[meanOff + row] = m;
        rstd[rstdOff + row] = rs;
    }

    private static void backwardInputRow(float[] dinp, int dinpOff,   // (N, C)
                                         float[] dout, int doutOff,   // (N, C)
                                         float[] inp, int inpOff,     // (N, C)
                                         float[] w, int wOff,         // (C)
                                         float[] mean, int meanOff,   // (N)
                                         float[] rstd, int rstdOff,   // (N)
                                         int C, int row) {
        int full = S.loopBound(C);
        VectorMask<Float> tail = S.indexInRange(full, C);
        int x = inpOff + row * C, g = doutOff + row * C, d = dinpOff + row * C;
        float m = mean[meanOff + row], rs = rstd[rstdOff + row];
        // The two reductions of the LayerNorm gradient: mean of dnorm and of dnorm·norm.
        FloatVector sumDnorm = FloatVector.zero(S), sumDnormNorm = FloatVector.zero(S);
        int c = 0;
        for (; c < full; c += L) {
            FloatVector norm = FloatVector.fromArray(S, inp, x + c).sub(m).mul(rs);
            FloatVector dnorm = FloatVector.fromArray(S, w, wOff + c).mul(FloatVector.fromArray(S, dout, g + c));
            sumDnorm = sumDnorm.add(dnorm);
            sumDnormNorm = dnorm.fma(norm, sumDnormNorm);
        }
        if (c < C) {
            FloatVector norm = FloatVector.fromArray(S, inp, x + c, tail).sub(m, tail).mul(rs);
            FloatVector dnorm = FloatVector.fromArray(S, w, wOff + c, tail).mul(FloatVector.fromArray(S, dout, g + c, tail));
            sumDnorm = sumDnorm.add(dnorm);
            sumDnormNorm = dnorm.fma(norm, sumDnormNorm);
        }
        float dnormMean = sumDnorm.reduceLanes(VectorOperators.ADD) / C;
        float dnormNormMean = sumDnormNorm.reduceLanes(VectorOperators.ADD) / C;
        for (c = 0; c < full; c += L) {
            FloatVector norm = FloatVector.fromArray(S, inp, x + c).sub(m).mul(rs);
            FloatVector dnorm = FloatVector.fromArray(S, w, wOff + c).mul(FloatVector.fromArray(S, dout, g + c));
            FloatVector grad = dnorm.sub(dnormMean).sub(norm.mul(dnormNormMean)).mul(rs);
            FloatVector.fromArray(S, dinp, d + c).add(grad).intoArray(dinp, d + c);
        }
        if (c < C) {
            FloatVector norm = FloatVector.fromArray(S, inp, x + c, tail).sub(m, tail).mul(rs);
            FloatVector dnorm = FloatVector.fromArray(S, w, wOff + c, tail).mul(FloatVector.fromArray(S, dout, g + c, tail));
            FloatVector grad = dnorm.sub(dnormMean).sub(norm.mul(dnormNormMean)).mul(rs);
            FloatVector.fromArray(S, dinp, d + c, tail).add(grad).intoArray(dinp, d + c, tail);
        }
    }
}
