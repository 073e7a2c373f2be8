package leviathan.kernels.annotation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The body reads and writes this buffer (accumulates into it, or updates it in place). */
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface ReadWrite {
}
