package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import leviathan.trainer.CheckpointSet;
import leviathan.trainer.Checkpoints;
import leviathan.trainer.RunDirectory;

/**
 * A run killed with SIGKILL at random moments (seeded: a failure reproduces), many of them in the
 * middle of a save, resumes every time from its last committed step, and in the end has exactly the
 * losses, metrics and model of a run that was never interrupted.
 */
class FaultInjectionTest {
    static final int STEPS = 45;
    static final int KILLS = 20;
    /** Each set's files are written with this pause between them, so that kills land mid-save. */
    static final Map<String, String> SLOW_SAVES = Map.of("LEVIATHAN_FAULT_SAVE_PAUSE_MS", "6");

    @TempDir
    Path tmp;

    @Test
    void aRunKilledAtRandomMomentsResumesToTheLossesOfAnUninterruptedOne() throws Exception {
        Path data = CliRunner.textFile(tmp, 2000);
        Path reference = tmp.resolve("reference"), killed = tmp.resolve("killed");
        Process ref = ChildCli.start(tmp.resolve("reference.log"), Map.of(), ChildCli.tinyRun(data, reference, STEPS).toArray(new String[0]));
        assertEquals(0, ref.waitFor(), Files.readString(tmp.resolve("reference.log")));

        Random random = new Random(20261202);
        RunDirectory run = new RunDirectory(killed);
        int kills = 0, midSave = 0, attempt = 0;
        List<String> history = new ArrayList<>();
        while (true) {
            List<String> args = ChildCli.tinyRun(data, killed, STEPS);
            if (run.hasCheckpoint()) {
                args.add("--resume");
            }
            Path log = tmp.resolve("attempt-" + attempt++ + ".log");
            Process p = ChildCli.start(log, SLOW_SAVES, args.toArray(new String[0]));
            if (kills == KILLS) {
                assertEquals(0, p.waitFor(), Files.readString(log));
                break;
            }
            // Kill at a random moment after this session has trained a step (JVM start-up is no fault worth testing).
            int before = Files.exists(run.metrics()) ? Files.readAllLines(run.metrics()).size() : 0;
            ChildCli.awaitLines(p, run.metrics(), before + 1, 60_000);
            Thread.sleep(random.nextInt(200));
            if (!p.isAlive()) {
                assertEquals(0, p.waitFor(), Files.readString(log));
                break; // it finished before this kill; fewer kills, checked below
            }
            p.destroyForcibly().waitFor();
            kills++;
            List<String> lines = Files.readAllLines(log);
            history.add("kill " + kills + ": " + (lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1)));
            if (hasIncompleteSet(killed)) {
                midSave++;
            }
            assertCommittedSetsAreWhole(run);
            assertTrue(attempt < 200, "no progress");
        }
        System.out.println("fault injection: " + kills + " SIGKILLs (" + midSave + " during a save) over " + attempt + " sessions");
        assertTrue(kills >= KILLS, "only " + kills + " kills landed before the run finished; make it longer");
        assertTrue(midSave >= 3, "only " + midSave + " of " + kills + " kills landed in a save:\n" + String.join("\n", history));
        assertEquals(stepLosses(reference.resolve(RunDirectory.METRICS)), stepLosses(killed.resolve(RunDirectory.METRICS)),
                "the metrics after " + kills + " kills differ from the uninterrupted run's");
        assertArrayEquals(Files.readAllBytes(reference.resolve(CheckpointSet.MODEL_FILE)), Files.readAllBytes(killed.resolve(CheckpointSet.MODEL_FILE)),
                "the final model differs from the uninterrupted run's");
        assertArrayEquals(Files.readAllBytes(new RunDirectory(reference).latest().resolve(CheckpointSet.OPTIMIZER_FILE)),
                Files.readAllBytes(run.latest().resolve(CheckpointSet.OPTIMIZER_FILE)), "the final optimizer state differs");
    }

    static boolean hasIncompleteSet(Path runDir) throws IOException {
        Path checkpoints = runDir.resolve(RunDirectory.CHECKPOINTS);
        if (!Files.isDirectory(checkpoints)) {
            return false;
        }
        try (var s = Files.list(checkpoints)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(".incomplete-"));
        }
    }

    /** Every committed set opens: its model, optimizer and state are all there and readable. */
    static void assertCommittedSetsAreWhole(RunDirectory run) throws IOException {
        for (Path set : run.sets()) {
            Checkpoints.Resolved r = Checkpoints.resolve(set, null);
            assertEquals(RunDirectory.stepOf(set), r.step(), set.toString());
            assertTrue(Files.size(set.resolve(CheckpointSet.OPTIMIZER_FILE)) > 0, set.toString());
        }
    }

    /** (step, train_loss bits) of every training line, in file order; asserts the steps only increase. */
    static List<String> stepLosses(Path metrics) throws IOException {
        List<String> out = new ArrayList<>();
        int last = 0;
        for (String line : Files.readAllLines(metrics)) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (!o.has("train_loss")) {
                continue;
            }
            int step = o.get("step").getAsInt();
            assertTrue(step > last, "metrics go back in time: step " + step + " after " + last);
            last = step;
            out.add(step + ":" + Float.floatToRawIntBits(o.get("train_loss").getAsFloat()));
        }
        return out;
    }
}
