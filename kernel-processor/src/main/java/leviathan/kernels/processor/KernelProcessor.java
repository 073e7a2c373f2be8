package leviathan.kernels.processor;

import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeKind;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

import leviathan.kernels.processor.KernelBody.Access;
import leviathan.kernels.processor.KernelBody.Arg;
import leviathan.kernels.processor.KernelBody.Kind;

/**
 * Reads every method annotated {@code @leviathan.kernels.annotation.Kernel} and writes, per class
 * of bodies {@code X}: {@code XKernels} beside it ({@link JvmSource}: kernel constants, typed stage
 * builders, argument records, the JVM binding) and the TornadoVM wrapper source
 * {@code leviathan/tornado/generated/XWrappers.java} as a class-path resource ({@link TornadoSource}),
 * which {@code tornado-backend} compiles against TornadoVM's API. Two index resources list what was
 * generated, so that tests and backends find every kernel: {@code META-INF/leviathan/kernels.list}
 * and {@code META-INF/leviathan/tornado-wrappers.list}.
 *
 * <p>A body that breaks the conventions (an array without its access annotation or its offset, a
 * parameter of another type, index parameters not last) is a compile error naming the parameter.
 */
@SupportedAnnotationTypes(KernelProcessor.KERNEL)
public final class KernelProcessor extends AbstractProcessor {
    static final String ANNOTATIONS = "leviathan.kernels.annotation.";
    static final String KERNEL = ANNOTATIONS + "Kernel";
    /** TornadoVM 5.2's TaskGraph.task takes at most 15 task arguments. */
    static final int MAX_TASK_ARGS = 15;

