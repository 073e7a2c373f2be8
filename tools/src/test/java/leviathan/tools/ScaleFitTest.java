package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The warnings of {@code scale} on synthetic timings: an exponent on fewer than three lengths, a bad
 * fit (R² below 0.9) and a negative exponent are called unreliable; a clean power law is not. And the
 * warm-up's rule: two consecutive runs within 10% of each other.
 */
class ScaleFitTest {
    static double[] point(double t, double ms) {
        return new double[] {t, ms, 0};
    }

    @Test
    void aCleanPowerLawOnThreeOrMoreLengthsHasNoWarning() {
        ScaleFit f = ScaleFit.of(List.of(point(256, 2 * 256 * 256), point(512, 2 * 512 * 512), point(1024, 2 * 1024 * 1024)), 256);
        assertEquals(2.0, f.slope(), 1e-12);
        assertEquals(1.0, f.rSquared(), 1e-12);
        assertEquals(3, f.points());
        assertNull(f.warning(), f.toString());
    }

    @Test
    void twoLengthsFitAnyLineAndSaySo() {
        ScaleFit f = ScaleFit.of(List.of(point(64, 1), point(128, 4), point(256, 16)), 100);
        assertEquals(2, f.points(), "only T ≥ --fit-from counts");
        assertTrue(f.warning().contains("rests on 2 lengths only"), f.warning());
        ScaleFit none = ScaleFit.of(List.of(point(64, 1)), 100);
        assertTrue(Double.isNaN(none.slope()));
        assertTrue(none.warning().startsWith("no exponent: 0 lengths"), none.warning());
    }

    @Test
    void aNegativeExponentIsAnArtefact() {
        // The JIT-warm-up shape of the report: the first length slowest.
        ScaleFit f = ScaleFit.of(List.of(point(64, 3.0), point(128, 2.1), point(256, 2.4)), 64);
        assertTrue(f.slope() < 0, f.toString());
        assertTrue(f.warning().contains("is negative"), f.warning());
    }

    @Test
    void aBadFitIsCalledOne() {
        // Rising overall, but far from a line in log-log: R² ≈ 0.5.
        ScaleFit f = ScaleFit.of(List.of(point(64, 1), point(128, 8), point(256, 2), point(512, 9)), 64);
        assertTrue(f.slope() > 0 && f.rSquared() < ScaleFit.MIN_R_SQUARED, f.toString());
        assertTrue(f.warning().contains("fits badly (R² = " + String.format(java.util.Locale.ROOT, "%.2f", f.rSquared())), f.warning());
    }

    @Test
    void warmUpRunsSettleWhenTwoInARowAgreeWithinTenPercent() {
        assertFalse(ScaleCommand.settled(List.of(10.0)), "one run says nothing");
        assertFalse(ScaleCommand.settled(List.of(100.0, 40.0)), "the JIT is still compiling");
        assertTrue(ScaleCommand.settled(List.of(100.0, 40.0, 38.0)));
        assertTrue(ScaleCommand.settled(List.of(40.0, 44.0)), "exactly 10% apart");
        assertFalse(ScaleCommand.settled(List.of(40.0, 44.5)));
    }
}
