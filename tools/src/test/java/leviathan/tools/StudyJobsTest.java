package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code study --emit-jobs}: one shell command line per unfinished cell and none for the finished
 * ones; each line, read back by a real shell and run, trains and evaluates exactly its cell; once all
 * have run, the study has nothing left to do and builds its table.
 */
class StudyJobsTest {
    @TempDir
    Path tmp;

    @Test
    void emitJobsListsTheUnfinishedCellsAndEachLineProducesItsCell() throws Exception {
        Path data = CliRunner.textFile(tmp, 4000);
        Path out = tmp.resolve("study"), jobs = tmp.resolve("jobs.txt");
        String[] grid = {"--contexts=8"};
        CliRunner.Result some = StudyCommandTest.run(StudyCommandTest.grid(data, out, concat(grid, "--only=mixer=attention")));
        assertEquals(0, some.code(), some.toString());
        assertTrue(some.out().contains("are finished; when every cell is"), some.out());
        assertEquals(Set.of("T8/attention/seed1", "T8/attention/seed2"), cells(out));

        CliRunner.Result emitted = StudyCommandTest.run(StudyCommandTest.grid(data, out, concat(grid, "--emit-jobs=" + jobs)));
        assertEquals(0, emitted.code(), emitted.toString());
        assertEquals(Set.of("T8/attention/seed1", "T8/attention/seed2"), cells(out), "--emit-jobs trains nothing");
        List<String> lines = Files.readAllLines(jobs);
        assertEquals(2, lines.size(), "one line per unfinished cell:\n" + String.join("\n", lines));
        List<String> expected = List.of("T=8,mixer=performer,seed=1", "T=8,mixer=performer,seed=2");
        for (int i = 0; i < lines.size(); i++) {
            List<String> words = shellWords(lines.get(i));
            assertEquals("./leviathan", words.get(0), "the launcher (the leviathan script sets its own path)");
            assertEquals("study", words.get(1));
            assertEquals("--only=" + expected.get(i), words.get(words.size() - 1));
            assertTrue(words.contains("--out=" + out.toAbsolutePath().normalize()), words.toString());
            Set<String> before = cells(out);
            CliRunner.Result job = CliRunner.run(words.subList(1, words.size()).toArray(new String[0]));
            assertEquals(0, job.code(), job.toString());
            Set<String> after = cells(out);
            after.removeAll(before);
            assertEquals(Set.of("T8/performer/seed" + (i + 1)), after, "the line of " + expected.get(i) + " produced exactly its cell");
        }
        CliRunner.Result none = StudyCommandTest.run(StudyCommandTest.grid(data, out, concat(grid, "--emit-jobs=" + jobs)));
        assertEquals(0, none.code(), none.toString());
        assertEquals(List.of(), Files.readAllLines(jobs), "every cell is finished");
        assertTrue(none.out().contains("wrote 0 job lines"), none.out());

        CliRunner.Result table = StudyCommandTest.run(StudyCommandTest.grid(data, out, grid));
        assertEquals(0, table.code(), table.toString());
        assertTrue(table.out().contains("4 finished before, 0 to run"), "the cells the jobs ran are this study's:\n" + table.out());
        assertTrue(Files.readString(out.resolve(StudyCommand.TABLE)).contains("| performer |"));
    }

    @Test
    void wordsWithSpecialCharactersAreQuotedForTheShell() throws Exception {
        List<String> words = List.of("plain-word_1.txt", "with space", "it's", "$HOME", "a\"b", "--only=T=8,mixer=x,seed=1");
        StringBuilder line = new StringBuilder();
        for (String w : words) {
            line.append(StudyCommand.shellQuoted(w)).append(' ');
        }
        assertEquals(words, shellWords(line.toString()));
        assertEquals("plain-word_1.txt", StudyCommand.shellQuoted("plain-word_1.txt"), "plain words stay readable");
    }

    /** The words a POSIX shell makes of {@code line}. */
    static List<String> shellWords(String line) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", "eval \"set -- $1\"; printf '%s\\0' \"$@\"", "sh", line).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), new String(out, StandardCharsets.UTF_8));
        String all = new String(out, StandardCharsets.UTF_8);
        return new ArrayList<>(Arrays.asList(all.substring(0, all.length() - 1).split("\0", -1)));
    }

    /** The cells with a result, as T…/mixer/seed… paths. */
    static Set<String> cells(Path study) throws IOException {
        Set<String> cells = new TreeSet<>();
        try (var s = Files.walk(study)) {
            s.filter(p -> p.getFileName().toString().equals(CellResult.FILE))
                    .forEach(p -> cells.add(study.relativize(p.getParent()).toString().replace('\\', '/')));
        }
        return cells;
    }

    static String[] concat(String[] a, String... b) {
        String[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
