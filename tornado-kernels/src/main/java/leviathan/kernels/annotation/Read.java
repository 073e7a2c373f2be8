package leviathan.kernels.annotation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The body only reads this buffer. */
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface Read {
    /** The buffer may be absent (a stage passes null; the body sees offset −1). */
    boolean optional() default false;
}
