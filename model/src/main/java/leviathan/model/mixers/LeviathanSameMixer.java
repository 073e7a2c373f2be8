package leviathan.model.mixers;

import java.util.List;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.kernels.LeviathanSame;
import leviathan.kernels.LeviathanSameKernels;
import leviathan.model.Layers;
import leviathan.model.Mixer;
import leviathan.model.MixerContext;
import leviathan.model.MixerOptions;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.stages.CoreStages;

/**
 * {@code leviathan-same}: the seed notebook's Leviathan layer, reproduced (SPEC 2.2). Per batch row
 * and head, {@code Cmat = scipy.signal.correlate2d(Q, K, mode='same')}, {@code S = Cmat·Kᵀ/√D},
 * causal mask, softmax, P·V (attention run over [Cmat | K | V]).
 *
 * <p><b>NOT causal.</b> Row i of Cmat mixes every query row (most of them later than i), so later
 * characters leak into earlier positions despite the mask on S: its loss is not a language-model
 * result. It is kept only to reproduce the notebook. Gradients flow to Q, K (through Cmat and
 * through Kᵀ) and V, exactly. No options; the tensors are GPT-2's {@code c_attn} and {@code c_proj}.
 */
public final class LeviathanSameMixer implements Mixer {
    public static final String NAME = "leviathan-same";

    private final ModelConfig config;

    public LeviathanSameMixer(ModelConfig config) {
        this.config = config;
        MixerOptions.of(config).allowOnly();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean causal() {
        return false;
    }

    @Override
    public List<ParamSpec> parameters(String prefix) {
        return Layers.qkvAndProjection(prefix, config);
    }

    @Override
    public void declareActivations(BlockLayout acts, String prefix, int B, int T) {
        int C = config.width, H = config.heads;
        acts.add(prefix + "qkv", B, T, 3 * C);
        acts.add(prefix + "cqkv", B, T, 3 * C);    // [Cmat | K | V]
        acts.add(prefix + "preatt", B, H, T, T);
        acts.add(prefix + "att", B, H, T, T);
        acts.add(prefix + "atty", B, T, C);
    }

    @Override
    public void forward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, BT = x.BT(), C = x.C(), H = x.H();
        Layers.linearForward(g, x.stage("qkv"), x.act("qkv"), x.u(), x.param("c_attn.weight"), x.param("c_attn.bias"), BT, C, 3 * C);
        g.add(Stages.correlate(x.stage("correlate"), x.act("cqkv"), x.act("qkv"), B, T, C, H));
        g.add(CoreStages.attentionForward(x.stage("attention"), x.act("atty"), x.act("preatt"), x.act("att"), x.act("cqkv"), B, T, C, H));
        Layers.linearForward(g, x.stage("proj"), x.y(), x.act("atty"), x.param("c_proj.weight"), x.param("c_proj.bias"), BT, C, C);
    }

    @Override
    public void backward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, BT = x.BT(), C = x.C(), H = x.H();
        Layers.linearBackward(g, x.stage("proj.backward"), x.dact("atty"), x.grad("c_proj.weight"), x.grad("c_proj.bias"),
                x.dy(), x.act("atty"), x.param("c_proj.weight"), BT, C, C);
        // Attention backward over cqkv gives dcqkv = [dCmat | dK through Kᵀ | dV] ...
        g.add(CoreStages.attentionBackwardQuery(x.stage("attention.backward_query"), x.dact("cqkv"), x.dact("preatt"), x.dact("atty"),
                x.act("cqkv"), x.act("att"), B, T, C, H));
        g.add(CoreStages.attentionBackwardKeyValue(x.stage("attention.backward_key_value"), x.dact("cqkv"), x.dact("preatt"), x.dact("atty"),
                x.act("cqkv"), x.act("att"), B, T, C, H));
        // ... which the correlation's backward turns into dQ, dK (both paths) and dV.
        g.add(Stages.correlateBackward(x.stage("correlate.backward"), x.dact("qkv"), x.dact("cqkv"), x.act("qkv"), B, T, C, H));
        Layers.linearBackward(g, x.stage("qkv.backward"), x.du(), x.grad("c_attn.weight"), x.grad("c_attn.bias"),
                x.dact("qkv"), x.u(), x.param("c_attn.weight"), BT, C, 3 * C);
    }

    /**
     * The stages of the LeviathanSame mixer: each factory checks its buffers' sizes ({@link StageChecks}), states
     * the stage's extent, FLOPs and bytes, and builds it through the kernel's generated builder in
     * {@link LeviathanSameKernels}.
     */
    public static final class Stages {
        private Stages() {}

        private static final int F = Float.BYTES;

        /** Multiply-adds of one correlate2d 'same' over a T×D head: Σ over outputs of the overlapping window. */
        static double correlationTerms(int T, int D) {
            return overlaps(T) * overlaps(D);
        }

        /** Σ_i (number of j with 0 ≤ i + j − (n−1)/2 &lt; n) for one axis of length n. */
        private static double overlaps(int n) {
            int p = LeviathanSame.sameOffset(n);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += Math.min(n, n + p - i) - Math.max(0, p - i);
            }
            return sum;
        }

        /** cqkv (B,T,3C) = [correlate2d(Q, K, 'same') per head | K | V] from qkv (B,T,3C). */
        public static Stage correlate(String name, FloatSlice cqkv, FloatSlice qkv, int B, int T, int C, int H) {
            LeviathanMixer.Stages.checkHeads(name, B, T, C, H);
            StageChecks.expect(name, cqkv, (long) B * T * 3 * C, "B*T*3C");
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
            return LeviathanSameKernels.correlateForward(name, new int[] {B * T * C}, 2.0 * B * H * correlationTerms(T, C / H),
                    (double) B * T * 6 * C * F, cqkv, qkv, T, C, H);
        }

        /** dqkv (B,T,3C) += gradient through the correlation and the carried K, V, from dcqkv (B,T,3C). */
        public static Stage correlateBackward(String name, FloatSlice dqkv, FloatSlice dcqkv, FloatSlice qkv, int B, int T, int C, int H) {
            LeviathanMixer.Stages.checkHeads(name, B, T, C, H);
            StageChecks.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
            StageChecks.expect(name, dcqkv, (long) B * T * 3 * C, "B*T*3C");
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
            return LeviathanSameKernels.correlateBackward(name, new int[] {B * T * C}, 4.0 * B * H * correlationTerms(T, C / H),
                    (double) B * T * 9 * C * F, dqkv, dcqkv, qkv, T, C, H);
        }
    }
}
