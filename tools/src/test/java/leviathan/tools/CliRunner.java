package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Runs {@link Main#run} with System.out and System.err captured; shared by the CLI tests. */
final class CliRunner {
    private CliRunner() {}

    /** A tiny model and quick training so a CLI run takes well under a second. */
    static final String[] TINY = {"--layers=2", "--heads=2", "--width=16", "--context=8", "--batch=2", "--eval_iters=1",
            "--sample_chars=0", "--threads=1", "--warmup=1", "--lr=1e-2"};

    /** A command's exit code and what it printed. */
    record Result(int code, String out, String err) {
        List<String> errLines() {
            List<String> lines = new ArrayList<>();
            for (String l : err.split("\\R")) {
                if (!l.isBlank()) {
                    lines.add(l);
                }
            }
            return lines;
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    static synchronized Result run(String... argv) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run(argv);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** {@code train} with the {@link #TINY} options, each replaced by an {@code extra} option of the same name. */
    static Result train(String... extra) {
        List<String> a = new ArrayList<>();
        a.add("train");
        for (String t : TINY) {
            String key = t.substring(0, t.indexOf('=') + 1);
            if (Arrays.stream(extra).noneMatch(e -> e.startsWith(key))) {
                a.add(t);
            }
        }
        a.addAll(Arrays.asList(extra));
        return run(a.toArray(new String[0]));
    }

    /**
     * A failure reported as the issue asks: a non-zero exit code (the given one, if not 0), exactly one
     * line on stderr, starting with "error:", mentioning {@code fragment} (case-insensitive), and no
     * stack trace.
     */
    static Result assertCleanError(Result r, int expectedCode, String fragment) {
        assertNotEquals(0, r.code(), r.toString());
        if (expectedCode != 0) {
            assertEquals(expectedCode, r.code(), r.toString());
        }
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), "expected exactly one line on stderr:\n" + r);
        String line = lines.get(0);
        assertTrue(line.startsWith("error: "), "stderr line should start with 'error:':\n" + r);
        assertFalse(line.startsWith("error: internal error"), "an internal error, not a clear message:\n" + r);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Caused by"), "stack trace without --debug:\n" + r);
        assertTrue(line.toLowerCase(Locale.ROOT).contains(fragment.toLowerCase(Locale.ROOT)),
                "message should mention '" + fragment + "':\n" + r);
        return r;
    }

    static String text(int n) {
        String[] lines = {
            "the cat sat on the mat.\n",
            "a dog ran to the big red barn.\n",
            "we sing when the sun is up.\n",
            "quick brown foxes jump over lazy dogs.\n",
        };
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (sb.length() < n) {
            sb.append(lines[i++ % lines.length]);
        }
        return sb.substring(0, n);
    }

    /** {@code dir/data.txt} holding {@link #text}(n): the corpus most CLI tests train on. */
    static Path textFile(Path dir, int n) throws IOException {
        return writeText(dir.resolve("data.txt"), text(n));
    }

    static Path writeText(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }
}
