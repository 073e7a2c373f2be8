package leviathan.kernels.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor on small bodies compiled here: what it writes for a valid body, and the compile
 * error (naming the parameter) for each convention a body can break. The generated JVM side is
 * compiled too, against minimal stand-ins of the graph types it uses.
 */
class KernelProcessorTest {
    @TempDir
    Path dir;

    static final String ANNOTATIONS = "leviathan/kernels/annotation/";

    /** Minimal stand-ins of leviathan.graph's types, with the members the generated code uses. */
    static final String[][] GRAPH = {
        {"leviathan/graph/FloatSlice.java", "package leviathan.graph; public final class FloatSlice { public float[] array; public int offset; }"},
        {"leviathan/graph/IntSlice.java", "package leviathan.graph; public final class IntSlice { public int[] array; public int offset; }"},
        {"leviathan/graph/Stage.java", "package leviathan.graph; public final class Stage { public int[] extent;"
                + " public Stage(String n, Kernel k, int[] e, double f, double b, Object... a) {}"
                + " public void requireKernel(Kernel k) {} public FloatSlice floats(int i) { return null; }"
                + " public IntSlice ints(int i) { return null; } public int intArg(int i) { return 0; } public float floatArg(int i) { return 0; } }"},
        {"leviathan/graph/Kernel.java", "package leviathan.graph; import java.util.List; public final class Kernel {"
                + " public enum Kind { FLOATS, INTS, INT, FLOAT } public enum Access { READ, WRITE, READ_WRITE }"
                + " public static final float[] NO_FLOATS = new float[1]; public static final int[] NO_INTS = new int[1];"
                + " public record Param(String name, Kind kind, Access access, boolean optional) {"
                + " public static Param buffer(String n, Kind k, Access a, boolean o) { return new Param(n, k, a, o); }"
                + " public static Param scalar(String n, Kind k) { return new Param(n, k, null, false); } }"
                + " public interface RangeBody { void run(int from, int to); } public interface JvmBinding { RangeBody bind(Stage s); }"
                + " public Kernel(String n, String b, int d, List<Param> p, JvmBinding j) {} }"},
    };

