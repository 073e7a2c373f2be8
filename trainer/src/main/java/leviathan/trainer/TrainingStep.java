package leviathan.trainer;

import leviathan.graph.Backend;
import leviathan.graph.IntSlice;
import leviathan.model.Gpt;
import leviathan.model.MixerState;
import leviathan.model.Rng;
import leviathan.model.Workspace;

/**
 * One optimisation step of a model, the only place the step's sequence is written: sample a batch,
 * the mixer's {@code beforeStep} hook, the step scalars from the learning-rate schedule and the
 * dropout rate and step, all to the device with the tokens, then forward logits, loss, backward,
 * AdamW update, and the loss back to the host. It owns the
 * compiled graphs of the training workspace. The trainer runs it on its dataset's windows; the
 * benchmarks run it on {@link #syntheticWindows synthetic windows}, so that they time what training runs.
 */
public final class TrainingStep {
    /** Where each step's batch comes from: fills B windows of T input tokens and their targets. */
    @FunctionalInterface
    public interface BatchSource {
        void fill(int B, int T, IntSlice tokens, IntSlice targets);
    }

    /** Random windows of {@code data} (window starts drawn from {@code rng}), as the trainer samples its split. */
    public static BatchSource windows(int[] data, Rng rng) {
        return (B, T, tokens, targets) -> Dataset.sampleBatch(data, B, T, rng, tokens, targets);
    }

    /**
     * Random windows of a synthetic sequence of {@code length} uniform tokens below {@code vocabSize},
     * through the same sampling code as training; the sequence and the window starts follow from {@code seed}.
     */
    public static BatchSource syntheticWindows(int vocabSize, int length, long seed) {
        Rng rng = new Rng(seed);
        int[] sequence = new int[length];
        for (int i = 0; i < length; i++) {
            sequence[i] = rng.nextInt(vocabSize);
        }
        return windows(sequence, rng);
    }

    private final Gpt model;
    private final TrainConfig cfg;
    private final Backend backend;
    private final BatchSource batches;
    private final Workspace ws;
    private final Backend.CompiledGraph logits;
    private final Backend.CompiledGraph loss;
    private final Backend.CompiledGraph backward;
    private final Backend.CompiledGraph update;
    private final MixerState mixerState;

    /** Builds the training workspace (batch {@code cfg.batchSize}, the model's context) and compiles its graphs on {@code backend}. */
    public TrainingStep(Gpt model, TrainConfig cfg, Backend backend, BatchSource batches) {
        this.model = model;
        this.cfg = cfg;
        this.backend = backend;
        this.batches = batches;
        // With dropout the graphs carry its stages; without, they are the plain graphs (and the same bits as always).
        this.ws = cfg.dropout > 0 ? model.trainingWorkspace(cfg.batchSize, model.config.contextLength, cfg.seed)
                : model.workspace(cfg.batchSize, model.config.contextLength, true);
        this.logits = backend.compile(ws.logitsGraph);
        this.loss = backend.compile(ws.lossGraph);
        this.backward = backend.compile(ws.backwardGraph);
        this.update = backend.compile(model.updateGraph(cfg.weightDecay, cfg.gradClip));
        this.mixerState = MixerState.of(model, backend, cfg.seed);
    }

    public Workspace workspace() {
        return ws;
    }

    /** The compiled forward graph, for evaluating on the same workspace. */
    public Backend.CompiledGraph logits() {
        return logits;
    }

    /** The compiled loss graph, for evaluating on the same workspace. */
    public Backend.CompiledGraph loss() {
        return loss;
    }

    /** Runs step {@code step} (0-based: AdamW's t is step + 1) on a fresh batch; returns the batch's loss before the update. */
    public float run(int step) {
        batches.fill(ws.B, ws.T, ws.tokens, ws.targets);
        model.mixer.beforeStep(step, mixerState);
        ws.setDropout(cfg.dropout, step);
        model.setStepScalars(step + 1, cfg.learningRateAt(step), cfg.beta1, cfg.beta2, cfg.eps);
        // Everything the host sets for this step goes in before the forward pass, so a device backend runs the step as one plan.
        backend.syncToDevice(ws.tokens.array, ws.targets.array, ws.dropoutScalars.array, model.stepScalars.array);
        logits.run();
        loss.run();
        backward.run();
        update.run();
        backend.syncToHost(ws.loss.array, model.stepScalars.array);
        return ws.loss.get(0);
    }
}
