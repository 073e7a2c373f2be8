package leviathan.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.LayerNormKernels;
import leviathan.kernels.MatmulKernels;
import leviathan.stages.CoreStages;

/**
 * Fast JVM variants of the column reductions, the bias gradient of a matmul and the parameter
 * gradients of LayerNorm. The plain bodies run one column per index down a strided column (a cache
 * miss per row); these sweep whole rows, a vector of columns at a time, with the rows still summed
 * in ascending order and with the plain body's operations (no fused multiply-add), so every column
 * gets bit-identical results to the plain body, whatever the split across threads.
 */
final class VectorColumns {
    private VectorColumns() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * dbias[0, 4L) += Σ_r dout[r·OC + (0, 4L)]: four vectors of columns per pass over the rows, so
     * each row is read as one contiguous run rather than once per vector of columns.
     */
    private static void biasColumns4(float[] db, int dbOff, float[] dout, int dOff, int BT, int OC) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int r = 0; r < BT; r++) {
            int i = dOff + r * OC;
            a0 = a0.add(FloatVector.fromArray(S, dout, i));
            a1 = a1.add(FloatVector.fromArray(S, dout, i + L));
            a2 = a2.add(FloatVector.fromArray(S, dout, i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(S, dout, i + 3 * L));
        }
        FloatVector.fromArray(S, db, dbOff).add(a0).intoArray(db, dbOff);
        FloatVector.fromArray(S, db, dbOff + L).add(a1).intoArray(db, dbOff + L);
        FloatVector.fromArray(S, db, dbOff + 2 * L).add(a2).intoArray(db, dbOff + 2 * L);
        FloatVector.fromArray(S, db, dbOff + 3 * L).add(a3).intoArray(db, dbOff + 3 * L);
    }

    /** LayerNorm's parameter gradients for four vectors of columns, in the order of the one-vector loop. */
    private static void layerNormParamColumns4(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, int dOff,
                                               float[] inp, int iOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                               int N, int C) {
        FloatVector w0 = FloatVector.zero(S), w1 = w0, w2 = w0, w3 = w0;
        FloatVector b0 = w0, b1 = w0, b2 = w0, b3 = w0;
        for (int r = 0; r < N; r++) {
            int d = dOff + r * C, x = iOff + r * C;
            float mu = mean[meanOff + r], rs = rstd[rstdOff + r];
            FloatVector g0 = FloatVector.fromArray(S, dout, d), g1 = FloatVector.fromArray(S, dout, d + L);
            FloatVector g2 = FloatVector.fromArray(S, dout, d + 2 * L), g3 = FloatVector.fromArray(S, dout, d + 3 * L);
            w0 = w0.add(g0.mul(FloatVector.fromArray(S, inp, x).sub(mu).mul(rs)));
            w1 = w1.add(g1.mul(FloatVector.fromArray(S, inp, x + L).sub(mu).mul(rs)));
            w2 = w2.add(g2.mul(FloatVector.fromArray(S, inp, x + 2 * L).sub(mu).mul(rs)));
            w3 = w3.add(g3.mul(FloatVector.fromArray(S, inp, x + 3 * L).sub(mu).mul(rs)));
            b0 = b0.add(g0);
            b1 = b1.add(g1);
            b2 = b2.add(g2);
            b3 = b3.add(g3);
        }
        FloatVector.fromArray(S, dw, dwOff).add(w0).intoArray(dw, dwOff);
        FloatVector.fromArray(S, dw, dwOff + L).add(w1).intoArray(dw, dwOff + L);
        FloatVector.fromArray(S, dw, dwOff + 2 * L).add(w2).intoArray(dw, dwOff + 2 * L);
        FloatVector.fromArray(S, dw, dwOff + 3 * L).add(w3).intoArray(dw, dwOff + 3 * L);
        FloatVector.fromArray(S, db, dbOff).add(b0).intoArray(db, dbOff);
        FloatVector.fromArray(S, db, dbOff + L).add(b1).intoArray(db, dbOff + L);
        FloatVector.fromArray(S, db, dbOff + 2 * L).add(b2).intoArray(db, dbOff + 2 * L);
        FloatVector.fromArray(S, db, dbOff + 3 * L).add(b3).intoArray(db, dbOff + 3 * L);
    }

    /** Args as {@link CoreStages#matmulBackwardBias}: dbias, dout, BT, OC. */
    static JvmFastKernels.JvmStage matmulBackwardBias(Stage s) {
        MatmulKernels.BackwardBiasArgs a = MatmulKernels.BackwardBiasArgs.of(s);
        FloatSlice db = a.dbias(), dout = a.dout();
        int BT = a.BT(), OC = a.OC();
        Kernel.RangeBody body = (from, to) -> {
            int o = from;
            for (; o + 4 * L <= to; o += 4 * L) {
                biasColumns4(db.array, db.offset + o, dout.array, dout.offset + o, BT, OC);
            }
            for (; o < to; o += L) {
                VectorMask<Float> live = S.indexInRange(o, to);
                FloatVector acc = FloatVector.zero(S);
                for (int r = 0; r < BT; r++) {
                    acc = acc.add(FloatVector.fromArray(S, dout.array, dout.offset + r * OC + o, live));
                }
                FloatVector.fromArray(S, db.array, db.offset + o, live).add(acc).intoArray(db.array, db.offset + o, live);
            }
        };
        return pool -> pool.run(OC, body);
    }

    /** Args as {@link CoreStages#layerNormBackwardParams}: dweight, dbias, dout, inp, mean, rstd, N, C. */
    static JvmFastKernels.JvmStage layerNormBackwardParams(Stage s) {
        LayerNormKernels.BackwardParamsArgs a = LayerNormKernels.BackwardParamsArgs.of(s);
        FloatSlice dw = a.dweight(), db = a.dbias(), dout = a.dout(), inp = a.inp(), mean = a.mean(), rstd = a.rstd();
        int N = a.N(), C = a.C();
        Kernel.RangeBody body = (from, to) -> {
            int c = from;
            for (; c + 4 * L <= to; c += 4 * L) {
                layerNormParamColumns4(dw.array, dw.offset + c, db.array, db.offset + c, dout.array, dout.offset + c,
                        inp.array, inp.offset + c, mean.array, mean.offset, rstd.array, rstd.offset, N, C);
            }
            for (; c < to; c += L) {
                VectorMask<Float> live = S.indexInRange(c, to);
                FloatVector accW = FloatVector.zero(S);
                FloatVector accB = FloatVector.zero(S);
                for (int r = 0; r < N; r++) {
                    FloatVector g = FloatVector.fromArray(S, dout.array, dout.offset + r * C + c, live);
                    FloatVector norm = FloatVector.fromArray(S, inp.array, inp.offset + r * C + c, live)
                            .sub(mean.array[mean.offset + r]).mul(rstd.array[rstd.offset + r]);
                    accW = accW.add(g.mul(norm));
                    accB = accB.add(g);
                }
                FloatVector.fromArray(S, dw.array, dw.offset + c, live).add(accW).intoArray(dw.array, dw.offset + c, live);
                FloatVector.fromArray(S, db.array, db.offset + c, live).add(accB).intoArray(db.array, db.offset + c, live);
            }
        };
        return pool -> pool.run(C, body);
    }
}
