package leviathan.model;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.IntSlice;
import leviathan.graph.Stage;
import leviathan.kernels.Dropout;
import leviathan.stages.CoreStages;
import leviathan.stages.DropoutSite;

/**
 * Activations of one batch shape (B, T) and the graphs over them: {@code logits} (embedding →
 * blocks → tied LM head), {@code loss} (softmax cross-entropy and its mean) and, for training,
 * {@code backward} (zero gradients, then every stage's backward in reverse). The activation
 * gradients mirror the activation layout (llm.c's grads_acts); {@link GradientZeroing} zeroes
 * only the parts whose first writer accumulates.
 *
 * <p>A training workspace may drop out (nanoGPT's places: the embedding sum, the mixer's
 * probabilities, each residual branch's output). The rate and the step come from
 * {@link #dropoutScalars} at run time, so the same graphs evaluate without dropout when the rate
 * is set to 0; the masks are keyed by (seed, site, step, element) and need no state.
 */
public final class Workspace {
    public final Gpt model;
    public final int B;
    public final int T;
    /** (B, T) input tokens and next-token targets, written by the host before each run. */
    public final IntSlice tokens;
    public final IntSlice targets;
    /** (1) mean loss, read by the host after each run. */
    public final FloatSlice loss;
    public final FloatBlock acts;
    public final FloatBlock dacts;
    public final Graph logitsGraph;
    public final Graph lossGraph;
    public final Graph backwardGraph;
    /** (Dropout.SIZE) the dropout rate and step the kernels read; zero outside training steps. */
    public final FloatSlice dropoutScalars;
    /** The seed of the dropout masks, or null when the graphs have no dropout stages. */
    private final Long dropoutSeed;

    Workspace(Gpt model, int B, int T, boolean training, Long dropoutSeed) {
        ModelConfig cfg = model.config;
        if (B <= 0 || T <= 0) {
            throw new IllegalArgumentException("batch and sequence length must be positive, got B=" + B + " T=" + T);
        }
        if (T > cfg.contextLength) {
            throw new IllegalArgumentException("sequence length " + T + " exceeds the model's context " + cfg.contextLength);
        }
        this.model = model;
        this.B = B;
        this.T = T;
        this.tokens = IntSlice.of("tokens", B * T);
        this.targets = IntSlice.of("targets", B * T);
        this.loss = FloatSlice.of("loss", 1);
        this.dropoutScalars = FloatSlice.of("dropout", Dropout.SIZE);
        this.dropoutSeed = dropoutSeed;
        BlockLayout layout = declareActivations(model, B, T);
        this.acts = layout.allocate("acts");
        this.dacts = training ? layout.allocate("dacts") : null;
        this.logitsGraph = buildLogits();
        this.lossGraph = buildLoss();
        this.backwardGraph = training ? buildBackward() : null;
    }

    /** Sets the dropout rate and step the next runs use (the host copy: sync it to the backend). */
    public void setDropout(float rate, int step) {
        dropoutScalars.set(Dropout.RATE, rate);
        dropoutScalars.set(Dropout.STEP, step);
    }

    /** Dropout sites: the embedding sum, and per block its mixer's probabilities and its two residual branches. */
    private DropoutSite site(int site) {
        return dropoutSeed == null ? DropoutSite.NONE : new DropoutSite(dropoutScalars, Dropout.siteKey(dropoutSeed, site));
    }

    private static int embeddingSite() {
        return 0;
    }

    private static int mixerSite(int l) {
        return 1 + 3 * l;
    }

    private static int attnResidualSite(int l) {
        return 2 + 3 * l;
    }

    private static int mlpResidualSite(int l) {
        return 3 + 3 * l;
    }

    private static String block(int l) {
        return "h." + l + ".";
    }

    private static BlockLayout declareActivations(Gpt model, int B, int T) {
        ModelConfig c = model.config;
        int C = c.width, V = c.vocabSize;
        BlockLayout a = new BlockLayout("acts");
        a.add("encoded", B, T, C);
        for (int l = 0; l < c.layers; l++) {
            String h = block(l);
            a.add(h + "ln_1", B, T, C);
            a.add(h + "ln_1.mean", B, T);
            a.add(h + "ln_1.rstd", B, T);
            model.mixer.declareActivations(a, h + "attn.", B, T);
            a.add(h + "attn.out", B, T, C);
            a.add(h + "res_1", B, T, C);
            a.add(h + "ln_2", B, T, C);
            a.add(h + "ln_2.mean", B, T);
            a.add(h + "ln_2.rstd", B, T);
            a.add(h + "mlp.fc", B, T, 4 * C);
            a.add(h + "mlp.gelu", B, T, 4 * C);
            a.add(h + "mlp.proj", B, T, C);
            a.add(h + "res_2", B, T, C);
        }
        a.add("ln_f", B, T, C);
        a.add("ln_f.mean", B, T);
        a.add("ln_f.rstd", B, T);
        a.add("logits", B, T, V);
        a.add("probs", B, T, V);
        a.add("losses", B, T);
        return a;
    }

