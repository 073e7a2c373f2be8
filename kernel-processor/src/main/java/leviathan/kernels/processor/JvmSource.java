package leviathan.kernels.processor;

import java.util.ArrayList;
import java.util.List;

import leviathan.kernels.processor.KernelBody.Arg;
import leviathan.kernels.processor.KernelBody.Kind;

/**
 * Writes {@code XKernels} for the bodies of class X: per body a {@code Kernel} constant carrying
 * the signature, a typed stage builder, an {@code Args} record that names a stage's arguments,
 * and the JVM binding (a loop over the body, as fast as a hand-written one). Generated names that
 * could meet a body's parameter names start with {@code $}.
 */
final class JvmSource {
    private JvmSource() {}

    static String of(List<KernelBody> bodies) {
        KernelBody first = bodies.get(0);
        Src s = new Src();
        if (!first.packageName().isEmpty()) {
            s.line("package " + first.packageName() + ";");
            s.line("");
        }
        s.line("import java.util.List;");
        s.line("");
        s.line("import leviathan.graph.FloatSlice;");
        s.line("import leviathan.graph.IntSlice;");
        s.line("import leviathan.graph.Kernel;");
        s.line("import leviathan.graph.Stage;");
        s.line("");
        s.line("/**");
        s.line(" * The kernels of {@link " + first.className() + "}, derived from their bodies' signatures by the kernel");
        s.line(" * processor (generated: edit the bodies, not this file).");
        s.line(" */");
        s.line("@javax.annotation.processing.Generated(\"leviathan.kernels.processor.KernelProcessor\")");
        s.line("public final class " + first.className() + "Kernels {");
        s.line("    private " + first.className() + "Kernels() {}");
        for (KernelBody b : bodies) {
            kernel(s, b);
        }
        List<String> names = new ArrayList<>();
        bodies.forEach(b -> names.add(b.constantName()));
        s.line("");
        s.line("    /** Every kernel of {@link " + first.className() + "}. */");
        s.line("    public static final List<Kernel> ALL = List.of(" + String.join(", ", names) + ");");
        s.line("}");
        return s.toString();
    }

    private static void kernel(Src s, KernelBody b) {
        String body = b.className() + "#" + b.method();
        s.line("");
        s.line("    /** {@link " + body + "} as a kernel: its name, signature and JVM binding. */");
        s.line("    public static final Kernel " + b.constantName() + " = new Kernel(\"" + b.kernelName() + "\", \""
                + b.qualifiedClass() + "." + b.method() + "\", " + b.dims() + ", List.of(");
        for (int i = 0; i < b.args().size(); i++) {
            s.line("            " + param(b.args().get(i)) + (i + 1 < b.args().size() ? "," : "),"));
        }
        if (b.args().isEmpty()) {
            s.line("            ),");
        }
        s.line("            " + b.className() + "Kernels::" + b.binderName() + ");");
        argsRecord(s, b);
        builder(s, b);
        binder(s, b);
    }

    private static String param(Arg a) {
        if (!a.kind().buffer()) {
            return "Kernel.Param.scalar(\"" + a.name() + "\", Kernel.Kind." + a.kind() + ")";
        }
        return "Kernel.Param.buffer(\"" + a.name() + "\", Kernel.Kind." + a.kind() + ", Kernel.Access." + a.access() + ", " + a.optional() + ")";
    }

    private static String components(KernelBody b) {
        List<String> out = new ArrayList<>();
        for (Arg a : b.args()) {
            out.add(a.kind().stageType + " " + a.name());
        }
        return String.join(", ", out);
    }

    private static void argsRecord(Src s, KernelBody b) {
        s.line("");
        s.line("    /** The arguments of a {@link #" + b.constantName() + "} stage, by the body's names. */");
        s.line("    public record " + b.argsRecord() + "(" + components(b) + ") {");
        s.line("        /** The arguments of {@code stage}, which must be a stage of {@link #" + b.constantName() + "}. */");
        s.line("        public static " + b.argsRecord() + " of(Stage stage) {");
        s.line("            stage.requireKernel(" + b.constantName() + ");");
        List<String> gets = new ArrayList<>();
        for (int i = 0; i < b.args().size(); i++) {
            gets.add("stage." + b.args().get(i).kind().accessor + "(" + i + ")");
        }
        s.line("            return new " + b.argsRecord() + "(" + String.join(", ", gets) + ");");
        s.line("        }");
        s.line("    }");
    }

    private static void builder(Src s, KernelBody b) {
        List<String> names = new ArrayList<>();
        b.args().forEach(a -> names.add(a.name()));
        s.line("");
        s.line("    /** A stage of {@link #" + b.constantName() + "}; the declaring factory has checked the sizes. */");
        s.line("    public static Stage " + b.method() + "(String $name, int[] $extent, double $flops, double $bytes"
                + (b.args().isEmpty() ? "" : ", " + components(b)) + ") {");
        s.line("        return new Stage($name, " + b.constantName() + ", $extent, $flops, $bytes" + (names.isEmpty() ? "" : ", " + String.join(", ", names)) + ");");
        s.line("    }");
    }

    private static void binder(Src s, KernelBody b) {
        s.line("");
        s.line("    private static Kernel.RangeBody " + b.binderName() + "(Stage $stage) {");
        s.line("        " + b.argsRecord() + " $a = " + b.argsRecord() + ".of($stage);");
        List<String> call = new ArrayList<>();
        for (Arg a : b.args()) {
            if (a.kind().buffer()) {
                String none = a.kind() == Kind.FLOATS ? "Kernel.NO_FLOATS" : "Kernel.NO_INTS";
                if (a.optional()) {
                    s.line("        " + a.kind().javaType + " " + a.name() + " = $a." + a.name() + "() == null ? " + none + " : $a." + a.name() + "().array;");
                    s.line("        int " + a.offsetName() + " = $a." + a.name() + "() == null ? -1 : $a." + a.name() + "().offset;");
                } else {
                    s.line("        " + a.kind().javaType + " " + a.name() + " = $a." + a.name() + "().array;");
                    s.line("        int " + a.offsetName() + " = $a." + a.name() + "().offset;");
                }
                call.add(a.name());
                call.add(a.offsetName());
            } else {
                s.line("        " + a.kind().javaType + " " + a.name() + " = $a." + a.name() + "();");
                call.add(a.name());
            }
        }
        call.add("$i0");
        if (b.dims() == 2) {
            s.line("        int $n1 = $stage.extent[1];");
            call.add("$i1");
        }
        s.line("        return ($from, $to) -> {");
        s.line("            for (int $i0 = $from; $i0 < $to; $i0++) {");
        String invoke = b.className() + "." + b.method() + "(" + String.join(", ", call) + ");";
        if (b.dims() == 2) {
            s.line("                for (int $i1 = 0; $i1 < $n1; $i1++) {");
            s.line("                    " + invoke);
            s.line("                }");
        } else {
            s.line("                " + invoke);
        }
        s.line("            }");
        s.line("        };");
        s.line("    }");
    }

    /** A source text being written, a line at a time. */
    static final class Src {
        private final StringBuilder sb = new StringBuilder();

        void line(String text) {
            sb.append(text).append('\n');
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }
}
