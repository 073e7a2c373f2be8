package leviathan.model.mixers;

import java.util.List;

import leviathan.compute.BlockLayout;
import leviathan.compute.Graph;
import leviathan.compute.Ops;
import leviathan.compute.mixers.LeviathanSameOps;
import leviathan.model.Layers;
import leviathan.model.Mixer;
import leviathan.model.MixerContext;
import leviathan.model.MixerOptions;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;

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
        g.add(LeviathanSameOps.correlate(x.stage("correlate"), x.act("cqkv"), x.act("qkv"), B, T, C, H));
        g.add(Ops.attentionForward(x.stage("attention"), x.act("atty"), x.act("preatt"), x.act("att"), x.act("cqkv"), B, T, C, H));
        Layers.linearForward(g, x.stage("proj"), x.y(), x.act("atty"), x.param("c_proj.weight"), x.param("c_proj.bias"), BT, C, C);
    }

    @Override
    public void backward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, BT = x.BT(), C = x.C(), H = x.H();
        Layers.linearBackward(g, x.stage("proj.backward"), x.dact("atty"), x.grad("c_proj.weight"), x.grad("c_proj.bias"),
                x.dy(), x.act("atty"), x.param("c_proj.weight"), BT, C, C);
        // Attention backward over cqkv gives dcqkv = [dCmat | dK through Kᵀ | dV] ...
        g.add(Ops.attentionBackwardQuery(x.stage("attention.backward_query"), x.dact("cqkv"), x.dact("preatt"), x.dact("atty"),
                x.act("cqkv"), x.act("att"), B, T, C, H));
        g.add(Ops.attentionBackwardKeyValue(x.stage("attention.backward_key_value"), x.dact("cqkv"), x.dact("preatt"), x.dact("atty"),
                x.act("cqkv"), x.act("att"), B, T, C, H));
        // ... which the correlation's backward turns into dQ, dK (both paths) and dV.
        g.add(LeviathanSameOps.correlateBackward(x.stage("correlate.backward"), x.dact("qkv"), x.dact("cqkv"), x.act("qkv"), B, T, C, H));
        Layers.linearBackward(g, x.stage("qkv.backward"), x.du(), x.grad("c_attn.weight"), x.grad("c_attn.bias"),
                x.dact("qkv"), x.u(), x.param("c_attn.weight"), BT, C, 3 * C);
    }
}
