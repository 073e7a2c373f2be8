package leviathan.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.Safetensors;

/** Ctrl-C (StopSignal): the loop finishes the current step, saves a checkpoint and returns INTERRUPTED. */
class InterruptTest {
    @TempDir
    Path tmp;

    @AfterEach
    void clear() {
        StopSignal.clear();
    }

    @Test
    void requestBeforeTheRunStopsAfterTheFirstStepWithACheckpoint() throws Exception {
        String text = Fixtures.text(2000);
        Path dir = tmp.resolve("run");
        Fixtures.Console console = new Fixtures.Console();
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer t = Fixtures.newTrainer(text, Fixtures.tinyModel(0), Fixtures.tinyTrain(50), backend, dir, console.out);
            StopSignal.request();
            Trainer.Result r = t.run(0);
            assertEquals(Trainer.Outcome.INTERRUPTED, r.outcome);
            assertEquals(1, r.step);
            assertEquals(1, r.losses.size());
        }
        assertEquals("1", Safetensors.read(dir.resolve(CheckpointSet.MODEL_FILE)).metadata.get("step"));
        assertEquals("1", Safetensors.read(new RunDirectory(dir).latest().resolve(CheckpointSet.OPTIMIZER_FILE)).metadata.get("step"));
        assertTrue(console.text().contains("interrupted at step 1; checkpoint saved in " + dir), console.text());
    }

    @Test
    void requestDuringTheRunStopsAfterThatStepAndTheRunResumes() throws Exception {
        String text = Fixtures.text(2000);
        Path dir = tmp.resolve("run");
        TrainConfig cfg = Fixtures.tinyTrain(50);
        cfg.logInterval = 1;
        cfg.evalInterval = 0;
        Fixtures.Console console = new Fixtures.Console();
        // "Ctrl-C" arrives while step 13 is being logged, i.e. in the middle of the loop.
        PrintStream trigger = new PrintStream(console.bytes, true, "UTF-8") {
            @Override
            public void println(String s) {
                if (s.startsWith("step    13/")) {
                    StopSignal.request();
                }
                super.println(s);
            }
        };
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer t = Fixtures.newTrainer(text, Fixtures.tinyModel(0), cfg, backend, dir, trigger);
            Trainer.Result r = t.run(0);
            assertEquals(Trainer.Outcome.INTERRUPTED, r.outcome);
            assertEquals(13, r.step);
            assertEquals(13, r.losses.size());
        }
        assertTrue(Files.isRegularFile(dir.resolve(CheckpointSet.MODEL_FILE)));
        assertEquals("13", Safetensors.read(dir.resolve(CheckpointSet.MODEL_FILE)).metadata.get("step"));
        assertTrue(console.text().contains("interrupted at step 13; checkpoint saved in " + dir), console.text());
        StopSignal.clear();
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer t = Fixtures.resume(text, dir, cfg, backend, console.out);
            Trainer.Result r = t.run(0);
            assertEquals(Trainer.Outcome.COMPLETED, r.outcome);
            assertEquals(50, r.step);
            assertEquals(37, r.losses.size());
        }
    }

    @Test
    void withoutOutputDirectoryTheRunStillStops() throws Exception {
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            Trainer t = Fixtures.newTrainer(Fixtures.text(2000), Fixtures.tinyModel(0), Fixtures.tinyTrain(50), backend, null,
                    new Fixtures.Console().out);
            StopSignal.request();
            assertEquals(Trainer.Outcome.INTERRUPTED, t.run(0).outcome);
        }
    }
}
