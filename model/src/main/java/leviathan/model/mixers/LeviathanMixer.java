package leviathan.model.mixers;

import java.util.Arrays;
import java.util.List;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.kernels.Leviathan;
import leviathan.kernels.LeviathanKernels;
import leviathan.model.MixerContext;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.stages.CoreStages;
import leviathan.stages.DropoutSite;

/**
 * Leviathan, causal (SPEC 2.2): attention whose score is a correlation over L sequence lags,
 * {@code S_ij = (1/√D)·Σ_{τ<L} g_{h,τ}·(q_{i−τ}·k_{j−τ})}, then the masked softmax and P·V of
 * attention. Computed as the attention score map A = QKᵀ/√D correlated with g along its
 * diagonals (S = Σ_τ g_τ·shift_τ(A)). With g = (1, 0, …, 0), its initial value, it is attention.
 *
 * <p>Option {@code lags} (L, default 4, 1 ≤ L ≤ context). Tensors: GPT-2's {@code c_attn} and
 * {@code c_proj}, and {@code lag_weight} [H, L].
 */
public final class LeviathanMixer extends QkvMixer {
    public static final String NAME = "leviathan";
    public static final int DEFAULT_LAGS = 4;

    private final int lags;

    public LeviathanMixer(ModelConfig config) {
        super(config, NAME, "lags");
        this.lags = options.integer("lags", DEFAULT_LAGS, 1, config.contextLength);
    }

    /** The lag window L. */
    public int lags() {
        return lags;
    }

    @Override
    protected List<ParamSpec> extraParameters(String prefix) {
        int H = config.heads, L = lags;
        // lag_weight is not decayed: weight decay pulls g towards 0, i.e. towards all-zero scores
        // (uniform attention), not towards its neutral value e_0 (plain attention). Like a
        // LayerNorm gain, it is a per-head scale of the scores, not a weight matrix.
        // Declared last, and drawing nothing from the generator, so the tensors shared with
        // attention get the same initial values under the same seed.
        List<ParamSpec> specs = new java.util.ArrayList<>();
        specs.add(ParamSpec.custom(prefix + "lag_weight", new int[] {H, L}, false, (data, offset, length, rng) -> {
            Arrays.fill(data, offset, offset + length, 0f);
            for (int h = 0; h < H; h++) {
                data[offset + h * L] = 1f;
            }
        }));
        return specs;
    }

    @Override
    protected void declareMixing(BlockLayout acts, String prefix, int B, int T) {
        int H = config.heads;
        acts.add(prefix + "base", B, H, T, T);     // A = QKᵀ/√D
        acts.add(prefix + "preatt", B, H, T, T);   // S, the lag-correlated scores
        acts.add(prefix + "att", B, H, T, T);      // P
    }

    @Override
    protected void mix(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H();
        g.add(Stages.baseScores(x.stage("base_scores"), x.act("base"), x.act("qkv"), B, T, C, H));
        g.add(Stages.lagCorrelate(x.stage("lag_correlate"), x.act("preatt"), x.act("base"), x.param("lag_weight"), B, T, H, lags));
        g.add(Stages.softmaxValues(x.stage("softmax_values"), x.act("atty"), x.act("att"), x.act("preatt"), x.act("qkv"), B, T, C, H, x.dropout()));
    }

