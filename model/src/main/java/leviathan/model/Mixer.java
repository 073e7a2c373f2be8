package leviathan.model;

import java.util.List;

import leviathan.graph.BlockLayout;
import leviathan.graph.Graph;

/**
 * The token mixer of a block: {@code y = Mixer(u)} with u, y ∈ R^{B×T×C} (SPEC 2). Attention is one;
 * the replacements are others. A mixer declares its parameters and activations, and adds its
 * forward and backward stages to the model's graphs; the model and trainer never look inside.
 *
 * <p>To add a mixer: write its kernels in {@code tornado-kernels}, one class implementing this
 * interface, and register it in {@link Mixers}.
 */
public interface Mixer {
    /** The config name, e.g. "attention". */
    String name();

    /** Output row i depends only on input rows ≤ i (SPEC 1). Only the notebook reproduction breaks it. */
    default boolean causal() {
        return true;
    }

    /** The mixer's tensors for one block, each named {@code prefix + local name} (prefix "h.{l}.attn."). */
    List<ParamSpec> parameters(String prefix);

    /** Internal activations of one block for batch B and length T, named under {@code prefix}. */
    void declareActivations(BlockLayout acts, String prefix, int B, int T);

    /** Adds the stages that compute {@code ctx.y()} from {@code ctx.u()}. */
    void forward(Graph graph, MixerContext ctx);

    /** Adds the stages that accumulate into {@code ctx.du()} and the mixer's parameter gradients from {@code ctx.dy()}. */
    void backward(Graph graph, MixerContext ctx);

    /**
     * The options this mixer takes and the value each resolved to, defaults included; the mixer's
     * constructor reads them through {@link MixerOptions}.
     */
    MixerOptions options();

    /** Called by the trainer before each optimisation step (e.g. the Performer redraws its features). */
    default void beforeStep(long step, MixerState state) {
    }
}
