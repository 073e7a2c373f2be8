package leviathan.tools;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.commons.math3.stat.descriptive.rank.Median;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.trainer.Checkpoints;
import leviathan.trainer.Corpus;
import leviathan.trainer.Dataset;
import leviathan.trainer.Evaluator;
import leviathan.trainer.RunDirectory;

/**
 * Runs one cell of a study: trains it with the {@code train} command (a new run, or {@code --resume}
 * from its latest committed checkpoint), evaluates it on the whole validation split as {@code eval}
 * does, and writes its {@link CellResult}. The train command's console output goes to CELL/train.log.
 */
final class CellRunner {
    static final String LOG = "train.log";
    /** Logged intervals up to this step are left out of tokens/s: the JIT is still compiling (as the trainer's own rate). */
    static final int WARMUP_STEPS = 10;
    /** Options config.json records differently from how a cell passes them (the data as a found path) or not at all. */
    private static final Set<String> NOT_IN_CONFIG = Set.of("preset", "data");

    /** The study was stopped by a signal while this cell trained; its checkpoint is saved. */
    static final class Interrupted extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        Interrupted(int exitCode) {
            super("interrupted (exit " + exitCode + ")");
            this.exitCode = exitCode;
        }
    }

    private final StudyGrid grid;
    private final Path root;
    private final Corpus corpus;
    private final String dataSha256;
    /** --threads, --backend, --device as the study was given them: how the cells run, not what they are. */
    private final List<String> runArguments;
    private final String backendSpec;
    private final int threads;

    CellRunner(StudyGrid grid, Path root, Corpus corpus, List<String> runArguments, String backendSpec, int threads) {
        this.grid = grid;
        this.root = root;
        this.corpus = corpus;
        this.dataSha256 = Corpus.sha256(corpus.text.getBytes(StandardCharsets.UTF_8));
        this.runArguments = runArguments;
        this.backendSpec = backendSpec;
        this.threads = threads;
    }

    /**
     * The cell's result if it is finished, null if not. A result or a started run of other options is an
     * error: skipping it would report results of a different experiment, resuming it would mix two.
     */
    CellResult finished(StudyGrid.Cell cell) throws IOException {
        Path dir = cell.dir(root);
        Map<String, String> options = grid.trainOptions(cell);
        CellResult done = CellResult.read(dir);
        if (done != null) {
            String diff = CellResult.difference(done.options, "the cell", options, "this study", Set.of());
            if (diff != null) {
                throw mismatch(dir.resolve(CellResult.FILE), diff);
            }
            return done;
        }
        if (new RunDirectory(dir).hasCheckpoint() && Files.isRegularFile(dir.resolve("config.json"))) {
            String diff = CellResult.difference(configOptions(dir.resolve("config.json"), options.keySet()), "the cell",
                    options, "this study", NOT_IN_CONFIG);
            if (diff != null) {
                throw mismatch(dir.resolve("config.json"), diff);
            }
        }
        return null;
    }

    private static CliException mismatch(Path file, String diff) {
        return new CliException(file + " was run with other options than this study's (" + diff + "): rerun with the options it was"
                + " run with, give another --out, or delete the cell's directory to run it again", 1);
    }

    /** The values config.json holds for {@code keys}, as strings. */
    private static Map<String, String> configOptions(Path file, Set<String> keys) throws IOException {
        JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : keys) {
            JsonElement v = config.get(k);
            if (v != null && v.isJsonPrimitive()) {
                m.put(k, v.getAsString());
            }
        }
        return m;
    }

    /** Trains (or resumes) and evaluates an unfinished cell, writes its result and returns it; {@code note} hears how it starts. */
    CellResult run(StudyGrid.Cell cell, PrintStream note) throws IOException, Interrupted {
        Path dir = cell.dir(root);
        Files.createDirectories(dir);
        RunDirectory run = new RunDirectory(dir);
        boolean resume = run.hasCheckpoint();
        if (resume) {
            note.println("  resuming from step " + RunDirectory.stepOf(run.latest()) + " (log: " + dir.resolve(LOG) + ")");
        } else {
            note.println("  training (log: " + dir.resolve(LOG) + ")");
        }
        List<String> args = new ArrayList<>(List.of("--out=" + dir));
        if (resume) {
            args.add("--resume");
        }
        grid.trainOptions(cell).forEach((k, v) -> args.add("--" + k + "=" + v));
        args.addAll(runArguments);
        String diverged = null;
        try (PrintStream log = new PrintStream(new FileOutputStream(dir.resolve(LOG).toFile(), true), true, StandardCharsets.UTF_8)) {
            log.println("== " + java.time.Instant.now() + ": leviathan train " + String.join(" ", args));
            int code = new TrainCommand(log).run(args.toArray(new String[0]));
            if (code != 0) {
                throw new Interrupted(code);
            }
        } catch (CliException e) {
            if (e.exitCode != 3) {
                throw new CliException(cell.label() + ": " + e.getMessage() + " (log: " + dir.resolve(LOG) + ")", e.exitCode);
            }
            diverged = e.getMessage();
        }
        CellResult r = diverged != null ? divergedResult(cell, diverged) : evaluate(cell, dir);
        r.write(dir);
        return r;
    }

    private CellResult base(StudyGrid.Cell cell) {
        CellResult r = new CellResult();
        r.context = cell.context();
        r.mixer = cell.mixer();
        r.seed = cell.seed();
        r.options = grid.trainOptions(cell);
        r.dataSha256 = dataSha256;
        r.steps = grid.steps();
        r.finishedAt = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        return r;
    }

    private CellResult divergedResult(StudyGrid.Cell cell, String message) {
        CellResult r = base(cell);
        r.outcome = CellResult.DIVERGED;
        r.message = message;
        return r;
    }

    /** The whole-split evaluation of the trained cell, with what its metrics say about speed and time. */
    private CellResult evaluate(StudyGrid.Cell cell, Path dir) throws IOException {
        Checkpoints.Resolved latest = Checkpoints.resolve(dir, null);
        if (latest.step() != grid.steps()) {
            throw new CliException(cell.label() + ": training ended at step " + latest.step() + " of " + grid.steps() + " (log: "
                    + dir.resolve(LOG) + ")", 1);
        }
        Cli.LoadedModel m = Cli.load(latest);
        int T = m.model.config.contextLength;
        int batch = grid.tokensPerStep() / T;
        int[] val = new Dataset(m.tokenizer.encode(corpus.text)).val;
        CellResult r = base(cell);
        r.outcome = CellResult.COMPLETED;
        try (Backend backend = Cli.backend(backendSpec, threads, new Profiler())) {
            long t0 = System.nanoTime();
            EvalCommand.WindowLoss w = EvalCommand.windowLoss(Evaluator.create(m.model, EvalCommand.DEFAULT_BATCH, backend), T, val);
            r.evalSeconds = (System.nanoTime() - t0) / 1e9;
            r.valLoss = w.loss();
            r.valBpc = w.bpc();
            r.windows = w.windows();
        }
        r.parameters = m.model.parameterCount();
        r.memoryBytes = m.model.stateBytes() + m.model.workspace(batch, T, true).activationBytes();
        readMetrics(new RunDirectory(dir).metrics(), r);
        return r;
    }

    /** Tokens/s (median after the warm-up), training seconds (the last elapsed_s) and the validation curve, from metrics.jsonl. */
    static void readMetrics(Path metrics, CellResult r) throws IOException {
        List<Double> rates = new ArrayList<>(), early = new ArrayList<>();
        double elapsed = Double.NaN;
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            int step = o.get("step").getAsInt();
            if (o.has("elapsed_s")) {
                elapsed = o.get("elapsed_s").getAsDouble();
            }
            if (o.has("tokens_per_s")) {
                (step > WARMUP_STEPS ? rates : early).add(o.get("tokens_per_s").getAsDouble());
            }
            if (o.has("eval_val_loss")) {
                r.valCurve.add(new double[] {step, o.get("elapsed_s").getAsDouble(), o.get("eval_val_loss").getAsDouble()});
            }
        }
        List<Double> steady = rates.isEmpty() ? early : rates; // a run too short to warm up still gets a rate, a pessimistic one
        r.tokensPerS = steady.isEmpty() ? null : new Median().evaluate(steady.stream().mapToDouble(Double::doubleValue).toArray());
        r.trainSeconds = elapsed;
    }

    static String seconds(double s) {
        if (!Double.isFinite(s)) {
            return "?";
        }
        long t = Math.round(s);
        if (t >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", t / 3600, (t % 3600) / 60);
        }
        return t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
    }
}
