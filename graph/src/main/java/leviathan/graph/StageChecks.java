package leviathan.graph;

/**
 * The checks a stage factory makes before it declares a stage, so that a kernel body never sees a
 * wrong size: each throws an {@link IllegalArgumentException} naming the stage, the buffer and
 * the expected length.
 */
public final class StageChecks {
    private StageChecks() {}

    /** Checks a buffer's length; {@code shape} is how the expected length is written in the message. */
    public static void expect(String stage, FloatSlice buf, long length, String shape) {
        present(stage, buf, shape);
        length(stage, buf.name, buf.length, length, shape);
    }

    public static void expect(String stage, IntSlice buf, long length, String shape) {
        present(stage, buf, shape);
        length(stage, buf.name, buf.length, length, shape);
    }

    private static void present(String stage, Object buf, String shape) {
        if (buf == null) {
            throw new IllegalArgumentException(stage + ": buffer for " + shape + " is missing");
        }
    }

    private static void length(String stage, String buffer, int actual, long expected, String shape) {
        if (actual != expected) {
            throw new IllegalArgumentException(stage + ": buffer " + buffer + " has length " + actual
                    + ", expected " + expected + " = " + shape);
        }
    }

    public static void positive(String stage, String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(stage + ": " + what + " must be positive, got " + value);
        }
    }

    /** H divides C (one head is C/H wide). */
    public static void heads(String stage, int C, int H) {
        positive(stage, "H", H);
        if (C % H != 0) {
            throw new IllegalArgumentException(stage + ": width C=" + C + " is not divisible by heads H=" + H);
        }
    }
}
