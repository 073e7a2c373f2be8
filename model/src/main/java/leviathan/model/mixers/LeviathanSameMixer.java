package leviathan.model.mixers;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.kernels.LeviathanNotebook;
import leviathan.kernels.LeviathanNotebookKernels;
import leviathan.kernels.LeviathanSame;
import leviathan.kernels.LeviathanSameKernels;
import leviathan.model.MixerContext;
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
 * through Kᵀ) and V, exactly. The tensors are GPT-2's {@code c_attn} and {@code c_proj}.
 *
 * <p>Option {@code notebook} (default false): true switches to what the notebook's code computes
 * ({@link LeviathanNotebook}): one {@code scipy.signal.correlate(Q, K, 'same')} over the whole
 * (B, H, T, D) tensors — so batch rows and heads mix too, and the 'same' window starts at ⌊(n−1)/2⌋
 * on every axis — with Q and K detached from it (Q gets no gradient at all; K only through Kᵀ),
 * then softmax over all T keys with no mask. Even less causal; same tensors.
 */
public final class LeviathanSameMixer extends QkvMixer {
    public static final String NAME = "leviathan-same";

    private final boolean notebook;

    public LeviathanSameMixer(ModelConfig config) {
        super(config, NAME, "notebook");
        this.notebook = options.flag("notebook", false);
    }

    /** Whether this is the notebook's computation (4-D correlate, detached, unmasked) rather than per-head correlate2d. */
    public boolean notebook() {
        return notebook;
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
        if (notebook) {
            g.add(Stages.notebookCorrelate(x.stage("notebook_correlate"), x.act("cqkv"), x.act("qkv"), B, T, C, H));
            g.add(Stages.notebookAttention(x.stage("notebook_attention"), x.act("atty"), x.act("preatt"), x.act("att"), x.act("cqkv"), B, T, C, H));
            return;
        }
        g.add(Stages.correlate(x.stage("correlate"), x.act("cqkv"), x.act("qkv"), B, T, C, H));
        g.add(CoreStages.attentionForward(x.stage("attention"), x.act("atty"), x.act("preatt"), x.act("att"), x.act("cqkv"), B, T, C, H, x.dropout()));
    }

