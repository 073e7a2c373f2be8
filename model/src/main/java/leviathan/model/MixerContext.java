package leviathan.model;

import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.stages.DropoutSite;

/**
 * The buffers a mixer works on for one block: its input u and output y (B×T×C) with their
 * gradients, and its own parameters, gradients, activations and activation gradients by local
 * name. {@code stage} prefixes the names of the stages it declares ("h0.attn").
 */
public final class MixerContext {
    public final ModelConfig config;
    public final String prefix;
    public final String stage;
    public final int B;
    public final int T;
    private final FloatBlock params;
    private final FloatBlock grads;
    private final FloatBlock acts;
    private final FloatBlock dacts;
    private final FloatSlice u;
    private final FloatSlice y;
    private final FloatSlice du;
    private final FloatSlice dy;
    private final DropoutSite dropout;

    public MixerContext(ModelConfig config, String prefix, String stage, int B, int T,
                        FloatBlock params, FloatBlock grads, FloatBlock acts, FloatBlock dacts,
                        FloatSlice u, FloatSlice y, FloatSlice du, FloatSlice dy, DropoutSite dropout) {
        this.config = config;
        this.prefix = prefix;
        this.stage = stage;
        this.B = B;
        this.T = T;
        this.params = params;
        this.grads = grads;
        this.acts = acts;
        this.dacts = dacts;
        this.u = u;
        this.y = y;
        this.du = du;
        this.dy = dy;
        this.dropout = dropout;
    }

    /** Where this block's mixer drops out its probabilities ({@link DropoutSite#NONE} outside training; a mixer without probabilities ignores it). */
    public DropoutSite dropout() {
        return dropout;
    }

    public int C() {
        return config.width;
    }

    public int H() {
        return config.heads;
    }

    public int BT() {
        return B * T;
    }

    public FloatSlice u() { return u; }
    public FloatSlice y() { return y; }
    public FloatSlice du() { return du; }
    public FloatSlice dy() { return dy; }

    public FloatSlice param(String local) {
        return params.slice(prefix + local);
    }

    public FloatSlice grad(String local) {
        return grads.slice(prefix + local);
    }

    public FloatSlice act(String local) {
        return acts.slice(prefix + local);
    }

    public FloatSlice dact(String local) {
        return dacts.slice(prefix + local);
    }

    /** A stage name under this block's mixer, e.g. stage("qkv") → "h0.attn.qkv". */
    public String stage(String local) {
        return stage + "." + local;
    }
}
