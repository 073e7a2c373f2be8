package leviathan.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;

/**
 * Random inputs and guarded buffers. {@link #padded} places a buffer at a non-zero, unaligned
 * offset inside a larger array whose other elements are NaN sentinels: an out-of-window read
 * shows up as a NaN in the result, an out-of-window write as a broken sentinel
 * ({@link #assertPaddingIntact}).
 */
public final class TestData {
    private TestData() {}

    /** Sentinel elements on each side of a padded buffer (deliberately not a multiple of 16). */
    public static final int PAD = 5;

    public static float[] gaussian(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    public static float[] uniform(Random r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    public static int[] ints(Random r, int n, int bound) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextInt(bound);
        }
        return a;
    }

    public static float[] constant(int n, float c) {
        float[] a = new float[n];
        Arrays.fill(a, c);
        return a;
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** a − c elementwise: removes a known pre-fill from an accumulated gradient. */
    public static float[] minus(float[] a, float c) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - c;
        }
        return d;
    }

    public static float[] minus(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    /** The Q (p = 0), K (1) or V (2) columns of a (rows, 3C) qkv buffer, as a (rows, C) array. */
    public static double[] qkvColumns(double[] qkv, int p, int rows, int C) {
        return qkvColumns(new double[rows * C], qkv, p, rows, C);
    }

    public static float[] qkvColumns(float[] qkv, int p, int rows, int C) {
        return qkvColumns(new float[rows * C], qkv, p, rows, C);
    }

    /** One body for both element types: System.arraycopy takes any primitive array. */
    private static <A> A qkvColumns(A columns, A qkv, int p, int rows, int C) {
        for (int row = 0; row < rows; row++) {
            System.arraycopy(qkv, row * 3 * C + p * C, columns, row * C, C);
        }
        return columns;
    }

    /** Σ w_i·out_i, the scalar loss whose gradient w.r.t. out is w. */
    public static double dot(float[] w, double[] out) {
        if (w.length != out.length) {
            throw new IllegalArgumentException("dot: " + w.length + " vs " + out.length);
        }
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            s += w[i] * out[i];
        }
        return s;
    }

    /** A buffer holding {@code values} at offset {@link #PAD} of a NaN-guarded array. */
    public static FloatSlice padded(String name, float[] values, int... shape) {
        if (FloatSlice.product(shape) != values.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " vs " + values.length + " values");
        }
        float[] arr = new float[PAD + values.length + PAD];
        Arrays.fill(arr, Float.NaN);
        System.arraycopy(values, 0, arr, PAD, values.length);
        return new FloatSlice(name, arr, PAD, shape);
    }

    /** A zero-filled guarded buffer. */
    public static FloatSlice padded(String name, int... shape) {
        return padded(name, new float[FloatSlice.product(shape)], shape);
    }

    /** Guarded int buffer: the padding holds −1, which any out-of-window read turns into an exception. */
    public static IntSlice paddedInts(String name, int[] values) {
        int[] arr = new int[PAD + values.length + PAD];
        Arrays.fill(arr, -1);
        System.arraycopy(values, 0, arr, PAD, values.length);
        return new IntSlice(name, arr, PAD, values.length);
    }

    public static void assertPaddingIntact(FloatSlice s) {
        for (int i = 0; i < s.array.length; i++) {
            if (i < s.offset || i >= s.offset + s.length) {
                final int idx = i;
                assertTrue(Float.isNaN(s.array[i]), () -> s.name + ": element " + idx
                        + " outside the buffer's window was overwritten with " + s.array[idx]);
            }
        }
    }

    public static void assertPaddingIntact(FloatSlice... slices) {
        for (FloatSlice s : slices) {
            assertPaddingIntact(s);
        }
    }
}
