package leviathan.kernels.annotation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a kernel body: a {@code public static void} method over primitive arrays, in TornadoVM's
 * Java subset. Its parameter list is the kernel's one signature: every array parameter carries
 * {@link Read}, {@link Write} or {@link ReadWrite} and is followed by its {@code int} offset, the
 * {@code int}/{@code float} parameters after that are sizes and scalars, and the last one or two
 * parameters are the parallel index ({@link Index}).
 *
 * <p>The kernel processor ({@code kernel-processor}) derives everything else from it at build time:
 * a {@code <Class>Kernels} class beside the body (the kernel constant, a typed stage builder, an
 * {@code Args} record naming the stage's arguments, and the JVM backend's plain binding) and the
 * TornadoVM {@code @Parallel} wrapper with its registration (compiled by {@code tornado-backend}).
 */
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface Kernel {
    /** The kernel's name in profiles and messages, e.g. "matmul_forward". */
    String value();
}
