package leviathan.graph;

import java.util.List;

/**
 * A kernel as the backends see it: its name, the body it stands for, the rank of its parallel
 * extent, its signature (the stage arguments in the body's order, each buffer with how the body
 * uses it) and how the JVM backend runs a range of indices by calling the plain body.
 *
 * <p>Kernels are not written by hand: the kernel processor derives one from every
 * {@code @Kernel} body into the body's {@code <Class>Kernels} class, with the binding and the
 * TornadoVM wrapper, so the signature is stated once, by the body.
 */
public final class Kernel {
    /** What a stage argument is. */
    public enum Kind {
        /** A float buffer, passed as a {@link FloatSlice}. */
        FLOATS,
        /** An int buffer, passed as an {@link IntSlice}. */
        INTS,
        /** An int size or flag, passed as an Integer. */
        INT,
        /** A float scalar, passed as a Float. */
        FLOAT;

        public boolean buffer() {
            return this == FLOATS || this == INTS;
        }
    }

    /** How a body uses a buffer argument. */
    public enum Access {
        /** Reads only. */
        READ,
        /** Writes every element it later reads before reading it: the previous contents do not matter. */
        WRITE,
        /** Reads and writes (accumulates, or updates in place). */
        READ_WRITE;

        public boolean reads() {
            return this != WRITE;
        }

        public boolean writes() {
            return this != READ;
        }
    }

    /** One stage argument of the signature. {@code access} is null for a scalar. */
    public record Param(String name, Kind kind, Access access, boolean optional) {
        public static Param buffer(String name, Kind kind, Access access, boolean optional) {
            return new Param(name, kind, access, optional);
        }

        public static Param scalar(String name, Kind kind) {
            return new Param(name, kind, null, false);
        }
    }

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

    /** What a body receives for an absent optional buffer (with offset −1). */
    public static final float[] NO_FLOATS = new float[1];
    public static final int[] NO_INTS = new int[1];

    public final String name;
    /** The body, e.g. "leviathan.kernels.Matmul.forward". */
    public final String body;
    public final int dims;
    private final List<Param> params;
    private final JvmBinding jvm;

    public Kernel(String name, String body, int dims, List<Param> params, JvmBinding jvm) {
        if (dims != 1 && dims != 2) {
            throw new IllegalArgumentException("kernel " + name + ": extent rank must be 1 or 2");
        }
        this.name = name;
        this.body = body;
        this.dims = dims;
        this.params = List.copyOf(params);
        this.jvm = jvm;
    }

    public List<Param> params() {
        return params;
    }

    public Param param(int i) {
        return params.get(i);
    }

    public RangeBody bindJvm(Stage stage) {
        return jvm.bind(stage);
    }

    /** Checks a stage's arguments against the signature: their number and each one's kind. */
    void checkArgs(String stage, Object[] args) {
        if (args.length != params.size()) {
            throw new IllegalArgumentException(stage + ": kernel " + name + " takes " + params.size() + " arguments " + names()
                    + ", got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            Param p = params.get(i);
            Object a = args[i];
            boolean ok = switch (p.kind) {
                case FLOATS -> a instanceof FloatSlice || (a == null && p.optional);
                case INTS -> a instanceof IntSlice || (a == null && p.optional);
                case INT -> a instanceof Integer;
                case FLOAT -> a instanceof Float;
            };
            if (!ok) {
                throw new IllegalArgumentException(stage + ": argument " + i + " (" + p.name + ") of kernel " + name + " must be "
                        + p.kind + (p.optional ? " or null" : "") + ", got " + (a == null ? "null" : a.getClass().getSimpleName()));
            }
        }
    }

    private String names() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < params.size(); i++) {
            sb.append(i > 0 ? ", " : "").append(params.get(i).name);
        }
        return sb.append(")").toString();
    }

    @Override
    public String toString() {
        return name;
    }
}
