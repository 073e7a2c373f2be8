package leviathan.kernels.annotation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The parallel index: the last parameter of a body, or the last two for a 2-D extent. A backend
 * calls the body once per index; the JVM backend splits the first dimension across its threads
 * and loops the second inside, TornadoVM maps both to {@code @Parallel} loops.
 */
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface Index {
}