    @Override
    protected void mixBackward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H();
        if (notebook) {
            // Scores' gradient, then dK (through Kᵀ only) and dV into dqkv; Cmat is detached, so that is all.
            g.add(Stages.notebookAttentionBackwardScores(x.stage("notebook_attention.backward_scores"), x.dact("preatt"), x.dact("atty"),
                    x.act("cqkv"), x.act("att"), B, T, C, H));
            g.add(Stages.notebookAttentionBackwardKeyValue(x.stage("notebook_attention.backward_key_value"), x.dact("qkv"), x.dact("preatt"),
                    x.dact("atty"), x.act("cqkv"), x.act("att"), B, T, C, H));
            return;
        }
        // Attention backward over cqkv gives dcqkv = [dCmat | dK through Kᵀ | dV] ...
        g.add(CoreStages.attentionBackwardQuery(x.stage("attention.backward_query"), x.dact("cqkv"), x.dact("preatt"), x.dact("atty"),
                x.act("cqkv"), x.act("att"), B, T, C, H, x.dropout()));
        g.add(CoreStages.attentionBackwardKeyValue(x.stage("attention.backward_key_value"), x.dact("cqkv"), x.dact("preatt"), x.dact("atty"),
                x.act("cqkv"), x.act("att"), B, T, C, H, x.dropout()));
        // ... which the correlation's backward turns into dQ, dK (both paths) and dV.
        g.add(Stages.correlateBackward(x.stage("correlate.backward"), x.dact("qkv"), x.dact("cqkv"), x.act("qkv"), B, T, C, H));
    }

    @Override
    public String toString() {
        return NAME + "(notebook=" + notebook + ")";
    }

    /**
     * The stages of the LeviathanSame mixer: each factory checks its buffers' sizes ({@link StageChecks}), states
     * the stage's extent, FLOPs and bytes, and builds it through the kernel's generated builder in
     * {@link LeviathanSameKernels} (per-head correlate2d) or {@link LeviathanNotebookKernels} (the notebook).
     */
    public static final class Stages {
        private Stages() {}

        private static final int F = Float.BYTES;

        /** Multiply-adds of one correlate2d 'same' over a T×D head: Σ over outputs of the overlapping window. */
        static double correlationTerms(int T, int D) {
            return overlaps(T, LeviathanSame.sameOffset(T)) * overlaps(D, LeviathanSame.sameOffset(D));
        }

        /** Multiply-adds of the notebook's 4-D 'same' correlation over (B, H, T, D). */
        static double notebookCorrelationTerms(int B, int H, int T, int D) {
            return overlaps(B, LeviathanNotebook.sameOffset(B)) * overlaps(H, LeviathanNotebook.sameOffset(H))
                    * overlaps(T, LeviathanNotebook.sameOffset(T)) * overlaps(D, LeviathanNotebook.sameOffset(D));
        }

        /** Σ_i (number of j with 0 ≤ i + j − p &lt; n) for one axis of length n and input-side offset p. */
        private static double overlaps(int n, int p) {
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

        /** cqkv (B,T,3C) = [the notebook's 4-D correlate(Q, K, 'same') | K | V] from qkv (B,T,3C). */
        public static Stage notebookCorrelate(String name, FloatSlice cqkv, FloatSlice qkv, int B, int T, int C, int H) {
            LeviathanMixer.Stages.checkHeads(name, B, T, C, H);
            StageChecks.expect(name, cqkv, (long) B * T * 3 * C, "B*T*3C");
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
            return LeviathanNotebookKernels.correlateForward(name, new int[] {B * T * C}, 2.0 * notebookCorrelationTerms(B, H, T, C / H),
                    (double) B * T * 6 * C * F, cqkv, qkv, B, T, C, H);
        }

        /** Unmasked softmax attention over cqkv = [Cmat | K | V] (B,T,3C): out (B,T,C), preatt/att (B,H,T,T). */
        public static Stage notebookAttention(String name, FloatSlice out, FloatSlice preatt, FloatSlice att, FloatSlice cqkv,
                                              int B, int T, int C, int H) {
            checkAttention(name, out, preatt, att, cqkv, B, T, C, H);
            double pairs = (double) B * H * T * T;
            return LeviathanNotebookKernels.attentionForward(name, new int[] {B * H * T}, pairs * (4.0 * C / H + 5),
                    ((double) B * T * 4 * C + 2 * pairs) * F, out, preatt, att, cqkv, T, C, H);
        }

        /** dpreatt (B,H,T,T) = dL/dscores from dout (B,T,C), cqkv's V and att; no gradient to Cmat (detached). */
        public static Stage notebookAttentionBackwardScores(String name, FloatSlice dpreatt, FloatSlice dout, FloatSlice cqkv, FloatSlice att,
                                                            int B, int T, int C, int H) {
            checkAttention(name, dout, dpreatt, att, cqkv, B, T, C, H);
            double pairs = (double) B * H * T * T;
            return LeviathanNotebookKernels.attentionBackwardScores(name, new int[] {B * H * T}, pairs * (2.0 * C / H + 3),
                    ((double) B * T * 2 * C + 3 * pairs) * F, dpreatt, dout, cqkv, att, T, C, H);
        }

        /** dqkv's K and V columns (B,T,3C) += the gradient through Kᵀ and through P·V; reads dpreatt, dout, cqkv, att. */
        public static Stage notebookAttentionBackwardKeyValue(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout,
                                                              FloatSlice cqkv, FloatSlice att, int B, int T, int C, int H) {
            checkAttention(name, dout, dpreatt, att, cqkv, B, T, C, H);
            StageChecks.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
            double pairs = (double) B * H * T * T;
            return LeviathanNotebookKernels.attentionBackwardKeyValue(name, new int[] {B * H * T}, pairs * 4.0 * C / H,
                    ((double) B * T * 6 * C + 2 * pairs) * F, dqkv, dpreatt, dout, cqkv, att, T, C, H);
        }

        /** Checks a (B,T,C) row buffer, two (B,H,T,T) score buffers and cqkv (B,T,3C). */
        private static void checkAttention(String name, FloatSlice rows, FloatSlice scores1, FloatSlice scores2, FloatSlice cqkv,
                                           int B, int T, int C, int H) {
            LeviathanMixer.Stages.checkHeads(name, B, T, C, H);
            StageChecks.expect(name, rows, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, scores1, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, scores2, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, cqkv, (long) B * T * 3 * C, "B*T*3C");
        }
    }
}