    private final Map<String, List<KernelBody>> byClass = new LinkedHashMap<>();
    private final List<String> kernelClasses = new ArrayList<>();
    private final List<String> wrapperSources = new ArrayList<>();

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        Map<String, List<KernelBody>> found = new LinkedHashMap<>();
        for (TypeElement annotation : annotations) {
            for (Element e : round.getElementsAnnotatedWith(annotation)) {
                KernelBody body = read((ExecutableElement) e);
                if (body != null) {
                    found.computeIfAbsent(body.qualifiedClass(), k -> new ArrayList<>()).add(body);
                }
            }
        }
        for (List<KernelBody> bodies : found.values()) {
            write(bodies);
        }
        byClass.putAll(found);
        if (round.processingOver() && !byClass.isEmpty()) {
            kernelClasses.sort(null);
            wrapperSources.sort(null);
            writeResource("META-INF/leviathan/kernels.list", String.join("\n", kernelClasses) + "\n");
            writeResource("META-INF/leviathan/tornado-wrappers.list", String.join("\n", wrapperSources) + "\n");
        }
        return true;
    }

    private void write(List<KernelBody> bodies) {
        KernelBody first = bodies.get(0);
        String kernels = first.qualifiedClass() + "Kernels";
        String wrappers = TornadoSource.PACKAGE.replace('.', '/') + "/" + first.className() + "Wrappers.java";
        try {
            try (Writer w = processingEnv.getFiler().createSourceFile(kernels).openWriter()) {
                w.write(JvmSource.of(bodies));
            }
            writeResource(wrappers, TornadoSource.of(bodies));
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, "kernel processor: cannot write " + kernels + ": " + e);
            return;
        }
        kernelClasses.add(kernels);
        wrapperSources.add(wrappers);
    }

    private void writeResource(String path, String text) {
        try {
            FileObject f = processingEnv.getFiler().createResource(StandardLocation.CLASS_OUTPUT, "", path);
            try (Writer w = f.openWriter()) {
                w.write(text);
            }
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, "kernel processor: cannot write " + path + ": " + e);
        }
    }

    /** The body's signature, or null after reporting what breaks the conventions. */
    private KernelBody read(ExecutableElement m) {
        Element type = m.getEnclosingElement();
        if (!m.getModifiers().containsAll(Set.of(Modifier.PUBLIC, Modifier.STATIC)) || m.getReturnType().getKind() != TypeKind.VOID
                || type.getEnclosingElement().getKind() != javax.lang.model.element.ElementKind.PACKAGE) {
            return error(m, "a @Kernel body must be a public static void method of a top-level class");
        }
        List<? extends VariableElement> ps = m.getParameters();
        List<Arg> args = new ArrayList<>();
        List<String> indices = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            VariableElement p = ps.get(i);
            String name = p.getSimpleName().toString();
            String t = p.asType().toString();
            boolean index = annotation(p, "Index") != null;
            if (!indices.isEmpty() && !index) {
                return error(p, "parameter " + name + " follows the @Index parameters: the index must come last");
            }
            if (index) {
                if (!t.equals("int")) {
                    return error(p, "@Index parameter " + name + " must be an int");
                }
                indices.add(name);
                continue;
            }
            Kind kind = kind(t);
            if (kind == null) {
                return error(p, "parameter " + name + " has type " + t + ": a kernel body takes float[], int[], int and float only");
            }
            if (!kind.buffer()) {
                args.add(new Arg(name, kind, null, false, null));
                continue;
            }
            Access access = access(p);
            if (access == null) {
                return error(p, "array parameter " + name + " needs exactly one of @Read, @Write, @ReadWrite");
            }
            if (i + 1 >= ps.size() || !ps.get(i + 1).asType().toString().equals("int") || annotation(ps.get(i + 1), "Index") != null) {
                return error(p, "array parameter " + name + " must be followed by its int offset");
            }
            args.add(new Arg(name, kind, access, optional(p), ps.get(++i).getSimpleName().toString()));
        }
        if (indices.isEmpty() || indices.size() > 2) {
            return error(m, "a @Kernel body ends with one or two @Index parameters (the parallel index), found " + indices.size());
        }
        String pkg = ((PackageElement) type.getEnclosingElement()).getQualifiedName().toString();
        KernelBody body = new KernelBody(pkg, type.getSimpleName().toString(), m.getSimpleName().toString(), kernelName(m), args, indices);
        String clash = TornadoSource.reservedClash(body);
        if (clash != null) {
            return error(m, "parameter name " + clash + " is reserved by the generated wrappers; rename it");
        }
        int taskArgs = TornadoSource.taskArity(body);
        if (taskArgs > MAX_TASK_ARGS) {
            return error(m, "the TornadoVM wrapper would take " + taskArgs + " arguments; TornadoVM takes at most " + MAX_TASK_ARGS);
        }
        return body;
    }

    private static Kind kind(String type) {
        for (Kind k : Kind.values()) {
            if (k.javaType.equals(type)) {
                return k;
            }
        }
        return null;
    }

    private static Access access(VariableElement p) {
        Access found = null;
        int n = 0;
        if (annotation(p, "Read") != null) {
            found = Access.READ;
            n++;
        }
        if (annotation(p, "Write") != null) {
            found = Access.WRITE;
            n++;
        }
        if (annotation(p, "ReadWrite") != null) {
            found = Access.READ_WRITE;
            n++;
        }
        return n == 1 ? found : null;
    }

    private static boolean optional(VariableElement p) {
        AnnotationMirror read = annotation(p, "Read");
        if (read == null) {
            return false;
        }
        for (var e : read.getElementValues().entrySet()) {
            if (e.getKey().getSimpleName().contentEquals("optional")) {
                return (Boolean) e.getValue().getValue();
            }
        }
        return false;
    }

    private static String kernelName(ExecutableElement m) {
        AnnotationMirror k = annotation(m, "Kernel");
        for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> e : k.getElementValues().entrySet()) {
            if (e.getKey().getSimpleName().contentEquals("value")) {
                return (String) e.getValue().getValue();
            }
        }
        throw new IllegalStateException("@Kernel without a value on " + m);
    }

    private static AnnotationMirror annotation(Element e, String simpleName) {
        for (AnnotationMirror a : e.getAnnotationMirrors()) {
            if (a.getAnnotationType().toString().equals(ANNOTATIONS + simpleName)) {
                return a;
            }
        }
        return null;
    }

    private KernelBody error(Element e, String message) {
        processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, message, e);
        return null;
    }
}
