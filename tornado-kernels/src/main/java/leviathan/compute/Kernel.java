package leviathan.compute;

/**
 * A kernel as the backends see it: a name, the rank of its parallel extent, and how the JVM
 * backend runs a range of its indices by calling the plain body in {@code leviathan.kernels}.
 * The TornadoVM backend maps the same kernel to a task that wraps the same body.
 */
public final class Kernel {
    /** Runs indices {@code [from, to)} of the extent's first dimension (a second one is looped inside). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** Binds a declared stage's buffers and sizes to a {@link RangeBody}, once, when a graph is compiled. */
    @FunctionalInterface
    public interface JvmBinding {
        RangeBody bind(Stage stage);
    }

    public final String name;
    public final int dims;
    private final JvmBinding jvm;

    public Kernel(String name, int dims, JvmBinding jvm) {
        if (dims != 1 && dims != 2) {
            throw new IllegalArgumentException("kernel " + name + ": extent rank must be 1 or 2");
        }
        this.name = name;
        this.dims = dims;
        this.jvm = jvm;
    }

    public RangeBody bindJvm(Stage stage) {
        return jvm.bind(stage);
    }

    @Override
    public String toString() {
        return name;
    }
}