    /** The residual stream entering block l (the embedding for l = 0). */
    private String blockInput(int l) {
        return l == 0 ? "encoded" : block(l - 1) + "res_2";
    }

    private MixerContext mixerContext(int l) {
        String h = block(l);
        return new MixerContext(model.config, h + "attn.", "h" + l + ".attn", B, T, model.params, model.grads, acts, dacts,
                acts.slice(h + "ln_1"), acts.slice(h + "attn.out"),
                dacts == null ? null : dacts.slice(h + "ln_1"), dacts == null ? null : dacts.slice(h + "attn.out"), site(mixerSite(l)));
    }

    private Graph buildLogits() {
        ModelConfig c = model.config;
        int C = c.width, V = c.vocabSize, BT = B * T, N = BT * C;
        Graph g = new Graph("forward");
        g.readsFromHost(tokens);
        g.readsFromHost(dropoutScalars);
        g.add(CoreStages.encoderForward("embedding", acts.slice("encoded"), tokens, model.param("wte.weight"), model.param("wpe.weight"),
                B, T, C, V, c.contextLength));
        if (dropoutSeed != null) { // where nanoGPT drops out: the embedding sum, and each residual branch's output
            g.add(CoreStages.dropoutForward("embedding.dropout", acts.slice("encoded"), N, site(embeddingSite())));
        }
        for (int l = 0; l < c.layers; l++) {
            String h = block(l), s = "h" + l;
            g.add(CoreStages.layerNormForward(s + ".ln_1", acts.slice(h + "ln_1"), acts.slice(h + "ln_1.mean"), acts.slice(h + "ln_1.rstd"),
                    acts.slice(blockInput(l)), model.param(h + "ln_1.weight"), model.param(h + "ln_1.bias"), BT, C));
            model.mixer.forward(g, mixerContext(l));
            if (dropoutSeed != null) {
                g.add(CoreStages.dropoutForward(s + ".attn.dropout", acts.slice(h + "attn.out"), N, site(attnResidualSite(l))));
            }
            g.add(CoreStages.residualForward(s + ".residual_1", acts.slice(h + "res_1"), acts.slice(blockInput(l)), acts.slice(h + "attn.out"), N));
            g.add(CoreStages.layerNormForward(s + ".ln_2", acts.slice(h + "ln_2"), acts.slice(h + "ln_2.mean"), acts.slice(h + "ln_2.rstd"),
                    acts.slice(h + "res_1"), model.param(h + "ln_2.weight"), model.param(h + "ln_2.bias"), BT, C));
            Layers.linearForward(g, s + ".mlp.fc", acts.slice(h + "mlp.fc"), acts.slice(h + "ln_2"),
                    model.param(h + "mlp.c_fc.weight"), model.param(h + "mlp.c_fc.bias"), BT, C, 4 * C);
            g.add(CoreStages.geluForward(s + ".mlp.gelu", acts.slice(h + "mlp.gelu"), acts.slice(h + "mlp.fc"), BT * 4 * C));
            Layers.linearForward(g, s + ".mlp.proj", acts.slice(h + "mlp.proj"), acts.slice(h + "mlp.gelu"),
                    model.param(h + "mlp.c_proj.weight"), model.param(h + "mlp.c_proj.bias"), BT, 4 * C, C);
            if (dropoutSeed != null) {
                g.add(CoreStages.dropoutForward(s + ".mlp.dropout", acts.slice(h + "mlp.proj"), N, site(mlpResidualSite(l))));
            }
            g.add(CoreStages.residualForward(s + ".residual_2", acts.slice(h + "res_2"), acts.slice(h + "res_1"), acts.slice(h + "mlp.proj"), N));
        }
        g.add(CoreStages.layerNormForward("ln_f", acts.slice("ln_f"), acts.slice("ln_f.mean"), acts.slice("ln_f.rstd"),
                acts.slice(blockInput(c.layers)), model.param("ln_f.weight"), model.param("ln_f.bias"), BT, C));
        g.add(CoreStages.matmulForward("lm_head", acts.slice("logits"), acts.slice("ln_f"), model.param("wte.weight"), null, BT, C, V));
        return g;
    }

    private Graph buildLoss() {
        int BT = B * T, V = model.config.vocabSize;
        Graph g = new Graph("loss");
        g.readsFromHost(targets);
        g.add(CoreStages.crossEntropyForward("cross_entropy", acts.slice("losses"), acts.slice("probs"), acts.slice("logits"), targets, BT, V));
        g.add(CoreStages.meanLoss("mean_loss", loss, acts.slice("losses"), BT));
        g.writesToHost(loss);
        return g;
    }

