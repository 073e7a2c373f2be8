package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A tiny finished run that a test class trains once and its tests share (reading it, or copying it
 * before they change anything): {@code @RegisterExtension static final TrainedRun TINY = new
 * TrainedRun(2000, "--steps=3")} trains {@link CliRunner#train} on {@code chars} characters of
 * {@link CliRunner#text} before the class's tests, and deletes it after them.
 */
final class TrainedRun implements BeforeAllCallback, AfterAllCallback {
    private final int chars;
    private final String[] options;
    private Path dir;

    TrainedRun(int chars, String... options) {
        this.chars = chars;
        this.options = options.clone();
    }

    /** The text it was trained on. */
    Path data() {
        return dir.resolve("data.txt");
    }

    /** Its run directory. */
    Path run() {
        return dir.resolve("run");
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("leviathan-trained-run");
        CliRunner.textFile(dir, chars);
        List<String> argv = new ArrayList<>(List.of("--data=" + data(), "--out=" + run()));
        argv.addAll(List.of(options));
        CliRunner.Result r = CliRunner.train(argv.toArray(new String[0]));
        assertEquals(0, r.code(), r.toString());
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
