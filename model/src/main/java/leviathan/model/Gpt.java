package leviathan.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.kernels.StepScalars;
import leviathan.stages.CoreStages;

/**
 * The GPT-2 style language model of SPEC 1: its parameters, gradients and AdamW moments, each one
 * contiguous block with named views (names as in SPEC 4), the optimiser's update graph, and
 * {@link Workspace}s (activations and forward/backward graphs) for a batch shape.
 *
 * <p>Layout: decayed tensors (matrices, embeddings) first, then the undecayed trainable ones
 * (biases, LayerNorm), then untrained buffers; so AdamW is two stages over two ranges.
 */
public final class Gpt {
    public static final float INIT_STD = 0.02f;

    /** GPT-2's scaled init of the two residual output projections: 0.02/√(2N). */
    public static float residualStd(ModelConfig c) {
        return (float) (0.02 / Math.sqrt(2.0 * c.layers));
    }

    public final ModelConfig config;
    public final Mixer mixer;
    public final BlockLayout layout;
    public final FloatBlock params;
    public final FloatBlock grads;
    public final FloatBlock m;
    public final FloatBlock v;
    /** The per-step scalars read by AdamW (own array: a device backend updates it each step). */
    public final FloatSlice stepScalars;
    private final List<ParamSpec> specs;
    private final int decayEnd;
    private final int trainEnd;
    private Graph update;

    public Gpt(ModelConfig config) {
        this.config = config.validate();
        this.mixer = Mixers.create(config);
        this.specs = Collections.unmodifiableList(declare());
        this.layout = new BlockLayout("params");
        for (ParamSpec s : ordered(true, true)) {
            layout.add(s.name, s.shape);
        }
        this.decayEnd = align(layout.size());
        for (ParamSpec s : ordered(true, false)) {
            layout.add(s.name, s.shape);
        }
        this.trainEnd = align(layout.size());
        // The optimiser's ranges end at trainEnd, a 16-float boundary: when the width is not a multiple
        // of 16 the last bias ends short of it, and with no untrained tensor after it the block would too.
        layout.extendTo(trainEnd);
        for (ParamSpec s : specs) {
            if (!s.trainable) {
                layout.add(s.name, s.shape);
            }
        }
        this.params = layout.allocate("params");
        this.grads = layout.allocate("grads");
        this.m = layout.allocate("adam_m");
        this.v = layout.allocate("adam_v");
        this.stepScalars = FloatSlice.of("step_scalars", StepScalars.SIZE);
    }

    private static int align(int n) {
        return (n + 15) & ~15;
    }

    private List<ParamSpec> ordered(boolean trainable, boolean decay) {
        List<ParamSpec> out = new ArrayList<>();
        for (ParamSpec s : specs) {
            if (s.trainable == trainable && s.decay == decay) {
                out.add(s);
            }
        }
        return out;
    }

    private List<ParamSpec> declare() {
        int V = config.vocabSize, C = config.width, N = config.layers;
        List<ParamSpec> s = new ArrayList<>();
        s.add(ParamSpec.embedding("wte.weight", V, C, INIT_STD));
        s.add(ParamSpec.embedding("wpe.weight", config.contextLength, C, INIT_STD));
        for (int l = 0; l < N; l++) {
            String h = "h." + l + ".";
            s.add(ParamSpec.ones(h + "ln_1.weight", C));
            s.add(ParamSpec.bias(h + "ln_1.bias", C));
            s.addAll(mixer.parameters(h + "attn."));
            s.add(ParamSpec.ones(h + "ln_2.weight", C));
            s.add(ParamSpec.bias(h + "ln_2.bias", C));
            s.add(ParamSpec.weight(h + "mlp.c_fc.weight", 4 * C, C, INIT_STD));
            s.add(ParamSpec.bias(h + "mlp.c_fc.bias", 4 * C));
            s.add(ParamSpec.weight(h + "mlp.c_proj.weight", C, 4 * C, residualStd(config)));
            s.add(ParamSpec.bias(h + "mlp.c_proj.bias", C));
        }
        s.add(ParamSpec.ones("ln_f.weight", C));
        s.add(ParamSpec.bias("ln_f.bias", C));
        return s;
    }

    /** The config with every mixer option the mixer resolved, defaults included: what checkpoints record. */
    public ModelConfig effectiveConfig() {
        return config.withMixerOptions(mixer.options().effective());
    }

