package leviathan.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and tanh over float vectors from adds, multiplies and bit operations only. The Vector API's own
 * lanewise EXP/TANH are fast once C2 compiles them (vector math stubs), but the interpreter and C1
 * fall back to per-lane Math calls that round differently, so a result would depend on what the JIT
 * had compiled by then: a resumed run would no longer repeat a straight one bit for bit. These are
 * exact functions of their inputs in every execution mode (IEEE adds and multiplies, no FMA
 * contraction), accurate to a few ulp.
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split in two so that n·LN2_HI is exact for |n| ≤ 2^8 (Cody–Waite reduction). */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding it rounds to the nearest integer, which then sits in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = 0x4B400000;
    private static final float MAX_ARG = 88.3f;
    private static final float MIN_ARG = -87.3f;
    // Minimax coefficients of (e^r − 1 − r)/r² on [−ln2/2, ln2/2] (Cephes expf).
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /** e^x per lane; arguments are clamped to [−87.3, 88.3] (results ≈ 1e-38 below, ≈ 2e38 above). */
    static FloatVector exp(FloatVector x) {
        x = x.max(MIN_ARG).min(MAX_ARG);
        FloatVector shifted = x.mul(LOG2E).add(ROUND);
        FloatVector n = shifted.sub(ROUND);
        IntVector k = shifted.reinterpretAsInts().sub(ROUND_BITS);
        FloatVector r = x.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.mul(P0).add(P1).mul(r).add(P2).mul(r).add(P3).mul(r).add(P4).mul(r).add(P5);
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        FloatVector scale = k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale);
    }

    /** tanh(u) = 1 − 2/(e^{2u} + 1): saturates to ±1 with the clamped exp. */
    static FloatVector tanh(FloatVector u) {
        return FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(exp(u.mul(2f)).add(1f)));
    }
}
