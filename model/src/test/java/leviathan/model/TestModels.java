package leviathan.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import leviathan.graph.Backend;
import leviathan.model.mixers.example.RunningMeanMixer;

/** Tiny configs, seeded parameter fills, loss evaluation and checkpoints shared by the model and mixer tests. */
public final class TestModels {
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
    public static Gpt randomised(ModelConfig config, long seed, float std) {
        Gpt model = new Gpt(config);
        model.initialise(seed);
        addNoise(model, seed * 7919 + 17, std);
        return model;
    }

    /** Adds N(0, std) noise drawn from {@code seed} to every trainable tensor, in layout order (buffers kept). */
    public static void addNoise(Gpt model, long seed, float std) {
        Rng rng = new Rng(seed);
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
    }

    /** Fills tokens and targets of a workspace with seeded random ids. */
    public static void randomBatch(Workspace ws, long seed) {
        Rng rng = new Rng(seed);
        int V = ws.model.config.vocabSize;
        for (int i = 0; i < ws.tokens.length; i++) {
            ws.tokens.set(i, rng.nextInt(V));
            ws.targets.set(i, rng.nextInt(V));
        }
    }

    /** Runs logits then loss; returns the mean loss. */
    public static float loss(Backend backend, Backend.CompiledGraph logits, Backend.CompiledGraph loss, Workspace ws) {
        backend.syncToDevice(ws.model.params.array(), ws.tokens.array, ws.targets.array);
        logits.run();
        loss.run();
        backend.syncToHost(ws.loss.array);
        return ws.loss.get(0);
    }

    /** (L(p+e) − L(p−e)) / (the actual float32 step) at parameter element {@code at} of {@code p}, restored afterwards. */
    public static double lossDifference(Backend backend, Backend.CompiledGraph logits, Backend.CompiledGraph loss, Workspace ws,
                                        float[] p, int at, float eps) {
        float orig = p[at];
        float up = orig + eps;
        float down = orig - eps;
        p[at] = up;
        float lp = loss(backend, logits, loss, ws);
        p[at] = down;
        float lm = loss(backend, logits, loss, ws);
        p[at] = orig;
        return ((double) lp - lm) / ((double) up - down);
    }

    /**
     * The coordinates a gradient check samples from the tensor at {@code grads[off … off+n−1]}: the
     * one with the largest gradient, then {@code random} drawn by {@code pick}.
     */
    public static List<Integer> sampledCoordinates(float[] grads, int off, int n, int random, Rng pick) {
        List<Integer> coords = new ArrayList<>();
        int argmax = 0;
        for (int i = 1; i < n; i++) {
            if (Math.abs(grads[off + i]) > Math.abs(grads[off + argmax])) {
                argmax = i;
            }
        }
        coords.add(argmax);
        for (int k = 0; k < random; k++) {
            coords.add(pick.nextInt(n));
        }
        return coords;
    }

    /** Saves {@code model} as {@code dir/model.safetensors} with a vocabulary "a", "b", … of its size; returns the file. */
    public static Path save(Path dir, Gpt model, Map<String, String> metadata) throws IOException {
        List<String> vocab = new ArrayList<>();
        for (int i = 0; i < model.config.vocabSize; i++) {
            vocab.add(Character.toString('a' + i));
        }
        Path file = dir.resolve("model.safetensors");
        ModelCheckpoint.save(file, model, vocab, metadata);
        return file;
    }

    /** Every tensor of {@code actual}, buffers included, equals {@code expected}'s element for element. */
    public static void assertSameParameters(Gpt expected, Gpt actual) {
        for (ParamSpec s : expected.specs()) {
            assertArrayEquals(expected.param(s.name).toArray(), actual.param(s.name).toArray(), s.name);
        }
    }
}
