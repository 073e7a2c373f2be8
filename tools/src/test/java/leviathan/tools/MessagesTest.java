package leviathan.tools;

import static leviathan.tools.CliRunner.assertCleanError;
import static leviathan.tools.CliRunner.run;
import static leviathan.tools.CliRunner.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import leviathan.trainer.CheckpointSet;
import leviathan.trainer.RunDirectory;

/**
 * What a run accepted silently or answered in the wrong words before: unknown options (with the
 * name meant), thread counts, outputs that cannot be written (refused before the work), checkpoint
 * problems in the project's own words, options that contradict each other, leftovers of a failed
 * start, file modes, and text that cannot mean what the user wants.
 */
class MessagesTest {
    @RegisterExtension
    static final TrainedRun TINY = new TrainedRun(2000, "--steps=4", "--eval_interval=0");

    @TempDir
    Path tmp;

    @Test
    void unknownOptionsAreNamedWithTheOptionMeant() throws IOException {
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "--frobnicate"), 2, "unknown option --frobnicate for 'train'");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "--learning_rate=0.1"), 2, "nanoGPT's learning_rate is --lr");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "--warmpu=3"), 2, "did you mean --warmup?");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "--lags=4"), 2, "it is an option of leviathan");
        assertCleanError(run("info", "--tensor"), 2, "did you mean --tensors?");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "junk"), 2, "unexpected argument 'junk'");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "--steps=3", "--steps=4"), 2, "--steps is given twice");
        assertFalse(Files.exists(tmp.resolve("a")), "a refused start left a run directory");
    }

    @Test
    void aConfigFileGivesOptionsTheCommandLineOverridesAndNamesItsUnknownKeys() throws IOException {
        Path bad = CliRunner.writeText(tmp.resolve("bad.json"), "{\"steps\": 3, \"learning_rate\": 0.1}");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "--config=" + bad), 2, "unknown option 'learning_rate' in " + bad);
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "--config=" + tmp.resolve("none.json")), 1, "does not exist");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("a"), "--config=" + CliRunner.writeText(tmp.resolve("x.json"), "[1]")),
                1, "JSON object");
    }

    @Test
    void everyCommandTakesTheCommonOptionsAndThreadCountsAreBounded() {
        assertEquals(0, run("info", "--threads", "1").code());
        assertEquals(0, run("info", "--backend", "jvm").code());
        assertEquals(0, run("info", "--threads=0").code(), "0 means all cores");
        int tooMany = 4 * Runtime.getRuntime().availableProcessors() + 1;
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("t"), "--threads=" + tooMany), 2, "at most");
        assertCleanError(run("info", "--threads=-1"), 2, "0 means all cores");
    }

    @Test
    void outputsThatCannotBeWrittenAreRefusedBeforeTheWork() {
        CliRunner.Result approx = assertCleanError(run("approx", "--out=/proc/x"), 1, "cannot write");
        assertTrue(approx.err().contains("/proc/x"), approx.toString());
        assertFalse(approx.out().contains("error"), "the study ran before the output was checked: " + approx);
        assertEquals("", approx.out().strip(), "the study ran before the output was checked: " + approx);
        CliRunner.Result bench = assertCleanError(run("bench", "matmul", "--json=/proc/x/p.json"), 1, "cannot write --json /proc/x/p.json");
        assertEquals("", bench.out().strip(), "the benchmark ran before the output was checked: " + bench);
    }

    @Test
    void optionsThatContradictEachOtherAreRefused() {
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("m"), "--lr=1e-3", "--min_lr=1e-2"), 2, "above --lr");
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--top-k=-1"), 2, "--top-k");
    }

    @Test
    void resumingARunThatIsDoneSaysSoAndWritesNothing() throws IOException {
        Path dir = tmp.resolve("done");
        assertEquals(0, train("--data=" + TINY.data(), "--out=" + dir, "--steps=4", "--eval_interval=0").code());
        var before = BadInputTest.snapshot(dir);
        CliRunner.Result r = run("train", "--resume", "--out=" + dir, "--data=" + TINY.data(), "--steps=3");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("nothing to do") && r.out().contains("at step 4"), r.toString());
        BadInputTest.assertUnchanged(dir, before);
        // Options equal to the run's own are accepted on resume; a different one is not.
        CliRunner.Result same = run("train", "--resume", "--out=" + dir, "--data=" + TINY.data(), "--mixer=attention", "--width=16", "--steps=5");
        assertEquals(0, same.code(), same.toString());
        assertCleanError(run("train", "--resume", "--out=" + dir, "--data=" + TINY.data(), "--width=32"), 2, "cannot change on --resume");
    }

    @Test
    void everyCommandHasItsHelpWithEveryValueFilledIn() {
        CliRunner.Result list = run("--help");
        assertEquals(0, list.code());
        for (String name : Main.COMMANDS.keySet()) {
            CliRunner.Result r = run(name, "--help");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().startsWith("usage: leviathan " + name), r.out());
            assertFalse(r.out().contains("{{"), "a placeholder left in the help of " + name + ":\n" + r.out());
            assertTrue(list.out().contains(String.format("  %-8s %s", name, HelpText.summary(name))), list.out());
        }
        assertTrue(run("train", "--help").out().contains("--preset baby|seed|shakespeare"), "the presets come from the code");
        assertTrue(run("study", "--help").out().contains("2000 steps"), "the study's defaults come from the code");
    }

    @Test
    void aFailedStartLeavesNoRunDirectory() throws IOException {
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("b"), "--backend=foo"), 2, "unknown backend");
        assertFalse(Files.exists(tmp.resolve("b")));
        Path shortText = CliRunner.writeText(tmp.resolve("short.txt"), "abcde");
        assertCleanError(train("--data=" + shortText, "--out=" + tmp.resolve("c")), 1, "too short");
        assertFalse(Files.exists(tmp.resolve("c")));
        assertCleanError(run("compare", "--mixers=attention,bogus", "--data=" + TINY.data(), "--out=" + tmp.resolve("d")), 2, "unknown mixer");
        assertFalse(Files.exists(tmp.resolve("d")));
        assertCleanError(run("scale", "--mixers=bogus", "--out=" + tmp.resolve("e")), 2, "unknown mixer");
        assertFalse(Files.exists(tmp.resolve("e")));
    }

    @Test
    void checkpointProblemsAreReportedInTheProjectsOwnWords() throws IOException {
        byte[] bytes = Files.readAllBytes(TINY.run().resolve(CheckpointSet.MODEL_FILE));
        // A vocabulary that is not JSON: no parser's text reaches the user.
        Path vocab = tmp.resolve("vocab.safetensors");
        Files.write(vocab, BadInputTest.editHeader(bytes, "\"vocab\":\"[", "\"vocab\":\"{"));
        CliRunner.Result v = assertCleanError(run("info", "--checkpoint=" + vocab), 1, "vocabulary");
        assertFalse(v.err().contains("Expected") || v.err().contains("JsonSyntax") || v.err().contains("line 1 column"), v.toString());
        // Absurd sizes in the metadata are a bad checkpoint (exit 1), not a usage error.
        Path huge = tmp.resolve("huge.safetensors");
        Files.write(huge, BadInputTest.editHeader(bytes, "\\\"layers\\\":2", "\\\"layers\\\":9"));
        assertCleanError(run("info", "--checkpoint=" + huge), 1, "");
        // NaN in the weights: refused at load, naming the tensor.
        Path nan = tmp.resolve("nan.safetensors");
        Files.write(nan, withNaN(bytes));
        assertCleanError(run("eval", "--checkpoint=" + nan, "--data=" + TINY.data()), 1, "holds NaN");
        assertCleanError(run("sample", "--checkpoint=" + nan), 1, "tensor");
    }

    /** The file with its first float after the header set to NaN. */
    static byte[] withNaN(byte[] file) {
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] out = file.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) (8 + n), Float.NaN);
        return out;
    }

    @Test
    void filesGetTheModesTheUmaskGives() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "umask").start();
        int umask = Integer.parseInt(new String(p.getInputStream().readAllBytes()).trim(), 8);
        p.waitFor();
        Set<PosixFilePermission> want = PosixFilePermissions.fromString(permissions(0666 & ~umask));
        RunDirectory r = new RunDirectory(TINY.run());
        for (Path f : new Path[] {r.modelFile(), r.latest().resolve(CheckpointSet.OPTIMIZER_FILE), r.metrics(), r.configFile()}) {
            assertEquals(want, Files.getPosixFilePermissions(f), f + " (umask " + Integer.toOctalString(umask) + ")");
        }
    }

    private static String permissions(int mode) {
        StringBuilder sb = new StringBuilder();
        for (int shift = 6; shift >= 0; shift -= 3) {
            int m = (mode >> shift) & 7;
            sb.append((m & 4) != 0 ? 'r' : '-').append((m & 2) != 0 ? 'w' : '-').append((m & 1) != 0 ? 'x' : '-');
        }
        return sb.toString();
    }

    @Test
    void textThatCannotMeanWhatTheUserWantsGetsAWarning() throws IOException {
        Path one = CliRunner.writeText(tmp.resolve("one.txt"), "a".repeat(500));
        CliRunner.Result r = train("--data=" + one, "--out=" + tmp.resolve("one"), "--steps=2", "--eval_interval=0");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("warning:") && r.out().contains("nothing to predict"), r.toString());
        Path crlf = CliRunner.writeText(tmp.resolve("crlf.txt"), CliRunner.text(2000).replace("\n", "\r\n"));
        CliRunner.Result c = train("--data=" + crlf, "--out=" + tmp.resolve("crlf"), "--steps=2", "--eval_interval=0");
        assertEquals(0, c.code(), c.toString());
        assertTrue(c.out().contains("carriage returns"), c.toString());
    }
}
