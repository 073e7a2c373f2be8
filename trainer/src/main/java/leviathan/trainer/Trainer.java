package leviathan.trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import leviathan.graph.Backend;
import leviathan.model.Gpt;
import leviathan.model.Rng;
import leviathan.model.Workspace;

/**
 * The training loop: {@link TrainingStep}s on random windows from a seeded generator (forward,
 * backward, clipped AdamW with warm-up + cosine schedule, SPEC 3); evaluation on both splits every {@code eval_interval} steps
 * with a sample of text; metrics appended as JSON lines; resumable checkpoints; a clean stop on
 * Ctrl-C and on a NaN/Inf loss.
 */
public final class Trainer {
    /** Steps at the start of a run left out of the steady-state rate (JIT compilation, first touch of memory). */
    static final int WARMUP_STEPS = 10;

    public enum Outcome { COMPLETED, STOPPED, INTERRUPTED, DIVERGED }

    /** How a run ended, the step it reached and the per-step training losses it logged. */
    public static final class Result {
        public final Outcome outcome;
        public final int step;
        public final List<Float> losses;
        public final double lastValLoss;
        public final double tokensPerSecond;
        /** For {@link Outcome#DIVERGED}: what happened, at which step, and which checkpoint is kept; otherwise null. */
        public final String message;

        Result(Outcome outcome, int step, List<Float> losses, double lastValLoss, double tokensPerSecond) {
            this(outcome, step, losses, lastValLoss, tokensPerSecond, null);
        }

        Result(Outcome outcome, int step, List<Float> losses, double lastValLoss, double tokensPerSecond, String message) {
            this.outcome = outcome;
            this.step = step;
            this.losses = losses;
            this.lastValLoss = lastValLoss;
            this.tokensPerSecond = tokensPerSecond;
            this.message = message;
        }
    }

    /**
     * Where a run commits its checkpoints and what it resumed from: the run directory (null to save
     * nothing), the state of the set it continues (null for a new run; the generator given to the
     * trainer must be in that state), extra metadata for the model file, and the run's effective
     * options as written to config.json.
     */
    public record Checkpointing(RunDirectory run, RunState resumed, Map<String, String> modelMetadata, String configJson) {
        public static Checkpointing none() {
            return new Checkpointing(null, null, Map.of(), "{}");
        }
    }

    private final Gpt model;
    private final Tokenizer tokenizer;
    private final Dataset data;
    private final TrainConfig cfg;
    private final Backend backend;
    private final Path outDir;
    private final RunDirectory run;
    private final RunLog log;
    private final Rng rng;
    private final Map<String, String> checkpointMetadata;
    private final String configJson;
    private long tokensSeen;
    private double lastTrainLoss = Double.NaN;
    private double lastValLoss = Double.NaN;
    private int lastValStep = -1;
    private final TrainingStep trainingStep;
    private final Workspace ws;
    private final Evaluator evaluator;
    private Sampler sampler;
    private int step;
    private int savedStep = -1;
    private double lastEvalTrain = Double.NaN;

    public Trainer(Gpt model, Tokenizer tokenizer, Dataset data, TrainConfig cfg, Backend backend, PrintStream out, Rng rng,
                   Checkpointing checkpointing) throws IOException {
        data.requireWindows(model.config.contextLength);
        this.model = model;
        this.tokenizer = tokenizer;
        this.data = data;
        this.cfg = cfg;
        this.backend = backend;
        this.run = checkpointing.run();
        this.outDir = run == null ? null : run.root;
        this.rng = rng;
        RunState resumed = checkpointing.resumed();
        this.step = resumed == null ? 0 : resumed.step();
        // A resumed run starts from its latest committed checkpoint: that is the last good one so far.
        this.savedStep = resumed != null && run != null ? resumed.step() : -1;
        if (resumed != null) {
            tokensSeen = resumed.tokensSeen();
            lastTrainLoss = resumed.lastTrainLoss();
            lastValLoss = resumed.lastValLoss();
            lastValStep = resumed.lastValStep();
        }
        this.checkpointMetadata = checkpointing.modelMetadata();
        this.configJson = checkpointing.configJson();
        if (run != null && resumed != null) {
            MetricsFile.truncate(run.metrics(), resumed.metricsBytes()); // what a crashed session logged after the commit
        }
        this.log = new RunLog(out, run == null ? null : run.metrics(), resumed == null ? 0 : resumed.elapsedSeconds());
        this.trainingStep = new TrainingStep(model, cfg, backend, TrainingStep.windows(data.train, rng));
        this.ws = trainingStep.workspace();
        this.evaluator = new Evaluator(ws, backend, trainingStep.logits(), trainingStep.loss());
    }

    public Workspace workspace() {
        return ws;
    }

    public int step() {
        return step;
    }

    /** One optimisation step on a fresh random batch; returns the batch's loss (before the update). */
    public float trainStep() {
        float l = trainingStep.run(step);
        step++;
        tokensSeen += (long) ws.B * ws.T;
        lastTrainLoss = l;
        return l;
    }

