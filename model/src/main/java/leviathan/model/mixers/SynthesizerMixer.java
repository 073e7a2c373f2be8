package leviathan.model.mixers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import leviathan.compute.BlockLayout;
import leviathan.compute.Graph;
import leviathan.compute.mixers.SynthesizerOps;
import leviathan.model.Gpt;
import leviathan.model.Layers;
import leviathan.model.Mixer;
import leviathan.model.MixerContext;
import leviathan.model.MixerOptions;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;

/**
 * The Synthesizer (SPEC 2.5): attention weights synthesised without a query-key product.
 * <ul>
 *   <li>{@code kind=dense} (default): {@code B_i = W2·ReLU(W1·u_i + b1) + b2} gives each head a
 *       row of Tmax logits (head-major: column h·Tmax + j); tensors synth_fc [C, C],
 *       synth_out [C, H·Tmax] (each with a bias).</li>
 *   <li>{@code kind=random}: one learned table synth_logits [H, Tmax, Tmax] (init N(0, 0.02)),
 *       shared by every input; {@code fixed=true} keeps it at its initial draw (an untrained
 *       buffer: still saved in checkpoints, never touched by AdamW).</li>
 * </ul>
 * Both then take j ≤ i of the row, softmax, {@code o_i = Σ_j P_ij v_j} with {@code V = u·Wv + bv}
 * (c_v [C, C], in place of c_attn), and {@code y = concat(o)·Wo + bo} (c_proj). A sequence of
 * length T &lt; Tmax uses positions j &lt; T of each row.
 *
 * <p>The random table is decayed by AdamW like every other tensor of rank ≥ 2 (nanoGPT's rule).
 */
public final class SynthesizerMixer implements Mixer {
    public enum Kind { DENSE, RANDOM }

    private final ModelConfig config;
    private final Kind kind;
    private final boolean fixed;

    public SynthesizerMixer(ModelConfig config) {
        this.config = config;
        MixerOptions options = MixerOptions.of(config).allowOnly("kind", "fixed");
        this.kind = parseKind(options.text("kind", "dense"));
        if (kind == Kind.DENSE && config.mixerOptions.containsKey("fixed")) {
            throw new IllegalArgumentException("mixer option fixed is only valid with kind=random (the dense synthesizer has no table to fix)");
        }
        this.fixed = options.flag("fixed", false);
    }

