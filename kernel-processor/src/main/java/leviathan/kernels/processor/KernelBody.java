package leviathan.kernels.processor;

import java.util.List;
import java.util.Locale;

/**
 * One annotated kernel body as the processor read it: where it is, its kernel name, its stage
 * arguments (buffers and scalars in the body's order, offsets folded into their buffers) and its
 * parallel index parameters. Everything the processor writes is derived from this.
 */
record KernelBody(String packageName, String className, String method, String kernelName, List<Arg> args, List<String> indices) {

    enum Kind {
        FLOATS("float[]", "FloatSlice", "floats"),
        INTS("int[]", "IntSlice", "ints"),
        INT("int", "int", "intArg"),
        FLOAT("float", "float", "floatArg");

        /** The body's parameter type. */
        final String javaType;
        /** The type of the matching stage argument. */
        final String stageType;
        /** The {@code Stage} accessor that returns it. */
        final String accessor;

        Kind(String javaType, String stageType, String accessor) {
            this.javaType = javaType;
            this.stageType = stageType;
            this.accessor = accessor;
        }

        boolean buffer() {
            return this == FLOATS || this == INTS;
        }
    }

    /** Access of a buffer, as {@code leviathan.graph.Kernel.Access} names it; null for a scalar. */
    enum Access { READ, WRITE, READ_WRITE }

    /** A stage argument: a buffer (with the name of its offset parameter) or a scalar. */
    record Arg(String name, Kind kind, Access access, boolean optional, String offsetName) {
    }

    String qualifiedClass() {
        return packageName.isEmpty() ? className : packageName + "." + className;
    }

    /** forward → FORWARD, backwardQuery → BACKWARD_QUERY. */
    String constantName() {
        return method.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /** forward → ForwardArgs. */
    String argsRecord() {
        return Character.toUpperCase(method.charAt(0)) + method.substring(1) + "Args";
    }

    /** forward → bindForward. */
    String binderName() {
        return "bind" + Character.toUpperCase(method.charAt(0)) + method.substring(1);
    }

    int dims() {
        return indices.size();
    }

    boolean usesKind(Kind kind) {
        for (Arg a : args) {
            if (a.kind == kind) {
                return true;
            }
        }
        return false;
    }
}
