package leviathan.model;

import java.util.List;

import leviathan.graph.BlockLayout;
import leviathan.graph.Graph;
import leviathan.stages.CoreStages;

/** The baseline: causal multi-head scaled dot-product attention (SPEC 2.1), GPT-2's c_attn/c_proj. */
public final class AttentionMixer implements Mixer {
    private final ModelConfig config;

    public AttentionMixer(ModelConfig config) {
        this.config = config;
        MixerOptions.of(config).allowOnly();
    }

    @Override
    public String name() {
        return "attention";
    }

    @Override
    public List<ParamSpec> parameters(String prefix) {
        return Layers.qkvAndProjection(prefix, config);
    }

    @Override
    public void declareActivations(BlockLayout acts, String prefix, int B, int T) {
        int C = config.width, H = config.heads;
        acts.add(prefix + "qkv", B, T, 3 * C);
        acts.add(prefix + "preatt", B, H, T, T);
        acts.add(prefix + "att", B, H, T, T);
        acts.add(prefix + "atty", B, T, C);
    }

    @Override
    public void forward(Graph g, MixerContext x) {
        int BT = x.BT(), C = x.C();
        Layers.linearForward(g, x.stage("qkv"), x.act("qkv"), x.u(), x.param("c_attn.weight"), x.param("c_attn.bias"), BT, C, 3 * C);
        g.add(CoreStages.attentionForward(x.stage("attention"), x.act("atty"), x.act("preatt"), x.act("att"), x.act("qkv"), x.B, x.T, C, x.H()));
        Layers.linearForward(g, x.stage("proj"), x.y(), x.act("atty"), x.param("c_proj.weight"), x.param("c_proj.bias"), BT, C, C);
    }

    @Override
    public void backward(Graph g, MixerContext x) {
        int BT = x.BT(), C = x.C();
        Layers.linearBackward(g, x.stage("proj.backward"), x.dact("atty"), x.grad("c_proj.weight"), x.grad("c_proj.bias"),
                x.dy(), x.act("atty"), x.param("c_proj.weight"), BT, C, C);
        g.add(CoreStages.attentionBackwardQuery(x.stage("attention.backward_query"), x.dact("qkv"), x.dact("preatt"), x.dact("atty"),
                x.act("qkv"), x.act("att"), x.B, x.T, C, x.H()));
        g.add(CoreStages.attentionBackwardKeyValue(x.stage("attention.backward_key_value"), x.dact("qkv"), x.dact("preatt"), x.dact("atty"),
                x.act("qkv"), x.act("att"), x.B, x.T, C, x.H()));
        Layers.linearBackward(g, x.stage("qkv.backward"), x.du(), x.grad("c_attn.weight"), x.grad("c_attn.bias"),
                x.dact("qkv"), x.u(), x.param("c_attn.weight"), BT, C, 3 * C);
    }
}
