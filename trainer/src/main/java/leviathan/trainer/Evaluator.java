package leviathan.trainer;

import leviathan.graph.Backend;
import leviathan.model.Gpt;
import leviathan.model.Rng;
import leviathan.model.Workspace;

/** Forward-only loss of a model: over random batches of a split, or over a whole file (SPEC 4). */
public final class Evaluator {
    private final Workspace ws;
    private final Backend backend;
    private final Backend.CompiledGraph logits;
    private final Backend.CompiledGraph loss;

    /** Evaluates with an existing workspace's graphs (the trainer shares its own). */
    public Evaluator(Workspace ws, Backend backend, Backend.CompiledGraph logits, Backend.CompiledGraph loss) {
        this.ws = ws;
        this.backend = backend;
        this.logits = logits;
        this.loss = loss;
    }

    public static Evaluator create(Gpt model, int B, Backend backend) {
        Workspace ws = model.workspace(B, model.config.contextLength, false);
        return new Evaluator(ws, backend, backend.compile(ws.logitsGraph), backend.compile(ws.lossGraph));
    }

    /** Mean loss of the batch currently in the workspace's tokens and targets; never with dropout. */
    public float currentBatchLoss() {
        ws.setDropout(0f, 0); // a training workspace's graphs drop out at the rate its scalars hold: evaluation holds 0
        backend.syncToDevice(ws.tokens.array, ws.targets.array, ws.dropoutScalars.array);
        logits.run();
        loss.run();
        backend.syncToHost(ws.loss.array);
        return ws.loss.get(0);
    }

    /** Mean over {@code iters} random batches drawn from a generator seeded with {@code seed}: the same batches every call. */
    public double randomBatches(int[] data, int iters, long seed) {
        Rng rng = new Rng(seed);
        double sum = 0;
        for (int i = 0; i < iters; i++) {
            Dataset.sampleBatch(data, ws.B, ws.T, rng, ws.tokens, ws.targets);
            sum += currentBatchLoss();
        }
        return sum / iters;
    }

    /**
     * SPEC 4: mean next-character loss over consecutive non-overlapping windows of Tmax+1 tokens from
     * the start (each predicts its last Tmax from the ones before); a final partial window is dropped.
     * Windows are evaluated B at a time; the last group is padded by repeating its first window and
     * only the real windows count.
     */
    public double file(int[] data) {
        int T = ws.T, B = ws.B;
        int windows = data.length / (T + 1);
        if (windows == 0) {
            throw new IllegalArgumentException("the file has " + data.length + " characters, fewer than one window of context + 1 = " + (T + 1));
        }
        double sum = 0;
        for (int w0 = 0; w0 < windows; w0 += B) {
            int real = Math.min(B, windows - w0);
            for (int b = 0; b < B; b++) {
                int w = w0 + (b < real ? b : 0);
                System.arraycopy(data, w * (T + 1), ws.tokens.array, ws.tokens.offset + b * T, T);
                System.arraycopy(data, w * (T + 1) + 1, ws.targets.array, ws.targets.offset + b * T, T);
            }
            ws.setDropout(0f, 0);
            backend.syncToDevice(ws.tokens.array, ws.targets.array, ws.dropoutScalars.array);
            logits.run();
            loss.run();
            backend.syncToHost(ws.acts.array());
            float[] losses = ws.acts.array();
            int off = ws.acts.slice("losses").offset;
            for (int i = 0; i < real * T; i++) {
                sum += losses[off + i];
            }
        }
        return sum / ((double) windows * T);
    }
}