    @Override
    protected void mixBackward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H();
        // dS (in dpreatt), then dA (in dbase) and dg from it; dq from dA; dk, dv by attention's own key/value stage.
        g.add(Stages.scoresBackward(x.stage("scores.backward"), x.dact("preatt"), x.dact("atty"), x.act("qkv"), x.act("att"),
                B, T, C, H, x.dropout()));
        g.add(Stages.lagCorrelateBackward(x.stage("lag_correlate.backward"), x.dact("base"), x.dact("preatt"),
                x.param("lag_weight"), B, T, H, lags));
        g.add(Stages.lagWeightBackward(x.stage("lag_weight.backward"), x.grad("lag_weight"), x.dact("preatt"), x.act("base"),
                B, T, H, lags));
        g.add(Stages.queryBackward(x.stage("query.backward"), x.dact("qkv"), x.dact("base"), x.act("qkv"), B, T, C, H));
        g.add(CoreStages.attentionBackwardKeyValue(x.stage("key_value.backward"), x.dact("qkv"), x.dact("base"), x.dact("atty"),
                x.act("qkv"), x.act("att"), B, T, C, H, x.dropout()));
    }

    /**
     * The stages of the Leviathan mixer: each factory checks its buffers' sizes ({@link StageChecks}), states
     * the stage's extent, FLOPs and bytes, and builds it through the kernel's generated builder in
     * {@link LeviathanKernels}.
     */
    public static final class Stages {
        private Stages() {}

        private static final int F = Float.BYTES;

        static void checkHeads(String name, int B, int T, int C, int H) {
            StageChecks.positive(name, "B", B);
            StageChecks.positive(name, "T", T);
            StageChecks.positive(name, "C", C);
            StageChecks.heads(name, C, H);
        }

        private static void checkLags(String name, int B, int T, int H, int L) {
            StageChecks.positive(name, "B", B);
            StageChecks.positive(name, "T", T);
            StageChecks.positive(name, "H", H);
            StageChecks.positive(name, "L (lags)", L);
        }

        /** Both directions of the lag correlation map one (B,H,T,T) score map to another through lag (H,L), at the same cost. */
        private static void checkLagCorrelation(String name, FloatSlice to, FloatSlice from, FloatSlice lag, int B, int T, int H, int L) {
            checkLags(name, B, T, H, L);
            StageChecks.expect(name, to, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, from, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, lag, (long) H * L, "H*L");
        }

        /** A multiply and an add per term (i, j, τ) of every head: the lag correlation, its adjoint and the lag weights' gradient alike. */
        private static double lagTermFlops(int B, int T, int H, int L) {
            return 2.0 * B * H * lagTerms(T, L);
        }

        /** Causal score pairs (i, j ≤ i) of all heads. */
        static double pairs(int B, int H, int T) {
            return (double) B * H * T * (T + 1) / 2;
        }

        /** Terms (i, j, τ) of the lag correlation of one head: Σ_{j<T} (T − j)·min(L, j + 1). */
        public static double lagTerms(int T, int L) {
            double n = 0;
            for (int j = 0; j < T; j++) {
                n += (double) (T - j) * Math.min(L, j + 1);
            }
            return n;
        }

        private static double scoreMap(int B, int H, int T) {
            return (double) B * H * T * T;
        }

        /** base (B,H,T,T): A = QKᵀ/√D on the causal pairs; qkv (B,T,3C). */
        public static Stage baseScores(String name, FloatSlice base, FloatSlice qkv, int B, int T, int C, int H) {
            checkHeads(name, B, T, C, H);
            StageChecks.expect(name, base, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
            double p = pairs(B, H, T);
            return LeviathanKernels.baseScores(name, new int[] {B * H * T}, p * 2.0 * C / H,
                    ((double) B * T * 2 * C + p) * F, base, qkv, T, C, H);
        }

        /** preatt (B,H,T,T) = lag correlation of base (B,H,T,T) with lag (H,L) along the diagonals. */
        public static Stage lagCorrelate(String name, FloatSlice preatt, FloatSlice base, FloatSlice lag, int B, int T, int H, int L) {
            checkLagCorrelation(name, preatt, base, lag, B, T, H, L);
            return LeviathanKernels.lagCorrelate(name, new int[] {B * H * T}, lagTermFlops(B, T, H, L),
                    (2 * pairs(B, H, T) + (double) H * L) * F, preatt, base, lag, T, H, L);
        }

        /** att (B,H,T,T) = softmax of preatt rows; out (B,T,C) = att·V from qkv (B,T,3C). */
        public static Stage softmaxValues(String name, FloatSlice out, FloatSlice att, FloatSlice preatt, FloatSlice qkv,
                                          int B, int T, int C, int H, DropoutSite drop) {
            checkHeads(name, B, T, C, H);
            StageChecks.expect(name, out, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, att, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, preatt, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
            double p = pairs(B, H, T);
            return LeviathanKernels.softmaxValues(name, new int[] {B * H * T}, p * (5.0 + 2.0 * C / H),
                    ((double) B * T * 2 * C + 2 * p) * F, out, att, preatt, qkv, drop.scalars(), T, C, H, drop.key());
        }

        /** dpreatt (B,H,T,T) = softmax backward of dout (B,T,C)·Vᵀ; writes dpreatt. */
        public static Stage scoresBackward(String name, FloatSlice dpreatt, FloatSlice dout, FloatSlice qkv, FloatSlice att,
                                           int B, int T, int C, int H, DropoutSite drop) {
            checkHeads(name, B, T, C, H);
            StageChecks.expect(name, dpreatt, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, dout, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
            StageChecks.expect(name, att, (long) B * H * T * T, "B*H*T*T");
            double p = pairs(B, H, T);
            return LeviathanKernels.scoresBackward(name, new int[] {B * H * T}, p * (4.0 + 2.0 * C / H),
                    ((double) B * T * 2 * C + 3 * p) * F, dpreatt, dout, qkv, att, drop.scalars(), T, C, H, drop.key());
        }

        /** dbase (B,H,T,T) = adjoint lag correlation of dpreatt (B,H,T,T) with lag (H,L); writes dbase. */
        public static Stage lagCorrelateBackward(String name, FloatSlice dbase, FloatSlice dpreatt, FloatSlice lag,
                                                 int B, int T, int H, int L) {
            checkLagCorrelation(name, dbase, dpreatt, lag, B, T, H, L);
            return LeviathanKernels.lagCorrelateBackward(name, new int[] {B * H * T}, lagTermFlops(B, T, H, L),
                    (2 * pairs(B, H, T) + (double) H * L) * F, dbase, dpreatt, lag, T, H, L);
        }

        /** dlag (H,L) += Σ over batch and causal pairs of dpreatt·shifted base; accumulates. */
        public static Stage lagWeightBackward(String name, FloatSlice dlag, FloatSlice dpreatt, FloatSlice base,
                                              int B, int T, int H, int L) {
            checkLags(name, B, T, H, L);
            StageChecks.expect(name, dlag, (long) H * L, "H*L");
            StageChecks.expect(name, dpreatt, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, base, (long) B * H * T * T, "B*H*T*T");
            return LeviathanKernels.lagWeightBackward(name, new int[] {H * L}, lagTermFlops(B, T, H, L),
                    (2 * scoreMap(B, H, T) + 2.0 * H * L) * F, dlag, dpreatt, base, B, T, H, L);
        }

        /** dqkv's Q columns (B,T,3C) += dbase (B,H,T,T)·K/√D; accumulates. */
        public static Stage queryBackward(String name, FloatSlice dqkv, FloatSlice dbase, FloatSlice qkv, int B, int T, int C, int H) {
            checkHeads(name, B, T, C, H);
            StageChecks.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
            StageChecks.expect(name, dbase, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
            double p = pairs(B, H, T);
            return LeviathanKernels.queryBackward(name, new int[] {B * H * T}, p * 2.0 * C / H,
                    ((double) B * T * 3 * C + p) * F, dqkv, dbase, qkv, T, C, H);
        }
    }
}
