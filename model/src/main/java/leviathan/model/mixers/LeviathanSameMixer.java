package leviathan.model.mixers;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.kernels.LeviathanSame;
import leviathan.kernels.LeviathanSameKernels;
import leviathan.model.MixerContext;
import leviathan.model.MixerOptions;
import leviathan.model.ModelConfig;
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
public final class LeviathanSameMixer extends QkvMixer {
    private final MixerOptions options;
    public static final String NAME = "leviathan-same";


    public LeviathanSameMixer(ModelConfig config) {
        super(config);
        this.options = MixerOptions.none(config);
    }

    @Override
    public MixerOptions options() {
        return options;
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
    protected void declareMixing(BlockLayout acts, String prefix, int B, int T) {
        int C = config.width, H = config.heads;
        acts.add(prefix + "cqkv", B, T, 3 * C);    // [Cmat | K | V]
        acts.add(prefix + "preatt", B, H, T, T);
        acts.add(prefix + "att", B, H, T, T);
    }

    @Override
    protected void mix(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H();
        g.add(Stages.correlate(x.stage("correlate"), x.act("cqkv"), x.act("qkv"), B, T, C, H));
        g.add(CoreStages.attentionForward(x.stage("attention"), x.act("atty"), x.act("preatt"), x.act("att"), x.act("cqkv"), B, T, C, H));
    }

    @Override
    protected void mixBackward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H();
        // Attention backward over cqkv gives dcqkv = [dCmat | dK through Kᵀ | dV] ...
        g.add(CoreStages.attentionBackwardQuery(x.stage("attention.backward_query"), x.dact("cqkv"), x.dact("preatt"), x.dact("atty"),
                x.act("cqkv"), x.act("att"), B, T, C, H));
        g.add(CoreStages.attentionBackwardKeyValue(x.stage("attention.backward_key_value"), x.dact("cqkv"), x.dact("preatt"), x.dact("atty"),
                x.act("cqkv"), x.act("att"), B, T, C, H));
        // ... which the correlation's backward turns into dQ, dK (both paths) and dV.
        g.add(Stages.correlateBackward(x.stage("correlate.backward"), x.dact("qkv"), x.dact("cqkv"), x.act("qkv"), B, T, C, H));
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
