package leviathan.tools;

import java.util.List;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.model.Mixer;
import leviathan.model.MixerContext;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;

/**
 * One mixer layer on its own, y = Mixer(u) for a batch (B, T), with its forward and backward graphs:
 * what {@code scale} times. Parameters are initialised as the model would (ParamSpec), the input and
 * the output gradient are random.
 */
final class MixerLayer {
    final Mixer mixer;
    final Graph forward;
    final Graph backward;
    final long bytes;

    MixerLayer(ModelConfig config, int B, int T, long seed) {
        mixer = Mixers.create(config);
        String prefix = "h.0.attn.";
        List<ParamSpec> specs = mixer.parameters(prefix);
        BlockLayout paramLayout = new BlockLayout("params");
        for (ParamSpec s : specs) {
            paramLayout.add(s.name, s.shape);
        }
        FloatBlock params = paramLayout.allocate("params");
        FloatBlock grads = paramLayout.allocate("grads");
        Rng rng = new Rng(seed);
        for (ParamSpec s : specs) {
            initialise(s, params.slice(s.name), rng);
        }
        BlockLayout actLayout = new BlockLayout("acts");
        int C = config.width;
        actLayout.add("u", B, T, C);
        actLayout.add("y", B, T, C);
        mixer.declareActivations(actLayout, prefix, B, T);
        FloatBlock acts = actLayout.allocate("acts");
        FloatBlock dacts = actLayout.allocate("dacts");
        FloatSlice u = acts.slice("u"), dy = dacts.slice("y");
        for (int i = 0; i < u.length; i++) {
            u.set(i, (float) rng.nextGaussian());
            dy.set(i, (float) (rng.nextGaussian() * 0.01));
        }
        MixerContext ctx = new MixerContext(config, prefix, "mixer", B, T, params, grads, acts, dacts,
                u, acts.slice("y"), dacts.slice("u"), dy, leviathan.stages.DropoutSite.NONE);
        forward = new Graph("forward");
        mixer.forward(forward, ctx);
        backward = new Graph("backward");
        mixer.backward(backward, ctx);
        bytes = 4L * (2L * paramLayout.size() + 2L * actLayout.size());
    }

    private static void initialise(ParamSpec s, FloatSlice t, Rng rng) {
        switch (s.init) {
            case NORMAL:
                for (int i = 0; i < t.length; i++) {
                    t.set(i, (float) (rng.nextGaussian() * s.std));
                }
                break;
            case ONES:
                t.fill(1f);
                break;
            case ZEROS:
                t.fill(0f);
                break;
            case CUSTOM:
                s.custom.fill(t.array, t.offset, t.length, rng);
                break;
            default:
                throw new IllegalStateException(s.init.name());
        }
    }
}
