package leviathan.model.mixers;

import java.util.Arrays;
import java.util.List;

import leviathan.compute.BlockLayout;
import leviathan.compute.Graph;
import leviathan.compute.Ops;
import leviathan.compute.mixers.LeviathanOps;
import leviathan.model.Layers;
import leviathan.model.Mixer;
import leviathan.model.MixerContext;
import leviathan.model.MixerOptions;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;

/**
 * Leviathan, causal (SPEC 2.2): attention whose score is a correlation over L sequence lags,
 * {@code S_ij = (1/√D)·Σ_{τ<L} g_{h,τ}·(q_{i−τ}·k_{j−τ})}, then the masked softmax and P·V of
 * attention. Computed as the attention score map A = QKᵀ/√D correlated with g along its
 * diagonals (S = Σ_τ g_τ·shift_τ(A)). With g = (1, 0, …, 0), its initial value, it is attention.
 *
 * <p>Option {@code lags} (L, default 4, 1 ≤ L ≤ context). Tensors: GPT-2's {@code c_attn} and
 * {@code c_proj}, and {@code lag_weight} [H, L].
 */
public final class LeviathanMixer implements Mixer {
    public static final String NAME = "leviathan";
    public static final int DEFAULT_LAGS = 4;

    private final ModelConfig config;
    private final int lags;

    public LeviathanMixer(ModelConfig config) {
        this.config = config;
        MixerOptions options = MixerOptions.of(config).allowOnly("lags");
        this.lags = options.integer("lags", DEFAULT_LAGS, 1, config.contextLength);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The lag window L. */
    public int lags() {
        return lags;
    }

    @Override
    public List<ParamSpec> parameters(String prefix) {
        int H = config.heads, L = lags;
        // lag_weight is not decayed: weight decay pulls g towards 0, i.e. towards all-zero scores
        // (uniform attention), not towards its neutral value e_0 (plain attention). Like a
        // LayerNorm gain, it is a per-head scale of the scores, not a weight matrix.
        // Declared last, and drawing nothing from the generator, so the tensors shared with
        // attention get the same initial values under the same seed.
        List<ParamSpec> specs = new java.util.ArrayList<>(Layers.qkvAndProjection(prefix, config));
        specs.add(ParamSpec.custom(prefix + "lag_weight", new int[] {H, L}, false, (data, offset, length, rng) -> {
            Arrays.fill(data, offset, offset + length, 0f);
            for (int h = 0; h < H; h++) {
                data[offset + h * L] = 1f;
            }
        }));
        return specs;
    }

    @Override
    public void declareActivations(BlockLayout acts, String prefix, int B, int T) {
        int C = config.width, H = config.heads;
        acts.add(prefix + "qkv", B, T, 3 * C);
        acts.add(prefix + "base", B, H, T, T);     // A = QKᵀ/√D
        acts.add(prefix + "preatt", B, H, T, T);   // S, the lag-correlated scores
        acts.add(prefix + "att", B, H, T, T);      // P
        acts.add(prefix + "atty", B, T, C);
    }

    @Override
    public void forward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, BT = x.BT(), C = x.C(), H = x.H();
        Layers.linearForward(g, x.stage("qkv"), x.act("qkv"), x.u(), x.param("c_attn.weight"), x.param("c_attn.bias"), BT, C, 3 * C);
        g.add(LeviathanOps.baseScores(x.stage("base_scores"), x.act("base"), x.act("qkv"), B, T, C, H));
        g.add(LeviathanOps.lagCorrelate(x.stage("lag_correlate"), x.act("preatt"), x.act("base"), x.param("lag_weight"), B, T, H, lags));
        g.add(LeviathanOps.softmaxValues(x.stage("softmax_values"), x.act("atty"), x.act("att"), x.act("preatt"), x.act("qkv"), B, T, C, H));
        Layers.linearForward(g, x.stage("proj"), x.y(), x.act("atty"), x.param("c_proj.weight"), x.param("c_proj.bias"), BT, C, C);
    }

    @Override
    public void backward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, BT = x.BT(), C = x.C(), H = x.H();
        Layers.linearBackward(g, x.stage("proj.backward"), x.dact("atty"), x.grad("c_proj.weight"), x.grad("c_proj.bias"),
                x.dy(), x.act("atty"), x.param("c_proj.weight"), BT, C, C);
        // dS (in dpreatt), then dA (in dbase) and dg from it; dq from dA; dk, dv by attention's own key/value stage.
        g.add(LeviathanOps.scoresBackward(x.stage("scores.backward"), x.dact("preatt"), x.dact("atty"), x.act("qkv"), x.act("att"),
                B, T, C, H));
        g.add(LeviathanOps.lagCorrelateBackward(x.stage("lag_correlate.backward"), x.dact("base"), x.dact("preatt"),
                x.param("lag_weight"), B, T, H, lags));
        g.add(LeviathanOps.lagWeightBackward(x.stage("lag_weight.backward"), x.grad("lag_weight"), x.dact("preatt"), x.act("base"),
                B, T, H, lags));
        g.add(LeviathanOps.queryBackward(x.stage("query.backward"), x.dact("qkv"), x.dact("base"), x.act("qkv"), B, T, C, H));
        g.add(Ops.attentionBackwardKeyValue(x.stage("key_value.backward"), x.dact("qkv"), x.dact("base"), x.dact("atty"),
                x.act("qkv"), x.act("att"), B, T, C, H));
        Layers.linearBackward(g, x.stage("qkv.backward"), x.du(), x.grad("c_attn.weight"), x.grad("c_attn.bias"),
                x.dact("qkv"), x.u(), x.param("c_attn.weight"), BT, C, 3 * C);
    }
}