    private Graph buildBackward() {
        ModelConfig c = model.config;
        int C = c.width, V = c.vocabSize, BT = B * T, N = BT * C;
        Graph g = new Graph("backward"); // the stages in order; zeroing the gradients is planned below
        g.add(CoreStages.crossEntropyBackward("cross_entropy.backward", dacts.slice("logits"), acts.slice("probs"), targets, BT, V));
        Layers.linearBackward(g, "lm_head.backward", dacts.slice("ln_f"), model.grad("wte.weight"), null,
                dacts.slice("logits"), acts.slice("ln_f"), model.param("wte.weight"), BT, C, V);
        layerNormBackward(g, "ln_f.backward", "ln_f", blockInput(c.layers), "ln_f", BT, C);
        for (int l = c.layers - 1; l >= 0; l--) {
            String h = block(l), s = "h" + l;
            g.add(CoreStages.residualBackward(s + ".residual_2.backward", dacts.slice(h + "res_1"), dacts.slice(h + "mlp.proj"),
                    dacts.slice(h + "res_2"), N));
            if (dropoutSeed != null) {
                g.add(CoreStages.dropoutBackward(s + ".mlp.dropout.backward", dacts.slice(h + "mlp.proj"), N, site(mlpResidualSite(l))));
            }
            Layers.linearBackward(g, s + ".mlp.proj.backward", dacts.slice(h + "mlp.gelu"), model.grad(h + "mlp.c_proj.weight"),
                    model.grad(h + "mlp.c_proj.bias"), dacts.slice(h + "mlp.proj"), acts.slice(h + "mlp.gelu"),
                    model.param(h + "mlp.c_proj.weight"), BT, 4 * C, C);
            g.add(CoreStages.geluBackward(s + ".mlp.gelu.backward", dacts.slice(h + "mlp.fc"), acts.slice(h + "mlp.fc"),
                    dacts.slice(h + "mlp.gelu"), BT * 4 * C));
            Layers.linearBackward(g, s + ".mlp.fc.backward", dacts.slice(h + "ln_2"), model.grad(h + "mlp.c_fc.weight"),
                    model.grad(h + "mlp.c_fc.bias"), dacts.slice(h + "mlp.fc"), acts.slice(h + "ln_2"),
                    model.param(h + "mlp.c_fc.weight"), BT, C, 4 * C);
            layerNormBackward(g, s + ".ln_2.backward", h + "ln_2", h + "res_1", h + "ln_2", BT, C);
            g.add(CoreStages.residualBackward(s + ".residual_1.backward", dacts.slice(blockInput(l)), dacts.slice(h + "attn.out"),
                    dacts.slice(h + "res_1"), N));
            if (dropoutSeed != null) {
                g.add(CoreStages.dropoutBackward(s + ".attn.dropout.backward", dacts.slice(h + "attn.out"), N, site(attnResidualSite(l))));
            }
            model.mixer.backward(g, mixerContext(l));
            layerNormBackward(g, s + ".ln_1.backward", h + "ln_1", blockInput(l), h + "ln_1", BT, C);
        }
        if (dropoutSeed != null) {
            g.add(CoreStages.dropoutBackward("embedding.dropout.backward", dacts.slice("encoded"), N, site(embeddingSite())));
        }
        g.add(CoreStages.encoderBackwardTokens("embedding.backward_tokens", model.grad("wte.weight"), dacts.slice("encoded"), tokens, BT, C, V));
        g.add(CoreStages.encoderBackwardPositions("embedding.backward_positions", model.grad("wpe.weight"), dacts.slice("encoded"),
                B, T, C, c.contextLength));
        Graph backward = new Graph("backward");
        backward.add(CoreStages.fill("zero_grads", model.grads.all(), 0f));
        for (Stage s : GradientZeroing.plan(dacts, g.stages())) {
            backward.add(s);
        }
        return backward;
    }

    /** LayerNorm backward: out is the normalised activation, inp its input, param the ln's tensor prefix. */
    private void layerNormBackward(Graph g, String name, String out, String inp, String param, int BT, int C) {
        g.add(CoreStages.layerNormBackwardInput(name + ".dinp", dacts.slice(inp), dacts.slice(out), acts.slice(inp),
                model.param(param + ".weight"), acts.slice(out + ".mean"), acts.slice(out + ".rstd"), BT, C));
        g.add(CoreStages.layerNormBackwardParams(name + ".dparams", model.grad(param + ".weight"), model.grad(param + ".bias"),
                dacts.slice(out), acts.slice(inp), acts.slice(out + ".mean"), acts.slice(out + ".rstd"), BT, C));
    }

    /** Logits row of position (b, t), length V, valid after the logits graph ran. */
    public int logitsOffset(int b, int t) {
        return acts.slice("logits").offset + (b * T + t) * model.config.vocabSize;
    }

    /** What {@link #activationBytes()} of such a workspace would be, without allocating it. */
    public static long activationBytes(Gpt model, int B, int T, boolean training) {
        return (training ? 2L : 1L) * declareActivations(model, B, T).size() * Float.BYTES;
    }

    public long activationBytes() {
        long n = acts.array().length + (dacts == null ? 0 : dacts.array().length);
        return n * Float.BYTES;
    }
}
