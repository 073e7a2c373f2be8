package leviathan.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;

import org.junit.jupiter.api.Test;

/** VectorMath's exp and tanh against java.lang.Math: a few ulp over the whole useful range, saturating outside. */
class VectorMathTest {
    private static final int L = VectorMath.S.length();

    private static float[] apply(boolean tanh, float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += L) {
            FloatVector v = FloatVector.fromArray(VectorMath.S, x, i);
            (tanh ? VectorMath.tanh(v) : VectorMath.exp(v)).intoArray(y, i);
        }
        return y;
    }

    private static float[] grid(float lo, float hi, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * i / (n - 1);
        }
        return x;
    }

    @Test
    void expIsWithinFourUlpOfMathExp() {
        float[] x = grid(-87f, 88f, 16 * 4096);
        float[] y = apply(false, x);
        for (int i = 0; i < x.length; i++) {
            float ref = (float) Math.exp(x[i]);
            assertTrue(Math.abs(y[i] - ref) <= 4 * Math.ulp(ref), "exp(" + x[i] + ") = " + y[i] + ", Math.exp gives " + ref);
        }
        float[] exact = apply(false, new float[] {0f, 1f, -1f, 0.5f, 2f, 10f, -10f, 3f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f});
        assertEquals(1f, exact[0]);
    }

    @Test
    void expSaturatesInsteadOfOverflowing() {
        float[] y = apply(false, new float[] {1000f, -1000f, 89f, -88f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertTrue(Float.isFinite(y[0]) && y[0] > 1e38f, "large arguments clamp to a finite maximum");
        assertTrue(y[1] >= 0f && y[1] < 2e-38f, "very negative arguments give ≈ 0");
        assertTrue(Float.isFinite(y[2]));
        assertTrue(y[3] > 0f);
    }

    @Test
    void tanhIsAccurateAndSaturates() {
        float[] x = grid(-20f, 20f, 16 * 1024);
        float[] y = apply(true, x);
        for (int i = 0; i < x.length; i++) {
            double ref = Math.tanh(x[i]);
            assertTrue(Math.abs(y[i] - ref) <= 3e-7, "tanh(" + x[i] + ") = " + y[i] + ", Math.tanh gives " + ref);
        }
        float[] s = apply(true, new float[] {100f, -100f, 0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertEquals(1f, s[0]);
        assertEquals(-1f, s[1]);
        assertEquals(0f, s[2]);
    }
}