    /** All tensors in declaration order (the order checkpoints list them). */
    public List<ParamSpec> specs() {
        return specs;
    }

    /** GPT-2 initialisation (SPEC 1), drawn in declaration order from one seeded generator. */
    public void initialise(long seed) {
        Rng rng = new Rng(seed);
        float[] p = params.array();
        for (ParamSpec s : specs) {
            int off = layout.offsetOf(s.name);
            int n = s.size();
            switch (s.init) {
                case NORMAL:
                    for (int i = 0; i < n; i++) {
                        p[off + i] = (float) (rng.nextGaussian() * s.std);
                    }
                    break;
                case ZEROS:
                    java.util.Arrays.fill(p, off, off + n, 0f);
                    break;
                case ONES:
                    java.util.Arrays.fill(p, off, off + n, 1f);
                    break;
                case CUSTOM:
                    s.custom.fill(p, off, n, rng);
                    break;
                default:
                    throw new IllegalStateException(s.init.name());
            }
        }
    }

    /** Number of trainable scalars (what a user calls the parameter count). */
    public long parameterCount() {
        long n = 0;
        for (ParamSpec s : specs) {
            if (s.trainable) {
                n += s.size();
            }
        }
        return n;
    }

    public FloatSlice param(String name) {
        return params.slice(name);
    }

    public FloatSlice grad(String name) {
        return grads.slice(name);
    }

    /** Bytes of parameters, gradients and both AdamW moments. */
    public long stateBytes() {
        return 4L * Float.BYTES * layout.size();
    }

    /** Range of the parameter block that holds trainable tensors, [0, trainEnd). */
    public FloatSlice trainableGrads() {
        return grads.range("trainable", 0, trainEnd);
    }

    /** The optimiser step: global gradient norm, clipping scale, AdamW over both groups. Built once. */
    public Graph updateGraph(float weightDecay, float maxGradNorm) {
        if (update != null) {
            return update;
        }
        Graph g = new Graph("update");
        FloatSlice partials = FloatSlice.of("gradnorm_partials", CoreStages.gradNormBlocks(trainEnd));
        g.readsFromHost(stepScalars);
        g.add(CoreStages.gradNormPartial("gradnorm.partial", partials, trainableGrads()));
        g.add(CoreStages.gradNormClip("gradnorm.clip", stepScalars, partials, maxGradNorm));
        g.add(CoreStages.adamw("adamw.decay", params.range("decay", 0, decayEnd), grads.range("decay", 0, decayEnd),
                m.range("decay", 0, decayEnd), v.range("decay", 0, decayEnd), stepScalars, weightDecay));
        g.add(CoreStages.adamw("adamw.no_decay", params.range("no_decay", decayEnd, trainEnd), grads.range("no_decay", decayEnd, trainEnd),
                m.range("no_decay", decayEnd, trainEnd), v.range("no_decay", decayEnd, trainEnd), stepScalars, 0f));
        g.writesToHost(stepScalars);
        update = g;
        return g;
    }

    /** Writes the host side of the step scalars for AdamW step t (1-based). */
    public void setStepScalars(int t, float learningRate, float beta1, float beta2, float eps) {
        float[] s = stepScalars.array;
        s[StepScalars.LEARNING_RATE] = learningRate;
        s[StepScalars.BETA1] = beta1;
        s[StepScalars.BETA2] = beta2;
        s[StepScalars.EPS] = eps;
        s[StepScalars.BIAS_CORRECTION1] = (float) (1.0 - Math.pow(beta1, t));
        s[StepScalars.BIAS_CORRECTION2] = (float) (1.0 - Math.pow(beta2, t));
    }

    /** The gradient norm computed by the last update (before clipping). */
    public float lastGradNorm() {
        return stepScalars.get(StepScalars.GRAD_NORM);
    }

    /** A workspace without dropout (for evaluation and sampling, or training without it). */
    public Workspace workspace(int B, int T, boolean training) {
        return new Workspace(this, B, T, training, null);
    }

    /** A training workspace whose graphs drop out with masks of run seed {@code dropoutSeed}, at the rate its scalars say. */
    public Workspace trainingWorkspace(int B, int T, long dropoutSeed) {
        return new Workspace(this, B, T, true, dropoutSeed);
    }
}
