package leviathan.tools;

import java.util.List;
import java.util.Locale;

import org.apache.commons.math3.stat.regression.SimpleRegression;

/**
 * The exponent {@code scale} reports: the least-squares slope of log(ms) on log(T), with how well the
 * line fits (R²) and on how many lengths it rests, so that an exponent that means nothing says so.
 * Two points always fit a line perfectly, and a short range of lengths is dominated by fixed costs and
 * noise; an exponent below zero (time falling as T grows) is a measurement artefact such as JIT warm-up.
 */
record ScaleFit(double slope, double rSquared, int points) {
    /** Below this R² the times are not a power law over the range measured. */
    static final double MIN_R_SQUARED = 0.9;
    /** Fewer lengths than this cannot show whether the times follow a line at all. */
    static final int MIN_POINTS = 3;

    /** The fit over the points {T, ms, …} with T ≥ {@code from}; slope and R² are NaN with fewer than two. */
    static ScaleFit of(List<double[]> timings, int from) {
        SimpleRegression logLog = new SimpleRegression();
        for (double[] p : timings) {
            if (p[0] >= from) {
                logLog.addData(Math.log(p[0]), Math.log(p[1]));
            }
        }
        return new ScaleFit(logLog.getSlope(), logLog.getRSquare(), (int) logLog.getN());
    }

    /** Why the exponent should not be read as a complexity, or null if nothing speaks against it. */
    String warning() {
        if (points < 2) {
            return "no exponent: " + points + " length" + (points == 1 ? "" : "s") + " at or above --fit-from (a fit needs at least "
                    + MIN_POINTS + ")";
        }
        if (points < MIN_POINTS) {
            return String.format(Locale.ROOT, "the exponent %.2f rests on %d lengths only, which any line fits: give at least %d lengths"
                    + " at or above --fit-from", slope, points, MIN_POINTS);
        }
        if (slope < 0) {
            return String.format(Locale.ROOT, "the exponent %.2f is negative (time falls as T grows): a measurement artefact (JIT warm-up,"
                    + " a busy machine, fixed costs dominating short lengths), not a scaling law", slope);
        }
        if (rSquared < MIN_R_SQUARED) {
            return String.format(Locale.ROOT, "the exponent %.2f fits badly (R² = %.2f < %.1f): the times are not a power law over these"
                    + " lengths (noise, fixed costs, or a change of algorithm within the range); use longer and more lengths", slope,
                    rSquared, MIN_R_SQUARED);
        }
        return null;
    }
}