    /** Runs until {@code cfg.steps} (or {@code stopAt} if smaller and positive), evaluating, logging and saving. */
    public Result run(int stopAt) throws IOException {
        int end = stopAt > 0 ? Math.min(stopAt, cfg.steps) : cfg.steps;
        int tokensPerStep = ws.B * ws.T;
        List<Float> losses = new ArrayList<>();
        double lastVal = Double.NaN;
        long intervalNanos = 0;
        int intervalSteps = 0;
        double intervalLoss = 0;
        long runNanos = 0;
        int stepsThisRun = 0;
        int runSteps = 0;
        log.start(step, end);
        while (step < end) {
            long t0 = System.nanoTime();
            float l = trainStep();
            long dt = System.nanoTime() - t0;
            float norm = model.lastGradNorm();
            if (!Float.isFinite(l) || !Float.isFinite(norm)) {
                String message = log.diverged(step, "the loss became " + l + " (gradient norm " + norm + ")", savedStep, outDir);
                return new Result(Outcome.DIVERGED, step, losses, lastVal, 0, message);
            }
            losses.add(l);
            if (++stepsThisRun > WARMUP_STEPS) {
                runNanos += dt;
                runSteps++;
            }
            intervalNanos += dt;
            intervalSteps++;
            intervalLoss += l;
            boolean last = step == end;
            if (step % cfg.logInterval == 0 || last) {
                double ms = intervalNanos / 1e6 / intervalSteps;
                log.step(step, end, intervalLoss / intervalSteps, l, cfg.learningRateAt(step - 1), norm, ms, tokensPerStep / (ms / 1e3));
                intervalNanos = 0;
                intervalSteps = 0;
                intervalLoss = 0;
            }
            boolean evalNow = cfg.evalInterval > 0 && step % cfg.evalInterval == 0;
            if (evalNow || last) {
                lastVal = evaluate();
                if (!Double.isFinite(lastVal) || !Double.isFinite(lastEvalTrain)) {
                    String message = log.diverged(step, "the evaluation loss became " + (Double.isFinite(lastVal) ? lastEvalTrain : lastVal)
                            + " after the update", savedStep, outDir);
                    return new Result(Outcome.DIVERGED, step, losses, lastVal, 0, message);
                }
            }
            int ckptEvery = cfg.checkpointInterval > 0 ? cfg.checkpointInterval : cfg.evalInterval;
            boolean saveNow = outDir != null && ((ckptEvery > 0 && step % ckptEvery == 0) || last || StopSignal.requested());
            if (saveNow && !parametersFinite()) {
                // The update of this step overflowed: saving would replace the last good checkpoint with a broken one.
                String message = log.diverged(step, "the update made a parameter non-finite", savedStep, outDir);
                return new Result(Outcome.DIVERGED, step, losses, lastVal, 0, message);
            }
            if (outDir != null && ((ckptEvery > 0 && step % ckptEvery == 0) || last)) {
                save();
            }
            if (StopSignal.requested() && !last) {
                if (outDir != null) {
                    save();
                }
                log.interrupted(step, outDir);
                return new Result(Outcome.INTERRUPTED, step, losses, lastVal, rate(runNanos, runSteps, tokensPerStep));
            }
        }
        Outcome outcome = end < cfg.steps ? Outcome.STOPPED : Outcome.COMPLETED;
        log.finished(step, outcome == Outcome.STOPPED, outDir, rate(runNanos, runSteps, tokensPerStep));
        return new Result(outcome, step, losses, lastVal, rate(runNanos, runSteps, tokensPerStep));
    }

    private static double rate(long nanos, int steps, int tokensPerStep) {
        return steps == 0 ? 0 : tokensPerStep * steps / (nanos / 1e9);
    }

    private boolean parametersFinite() {
        backend.syncToHost(model.params.array());
        for (float x : model.params.array()) {
            if (!Float.isFinite(x)) {
                return false;
            }
        }
        return true;
    }

    /** Train and validation loss over the same fixed batches every time; prints a sample. Returns val loss. */
    public double evaluate() throws IOException {
        long t0 = System.nanoTime();
        double train = evaluator.randomBatches(data.train, cfg.evalIters, cfg.seed * 31 + 1);
        lastEvalTrain = train;
        double val = evaluator.randomBatches(data.val, cfg.evalIters, cfg.seed * 31 + 2);
        String sample = cfg.sampleChars > 0 ? sample(cfg.sampleChars) : null;
        log.eval(step, train, val, (System.nanoTime() - t0) / 1e9, sample);
        lastValLoss = val;
        lastValStep = step;
        return val;
    }

    private String sample(int n) {
        if (sampler == null) {
            sampler = new Sampler(model, backend);
        }
        int start = tokenizer.vocab().indexOf("\n");
        int[] prompt = {Math.max(start, 0)};
        int[] out = sampler.generate(prompt, n, 0.8f, 0, new Rng(cfg.seed + step));
        return tokenizer.decode(out, 1, out.length);
    }

    /** Commits a checkpoint set of this step (atomically; see {@link CheckpointSet}) and prunes old sets. */
    public void save() throws IOException {
        backend.syncToHost(model.params.array(), model.m.array(), model.v.array());
        RunState state = new RunState(step, rng.state(), cfg.toMap(), log.metricsBytes(), log.elapsedSeconds(), tokensSeen, lastTrainLoss,
                lastValLoss, lastValStep, java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        Map<String, String> meta = new LinkedHashMap<>(checkpointMetadata);
        try {
            StopSignal.whileSaving(() -> {
                Path set = CheckpointSet.commit(run.checkpoints(), model, tokenizer.vocab(), state, meta, configJson);
                run.afterCommit(set, cfg.keepLast);
            });
        } catch (IOException e) {
            throw DiskSpace.explain(e, run.root, 3L * model.stateBytes() / 4 + (1 << 20), savedStep);
        }
        savedStep = step;
        log.saved(step, outDir);
    }
}
