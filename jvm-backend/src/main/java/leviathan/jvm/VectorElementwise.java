package leviathan.jvm;

import java.util.Arrays;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.AdamW;
import leviathan.kernels.AdamWKernels;
import leviathan.kernels.FillKernels;
import leviathan.kernels.GeluKernels;
import leviathan.kernels.GradNormKernels;
import leviathan.kernels.Residual;
import leviathan.kernels.ResidualKernels;
import leviathan.kernels.StepScalars;
import leviathan.stages.CoreStages;

/**
 * Fast JVM variants of the elementwise stages, tested against the plain bodies (VectorElementwiseTest).
 * GELU: the plain bodies call Math.exp once per element (no JIT intrinsic vectorises it); these use
 * {@link VectorMath}'s deterministic vector tanh. Every element goes through the same vector
 * operations (the last partial vector of a range masked), so the result does not depend on how
 * the range is split: bit-identical for any thread count. AdamW and the residual: the plain
 * body's operations in whole vectors, unmasked, and the body itself on the tail, so bit-identical
 * to it.
 */
final class VectorElementwise {
    private VectorElementwise() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Doubles for the gradient norm's sums: half as many lanes as S. */
    private static final VectorSpecies<Double> SD = DoubleVector.SPECIES_PREFERRED;
    private static final ThreadLocal<double[]> DOUBLE_LANES = ThreadLocal.withInitial(() -> new double[SD.length()]);
    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    private static final float CUBE = 0.044715f;

    static {
        warmUp();
    }

