package leviathan.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * What the kernel bodies' source must avoid because TornadoVM compiles it wrongly, checked on the source
 * since CI has no TornadoVM: {@code >>>} on an int, which TornadoVM 5.2's OpenCL code generator emits as
 * C's signed {@code >>} (dropout's masks differed on PoCL until its hash used a shift and a mask).
 */
class KernelSourceTest {
    private static final Path BODIES = Path.of("..", "tornado-kernels", "src", "main", "java", "leviathan", "kernels");

    @Test
    void noKernelBodyUsesAnUnsignedShift() throws IOException {
        assertTrue(Files.isDirectory(BODIES), "kernel bodies not found at " + BODIES.toAbsolutePath());
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> paths = Files.list(BODIES)) {
            for (Path p : paths.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                files++;
                String[] lines = withoutComments(Files.readString(p)).split("\n", -1);
                for (int i = 0; i < lines.length; i++) {
                    if (lines[i].contains(">>>")) {
                        found.add(p.getFileName() + ":" + (i + 1) + ": " + lines[i].trim());
                    }
                }
            }
        }
        assertTrue(files >= 10, "only " + files + " kernel body files under " + BODIES);
        assertTrue(found.isEmpty(), "unsigned shifts in kernel bodies (write (x >> s) & mask):\n" + String.join("\n", found));
    }

    /** The source with comments blanked out, line breaks kept (so line numbers stay right). */
    static String withoutComments(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int i = 0;
        while (i < src.length()) {
            if (src.startsWith("/*", i)) {
                int end = src.indexOf("*/", i + 2);
                end = end < 0 ? src.length() : end + 2;
                src.substring(i, end).chars().filter(c -> c == '\n').forEach(c -> out.append('\n'));
                i = end;
            } else if (src.startsWith("//", i)) {
                int end = src.indexOf('\n', i);
                i = end < 0 ? src.length() : end;
            } else {
                out.append(src.charAt(i++));
            }
        }
        return out.toString();
    }
}
