package leviathan.tools;

import static leviathan.tools.CliRunner.assertCleanError;
import static leviathan.tools.CliRunner.run;
import static leviathan.tools.CliRunner.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import leviathan.trainer.CheckpointSet;
import leviathan.trainer.RunDirectory;

/**
 * Every bad input of the issue: exit code ≠ 0, one line on stderr starting with "error:", no stack
 * trace unless --debug, and nothing saved is lost (an existing checkpoint keeps its bytes).
 */
class BadInputTest {
    /** A finished tiny run (3 steps): a committed set with model and optimizer, the stable model file, metrics.jsonl. */
    @RegisterExtension
    static final TrainedRun TINY = new TrainedRun(2000, "--steps=3", "--eval_interval=0");

    @TempDir
    Path tmp;

    @Test
    void theSharedRunHoldsWhatTheTestsDamage() throws IOException {
        assertTrue(Files.isRegularFile(TINY.run().resolve(CheckpointSet.MODEL_FILE)));
        assertTrue(Files.isRegularFile(setFile(TINY.run(), CheckpointSet.OPTIMIZER_FILE)));
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** Every checkpoint file of a run directory (the sets and the stable model), by relative path. */
    static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> m = new java.util.TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !name.equals(".lock") && !name.startsWith("metrics")
                        && !(name.equals("config.json") && p.getParent().equals(dir))) {
                    m.put(dir.relativize(p).toString(), Files.readAllBytes(p));
                }
            }
        }
        return m;
    }

    /** The checkpoint files are as they were, and no temporary file or incomplete set is left behind. */
    static void assertUnchanged(Path dir, Map<String, byte[]> before) throws IOException {
        Map<String, byte[]> now = snapshot(dir);
        assertEquals(before.keySet(), now.keySet(), "the checkpoint files of " + dir + " changed");
        for (Map.Entry<String, byte[]> e : before.entrySet()) {
            assertArrayEquals(e.getValue(), now.get(e.getKey()), e.getKey() + " in " + dir + " changed");
        }
        try (var s = Files.walk(dir)) {
            s.forEach(p -> assertFalse(p.getFileName().toString().endsWith(".tmp") || p.getFileName().toString().startsWith(".incomplete"),
                    "temporary file left behind: " + p));
        }
    }

    /** A copy of the finished run, to resume or damage (links become copies, so damage stays where it is done). */
    /** {@code train --resume} of {@code dir} with {@code options} fails cleanly and leaves every file of the run as it was. */
    static void assertResumeRefused(Path dir, int code, String fragment, String... options) throws IOException {
        Map<String, byte[]> before = snapshot(dir);
        String[] argv = new String[options.length + 3];
        argv[0] = "train";
        argv[1] = "--resume";
        argv[2] = "--out=" + dir;
        System.arraycopy(options, 0, argv, 3, options.length);
        assertCleanError(run(argv), code, fragment);
        assertUnchanged(dir, before);
    }

    Path copyOfRun(String name) throws IOException {
        Path dir = tmp.resolve(name);
        try (var s = Files.walk(TINY.run())) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path to = dir.resolve(TINY.run().relativize(p).toString());
                if (Files.isSymbolicLink(p)) {
                    Files.createSymbolicLink(to, Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return dir;
    }

    /** A file of the latest committed set of a run. */
    static Path setFile(Path dir, String file) throws IOException {
        return new RunDirectory(dir).latest().resolve(file);
    }

    Path file(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    Path model() {
        return TINY.run().resolve(CheckpointSet.MODEL_FILE);
    }

    // ---- data ----------------------------------------------------------------------------------

    @Test
    void missingDataFile() throws IOException {
        Path missing = tmp.resolve("no-such-file.txt");
        assertCleanError(train("--data=" + missing, "--out=" + tmp.resolve("r")), 1, "does not exist");
        assertFalse(Files.exists(tmp.resolve("r").resolve(CheckpointSet.MODEL_FILE)));
        Path dir = copyOfRun("resume-missing");
        assertResumeRefused(dir, 1, "does not exist", "--data=" + missing);
    }

    @Test
    void emptyDataFile() throws IOException {
        Path empty = file("empty.txt", new byte[0]);
        assertCleanError(train("--data=" + empty, "--out=" + tmp.resolve("r")), 1, "empty");
        Path dir = copyOfRun("resume-empty");
        assertResumeRefused(dir, 1, "empty", "--data=" + empty);
    }

    @Test
    void dataShorterThanContextPlusOne() throws IOException {
        Path shortFile = CliRunner.writeText(tmp.resolve("short.txt"), "abcde");
        assertCleanError(train("--data=" + shortFile, "--out=" + tmp.resolve("r")), 1, "too short");
        // Long enough for the train split but not for the validation split (10% of 40 = 4 < 9).
        Path fortyChars = CliRunner.writeText(tmp.resolve("forty.txt"), CliRunner.text(40));
        assertCleanError(train("--data=" + fortyChars, "--out=" + tmp.resolve("r2")), 1, "context 8");
        // eval of a file shorter than one window.
        assertCleanError(run("eval", "--checkpoint=" + TINY.run(), "--data=" + CliRunner.writeText(tmp.resolve("s.txt"), "the cat")), 1,
                "context + 1");
        assertFalse(Files.exists(tmp.resolve("r").resolve(CheckpointSet.MODEL_FILE)));
    }

    @Test
    void dataThatIsNotUtf8() throws IOException {
        byte[] bytes = CliRunner.text(2000).getBytes(StandardCharsets.UTF_8);
        bytes[100] = (byte) 0xE9;   // Latin-1 é
        bytes[101] = (byte) 0x20;
        Path latin1 = file("latin1.txt", bytes);
        assertCleanError(train("--data=" + latin1, "--out=" + tmp.resolve("r")), 1, "UTF-8");
        assertCleanError(run("eval", "--checkpoint=" + TINY.run(), "--data=" + latin1), 1, "UTF-8");
        assertCleanError(train("--data=" + file("binary.bin", new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2}), "--out=" + tmp.resolve("r")), 1,
                "UTF-8");
    }

    // ---- names and options ---------------------------------------------------------------------

    @Test
    void unknownPresetMixerOptionAndCommand() {
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("r"), "--preset=huge"), 2, "unknown preset 'huge'");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("r"), "--mixer=bogus"), 2, "unknown mixer 'bogus'");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("r"), "--frobnicate=3"), 2, "frobnicate");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("r"), "--frobnicate"), 2, "frobnicate");
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--frobnicate=3"), 2, "unknown option --frobnicate");
        assertCleanError(run("eval", "--checkpoint=" + TINY.run(), "--frobnicate", "3"), 2, "unknown option --frobnicate");
        assertCleanError(run("info", "--preset=huge"), 2, "unknown preset");
        assertCleanError(run("info", "--mixer=bogus"), 2, "unknown mixer");
        assertCleanError(run("train", "--backend=quantum", "--data=" + TINY.data(), "--out=" + tmp.resolve("r")), 2, "unknown backend");
        assertCleanError(run("train", "--device=0:0", "--data=" + TINY.data(), "--out=" + tmp.resolve("r")), 2, "the jvm backend has none");
        assertCleanError(run("train", "--backend=tornado:0:0", "--device=0:1", "--data=" + TINY.data(), "--out=" + tmp.resolve("r")), 2,
                "give the device once");
        CliRunner.Result r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.errLines().get(0).startsWith("error: unknown command 'frobnicate'"), r.toString());
        assertFalse(Files.exists(tmp.resolve("r").resolve(CheckpointSet.MODEL_FILE)));
    }

    @Test
    void contextOrBatchNotPositive() {
        for (String bad : new String[] {"--context=0", "--context=-4", "--batch=0", "--batch=-1", "--width=0", "--layers=0", "--heads=-2",
                "--steps=0", "--steps=-5", "--stop-at=-3", "--stop-at=0"}) {
            assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("r"), bad), 2, bad.substring(2, bad.indexOf('=')));
        }
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("r"), "--context=x"), 2, "integer");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("r"), "--heads=3"), 2, "not divisible");
        // A context larger than the data allows.
        assertCleanError(train("--data=" + TINY.data(), "--out=" + tmp.resolve("r"), "--context=500"), 1, "too short");
        assertFalse(Files.exists(tmp.resolve("r").resolve(CheckpointSet.MODEL_FILE)));
    }

    @Test
    void badOptionsOnResumeKeepTheCheckpoint() throws IOException {
        Path dir = copyOfRun("resume-bad");
        assertResumeRefused(dir, 2, "batch", "--data=" + TINY.data(), "--batch=0");
        assertResumeRefused(dir, 2, "cannot change on --resume", "--data=" + TINY.data(), "--width=32");
        assertResumeRefused(dir, 2, "frobnicate", "--data=" + TINY.data(), "--frobnicate=1");
    }

    @Test
    void evalAndSampleWithBadNumbers() {
        assertCleanError(run("eval", "--checkpoint=" + TINY.run(), "--data=" + TINY.data(), "--batch", "0"), 2, "batch");
        assertCleanError(run("eval", "--checkpoint=" + TINY.run(), "--data=" + TINY.data(), "--batch=-3"), 2, "batch");
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--batch", "0"), 2, "batch");
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--length=-1"), 2, "length");
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--temperature=-1"), 2, "temperature");
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--temperature=NaN"), 2, "temperature");
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--length=many"), 2, "integer");
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--prompt="), 2, "prompt");
    }

    @Test
    void promptOutsideTheVocabulary() throws IOException {
        Map<String, byte[]> before = snapshot(TINY.run());
        assertCleanError(run("sample", "--checkpoint=" + TINY.run(), "--prompt=the Cat"), 1, "'C'");
        assertCleanError(run("sample", "--checkpoint=" + model(), "--prompt=caf\u00e9"), 1, "vocabulary");
        assertUnchanged(TINY.run(), before);
        // Evaluating a file with characters outside the vocabulary.
        Path upper = CliRunner.writeText(tmp.resolve("upper.txt"), CliRunner.text(200).toUpperCase());
        assertCleanError(run("eval", "--checkpoint=" + TINY.run(), "--data=" + upper), 1, "not in the model's vocabulary");
        // And a prompt inside it works.
        CliRunner.Result ok = run("sample", "--checkpoint=" + TINY.run(), "--prompt=the ", "--length=5", "--threads=1");
        assertEquals(0, ok.code(), ok.toString());
        assertTrue(ok.out().startsWith("the "), ok.toString());
    }

    // ---- checkpoints ---------------------------------------------------------------------------

    @Test
    void missingCheckpoint() throws IOException {
        Path missing = tmp.resolve("nope.safetensors");
        assertCleanError(run("sample", "--checkpoint=" + missing), 1, "does not exist");
        assertCleanError(run("eval", "--checkpoint=" + missing, "--data=" + TINY.data()), 1, "does not exist");
        assertCleanError(run("info", "--checkpoint=" + missing), 1, "does not exist");
        assertCleanError(run("sample", "--checkpoint=" + tmp), 1, "no committed checkpoint");   // a directory without a checkpoint
        assertCleanError(run("sample"), 2, "--checkpoint");
        Path empty = tmp.resolve("empty-run");
        Files.createDirectories(empty);
        assertCleanError(run("train", "--resume", "--out=" + empty, "--data=" + TINY.data()), 1, "no committed checkpoint");
        // A set with the model but without the optimizer state.
        Path half = copyOfRun("no-optimizer");
        Files.delete(setFile(half, CheckpointSet.OPTIMIZER_FILE));
        assertResumeRefused(half, 1, "optimizer", "--data=" + TINY.data());
    }

    @Test
    void truncatedCheckpoint() throws IOException {
        byte[] bytes = Files.readAllBytes(model());
        Path half = file("half.safetensors", Arrays.copyOf(bytes, bytes.length / 2));
        assertCleanError(run("sample", "--checkpoint=" + half), 1, "truncated");
        assertCleanError(run("eval", "--checkpoint=" + half, "--data=" + TINY.data()), 1, "truncated");
        assertCleanError(run("info", "--checkpoint=" + half), 1, "truncated");
        Path headerOnly = file("head.safetensors", Arrays.copyOf(bytes, 100));
        assertCleanError(run("sample", "--checkpoint=" + headerOnly), 1, "not a safetensors file");
        Path fourBytes = file("four.safetensors", Arrays.copyOf(bytes, 4));
        assertCleanError(run("sample", "--checkpoint=" + fourBytes), 1, "not a safetensors file");
        // Resuming a run whose model file was cut in half: refused, and the damaged files stay as they are.
        Path dir = copyOfRun("truncated-run");
        Files.write(setFile(dir, CheckpointSet.MODEL_FILE), Arrays.copyOf(bytes, bytes.length / 2));
        assertResumeRefused(dir, 1, "truncated", "--data=" + TINY.data());
        // Optimizer state cut in half.
        Path dir2 = copyOfRun("truncated-optimizer");
        byte[] opt = Files.readAllBytes(setFile(dir2, CheckpointSet.OPTIMIZER_FILE));
        Files.write(setFile(dir2, CheckpointSet.OPTIMIZER_FILE), Arrays.copyOf(opt, opt.length / 2));
        assertResumeRefused(dir2, 1, "truncated", "--data=" + TINY.data());
    }

    @Test
    void foreignFiles() throws IOException {
        Path text = CliRunner.writeText(tmp.resolve("notes.txt"), "First Citizen:\nBefore we proceed any further, hear me speak.\n");
        assertCleanError(run("sample", "--checkpoint=" + text), 1, "not a safetensors file");
        assertCleanError(run("eval", "--checkpoint=" + text, "--data=" + TINY.data()), 1, "not a safetensors file");
        // A valid safetensors file (e.g. from another tool) without the leviathan-1 format metadata.
        byte[] header = "{\"__metadata__\":{\"format\":\"pt\"},\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + header.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(header.length).put(header).putFloat(1).putFloat(2).putFloat(3).putFloat(4);
        Path hf = file("hf.safetensors", bb.array());
        assertCleanError(run("sample", "--checkpoint=" + hf), 1, "not a Leviathan checkpoint");
        // A non-F32 tensor.
        byte[] h16 = "{\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b16 = ByteBuffer.allocate(8 + h16.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b16.putLong(h16.length).put(h16).putInt(0);
        assertCleanError(run("sample", "--checkpoint=" + file("f16.safetensors", b16.array())), 1, "F16");
        // A header that is JSON but not an object, and one that is not JSON.
        assertCleanError(run("sample", "--checkpoint=" + file("arr.safetensors", minimal("[1,2,3]"))), 1, "not a safetensors file");
        assertCleanError(run("sample", "--checkpoint=" + file("junk.safetensors", minimal("{\"x\": nope"))), 1, "not a safetensors file");
        // The optimizer file given as a model checkpoint.
        assertCleanError(run("sample", "--checkpoint=" + setFile(TINY.run(), CheckpointSet.OPTIMIZER_FILE)), 1, "not a Leviathan checkpoint");
        // A foreign file in place of a run's model: resume refuses and leaves it.
        Path dir = copyOfRun("foreign-run");
        Files.copy(text, setFile(dir, CheckpointSet.MODEL_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertResumeRefused(dir, 1, "not a safetensors file", "--data=" + TINY.data());
    }

    static byte[] minimal(String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(h.length).put(h);
        return bb.array();
    }

    /** The checkpoint with {@code from} replaced by the same-length {@code to} inside its JSON header. */
    static byte[] editHeader(byte[] file, String from, String to) {
        assertEquals(from.length(), to.length());
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(file, 8, (int) n, StandardCharsets.ISO_8859_1);
        int at = header.indexOf(from);
        assertTrue(at >= 0, "no " + from + " in the header");
        byte[] out = file.clone();
        System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, out, 8 + at, to.length());
        return out;
    }

    @Test
    void mismatchedCheckpoint() throws IOException {
        byte[] bytes = Files.readAllBytes(model());
        // The metadata says width 32; the tensors were written for width 16.
        Path wide = file("wide.safetensors", editHeader(bytes, "\\\"width\\\":16", "\\\"width\\\":32"));
        assertCleanError(run("sample", "--checkpoint=" + wide), 1, "shape");
        assertCleanError(run("eval", "--checkpoint=" + wide, "--data=" + TINY.data()), 1, "shape");
        // The metadata's vocabulary does not match vocab_size.
        Matcher m = Pattern.compile("\\\\\"vocab_size\\\\\":(\\d+)").matcher(new String(bytes, StandardCharsets.ISO_8859_1));
        assertTrue(m.find());
        String v = m.group(1), v2 = Integer.toString(Integer.parseInt(v) + 1);
        if (v2.length() == v.length()) {
            Path vocab = file("vocab.safetensors", editHeader(bytes, "\\\"vocab_size\\\":" + v, "\\\"vocab_size\\\":" + v2));
            assertCleanError(run("sample", "--checkpoint=" + vocab), 1, "vocab");
        }
        // A tensor renamed (wrong mixer / config): the checkpoint lacks one the config needs.
        Path renamed = file("renamed.safetensors", editHeader(bytes, "\"ln_f.bias\"", "\"ln_f.bogs\""));
        assertCleanError(run("sample", "--checkpoint=" + renamed), 1, "ln_f.bias");

        // Resuming with data whose vocabulary differs from the checkpoint's.
        Path dir = copyOfRun("other-data");
        Map<String, byte[]> before = snapshot(dir);
        Path other = CliRunner.writeText(tmp.resolve("other.txt"), CliRunner.text(2000).toUpperCase());
        assertCleanError(run("train", "--resume", "--out=" + dir, "--data=" + other), 1, "vocabulary");
        assertCleanError(run("train", "--resume", "--out=" + dir, "--data=" + other), 1, "the data has 'A' U+0041");
        // Resuming a run whose model file says width 32.
        Files.write(setFile(dir, CheckpointSet.MODEL_FILE), editHeader(bytes, "\\\"width\\\":16", "\\\"width\\\":32"));
        Map<String, byte[]> edited = snapshot(dir);
        assertCleanError(run("train", "--resume", "--out=" + dir, "--data=" + TINY.data()), 1, "shape");
        assertUnchanged(dir, edited);
        // A model file from another run beside this run's optimizer state (a torn or mixed pair).
        Path mixed = copyOfRun("mixed");
        CliRunner.Result r = train("--data=" + TINY.data(), "--out=" + tmp.resolve("another"), "--steps=2", "--eval_interval=0", "--seed=5");
        assertEquals(0, r.code(), r.toString());
        Files.copy(tmp.resolve("another").resolve(CheckpointSet.MODEL_FILE), setFile(mixed, CheckpointSet.MODEL_FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertResumeRefused(mixed, 1, "different", "--data=" + TINY.data());
        assertUnchanged(TINY.run(), snapshot(TINY.run()));
        assertArrayEquals(before.get("checkpoints/step-00000003/optimizer.safetensors"), Files.readAllBytes(setFile(dir, CheckpointSet.OPTIMIZER_FILE)));
    }

    // ---- training failures ---------------------------------------------------------------------

    @Test
    void nanLossStopsNamesTheStepAndKeepsTheLastGoodCheckpoint() throws IOException {
        Path dir = copyOfRun("diverge");
        Map<String, byte[]> before = snapshot(dir);
        CliRunner.Result r = run("train", "--resume", "--out=" + dir, "--data=" + TINY.data(), "--lr=1e30", "--steps=60", "--threads=1");
        assertCleanError(r, 3, "step");
        Matcher m = Pattern.compile("at step (\\d+)").matcher(r.errLines().get(0));
        assertTrue(m.find(), "the message should name the step: " + r);
        int step = Integer.parseInt(m.group(1));
        assertTrue(step > 3 && step < 60, "diverged at step " + step);
        assertTrue(r.errLines().get(0).contains("NaN") || r.errLines().get(0).contains("Infinity"), r.toString());
        assertUnchanged(dir, before);
        assertTrue(r.errLines().get(0).contains("step 3"), "the message should say which checkpoint is kept: " + r);
    }

    @Test
    void nanLossInANewRunKeepsTheEarlierCheckpointOfThatRun() throws IOException {
        // checkpoint_interval=1: step 1 is saved (finite), a later step diverges and must not overwrite it.
        Path dir = tmp.resolve("new-diverge");
        CliRunner.Result r = divergingNewRun(dir, "1e30");
        Matcher m = Pattern.compile("at step (\\d+)").matcher(r.errLines().get(0));
        assertTrue(m.find(), r.toString());
        int step = Integer.parseInt(m.group(1));
        Path model = dir.resolve(CheckpointSet.MODEL_FILE);
        assertTrue(Files.isRegularFile(model), r.toString());
        String saved = leviathan.model.Safetensors.read(model).metadata.get("step");
        assertEquals(Integer.toString(step - 1), saved, "the last good checkpoint is the step before the divergence");
        for (float f : leviathan.model.Safetensors.read(model).tensors.get("wte.weight").data) {
            assertTrue(Float.isFinite(f), "a non-finite parameter was saved");
        }
    }

    /** A new run into {@code dir} at learning rate {@code lr}, a checkpoint every step: it must stop with exit 3 naming the step. */
    private static CliRunner.Result divergingNewRun(Path dir, String lr) {
        CliRunner.Result r = train("--data=" + TINY.data(), "--out=" + dir, "--lr=" + lr, "--warmup=0", "--steps=60", "--checkpoint_interval=1",
                "--eval_interval=0");
        return assertCleanError(r, 3, "step");
    }

    @Test
    void parametersThatOverflowAreNeverSavedAsAGoodCheckpoint() throws IOException {
        // lr near the float maximum: the first update itself overflows some parameters to ±Infinity while
        // the loss of step 1 was still finite. The checkpoint of step 1 must not be written with them.
        Path dir = tmp.resolve("overflow");
        CliRunner.Result r = divergingNewRun(dir, "3.4e38");
        Path model = dir.resolve(CheckpointSet.MODEL_FILE);
        if (Files.exists(model)) {
            for (leviathan.model.Safetensors.Tensor t : leviathan.model.Safetensors.read(model).tensors.values()) {
                for (float f : t.data) {
                    assertTrue(Float.isFinite(f), "a non-finite parameter was saved as the last good checkpoint:\n" + r);
                }
            }
        }
    }

    @Test
    void aNonFiniteEvaluationStopsTheRunCleanly() throws IOException {
        // The update of step 1 overflows; the evaluation right after it sees a NaN loss.
        Path dir = tmp.resolve("eval-overflow");
        CliRunner.Result r = train("--data=" + TINY.data(), "--out=" + dir, "--lr=3.4e38", "--warmup=0", "--steps=60", "--eval_interval=1");
        assertCleanError(r, 3, "at step 1");
        assertFalse(Files.exists(dir.resolve(CheckpointSet.MODEL_FILE)), "nothing good to save, nothing saved");
        // The evaluation line is in the metrics all the same.
        assertTrue(Files.readString(dir.resolve("metrics.jsonl")).contains("\"eval_val_loss\":NaN"), r.toString());
    }

    @Test
    void outputDirectoryThatCannotBeWritten() throws IOException {
        Path afile = CliRunner.writeText(tmp.resolve("afile"), "I am a file, not a directory\n");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + afile.resolve("run")), 1, "cannot write");
        assertCleanError(train("--data=" + TINY.data(), "--out=" + afile), 1, "cannot write");
        assertEquals("I am a file, not a directory\n", Files.readString(afile));
    }

    @Test
    void newRunIntoADirectoryHoldingACheckpointIsRefused() throws IOException {
        Map<String, byte[]> before = snapshot(TINY.run());
        byte[] metrics = Files.readAllBytes(TINY.run().resolve("metrics.jsonl"));
        assertCleanError(train("--data=" + TINY.data(), "--out=" + TINY.run(), "--steps=3"), 1, "already holds a checkpoint");
        assertUnchanged(TINY.run(), before);
        assertArrayEquals(metrics, Files.readAllBytes(TINY.run().resolve("metrics.jsonl")));
    }

    @Test
    void aNewRunWhereAKilledStartLeftMetricsKeepsOnlyItsOwnLines() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("killed-start"));
        String stale = "{\"step\":10,\"train_loss\":9.0}\n{\"step\":20,\"train_loss\":8.0}\n";
        Files.writeString(dir.resolve("metrics.jsonl"), stale);
        CliRunner.Result r = train("--data=" + TINY.data(), "--out=" + dir, "--steps=2", "--log_interval=1", "--eval_interval=0");
        assertEquals(0, r.code(), r.toString());
        java.util.List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertTrue(lines.get(0).startsWith("{\"step\":1,"), "the new run's lines only: " + lines);
        assertEquals(stale, Files.readString(dir.resolve("metrics.removed.jsonl")), "the stale lines are kept aside, not lost");
    }

    @Test
    void debugPrintsTheStackTrace() {
        CliRunner.Result r = train("--data=" + tmp.resolve("missing.txt"), "--out=" + tmp.resolve("r"), "--debug");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.errLines().get(0).startsWith("error: "), r.toString());
        assertTrue(r.err().contains("\tat "), "--debug should print the stack trace:\n" + r);
    }
}
