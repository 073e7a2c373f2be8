package leviathan.tools;

import static leviathan.tools.CliRunner.assertCleanError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonParser;

import leviathan.trainer.RunDirectory;
import leviathan.trainer.RunLock;

/** Signals, the one-writer lock and a full disk, each on a real child process. */
class RunDirectoryFaultsTest {
    @TempDir
    Path tmp;
    Path data;

    @BeforeEach
    void data() throws IOException {
        data = CliRunner.textFile(tmp, 2000);
    }

    private Process longRun(Path out, Map<String, String> env, String log) throws IOException {
        return ChildCli.start(tmp.resolve(log), env, ChildCli.tinyRun(data, out, 100_000).toArray(new String[0]));
    }

    private static int lastLoggedStep(Path run) throws IOException {
        List<String> lines = Files.readAllLines(run.resolve(RunDirectory.METRICS));
        return JsonParser.parseString(lines.get(lines.size() - 1)).getAsJsonObject().get("step").getAsInt();
    }

    @Test
    void sigtermAndSighupFinishTheStepSaveAndExitWith143And129() throws Exception {
        for (String[] sig : new String[][] {{"TERM", "143"}, {"HUP", "129"}}) {
            Path out = tmp.resolve("run-" + sig[0]);
            Process p = longRun(out, Map.of(), sig[0] + ".log");
            assertTrue(ChildCli.awaitLines(p, out.resolve(RunDirectory.METRICS), 5, 60_000), "the run did not start");
            ChildCli.signal(p, sig[0]);
            assertEquals(Integer.parseInt(sig[1]), p.waitFor(), Files.readString(tmp.resolve(sig[0] + ".log")));
            int step = lastLoggedStep(out);
            assertEquals(step, RunDirectory.stepOf(new RunDirectory(out).latest()), "the last step was not saved");
            assertTrue(Files.readString(tmp.resolve(sig[0] + ".log")).contains("checkpoint saved in " + out), "no word of the save");
        }
    }

    @Test
    void aSecondSignalDuringASaveWaitsForTheCommit() throws Exception {
        Path out = tmp.resolve("run");
        // Saves take ~0.9 s here, so the second signal lands inside the one the first signal asked for.
        Process p = longRun(out, Map.of("LEVIATHAN_FAULT_SAVE_PAUSE_MS", "300"), "run.log");
        assertTrue(ChildCli.awaitLines(p, out.resolve(RunDirectory.METRICS), 2, 60_000), "the run did not start");
        ChildCli.signal(p, "TERM");
        long end = System.currentTimeMillis() + 30_000;
        while (!FaultInjectionTest.hasIncompleteSet(out) && System.currentTimeMillis() < end) {
            Thread.sleep(5);
        }
        int saving = lastLoggedStep(out);
        ChildCli.signal(p, "TERM");
        assertEquals(143, p.waitFor(), Files.readString(tmp.resolve("run.log")));
        assertFalse(FaultInjectionTest.hasIncompleteSet(out), "the save was torn");
        RunDirectory run = new RunDirectory(out);
        assertTrue(RunDirectory.stepOf(run.latest()) >= saving, "the save in progress was not committed");
        FaultInjectionTest.assertCommittedSetsAreWhole(run);
        assertTrue(Files.readString(tmp.resolve("run.log")).contains("quitting as soon as it is"), Files.readString(tmp.resolve("run.log")));
    }

    @Test
    void aRunDirectoryHasOneWriterAndAnyNumberOfReaders() throws Exception {
        Path out = tmp.resolve("run");
        Process p = longRun(out, Map.of("LEVIATHAN_FAULT_SAVE_PAUSE_MS", "20"), "writer.log");
        try {
            assertTrue(ChildCli.awaitLines(p, out.resolve(RunDirectory.METRICS), 3, 60_000), "the run did not start");
            String holder = "pid " + p.pid();
            assertCleanError(CliRunner.train("--data=" + data, "--out=" + out, "--resume"), 1, holder);
            assertCleanError(CliRunner.train("--data=" + data, "--out=" + out), 1, holder);
            assertTrue(CliRunner.train("--data=" + data, "--out=" + out).err().contains(out.toString()));
            // Readers do not need the lock.
            assertEquals(0, CliRunner.run("info", "--checkpoint=" + out).code());
            assertEquals(0, CliRunner.run("eval", "--checkpoint=" + out, "--data=" + data, "--threads=1").code());
            assertEquals(0, CliRunner.run("sample", "--checkpoint=" + out, "--length=5", "--threads=1").code());
            assertTrue(p.isAlive(), "the writer was disturbed");
        } finally {
            p.destroyForcibly().waitFor();
        }
        // The lock died with its holder: the run resumes.
        CliRunner.Result r = CliRunner.train("--data=" + data, "--out=" + out, "--resume", "--steps=" + (lastLoggedStep(out) + 2));
        assertEquals(0, r.code(), r.toString());
        assertTrue(Files.readString(out.resolve(RunLock.FILE)).trim().matches("\\d+"));
    }

    /** A tmpfs of a few hundred KiB (CI runs as root); skipped, saying why, where it cannot be mounted. */
    @Test
    void aFullDiskStopsTheRunNamingThePathAndTheCommittedSetSurvives() throws Exception {
        Path mount = Files.createDirectories(tmp.resolve("tiny"));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=900k", "tmpfs", mount.toString()).redirectErrorStream(true).start();
        String why = new String(m.getInputStream().readAllBytes());
        assumeTrue(m.waitFor() == 0, "cannot mount a tmpfs here (needs root): " + why.trim());
        try {
            Path out = mount.resolve("run");
            CliRunner.Result first = CliRunner.train("--data=" + data, "--out=" + out, "--steps=5", "--eval_interval=0");
            assertEquals(0, first.code(), first.toString());
            Map<String, byte[]> committed = BadInputTest.snapshot(out);
            // Fill the disk to within a few KiB, far less than a checkpoint set needs.
            Path filler = mount.resolve("filler");
            long free = Files.getFileStore(mount).getUsableSpace();
            Files.write(filler, new byte[(int) Math.max(0, free - 24 * 1024)]);
            CliRunner.Result full = CliRunner.train("--data=" + data, "--out=" + out, "--resume", "--steps=10", "--eval_interval=0");
            assertCleanError(full, 1, "no space left");
            assertTrue(full.err().contains(mount.toString()), "the message names no path: " + full);
            assertTrue(full.err().contains("MiB"), "the message says nothing of the size: " + full);
            BadInputTest.assertUnchanged(out, committed);
            Files.delete(filler);
            CliRunner.Result again = CliRunner.train("--data=" + data, "--out=" + out, "--resume", "--steps=10", "--eval_interval=0");
            assertEquals(0, again.code(), again.toString());
            assertEquals(10, RunDirectory.stepOf(new RunDirectory(out).latest()));
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor();
        }
    }
}
