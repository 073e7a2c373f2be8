package leviathan.tools;

import static leviathan.tools.CliRunner.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import leviathan.model.Safetensors;
import leviathan.trainer.StopSignal;
import leviathan.trainer.CheckpointSet;
import leviathan.trainer.RunDirectory;

/** Ctrl-C through the command line: exit code 130, a checkpoint, and a line on stdout saying where it is. */
class CliInterruptTest {
    @TempDir
    Path tmp;

    @AfterEach
    void clear() {
        StopSignal.clear();
    }

    @Test
    void interruptedTrainingExits130AndSaysWhereItSaved() throws Exception {
        Path data = CliRunner.writeText(tmp.resolve("data.txt"), CliRunner.text(2000));
        Path out = tmp.resolve("run");
        StopSignal.request();
        CliRunner.Result r = train("--data=" + data, "--out=" + out, "--steps=20", "--eval_interval=0");
        StopSignal.clear();
        assertEquals(130, r.code, r.toString());
        assertTrue(r.out.contains("interrupted at step 1; checkpoint saved in " + out), r.toString());
        assertTrue(r.errLines().isEmpty(), "an interrupt is not an error: " + r);
        assertEquals("1", Safetensors.read(out.resolve(CheckpointSet.MODEL_FILE)).metadata.get("step"));
        assertEquals("1", Safetensors.read(new RunDirectory(out).latest().resolve(CheckpointSet.OPTIMIZER_FILE)).metadata.get("step"));

        // The saved run resumes to the end.
        CliRunner.Result resumed = CliRunner.run("train", "--resume", "--out=" + out, "--data=" + data, "--threads=1");
        assertEquals(0, resumed.code, resumed.toString());
        assertTrue(resumed.out.contains("resuming " + out + " at step 1"), resumed.toString());
        assertEquals("20", Safetensors.read(out.resolve(CheckpointSet.MODEL_FILE)).metadata.get("step"));
    }
}