    private List<String> compile(String body) throws IOException {
        List<Path> files = new ArrayList<>();
        Path src = dir.resolve("src");
        for (String a : new String[] {"Kernel", "Read", "Write", "ReadWrite", "Index"}) {
            String target = a.equals("Kernel") ? "METHOD" : "PARAMETER";
            String member = a.equals("Kernel") ? "String value();" : a.equals("Read") ? "boolean optional() default false;" : "";
            files.add(write(src, ANNOTATIONS + a + ".java", "package leviathan.kernels.annotation; @java.lang.annotation.Target("
                    + "java.lang.annotation.ElementType." + target + ") public @interface " + a + " { " + member + " }"));
        }
        for (String[] g : GRAPH) {
            files.add(write(src, g[0], g[1]));
        }
        files.add(write(src, "demo/Demo.java", "package demo; import leviathan.kernels.annotation.*; public final class Demo { " + body + " }"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Path out = Files.createDirectories(dir.resolve("out"));
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            javac.getTask(null, fm, diagnostics, List.of("-d", out.toString(), "-s", out.toString(), "-processor",
                    KernelProcessor.class.getName(), "-processorpath", System.getProperty("java.class.path")), null,
                    fm.getJavaFileObjectsFromPaths(files)).call();
        }
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                errors.add(d.getMessage(null));
            }
        }
        return errors;
    }

    private static Path write(Path root, String relative, String text) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, text);
    }

    private static final String SCALE = "@Kernel(\"demo_scale\") public static void scale(@Write float[] out, int outOff, @Read float[] inp,"
            + " int inpOff, @Read(optional = true) float[] bias, int biasOff, @Read int[] ids, int idsOff, int n, float factor, @Index int i) {"
            + " out[outOff + i] = inp[inpOff + i] * factor + (biasOff < 0 ? 0 : bias[biasOff]) + ids[idsOff]; }";

    @Test
    void aValidBodyGetsItsKernelsClassAndItsTornadoWrapper() throws IOException {
        assertEquals(List.of(), compile(SCALE));
        String jvm = Files.readString(dir.resolve("out/demo/DemoKernels.java"));
        assertTrue(jvm.contains("public static final Kernel SCALE = new Kernel(\"demo_scale\", \"demo.Demo.scale\", 1"), jvm);
        assertTrue(jvm.contains("Kernel.Param.buffer(\"bias\", Kernel.Kind.FLOATS, Kernel.Access.READ, true)"), jvm);
        assertTrue(jvm.contains("public record ScaleArgs(FloatSlice out, FloatSlice inp, FloatSlice bias, IntSlice ids, int n, float factor)"), jvm);
        assertTrue(jvm.contains("Demo.scale(out, outOff, inp, inpOff, bias, biasOff, ids, idsOff, n, factor, $i0);"), jvm);
        assertTrue(Files.exists(dir.resolve("out/demo/DemoKernels.class")), "the generated JVM side compiles");
        String tornado = Files.readString(dir.resolve("out/leviathan/tornado/generated/DemoWrappers.java"));
        assertTrue(tornado.contains("public static void scale(float[] arenaFloats, int[] arenaInts, int outOff, int inpOff, int biasOff,"
                + " int idsOff, int n, float factor, int extent0)"), tornado);
        assertTrue(tornado.contains("for (@Parallel int index0 = 0; index0 < extent0; index0++)"), tornado);
        assertTrue(tornado.contains("Demo.scale(arenaFloats, outOff, arenaFloats, inpOff, arenaFloats, biasOff, arenaInts, idsOff, n, factor, index0);"), tornado);
        assertEquals("demo.DemoKernels\n", Files.readString(dir.resolve("out/META-INF/leviathan/kernels.list")));
        assertEquals("leviathan/tornado/generated/DemoWrappers.java\n", Files.readString(dir.resolve("out/META-INF/leviathan/tornado-wrappers.list")));
    }

    @Test
    void aTwoDimensionalBodyLoopsItsSecondIndexInside() throws IOException {
        assertEquals(List.of(), compile("@Kernel(\"demo_outer\") public static void outer(@Write float[] out, int outOff, int n,"
                + " @Index int r, @Index int c) { out[outOff + r * n + c] = r * c; }"));
        String jvm = Files.readString(dir.resolve("out/demo/DemoKernels.java"));
        assertTrue(jvm.contains("for (int $i1 = 0; $i1 < $n1; $i1++)"), jvm);
        String tornado = Files.readString(dir.resolve("out/leviathan/tornado/generated/DemoWrappers.java"));
        assertTrue(tornado.contains("for (@Parallel int index1 = 0; index1 < extent1; index1++)"), tornado);
    }

    @Test
    void eachBrokenConventionIsACompileErrorNamingTheParameter() throws IOException {
        assertError("public static void a(float[] x, int xOff, @Index int i) {}", "x needs exactly one of @Read, @Write, @ReadWrite");
        assertError("@Kernel(\"k\") public static void a(@Read float[] x, @Index int i) {}", "x must be followed by its int offset");
        assertError("@Kernel(\"k\") public static void a(@Read float[] x, int xOff, @Index int i, int n) {}", "n follows the @Index parameters");
        assertError("@Kernel(\"k\") public static void a(@Read float[] x, int xOff, int n) {}", "one or two @Index parameters");
        assertError("@Kernel(\"k\") public static void a(@Read double[] x, int xOff, @Index int i) {}", "takes float[], int[], int and float only");
        assertError("@Kernel(\"k\") public static int a(@Read float[] x, int xOff, @Index int i) { return 0; }", "public static void");
        assertError("@Kernel(\"k\") public static void a(@Read @Write float[] x, int xOff, @Index int i) {}", "exactly one of");
        assertError("@Kernel(\"k\") public static void a(@Read float[] extent0, int xOff, @Index int i) {}", "extent0 is reserved");
        StringBuilder many = new StringBuilder("@Kernel(\"k\") public static void a(");
        for (int k = 0; k < 14; k++) {
            many.append("int s").append(k).append(", ");
        }
        assertError(many.append("@Read float[] x, int xOff, @Index int i) {}").toString(), "TornadoVM takes at most 15");
    }

    private void assertError(String body, String fragment) throws IOException {
        String b = body.startsWith("public") ? "@Kernel(\"k\") " + body : body;
        List<String> errors = compile(b);
        assertTrue(errors.stream().anyMatch(e -> e.contains(fragment)), "expected an error containing '" + fragment + "', got " + errors);
    }
}
