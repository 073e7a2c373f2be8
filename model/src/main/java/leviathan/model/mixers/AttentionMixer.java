package leviathan.model.mixers;

import leviathan.graph.BlockLayout;
import leviathan.graph.Graph;
import leviathan.model.MixerContext;
import leviathan.model.ModelConfig;
import leviathan.stages.CoreStages;

/**
 * The baseline: causal multi-head scaled dot-product attention (SPEC 2.1), GPT-2's attention. Its
 * stages are core stages ({@link CoreStages}), because Leviathan and the notebook reproduction reuse
 * them.
 */
public final class AttentionMixer extends QkvMixer {
    public AttentionMixer(ModelConfig config) {
        super(config, "attention");
    }

    @Override
    protected void declareMixing(BlockLayout acts, String prefix, int B, int T) {
        int H = config.heads;
        acts.add(prefix + "preatt", B, H, T, T);
        acts.add(prefix + "att", B, H, T, T);
    }

    @Override
    protected void mix(Graph g, MixerContext x) {
        g.add(CoreStages.attentionForward(x.stage("attention"), x.act("atty"), x.act("preatt"), x.act("att"), x.act("qkv"),
                x.B, x.T, x.C(), x.H(), x.dropout()));
    }

    @Override
    protected void mixBackward(Graph g, MixerContext x) {
        g.add(CoreStages.attentionBackwardQuery(x.stage("attention.backward_query"), x.dact("qkv"), x.dact("preatt"), x.dact("atty"),
                x.act("qkv"), x.act("att"), x.B, x.T, x.C(), x.H(), x.dropout()));
        g.add(CoreStages.attentionBackwardKeyValue(x.stage("attention.backward_key_value"), x.dact("qkv"), x.dact("preatt"),
                x.dact("atty"), x.act("qkv"), x.act("att"), x.B, x.T, x.C(), x.H(), x.dropout()));
    }
}
