package leviathan.model.mixers;

import java.util.ArrayList;
import java.util.List;

import leviathan.graph.BlockLayout;
import leviathan.graph.Graph;
import leviathan.model.ConfiguredMixer;
import leviathan.model.Layers;
import leviathan.model.MixerContext;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;

/**
 * The scaffolding every attention-like mixer shares (SPEC 2): {@code [Q K V] = u·W_qkv + b_qkv}
 * into activation {@code qkv} (B, T, 3C), a mixing of its own from {@code qkv} into {@code atty}
 * (B, T, C), and {@code y = atty·W_o + b_o}; the tensors are GPT-2's {@code c_attn} and
 * {@code c_proj}, so an attention run opens in Hugging Face {@code transformers}. A subclass states
 * only its mixing: its extra tensors and activations and its forward and backward stages.
 */
public abstract class QkvMixer extends ConfiguredMixer {
    protected QkvMixer(ModelConfig config, String name, String... optionNames) {
        super(config, name, optionNames);
    }

    /** Tensors beyond c_attn and c_proj (declared after them, so shared tensors draw the same initial values). */
    protected List<ParamSpec> extraParameters(String prefix) {
        return List.of();
    }

    /** The activations of the mixing, between {@code qkv} and {@code atty}. */
    protected abstract void declareMixing(BlockLayout acts, String prefix, int B, int T);

    /** Stages computing {@code act("atty")} from {@code act("qkv")}. */
    protected abstract void mix(Graph g, MixerContext x);

    /** Stages accumulating into {@code dact("qkv")} (and the mixing's own gradients) from {@code dact("atty")}. */
    protected abstract void mixBackward(Graph g, MixerContext x);

    @Override
    public final List<ParamSpec> parameters(String prefix) {
        List<ParamSpec> specs = new ArrayList<>(Layers.qkvAndProjection(prefix, config));
        specs.addAll(extraParameters(prefix));
        return specs;
    }

    @Override
    public final void declareActivations(BlockLayout acts, String prefix, int B, int T) {
        int C = config.width;
        acts.add(prefix + "qkv", B, T, 3 * C);
        declareMixing(acts, prefix, B, T);
        acts.add(prefix + "atty", B, T, C);
    }

    @Override
    public final void forward(Graph g, MixerContext x) {
        int BT = x.BT(), C = x.C();
        Layers.linearForward(g, x.stage("qkv"), x.act("qkv"), x.u(), x.param("c_attn.weight"), x.param("c_attn.bias"), BT, C, 3 * C);
        mix(g, x);
        Layers.linearForward(g, x.stage("proj"), x.y(), x.act("atty"), x.param("c_proj.weight"), x.param("c_proj.bias"), BT, C, C);
    }

    @Override
    public final void backward(Graph g, MixerContext x) {
        int BT = x.BT(), C = x.C();
        Layers.linearBackward(g, x.stage("proj.backward"), x.dact("atty"), x.grad("c_proj.weight"), x.grad("c_proj.bias"),
                x.dy(), x.act("atty"), x.param("c_proj.weight"), BT, C, C);
        mixBackward(g, x);
        Layers.linearBackward(g, x.stage("qkv.backward"), x.du(), x.grad("c_attn.weight"), x.grad("c_attn.bias"),
                x.dact("qkv"), x.u(), x.param("c_attn.weight"), BT, C, 3 * C);
    }
}
