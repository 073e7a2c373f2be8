package leviathan.model.mixers;

import static leviathan.testing.TestData.toDouble;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import leviathan.graph.Backend;
import leviathan.graph.BlockLayout;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;
import leviathan.model.Gpt;
import leviathan.model.Mixer;
import leviathan.model.MixerContext;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;
import leviathan.model.TestModels;

/**
 * One mixer run on its own small buffers through real graphs (its forward and backward stages as
 * the model declares them, compiled by the JVM backend with plain kernels, 2 threads): input u and
 * output y (B, T, C), the mixer's parameters under "h.0.attn." filled with N(0, std) noise, and
 * the gradients of {@code L = Σ dy·y}. Plus the double-precision helpers the mixer tests share:
 * a linear layer and a randomised model.
 */
final class StandaloneMixer implements AutoCloseable {
    static final String PREFIX = "h.0.attn.";

    final ModelConfig config;
    final Mixer mixer;
    final int B;
    final int T;
    final List<ParamSpec> specs;
    final FloatBlock params;
    final FloatBlock grads;
    private final FloatBlock acts;
    private final FloatBlock dacts;
    private final Backend backend = new JvmBackend(2, false, new Profiler());
    private final Backend.CompiledGraph forward;
    private final Backend.CompiledGraph backward;

    StandaloneMixer(ModelConfig config, int B, int T, long seed, float std) {
        this.config = config;
        this.mixer = Mixers.create(config);
        this.B = B;
        this.T = T;
        this.specs = mixer.parameters(PREFIX);
        BlockLayout paramLayout = new BlockLayout("params");
        for (ParamSpec s : specs) {
            paramLayout.add(s.name, s.shape);
        }
        this.params = paramLayout.allocate("params");
        this.grads = paramLayout.allocate("grads");
        Rng rng = new Rng(seed);
        for (ParamSpec s : specs) {
            FloatSlice p = params.slice(s.name);
            for (int i = 0; i < p.length; i++) {
                p.set(i, (float) (rng.nextGaussian() * std));
            }
        }
        BlockLayout actLayout = new BlockLayout("acts");
        actLayout.add("u", B, T, config.width);
        actLayout.add("y", B, T, config.width);
        mixer.declareActivations(actLayout, PREFIX, B, T);
        this.acts = actLayout.allocate("acts");
        this.dacts = actLayout.allocate("dacts");
        MixerContext ctx = new MixerContext(config, PREFIX, "h0.attn", B, T, params, grads, acts, dacts,
                acts.slice("u"), acts.slice("y"), dacts.slice("u"), dacts.slice("y"), leviathan.stages.DropoutSite.NONE);
        Graph f = new Graph("forward");
        mixer.forward(f, ctx);
        Graph b = new Graph("backward");
        mixer.backward(b, ctx);
        this.forward = backend.compile(f);
        this.backward = backend.compile(b);
    }

    int inputSize() {
        return B * T * config.width;
    }

    /** y for input u (both (B, T, C)). */
    float[] forward(float[] u) {
        acts.slice("u").copyFrom(u);
        forward.run();
        return acts.slice("y").toArray();
    }

    /** Runs forward then backward from zeroed gradients; returns dL/du and leaves dL/dparams in {@link #grads}. */
    float[] gradients(float[] u, float[] dy) {
        forward(u);
        grads.all().fill(0f);
        dacts.all().fill(0f);
        dacts.slice("y").copyFrom(dy);
        backward.run();
        return dacts.slice("u").toArray();
    }

    /** Every parameter tensor by its local name ("c_proj.weight"), in double, in the in-memory layout. */
    Map<String, double[]> parameterValues() {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (ParamSpec s : specs) {
            m.put(s.name.substring(PREFIX.length()), toDouble(params.slice(s.name).toArray()));
        }
        return m;
    }

    float[] gradient(String local) {
        return grads.slice(PREFIX + local).toArray();
    }

    @Override
    public void close() {
        backend.close();
    }

    /** y (N, out) = x (N, in) · w (out, in)ᵀ + b (out): a linear layer in double, weights in memory layout. */
    static double[] linear(double[] x, double[] w, double[] b, int N, int in, int out) {
        double[] y = new double[N * out];
        for (int n = 0; n < N; n++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int c = 0; c < in; c++) {
                    acc += x[n * in + c] * w[o * in + c];
                }
                y[n * out + o] = acc;
            }
        }
        return y;
    }

    /** A GPT-2-initialised model whose trainable tensors are then moved by N(0, std) noise (untrained buffers kept). */
    static Gpt randomisedModel(ModelConfig config, long seed, float std) {
        Gpt model = new Gpt(config);
        model.initialise(seed);
        TestModels.addNoise(model, seed + 1, std);
        return model;
    }
}
