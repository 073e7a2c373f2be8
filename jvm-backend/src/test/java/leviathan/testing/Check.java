package leviathan.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Tolerances of the kernel tests, all as a normwise relative error
 * {@code max_i |a_i − r_i| / max(1e-6, max_i |r_i|)}:
 * <ul>
 *   <li>{@link #FORWARD_RTOL} 1e-5: float32 kernel vs a double-precision reference of the same math.</li>
 *   <li>{@link #GRAD_RTOL} 1e-3: float32 backward kernel vs central finite differences of the double
 *       reference forward (FD error with h = 1e-5 in double is ~1e-10, so the budget is float rounding).</li>
 *   <li>{@link #FAST_RTOL} 1e-5: a fast JVM variant vs the plain body it replaces (both float32,
 *       different summation order and FMA).</li>
 * </ul>
 * Any NaN or infinity in the actual values fails.
 */
public final class Check {
    private Check() {}

    public static final double FORWARD_RTOL = 1e-5;
    public static final double GRAD_RTOL = 1e-3;
    public static final double FAST_RTOL = 1e-5;
    /** Floor of the normwise denominator, so an all-zero reference does not divide by zero. */
    public static final double FLOOR = 1e-6;

    public static double relErr(double[] ref, float[] actual) {
        double maxRef = 0;
        double maxDiff = 0;
        for (int i = 0; i < ref.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - ref[i]));
        }
        return maxDiff / Math.max(FLOOR, maxRef);
    }

    public static void assertClose(double[] ref, float[] actual, double rtol, String what) {
        assertEquals(ref.length, actual.length, what + ": length");
        int worst = -1;
        double maxRef = 0;
        double maxDiff = -1;
        for (int i = 0; i < ref.length; i++) {
            if (!Float.isFinite(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + " (expected " + ref[i] + ")");
            }
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            double d = Math.abs(actual[i] - ref[i]);
            if (d > maxDiff) {
                maxDiff = d;
                worst = i;
            }
        }
        double err = ref.length == 0 ? 0 : maxDiff / Math.max(FLOOR, maxRef);
        if (!(err <= rtol)) {
            fail(String.format("%s: relative error %.3e > %.1e (worst element %d: expected %.9g, got %.9g; max |ref| %.3e)",
                    what, err, rtol, worst, ref[worst], actual[worst], maxRef));
        }
    }

    /** {@link #assertClose} on the Q, K and V columns of (rows, 3C) qkv gradients separately, labelled "what dQ" and so on. */
    public static void assertQkvClose(double[] ref, float[] actual, double rtol, int rows, int C, String what) {
        String[] part = {"dQ", "dK", "dV"};
        for (int p = 0; p < 3; p++) {
            assertClose(TestData.qkvColumns(ref, p, rows, C), TestData.qkvColumns(actual, p, rows, C), rtol, what + " " + part[p]);
        }
    }

    public static void assertClose(float[] ref, float[] actual, double rtol, String what) {
        assertClose(TestData.toDouble(ref), actual, rtol, what);
    }

    public static void assertClose(double ref, float actual, double rtol, String what) {
        assertClose(new double[] {ref}, new float[] {actual}, rtol, what);
    }
}
