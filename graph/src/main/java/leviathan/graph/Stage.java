package leviathan.graph;

import java.util.Arrays;

/**
 * One declared step of a graph: a kernel, its arguments in the body's order (buffers as
 * {@link FloatSlice}/{@link IntSlice}, sizes as Integer/Float; checked against the kernel's
 * signature here), and its parallel extent. Sizes were validated by the factory that declared the
 * stage. {@code flops} and {@code bytes}
 * are the stage's work per call, for GFLOP/s and GB/s in the profile.
 */
public final class Stage {
    public final String name;
    public final Kernel kernel;
    public final int[] extent;
    public final double flops;
    public final double bytes;
    private final Object[] args;

    public Stage(String name, Kernel kernel, int[] extent, double flops, double bytes, Object... args) {
        if (extent.length != kernel.dims) {
            throw new IllegalArgumentException(name + ": kernel " + kernel + " takes a " + kernel.dims + "-D extent");
        }
        for (int e : extent) {
            if (e < 0) {
                throw new IllegalArgumentException(name + ": negative extent " + Arrays.toString(extent));
            }
        }
        this.name = name;
        this.kernel = kernel;
        this.extent = extent.clone();
        this.flops = flops;
        this.bytes = bytes;
        this.args = args.clone();
        kernel.checkArgs(name, this.args);
    }

    /** Fails unless this is a stage of {@code k} (an argument record read from the wrong kernel's stage). */
    public void requireKernel(Kernel k) {
        if (kernel != k) {
            throw new IllegalArgumentException(name + ": a stage of kernel " + kernel + ", not of " + k);
        }
    }

    public int argCount() {
        return args.length;
    }

    public Object arg(int i) {
        return args[i];
    }

    /** A float buffer argument, or null for an absent optional buffer (e.g. no bias). */
    public FloatSlice floats(int i) {
        return (FloatSlice) args[i];
    }

    public IntSlice ints(int i) {
        return (IntSlice) args[i];
    }

    public int intArg(int i) {
        return (Integer) args[i];
    }

    public float floatArg(int i) {
        return (Float) args[i];
    }

    /** Total number of indices (product of the extent). */
    public long size() {
        long n = 1;
        for (int e : extent) {
            n *= e;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " (" + kernel + " " + Arrays.toString(extent) + ")";
    }
}
