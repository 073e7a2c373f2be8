package leviathan.model;

import java.util.Map;
import java.util.stream.Stream;

import leviathan.graph.Backend;
import leviathan.model.mixers.example.RunningMeanMixer;

/** Tiny configs and seeded parameter fills shared by the model tests. */
final class TestModels {
    private TestModels() {}

    /** V=11, Tmax=8, 2 layers, 2 heads, width 16, attention. */
    static ModelConfig tiny() {
        return tiny("attention");
    }

    /** The tiny config with another mixer (its default options). */
    static ModelConfig tiny(String mixer) {
        return new ModelConfig(11, 8, 2, 2, 16, mixer, Map.of());
    }

    /** Every registered mixer, the test tree's example included: what the per-mixer checks run over. */
    static Stream<String> allMixers() {
        RunningMeanMixer.register();
        return Mixers.all().keySet().stream();
    }

    /**
     * GPT-2 init, then every trainable tensor moved by N(0, std) noise (LayerNorm scales stay near 1,
     * biases become non-zero): a "trained-looking" model whose gradients and mixing are not tiny.
     */
    static Gpt randomised(ModelConfig config, long seed, float std) {
        Gpt model = new Gpt(config);
        model.initialise(seed);
        Rng rng = new Rng(seed * 7919 + 17);
        float[] p = model.params.array();
        for (ParamSpec s : model.specs()) {
            if (!s.trainable) {
                continue;
            }
            int off = model.layout.offsetOf(s.name);
            for (int i = 0; i < s.size(); i++) {
                p[off + i] += (float) (rng.nextGaussian() * std);
            }
        }
        return model;
    }

    /** Fills tokens and targets of a workspace with seeded random ids. */
    static void randomBatch(Workspace ws, long seed) {
        Rng rng = new Rng(seed);
        int V = ws.model.config.vocabSize;
        for (int i = 0; i < ws.tokens.length; i++) {
            ws.tokens.set(i, rng.nextInt(V));
            ws.targets.set(i, rng.nextInt(V));
        }
    }

    /** Runs logits then loss; returns the mean loss. */
    static float loss(Backend backend, Backend.CompiledGraph logits, Backend.CompiledGraph loss, Workspace ws) {
        backend.syncToDevice(ws.model.params.array(), ws.tokens.array, ws.targets.array);
        logits.run();
        loss.run();
        backend.syncToHost(ws.loss.array);
        return ws.loss.get(0);
    }
}
