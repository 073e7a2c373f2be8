package leviathan.tools;

import static leviathan.tools.CliRunner.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import leviathan.model.Safetensors;
import leviathan.trainer.CheckpointSet;
import leviathan.trainer.RunDirectory;
import leviathan.trainer.StopSignal;

/**
 * Resume exactness through the command line: {@code train --stop-at=10} then {@code train --resume}
 * logs the same per-step train_loss values in metrics.jsonl as 20 steps straight, and ends with the
 * same checkpoint bytes (JVM backend, 2 threads both times).
 */
class CliResumeTest {
    @TempDir
    Path tmp;

    static final String[] RUN = {"--steps=20", "--eval_interval=7", "--log_interval=1", "--threads=2", "--sample_chars=8"};

    @Test
    void stopAtAndResumeMatchAStraightRun() throws Exception {
        Path data = CliRunner.textFile(tmp, 2000);
        Path straight = tmp.resolve("straight"), split = tmp.resolve("split");

        CliRunner.Result a = train(concat(RUN, "--data=" + data, "--out=" + straight));
        assertEquals(0, a.code(), a.toString());

        CliRunner.Result b1 = train(concat(RUN, "--data=" + data, "--out=" + split, "--stop-at=10"));
        assertEquals(0, b1.code(), b1.toString());
        assertTrue(b1.out().contains("stopped at step 10"), b1.toString());
        CliRunner.Result b2 = CliRunner.run("train", "--resume", "--out=" + split, "--data=" + data, "--threads=2");
        assertEquals(0, b2.code(), b2.toString());
        assertTrue(b2.out().contains("resuming " + split + " at step 10"), b2.toString());
        assertTrue(b2.out().contains("finished at step 20"), b2.toString());

        List<String> lossesA = trainLosses(straight), lossesB = trainLosses(split);
        assertEquals(20, lossesA.size(), "one train_loss per step");
        assertEquals(lossesA, lossesB, "per-step training losses of the straight and the resumed run");
        // Evaluations at 7, 14, 20 agree too (the split run also evaluated at its stop step 10).
        assertEquals(List.of("7", "14", "20"), evalLosses(straight).stream().map(e -> e.split(":")[0]).collect(java.util.stream.Collectors.toList()));
        assertEquals(evalLosses(straight), withoutStep(evalLosses(split), 10));
        assertArrayEquals(Files.readAllBytes(straight.resolve(CheckpointSet.MODEL_FILE)),
                Files.readAllBytes(split.resolve(CheckpointSet.MODEL_FILE)), "final model files differ");
        assertArrayEquals(Files.readAllBytes(new RunDirectory(straight).latest().resolve(CheckpointSet.OPTIMIZER_FILE)),
                Files.readAllBytes(new RunDirectory(split).latest().resolve(CheckpointSet.OPTIMIZER_FILE)), "final optimizer files differ");
        // Resuming a finished run does nothing and changes nothing.
        byte[] model = Files.readAllBytes(split.resolve(CheckpointSet.MODEL_FILE));
        CliRunner.Result again = CliRunner.run("train", "--resume", "--out=" + split, "--data=" + data, "--threads=2");
        assertEquals(0, again.code(), again.toString());
        assertArrayEquals(model, Files.readAllBytes(split.resolve(CheckpointSet.MODEL_FILE)));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** train_loss of each logged step, as written (the float's shortest decimal form). */
    static List<String> trainLosses(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        int expectedStep = 1;
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("train_loss")) {
                assertEquals(expectedStep++, o.get("step").getAsInt(), "steps in order, none repeated or missing");
                out.add(o.get("step").getAsInt() + ":" + o.get("train_loss").getAsString());
            }
        }
        return out;
    }

    /** step:val_loss of each evaluation. */
    static List<String> evalLosses(Path dir) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("eval_val_loss")) {
                out.add(o.get("step").getAsInt() + ":" + o.get("eval_val_loss").getAsString());
            }
        }
        return out;
    }

    /** The split run also evaluates at its stop step; drop that one to compare with the straight run. */
    static List<String> withoutStep(List<String> evals, int step) {
        List<String> out = new ArrayList<>();
        for (String e : evals) {
            if (!e.startsWith(step + ":")) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    /** Ctrl-C through the command line: exit code 130, a checkpoint, a line saying where it is, and a resume to the end. */
    void interruptedTrainingExits130AndSaysWhereItSaved() throws Exception {
        Path data = CliRunner.textFile(tmp, 2000);
        Path out = tmp.resolve("run");
        StopSignal.request();
        CliRunner.Result r;
        try {
            r = train("--data=" + data, "--out=" + out, "--steps=20", "--eval_interval=0");
        } finally {
            StopSignal.clear();
        }
        assertEquals(130, r.code(), r.toString());
        assertTrue(r.out().contains("interrupted at step 1; checkpoint saved in " + out), r.toString());
        assertTrue(r.errLines().isEmpty(), "an interrupt is not an error: " + r);
        assertEquals("1", Safetensors.read(out.resolve(CheckpointSet.MODEL_FILE)).metadata.get("step"));
        assertEquals("1", Safetensors.read(new RunDirectory(out).latest().resolve(CheckpointSet.OPTIMIZER_FILE)).metadata.get("step"));

        // The saved run resumes to the end.
        CliRunner.Result resumed = CliRunner.run("train", "--resume", "--out=" + out, "--data=" + data, "--threads=1");
        assertEquals(0, resumed.code(), resumed.toString());
        assertTrue(resumed.out().contains("resuming " + out + " at step 1"), resumed.toString());
        assertEquals("20", Safetensors.read(out.resolve(CheckpointSet.MODEL_FILE)).metadata.get("step"));
    }
}