    private static Kind parseKind(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "dense": return Kind.DENSE;
            case "random": return Kind.RANDOM;
            default: throw new IllegalArgumentException("mixer option kind expects dense or random, got '" + text + "'");
        }
    }

    @Override
    public String name() {
        return "synthesizer";
    }

    public Kind kind() {
        return kind;
    }

    /** True for a random synthesizer whose table is not trained. */
    public boolean fixed() {
        return fixed;
    }

    @Override
    public List<ParamSpec> parameters(String prefix) {
        int C = config.width, H = config.heads, Tmax = config.contextLength;
        List<ParamSpec> specs = new ArrayList<>();
        if (kind == Kind.DENSE) {
            specs.add(ParamSpec.weight(prefix + "synth_fc.weight", C, C, Gpt.INIT_STD));
            specs.add(ParamSpec.bias(prefix + "synth_fc.bias", C));
            specs.add(ParamSpec.weight(prefix + "synth_out.weight", H * Tmax, C, Gpt.INIT_STD));
            specs.add(ParamSpec.bias(prefix + "synth_out.bias", H * Tmax));
        } else {
            int[] shape = {H, Tmax, Tmax};
            specs.add(fixed ? ParamSpec.buffer(prefix + "synth_logits", shape, SynthesizerMixer::initTable)
                    : ParamSpec.custom(prefix + "synth_logits", shape, true, SynthesizerMixer::initTable));
        }
        specs.add(ParamSpec.weight(prefix + "c_v.weight", C, C, Gpt.INIT_STD));
        specs.add(ParamSpec.bias(prefix + "c_v.bias", C));
        specs.add(ParamSpec.weight(prefix + "c_proj.weight", C, C, Gpt.residualStd(config)));
        specs.add(ParamSpec.bias(prefix + "c_proj.bias", C));
        return specs;
    }

    /** The random table's init, N(0, 0.02), drawn from the model's init generator in declaration order. */
    private static void initTable(float[] data, int offset, int length, Rng rng) {
        for (int i = 0; i < length; i++) {
            data[offset + i] = (float) (rng.nextGaussian() * Gpt.INIT_STD);
        }
    }

    @Override
    public void declareActivations(BlockLayout acts, String prefix, int B, int T) {
        int C = config.width, H = config.heads, Tmax = config.contextLength;
        if (kind == Kind.DENSE) {
            acts.add(prefix + "synth_pre", B, T, C);
            acts.add(prefix + "synth_hidden", B, T, C);
            acts.add(prefix + "synth_logits", B, T, H * Tmax);
        }
        acts.add(prefix + "v", B, T, C);
        acts.add(prefix + "att", B, H, T, T);
        acts.add(prefix + "atty", B, T, C);
    }

    @Override
    public void forward(Graph g, MixerContext x) {
        int BT = x.BT(), C = x.C(), H = x.H(), Tmax = config.contextLength;
        if (kind == Kind.DENSE) {
            Layers.linearForward(g, x.stage("synth_fc"), x.act("synth_pre"), x.u(), x.param("synth_fc.weight"),
                    x.param("synth_fc.bias"), BT, C, C);
            g.add(SynthesizerOps.reluForward(x.stage("synth_relu"), x.act("synth_hidden"), x.act("synth_pre"), BT * C));
            Layers.linearForward(g, x.stage("synth_out"), x.act("synth_logits"), x.act("synth_hidden"), x.param("synth_out.weight"),
                    x.param("synth_out.bias"), BT, C, H * Tmax);
        }
        Layers.linearForward(g, x.stage("v"), x.act("v"), x.u(), x.param("c_v.weight"), x.param("c_v.bias"), BT, C, C);
        if (kind == Kind.DENSE) {
            g.add(SynthesizerOps.forwardDense(x.stage("synthesizer"), x.act("atty"), x.act("att"), x.act("synth_logits"),
                    x.act("v"), x.B, x.T, C, H, Tmax));
        } else {
            g.add(SynthesizerOps.forwardRandom(x.stage("synthesizer"), x.act("atty"), x.act("att"), x.param("synth_logits"),
                    x.act("v"), x.B, x.T, C, H, Tmax));
        }
        Layers.linearForward(g, x.stage("proj"), x.y(), x.act("atty"), x.param("c_proj.weight"), x.param("c_proj.bias"), BT, C, C);
    }

    @Override
    public void backward(Graph g, MixerContext x) {
        int BT = x.BT(), C = x.C(), H = x.H(), Tmax = config.contextLength;
        Layers.linearBackward(g, x.stage("proj.backward"), x.dact("atty"), x.grad("c_proj.weight"), x.grad("c_proj.bias"),
                x.dy(), x.act("atty"), x.param("c_proj.weight"), BT, C, C);
        g.add(SynthesizerOps.backwardValues(x.stage("synthesizer.backward_values"), x.dact("v"), x.dact("atty"), x.act("att"),
                x.B, x.T, C, H));
        if (kind == Kind.DENSE) {
            g.add(SynthesizerOps.backwardLogitsDense(x.stage("synthesizer.backward_logits"), x.dact("synth_logits"), x.dact("atty"),
                    x.act("v"), x.act("att"), x.B, x.T, C, H, Tmax));
            Layers.linearBackward(g, x.stage("synth_out.backward"), x.dact("synth_hidden"), x.grad("synth_out.weight"),
                    x.grad("synth_out.bias"), x.dact("synth_logits"), x.act("synth_hidden"), x.param("synth_out.weight"), BT, C, H * Tmax);
            g.add(SynthesizerOps.reluBackward(x.stage("synth_relu.backward"), x.dact("synth_pre"), x.act("synth_pre"),
                    x.dact("synth_hidden"), BT * C));
            Layers.linearBackward(g, x.stage("synth_fc.backward"), x.du(), x.grad("synth_fc.weight"), x.grad("synth_fc.bias"),
                    x.dact("synth_pre"), x.u(), x.param("synth_fc.weight"), BT, C, C);
        } else if (!fixed) {
            // The probabilities' gradient slot is free after backward_values: it holds the per-batch-row
            // table gradient, which the next stage sums over the batch into the shared table's gradient.
            g.add(SynthesizerOps.backwardScoresRandom(x.stage("synthesizer.backward_scores"), x.dact("att"), x.dact("atty"),
                    x.act("v"), x.act("att"), x.B, x.T, C, H, Tmax));
            g.add(SynthesizerOps.backwardTable(x.stage("synthesizer.backward_table"), x.grad("synth_logits"), x.dact("att"),
                    x.B, x.T, H, Tmax));
        }
        Layers.linearBackward(g, x.stage("v.backward"), x.du(), x.grad("c_v.weight"), x.grad("c_v.bias"),
                x.dact("v"), x.u(), x.param("c_v.weight"), BT, C, C);
    }

    @Override
    public String toString() {
        return "synthesizer(kind=" + kind.name().toLowerCase(Locale.ROOT) + (kind == Kind.RANDOM ? ", fixed=" + fixed : "") + ")";
    }
}
