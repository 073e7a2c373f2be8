package leviathan.testing;

import java.util.function.ToDoubleFunction;

/**
 * Central finite differences in double precision: {@code g_i = (f(x + h·e_i) − f(x − h·e_i)) / 2h}.
 * With h = 1e-5 and smooth f of O(1) curvature the truncation error is ~h² ≈ 1e-10 and the
 * rounding error ~1e-16/h ≈ 1e-11, far below the 1e-3 budget of the float32 gradients.
 */
public final class FiniteDifference {
    private FiniteDifference() {}

    public static final double H = 1e-5;

    public static double[] gradient(ToDoubleFunction<double[]> f, double[] x) {
        return gradient(f, x, H);
    }

    public static double[] gradient(ToDoubleFunction<double[]> f, double[] x, double h) {
        return gradientInPlace(f, x.clone(), h);
    }

    /**
     * The same, but perturbing {@code x} itself (each element restored after its two evaluations):
     * for an f that reads x through something it holds, such as a map of parameter tensors, rather
     * than through its argument.
     */
    public static double[] gradientInPlace(ToDoubleFunction<double[]> f, double[] x) {
        return gradientInPlace(f, x, H);
    }

    private static double[] gradientInPlace(ToDoubleFunction<double[]> f, double[] x, double h) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            x[i] = xi + h;
            double fp = f.applyAsDouble(x);
            x[i] = xi - h;
            double fm = f.applyAsDouble(x);
            x[i] = xi;
            g[i] = (fp - fm) / (2 * h);
        }
        return g;
    }
}
