package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;

import leviathan.trainer.RunDirectory;

/**
 * An interrupted study resumes its cells and ends with the results of an uninterrupted one: a cell
 * trained partway (train --stop-at) continues from its checkpoint, a cell whose start was killed
 * before its first checkpoint starts again without its stale metrics, and a study process killed with
 * SIGKILL in the middle of a cell resumes that cell from its last committed checkpoint.
 */
class StudyResumeTest {
    @TempDir
    Path tmp;

    /** The train options the study gives a cell of this grid. */
    static Map<String, String> cellOptions(List<String> studyArgs, StudyGrid.Cell cell) {
        StudyGrid grid = StudyGrid.parse(new Args(studyArgs.subList(1, studyArgs.size()).toArray(new String[0]), Set.of("debug")));
        return grid.trainOptions(cell);
    }

    static double valLoss(Path cell) throws IOException {
        return StudyCommandTest.json(cell.resolve(CellResult.FILE)).get("val_loss").getAsDouble();
    }

    @Test
    void aCellTrainedPartwayResumesAndAKilledStartStartsAgain() throws IOException {
        Path data = CliRunner.textFile(tmp, 4000);
        Path reference = tmp.resolve("reference"), interrupted = tmp.resolve("interrupted");
        List<String> one = List.of("--mixers=attention", "--contexts=8");
        CliRunner.Result straight = StudyCommandTest.run(StudyCommandTest.grid(data, reference, one.toArray(new String[0])));
        assertEquals(0, straight.code(), straight.toString());

        List<String> args = StudyCommandTest.grid(data, interrupted, one.toArray(new String[0]));
        StudyGrid.Cell partway = new StudyGrid.Cell(8, "attention", 2), killedStart = new StudyGrid.Cell(8, "attention", 1);
        List<String> train = new ArrayList<>(List.of("train", "--out=" + partway.dir(interrupted), "--stop-at=5", "--threads=1"));
        cellOptions(args, partway).forEach((k, v) -> train.add("--" + k + "=" + v));
        CliRunner.Result stopped = CliRunner.run(train.toArray(new String[0]));
        assertEquals(0, stopped.code(), stopped.toString());
        assertTrue(stopped.out().contains("stopped at step 5"), stopped.out());
        // A start killed before its first checkpoint: a config and metrics lines that no checkpoint vouches for.
        Path stale = killedStart.dir(interrupted);
        Files.createDirectories(stale);
        Files.writeString(stale.resolve(RunDirectory.METRICS), "{\"step\":1,\"train_loss\":9.0,\"elapsed_s\":0.1}\n");

        CliRunner.Result resumed = StudyCommandTest.run(args);
        assertEquals(0, resumed.code(), resumed.toString());
        assertTrue(resumed.out().contains("0 finished before, 2 to run"), resumed.out());
        assertTrue(resumed.out().contains("resuming from step 5"), resumed.out());
        assertTrue(Files.readString(partway.dir(interrupted).resolve(CellRunner.LOG)).contains("resuming " + partway.dir(interrupted) + " at step 5"));
        for (long seed : new long[] {1, 2}) {
            StudyGrid.Cell c = new StudyGrid.Cell(8, "attention", seed);
            assertEquals(valLoss(c.dir(reference)), valLoss(c.dir(interrupted)), 0.0, c.label() + ": the resumed cell's loss");
            assertEquals(FaultInjectionTest.stepLosses(c.dir(reference).resolve(RunDirectory.METRICS)),
                    FaultInjectionTest.stepLosses(c.dir(interrupted).resolve(RunDirectory.METRICS)), c.label() + ": per-step losses");
        }
        assertTrue(Files.readString(stale.resolve("metrics.removed.jsonl")).contains("\"train_loss\":9.0"), "the stale lines are kept aside");
        assertEquals(Files.readString(reference.resolve(StudyCommand.TABLE)).replaceAll("\\| [0-9,]+ \\| [0-9.]+ [KM]iB \\| [0-9ms]+ \\|", ""),
                Files.readString(interrupted.resolve(StudyCommand.TABLE)).replaceAll("\\| [0-9,]+ \\| [0-9.]+ [KM]iB \\| [0-9ms]+ \\|", ""),
                "the same table but for speed and time");
    }

    @Test
    void aStudyKilledInTheMiddleOfACellResumesIt() throws Exception {
        Path data = CliRunner.textFile(tmp, 4000);
        Path killed = tmp.resolve("killed"), reference = tmp.resolve("reference");
        // 40 steps with a checkpoint after each, written slowly, so the kill lands in the middle of the cell.
        String[] longer = {"--mixers=attention", "--contexts=8", "--seeds=1", "--steps=40", "--checkpoint_interval=1", "--eval_interval=20"};
        List<String> args = StudyCommandTest.grid(data, killed, longer);
        StudyGrid.Cell cell = new StudyGrid.Cell(8, "attention", 1);
        RunDirectory run = new RunDirectory(cell.dir(killed));
        Process p = ChildCli.start(tmp.resolve("child.log"), FaultInjectionTest.SLOW_SAVES, args.toArray(new String[0]));
        try {
            assertTrue(ChildCli.awaitLines(p, run.metrics(), 10, 120_000), "the child trained no 10 steps:\n" + Files.readString(tmp.resolve("child.log")));
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertTrue(run.hasCheckpoint(), "a checkpoint was committed before the kill");
        assertFalse(Files.exists(cell.dir(killed).resolve(CellResult.FILE)), "the cell was killed before it finished");
        int committed = RunDirectory.stepOf(run.latest());
        assertTrue(committed > 0 && committed < 40, "killed at step " + committed);

        CliRunner.Result resumed = StudyCommandTest.run(args);
        assertEquals(0, resumed.code(), resumed.toString());
        assertTrue(resumed.out().contains("resuming from step "), resumed.out());
        CliRunner.Result straight = StudyCommandTest.run(StudyCommandTest.grid(data, reference, longer));
        assertEquals(0, straight.code(), straight.toString());
        JsonObject a = StudyCommandTest.json(cell.dir(reference).resolve(CellResult.FILE));
        JsonObject b = StudyCommandTest.json(cell.dir(killed).resolve(CellResult.FILE));
        assertEquals(a.get("val_loss").getAsDouble(), b.get("val_loss").getAsDouble(), 0.0, "the killed cell's loss");
        assertEquals(FaultInjectionTest.stepLosses(run.metrics()), FaultInjectionTest.stepLosses(cell.dir(reference).resolve(RunDirectory.METRICS)));
    }
}
