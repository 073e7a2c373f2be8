package leviathan.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

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

    /** Args as {@link Ops#matmulBackwardBias}: dbias, dout, BT, OC. */
    static JvmFastKernels.JvmStage matmulBackwardBias(Stage s) {
        FloatSlice db = s.floats(0), dout = s.floats(1);
        int BT = s.intArg(2), OC = s.intArg(3);
        Kernel.RangeBody body = (from, to) -> {
            for (int o = from; o < to; o += S.length()) {
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

    /** Args as {@link Ops#layerNormBackwardParams}: dweight, dbias, dout, inp, mean, rstd, N, C. */
    static JvmFastKernels.JvmStage layerNormBackwardParams(Stage s) {
        FloatSlice dw = s.floats(0), db = s.floats(1), dout = s.floats(2), inp = s.floats(3), mean = s.floats(4), rstd = s.floats(5);
        int N = s.intArg(6), C = s.intArg(7);
        Kernel.RangeBody body = (from, to) -> {
            for (int c = from; c < to; c += S.length()) {
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
