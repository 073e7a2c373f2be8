package leviathan.model.mixers.example;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.model.MixerContext;
import leviathan.model.ModelConfig;
import leviathan.model.Mixers;
import leviathan.model.mixers.QkvMixer;

/**
 * The example of the "Add a mixer" recipe (README): a causal running mean of the values. Step 2:
 * one mixer class — its stages (validated sizes, FLOPs and bytes) and where they go in the block;
 * the kernel constants, typed stage builders, JVM bindings and TornadoVM wrappers are generated
 * from {@link RunningMean}. Step 3: one registration line ({@link #register}; a built-in mixer's
 * line is in {@link Mixers}). The model's and the planner's tests then check it like every mixer:
 * gradients, causality, checkpoints, and the emulated TornadoVM device.
 */
public final class RunningMeanMixer extends QkvMixer {
    public static final String NAME = "running-mean";

    public RunningMeanMixer(ModelConfig config) {
        super(config, NAME); // no options
    }

    /** Registers the example (idempotent: tests of several classes call it). */
    public static synchronized void register() {
        if (!Mixers.has(NAME)) {
            Mixers.register(NAME, "example: causal running mean of the values (test tree only)", RunningMeanMixer::new);
        }
    }

    @Override
    protected void declareMixing(BlockLayout acts, String prefix, int B, int T) {
        // no activations between qkv and atty
    }

    @Override
    protected void mix(Graph g, MixerContext x) {
        g.add(forwardStage(x.stage("running_mean"), x.act("atty"), x.act("qkv"), x.B, x.T, x.C()));
    }

    @Override
    protected void mixBackward(Graph g, MixerContext x) {
        g.add(backwardStage(x.stage("running_mean.backward"), x.dact("qkv"), x.dact("atty"), x.B, x.T, x.C()));
    }

    /** out (B,T,C) = running mean of the V third of qkv (B,T,3C). */
    static Stage forwardStage(String name, FloatSlice out, FloatSlice qkv, int B, int T, int C) {
        StageChecks.positive(name, "B", B);
        StageChecks.positive(name, "T", T);
        StageChecks.expect(name, out, (long) B * T * C, "B*T*C");
        StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        double terms = (double) B * T * (T + 1) / 2 * C;
        return RunningMeanKernels.forward(name, new int[] {B * T}, terms, (terms + (double) B * T * C) * Float.BYTES, out, qkv, T, C);
    }

    /** dqkv's V third (B,T,3C) += the adjoint of the running mean of dout (B,T,C). */
    static Stage backwardStage(String name, FloatSlice dqkv, FloatSlice dout, int B, int T, int C) {
        StageChecks.positive(name, "B", B);
        StageChecks.positive(name, "T", T);
        StageChecks.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
        StageChecks.expect(name, dout, (long) B * T * C, "B*T*C");
        double terms = (double) B * T * (T + 1) / 2 * C;
        return RunningMeanKernels.backward(name, new int[] {B * T}, 2 * terms, (terms + 2.0 * B * T * C) * Float.BYTES, dqkv, dout, T, C);
    }
}
