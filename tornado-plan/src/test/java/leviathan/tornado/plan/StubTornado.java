package leviathan.tornado.plan;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import leviathan.graph.KernelIndex;

/**
 * The generated TornadoVM wrappers, compiled here against a stub of the two TornadoVM types they
 * use ({@code TaskGraph} and {@code @Parallel}) and loaded, so that the default build (which has no
 * TornadoVM) checks that every wrapper compiles against the body it calls and runs it: the stub's
 * {@code task(...)} records each task as a {@link Runnable} that calls the wrapper, loops and all,
 * on the JVM.
 */
final class StubTornado {
    private StubTornado() {}

    /** Largest TaskN arity of TornadoVM 5.2's TaskGraph.task. */
    static final int MAX_ARITY = 15;

    private static ClassLoader loader;

    /** A class loader holding the stub API and every generated wrapper on the test class path (compiled once). */
    static synchronized ClassLoader wrappers() {
        if (loader == null) {
            loader = compile();
        }
        return loader;
    }

    /** A registry of every generated wrapper, over stub task graphs. */
    static TaskRegistry<Object> registry() {
        return new TaskRegistry<>().addGenerated(wrappers());
    }

    /** A new, empty stub task graph. */
    static Object newTaskGraph() {
        try {
            return wrappers().loadClass("uk.ac.manchester.tornado.api.TaskGraph").getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tasks a stub task graph recorded, in order. */
    @SuppressWarnings("unchecked")
    static List<Runnable> tasks(Object taskGraph) {
        try {
            Field f = taskGraph.getClass().getField("tasks");
            return (List<Runnable>) f.get(taskGraph);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ClassLoader compile() {
        try {
            // Under the module's build directory (surefire runs in the module), not /tmp: the class loader
            // reads the classes lazily for the whole test run, and `mvn clean` removes them.
            Path dir = Path.of("target", "stub-tornado");
            deleteTree(dir);
            Path src = dir.resolve("src");
            Path out = dir.resolve("classes");
            Files.createDirectories(out);
            List<Path> files = new ArrayList<>();
            files.add(write(src, "uk/ac/manchester/tornado/api/annotations/Parallel.java", PARALLEL));
            files.add(write(src, "uk/ac/manchester/tornado/api/TaskGraph.java", taskGraphSource()));
            ClassLoader here = StubTornado.class.getClassLoader();
            for (String resource : KernelIndex.readIndex(here, TaskRegistry.WRAPPER_INDEX)) {
                files.add(write(src, resource, read(here, resource)));
            }
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
                List<String> options = List.of("-d", out.toString(), "-classpath", System.getProperty("java.class.path"), "-proc:none",
                        "-g", "-Xlint:none");
                boolean ok = javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(files)).call();
                if (!ok) {
                    StringBuilder sb = new StringBuilder("the generated TornadoVM wrappers do not compile:");
                    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                        sb.append('\n').append(d);
                    }
                    throw new AssertionError(sb.toString());
                }
            }
            return new URLClassLoader(new URL[] {out.toUri().toURL()}, here);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static Path write(Path root, String relative, String text) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    private static String read(ClassLoader loader, String resource) throws IOException {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError(TaskRegistry.WRAPPER_INDEX + " lists " + resource + ", which is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final String PARALLEL = "package uk.ac.manchester.tornado.api.annotations;\n"
            + "@java.lang.annotation.Target(java.lang.annotation.ElementType.LOCAL_VARIABLE)\n"
            + "public @interface Parallel {}\n";

    /** TaskGraph with task(id, TaskN, args) for N = 1..15, as TornadoVM's; each call records a Runnable. */
    private static String taskGraphSource() {
        StringBuilder sb = new StringBuilder("package uk.ac.manchester.tornado.api;\n\npublic class TaskGraph {\n");
        sb.append("    public final java.util.List<Runnable> tasks = new java.util.ArrayList<>();\n");
        for (int n = 1; n <= MAX_ARITY; n++) {
            StringBuilder types = new StringBuilder(), params = new StringBuilder(), args = new StringBuilder(), apply = new StringBuilder();
            for (int i = 1; i <= n; i++) {
                String sep = i > 1 ? ", " : "";
                types.append(sep).append("T").append(i);
                params.append(", T").append(i).append(" a").append(i);
                args.append(sep).append("a").append(i);
                apply.append(sep).append("T").append(i).append(" a").append(i);
            }
            sb.append("    @FunctionalInterface public interface Task").append(n).append('<').append(types).append("> { void apply(")
                    .append(apply).append("); }\n");
            sb.append("    public <").append(types).append("> TaskGraph task(String id, Task").append(n).append('<').append(types)
                    .append("> code").append(params).append(") { tasks.add(() -> code.apply(").append(args).append(")); return this; }\n");
        }
        return sb.append("}\n").toString();
    }
}