    /**
     * Calls the GELU loops (and the gradient norm's) on a few vectors many times, so that HotSpot
     * compiles them with C2 now. Without this, GELU ran several times slower for whole training runs
     * in about half of all JVMs (the measurements are in docs/performance.md). The likely mechanism:
     * a stage calls these loops only a few dozen times per step, each over a long range, C2 compiles
     * a method after thousands of calls, and until then the long ranges run in C1's code, where every
     * vector operation allocates.
     */
    private static void warmUp() {
        float[] x = new float[2 * L], y = new float[2 * L];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i - L) * 0.2f;
        }
        double[] lanes = new double[SD.length()];
        for (int k = 0; k < 6_000; k++) {
            sumOfSquares(x, 0, 2 * L, lanes);
            geluForwardRange(y, 0, x, 0, 0, 2 * L);
            geluBackwardRange(y, 0, x, 0, x, 0, true, 0, 2 * L);
            geluBackwardRange(y, 0, x, 0, x, 0, false, 0, 2 * L);
        }
    }

    /** Args as {@link CoreStages#geluForward}: out, inp. */
    static JvmFastKernels.JvmStage geluForward(Stage s) {
        GeluKernels.ForwardArgs a = GeluKernels.ForwardArgs.of(s);
        FloatSlice out = a.out(), inp = a.inp();
        int n = s.extent[0];
        Kernel.RangeBody body = (from, to) -> geluForwardRange(out.array, out.offset, inp.array, inp.offset, from, to);
        return pool -> pool.run(n, body);
    }

    /** Args as {@link CoreStages#geluBackward}: dinp, inp, dout, accumulate. */
    static JvmFastKernels.JvmStage geluBackward(Stage s) {
        GeluKernels.BackwardArgs a = GeluKernels.BackwardArgs.of(s);
        FloatSlice dinp = a.dinp(), inp = a.inp(), dout = a.dout();
        boolean accumulate = a.accumulate() != 0;
        int n = s.extent[0];
        Kernel.RangeBody body = (from, to) -> geluBackwardRange(dinp.array, dinp.offset, inp.array, inp.offset, dout.array, dout.offset,
                accumulate, from, to);
        return pool -> pool.run(n, body);
    }

    // The loops live in their own small static methods, each a compilation root of its own: inlined
    // into the stage's lambda together with VectorMath, they overran C2's inlining budget on some runs
    // (vectors then stay boxed objects, several times slower; see docs/performance.md).

    static void geluForwardRange(float[] out, int outOff, float[] inp, int inpOff, int from, int to) {
        int i = from;
        for (int end = from + S.loopBound(to - from); i < end; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, inp, inpOff + i);
            geluForward(x).intoArray(out, outOff + i);
        }
        if (i < to) {
            VectorMask<Float> live = S.indexInRange(i, to);
            geluForward(FloatVector.fromArray(S, inp, inpOff + i, live)).intoArray(out, outOff + i, live);
        }
    }

    private static FloatVector geluForward(FloatVector x) {
        FloatVector u = x.mul(x).mul(x).mul(CUBE).add(x).mul(SQRT_2_OVER_PI);
        return x.mul(0.5f).mul(VectorMath.tanh(u).add(1f));
    }

    static void geluBackwardRange(float[] dinp, int dinpOff, float[] inp, int inpOff, float[] dout, int doutOff, boolean accumulate,
                                  int from, int to) {
        int i = from;
        for (int end = from + S.loopBound(to - from); i < end; i += S.length()) {
            FloatVector grad = geluDerivative(FloatVector.fromArray(S, inp, inpOff + i));
            FloatVector d = grad.mul(FloatVector.fromArray(S, dout, doutOff + i));
            if (accumulate) {
                d = d.add(FloatVector.fromArray(S, dinp, dinpOff + i));
            }
            d.intoArray(dinp, dinpOff + i);
        }
        if (i < to) {
            VectorMask<Float> live = S.indexInRange(i, to);
            FloatVector grad = geluDerivative(FloatVector.fromArray(S, inp, inpOff + i, live));
            FloatVector d = grad.mul(FloatVector.fromArray(S, dout, doutOff + i, live));
            if (accumulate) {
                d = d.add(FloatVector.fromArray(S, dinp, dinpOff + i, live));
            }
            d.intoArray(dinp, dinpOff + i, live);
        }
    }

    /** gelu'(x), the same operations as {@link leviathan.kernels.Gelu#backward} in vector form. */
    private static FloatVector geluDerivative(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector th = VectorMath.tanh(x2.mul(x).mul(CUBE).add(x).mul(SQRT_2_OVER_PI));
        FloatVector sech2 = th.mul(th).neg().add(1f);
        FloatVector du = x2.mul(3f * CUBE).add(1f).mul(SQRT_2_OVER_PI);
        return th.add(1f).mul(0.5f).add(x.mul(0.5f).mul(sech2).mul(du));
    }

    /** Args as {@link CoreStages#adamw}: params, grads, m, v, scalars, weightDecay. */
    static JvmFastKernels.JvmStage adamw(Stage s) {
        AdamWKernels.UpdateArgs a = AdamWKernels.UpdateArgs.of(s);
        FloatSlice p = a.params(), g = a.grads(), m = a.m(), v = a.v(), scalars = a.scalars();
        float wd = a.weightDecay();
        int n = s.extent[0];
        Kernel.RangeBody body = (from, to) -> {
            float[] sc = scalars.array;
            int so = scalars.offset;
            float lr = sc[so + StepScalars.LEARNING_RATE], b1 = sc[so + StepScalars.BETA1], b2 = sc[so + StepScalars.BETA2];
            float scale = sc[so + StepScalars.GRAD_SCALE], eps = sc[so + StepScalars.EPS];
            float bc1 = sc[so + StepScalars.BIAS_CORRECTION1], bc2 = sc[so + StepScalars.BIAS_CORRECTION2];
            // Whole vectors, unmasked (masked loads and stores in a hot loop are slow on JDK 17); the
            // same operations in the same order as AdamW.update, so bit-identical to it. The tail
            // (under one vector) runs the plain body itself.
            int full = from + (to - from) / S.length() * S.length();
            for (int i = from; i < full; i += S.length()) {
                FloatVector gv = FloatVector.fromArray(S, g.array, g.offset + i).mul(scale);
                FloatVector mv = FloatVector.fromArray(S, m.array, m.offset + i).mul(b1).add(gv.mul(1f - b1));
                FloatVector vv = FloatVector.fromArray(S, v.array, v.offset + i).mul(b2).add(gv.mul(1f - b2).mul(gv));
                mv.intoArray(m.array, m.offset + i);
                vv.intoArray(v.array, v.offset + i);
                FloatVector pv = FloatVector.fromArray(S, p.array, p.offset + i);
                FloatVector step = mv.div(bc1).div(vv.div(bc2).sqrt().add(eps)).add(pv.mul(wd));
                pv.sub(step.mul(lr)).intoArray(p.array, p.offset + i);
            }
            for (int i = full; i < to; i++) {
                AdamW.update(p.array, p.offset, g.array, g.offset, m.array, m.offset, v.array, v.offset, sc, so, wd, i);
            }
        };
        return pool -> pool.run(n, body);
    }

    /**
     * Args as {@link CoreStages#residualForward}: out, a, b. The plain body's loop is not vectorised by C2:
     * out, a and b are views of one activation block, which C2 cannot prove do not overlap.
     */
    static JvmFastKernels.JvmStage residualForward(Stage s) {
        ResidualKernels.ForwardArgs args = ResidualKernels.ForwardArgs.of(s);
        FloatSlice out = args.out(), a = args.a(), b = args.b();
        int n = s.extent[0];
        Kernel.RangeBody body = (from, to) -> {
            int full = from + (to - from) / S.length() * S.length();
            for (int i = from; i < full; i += S.length()) {
                FloatVector.fromArray(S, a.array, a.offset + i).add(FloatVector.fromArray(S, b.array, b.offset + i))
                        .intoArray(out.array, out.offset + i);
            }
            for (int i = full; i < to; i++) {
                Residual.forward(out.array, out.offset, a.array, a.offset, b.array, b.offset, i);
            }
        };
        return pool -> pool.run(n, body);
    }

    /** Args as {@link CoreStages#residualBackward}: da, db, dout, accumulate. Bit-identical to the plain body (adds only). */
    static JvmFastKernels.JvmStage residualBackward(Stage s) {
        ResidualKernels.BackwardArgs a = ResidualKernels.BackwardArgs.of(s);
        FloatSlice da = a.da(), db = a.db(), dout = a.dout();
        int accumulate = a.accumulate();
        int n = s.extent[0];
        Kernel.RangeBody body = (from, to) -> {
            int full = from + (to - from) / S.length() * S.length();
            for (int i = from; i < full; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, dout.array, dout.offset + i);
                if (accumulate != 0) {
                    FloatVector.fromArray(S, da.array, da.offset + i).add(g).intoArray(da.array, da.offset + i);
                    FloatVector.fromArray(S, db.array, db.offset + i).add(g).intoArray(db.array, db.offset + i);
                } else {
                    g.intoArray(da.array, da.offset + i);
                    g.intoArray(db.array, db.offset + i);
                }
            }
            for (int i = full; i < to; i++) {
                Residual.backward(da.array, da.offset, db.array, db.offset, dout.array, dout.offset, accumulate, i);
            }
        };
        return pool -> pool.run(n, body);
    }

    /**
     * Args as {@link CoreStages#gradNormPartial}: partials, grads, n, blockSize. The body's serial chain of
     * double adds (one per element) is latency-bound; here the float squares are widened to double
     * and summed per lane, then across the lanes in index order. Not the body's order, so equal to
     * it within double rounding (almost always the same float); the same bits in every run.
     */
    static JvmFastKernels.JvmStage gradNormPartial(Stage s) {
        GradNormKernels.PartialSquaresArgs a = GradNormKernels.PartialSquaresArgs.of(s);
        FloatSlice partials = a.partials(), grads = a.grads();
        int n = a.n(), blockSize = a.blockSize();
        Kernel.RangeBody body = (from, to) -> {
            double[] lanes = DOUBLE_LANES.get();
            for (int b = from; b < to; b++) {
                int start = b * blockSize, end = Math.min(n, start + blockSize);
                partials.array[partials.offset + b] = (float) sumOfSquares(grads.array, grads.offset + start, end - start, lanes);
            }
        };
        return pool -> pool.run(s.extent[0], body);
    }

    /** Σ x[off + i]² for i < len: squares in float as {@link leviathan.kernels.GradNorm#partialSquares}, sums in double. */
    static double sumOfSquares(float[] x, int off, int len, double[] lanes) {
        DoubleVector lo = DoubleVector.zero(SD), hi = lo;
        int i = 0;
        for (; i + L <= len; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            FloatVector sq = v.mul(v);
            lo = lo.add((DoubleVector) sq.convertShape(VectorOperators.F2D, SD, 0));
            hi = hi.add((DoubleVector) sq.convertShape(VectorOperators.F2D, SD, 1));
        }
        lo.add(hi).intoArray(lanes, 0);
        double acc = 0.0;
        for (int l = 0; l < lanes.length; l++) {
            acc += lanes[l];
        }
        for (; i < len; i++) {
            float g = x[off + i];
            acc += g * g;
        }
        return acc;
    }

    /** Args as {@link CoreStages#fill}: buf, value. */
    static JvmFastKernels.JvmStage fill(Stage s) {
        FillKernels.FillArgs a = FillKernels.FillArgs.of(s);
        FloatSlice buf = a.buf();
        float value = a.value();
        int n = s.extent[0];
        Kernel.RangeBody body = (from, to) -> Arrays.fill(buf.array, buf.offset + from, buf.offset + to, value);
        return pool -> pool.run(n, body);
    }
}
