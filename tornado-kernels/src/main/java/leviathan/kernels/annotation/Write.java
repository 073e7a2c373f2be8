package leviathan.kernels.annotation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The body writes every element of its slice that it later reads, before reading it (or never reads it): the buffer's previous contents do not matter. */
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface Write {
}
