package leviathan.model.mixers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.kernels.Synthesizer;
import leviathan.kernels.SynthesizerKernels;
import leviathan.model.Gpt;
import leviathan.model.Layers;
import leviathan.stages.DropoutSite;
import leviathan.model.ConfiguredMixer;
import leviathan.model.MixerContext;
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
public final class SynthesizerMixer extends ConfiguredMixer {
    public enum Kind { DENSE, RANDOM }

    private final Kind kind;
    private final boolean fixed;

    public SynthesizerMixer(ModelConfig config) {
        super(config, "synthesizer", "kind", "fixed");
        this.kind = parseKind(options.text("kind", "dense"));
        if (kind == Kind.DENSE && config.mixerOptions.containsKey("fixed")) {
            throw new IllegalArgumentException("mixer option fixed is only valid with kind=random (the dense synthesizer has no table to fix)");
        }
        this.fixed = kind == Kind.RANDOM && options.flag("fixed", false); // a dense synthesizer has no such option to record
    }

    private static Kind parseKind(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "dense": return Kind.DENSE;
            case "random": return Kind.RANDOM;
            default: throw new IllegalArgumentException("mixer option kind expects dense or random, got '" + text + "'");
        }
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
            g.add(Stages.reluForward(x.stage("synth_relu"), x.act("synth_hidden"), x.act("synth_pre"), BT * C));
            Layers.linearForward(g, x.stage("synth_out"), x.act("synth_logits"), x.act("synth_hidden"), x.param("synth_out.weight"),
                    x.param("synth_out.bias"), BT, C, H * Tmax);
        }
        Layers.linearForward(g, x.stage("v"), x.act("v"), x.u(), x.param("c_v.weight"), x.param("c_v.bias"), BT, C, C);
        if (kind == Kind.DENSE) {
            g.add(Stages.forwardDense(x.stage("synthesizer"), x.act("atty"), x.act("att"), x.act("synth_logits"),
                    x.act("v"), x.B, x.T, C, H, Tmax, x.dropout()));
        } else {
            g.add(Stages.forwardRandom(x.stage("synthesizer"), x.act("atty"), x.act("att"), x.param("synth_logits"),
                    x.act("v"), x.B, x.T, C, H, Tmax, x.dropout()));
        }
        Layers.linearForward(g, x.stage("proj"), x.y(), x.act("atty"), x.param("c_proj.weight"), x.param("c_proj.bias"), BT, C, C);
    }

    @Override
    public void backward(Graph g, MixerContext x) {
        int BT = x.BT(), C = x.C(), H = x.H(), Tmax = config.contextLength;
        Layers.linearBackward(g, x.stage("proj.backward"), x.dact("atty"), x.grad("c_proj.weight"), x.grad("c_proj.bias"),
                x.dy(), x.act("atty"), x.param("c_proj.weight"), BT, C, C);
        g.add(Stages.backwardValues(x.stage("synthesizer.backward_values"), x.dact("v"), x.dact("atty"), x.act("att"),
                x.B, x.T, C, H, x.dropout()));
        if (kind == Kind.DENSE) {
            g.add(Stages.backwardLogitsDense(x.stage("synthesizer.backward_logits"), x.dact("synth_logits"), x.dact("atty"),
                    x.act("v"), x.act("att"), x.B, x.T, C, H, Tmax, x.dropout()));
            Layers.linearBackward(g, x.stage("synth_out.backward"), x.dact("synth_hidden"), x.grad("synth_out.weight"),
                    x.grad("synth_out.bias"), x.dact("synth_logits"), x.act("synth_hidden"), x.param("synth_out.weight"), BT, C, H * Tmax);
            g.add(Stages.reluBackward(x.stage("synth_relu.backward"), x.dact("synth_pre"), x.act("synth_pre"),
                    x.dact("synth_hidden"), BT * C));
            Layers.linearBackward(g, x.stage("synth_fc.backward"), x.du(), x.grad("synth_fc.weight"), x.grad("synth_fc.bias"),
                    x.dact("synth_pre"), x.u(), x.param("synth_fc.weight"), BT, C, C);
        } else if (!fixed) {
            // The probabilities' gradient slot is free after backward_values: it holds the per-batch-row
            // table gradient, which the next stage sums over the batch into the shared table's gradient.
            g.add(Stages.backwardScoresRandom(x.stage("synthesizer.backward_scores"), x.dact("att"), x.dact("atty"),
                    x.act("v"), x.act("att"), x.B, x.T, C, H, Tmax, x.dropout()));
            g.add(Stages.backwardTable(x.stage("synthesizer.backward_table"), x.grad("synth_logits"), x.dact("att"),
                    x.B, x.T, H, Tmax));
        }
        Layers.linearBackward(g, x.stage("v.backward"), x.du(), x.grad("c_v.weight"), x.grad("c_v.bias"),
                x.dact("v"), x.u(), x.param("c_v.weight"), BT, C, C);
    }

    @Override
    public String toString() {
        return "synthesizer(kind=" + kind.name().toLowerCase(Locale.ROOT) + (kind == Kind.RANDOM ? ", fixed=" + fixed : "") + ")";
    }

    /**
     * The stages of the Synthesizer mixer: each factory checks its buffers' sizes ({@link StageChecks}), states
     * the stage's extent, FLOPs and bytes, and builds it through the kernel's generated builder in
     * {@link SynthesizerKernels}.
     */
    public static final class Stages {
        private Stages() {}

        private static final int F = Float.BYTES;

        public static Stage reluForward(String name, FloatSlice out, FloatSlice inp, int N) {
            StageChecks.expect(name, out, N, "N");
            StageChecks.expect(name, inp, N, "N");
            return SynthesizerKernels.reluForward(name, new int[] {N}, N, 2.0 * N * F, out, inp);
        }

        /** dinp += dout where inp > 0. */
        public static Stage reluBackward(String name, FloatSlice dinp, FloatSlice inp, FloatSlice dout, int N) {
            StageChecks.expect(name, dinp, N, "N");
            StageChecks.expect(name, inp, N, "N");
            StageChecks.expect(name, dout, N, "N");
            return SynthesizerKernels.reluBackward(name, new int[] {N}, N, 4.0 * N * F, dinp, inp, dout);
        }

        /** Dense: out (B,T,C), att (B,H,T,T), logits (B,T,H·Tmax) head-major, v (B,T,C). */
        public static Stage forwardDense(String name, FloatSlice out, FloatSlice att, FloatSlice logits, FloatSlice v,
                                         int B, int T, int C, int H, int Tmax, DropoutSite drop) {
            checkShape(name, B, T, C, H, Tmax);
            StageChecks.expect(name, logits, (long) B * T * H * Tmax, "B*T*H*Tmax");
            return forward(name, out, att, logits, v, B, T, C, H, T * H * Tmax, Tmax, H * Tmax, drop);
        }

        /** Random: out (B,T,C), att (B,H,T,T), table (H,Tmax,Tmax) shared by the batch, v (B,T,C). */
        public static Stage forwardRandom(String name, FloatSlice out, FloatSlice att, FloatSlice table, FloatSlice v,
                                          int B, int T, int C, int H, int Tmax, DropoutSite drop) {
            checkShape(name, B, T, C, H, Tmax);
            StageChecks.expect(name, table, (long) H * Tmax * Tmax, "H*Tmax*Tmax");
            return forward(name, out, att, table, v, B, T, C, H, 0, Tmax * Tmax, Tmax, drop);
        }

        private static Stage forward(String name, FloatSlice out, FloatSlice att, FloatSlice logits, FloatSlice v,
                                     int B, int T, int C, int H, int strideB, int strideH, int strideT, DropoutSite drop) {
            StageChecks.expect(name, out, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, att, (long) B * H * T * T, "B*H*T*T");
            StageChecks.expect(name, v, (long) B * T * C, "B*T*C");
            double pairs = (double) B * H * T * (T + 1) / 2;
            return SynthesizerKernels.forward(name, new int[] {B * H * T}, pairs * (2.0 * C / H + 5),
                    ((double) B * T * 2 * C + 2 * pairs) * F, out, att, logits, v, drop.scalars(), T, C, H, strideB, strideH, strideT, drop.key());
        }

        /** Dense: dlogits (B,T,H·Tmax) = dL/dlogits (written; columns j ≥ T are zeroed too). */
        public static Stage backwardLogitsDense(String name, FloatSlice dlogits, FloatSlice dout, FloatSlice v, FloatSlice att,
                                                int B, int T, int C, int H, int Tmax, DropoutSite drop) {
            checkShape(name, B, T, C, H, Tmax);
            StageChecks.expect(name, dlogits, (long) B * T * H * Tmax, "B*T*H*Tmax");
            return backwardLogits(name, dlogits, dout, v, att, B, T, C, H, T * H * Tmax, Tmax, H * Tmax, Tmax, drop);
        }

        /** Random: dscores (B,H,T,T) = dL/dtable per batch row (a scratch summed by {@link #backwardTable}). */
        public static Stage backwardScoresRandom(String name, FloatSlice dscores, FloatSlice dout, FloatSlice v, FloatSlice att,
                                                 int B, int T, int C, int H, int Tmax, DropoutSite drop) {
            checkShape(name, B, T, C, H, Tmax);
            StageChecks.expect(name, dscores, (long) B * H * T * T, "B*H*T*T");
            return backwardLogits(name, dscores, dout, v, att, B, T, C, H, H * T * T, T * T, T, T, drop);
        }

        private static Stage backwardLogits(String name, FloatSlice dlogits, FloatSlice dout, FloatSlice v, FloatSlice att,
                                            int B, int T, int C, int H, int strideB, int strideH, int strideT, int rowLength, DropoutSite drop) {
            StageChecks.expect(name, dout, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, v, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, att, (long) B * H * T * T, "B*H*T*T");
            double pairs = (double) B * H * T * (T + 1) / 2;
            return SynthesizerKernels.backwardLogits(name, new int[] {B * H * T}, pairs * (2.0 * C / H + 4),
                    ((double) B * T * 2 * C + 3 * pairs) * F, dlogits, dout, v, att, drop.scalars(), T, C, H, strideB, strideH, strideT, rowLength, drop.key());
        }

        /** dv (B,T,C) += Pᵀ·dout per head. */
        public static Stage backwardValues(String name, FloatSlice dv, FloatSlice dout, FloatSlice att, int B, int T, int C, int H, DropoutSite drop) {
            checkHeads(name, B, T, C, H);
            StageChecks.expect(name, dv, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, dout, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, att, (long) B * H * T * T, "B*H*T*T");
            double pairs = (double) B * H * T * (T + 1) / 2;
            return SynthesizerKernels.backwardValues(name, new int[] {B * H * T}, pairs * 2.0 * C / H,
                    ((double) B * T * 2 * C + pairs) * F, dv, dout, att, drop.scalars(), T, C, H, drop.key());
        }

        /** dtable (H,Tmax,Tmax) += Σ_b dscores (B,H,T,T), rows i < T, entries j ≤ i. */
        public static Stage backwardTable(String name, FloatSlice dtable, FloatSlice dscores, int B, int T, int H, int Tmax) {
            StageChecks.positive(name, "B", B);
            StageChecks.positive(name, "T", T);
            StageChecks.positive(name, "H", H);
            checkContext(name, T, Tmax);
            StageChecks.expect(name, dtable, (long) H * Tmax * Tmax, "H*Tmax*Tmax");
            StageChecks.expect(name, dscores, (long) B * H * T * T, "B*H*T*T");
            double pairs = (double) B * H * T * (T + 1) / 2;
            return SynthesizerKernels.backwardTable(name, new int[] {H * T}, pairs, (pairs + (double) H * T * (T + 1)) * F,
                    dtable, dscores, B, T, H, Tmax);
        }

        private static void checkShape(String name, int B, int T, int C, int H, int Tmax) {
            checkHeads(name, B, T, C, H);
            checkContext(name, T, Tmax);
        }

        private static void checkHeads(String name, int B, int T, int C, int H) {
            StageChecks.positive(name, "B", B);
            StageChecks.positive(name, "T", T);
            StageChecks.heads(name, C, H);
        }

        private static void checkContext(String name, int T, int Tmax) {
            if (T > Tmax) {
                throw new IllegalArgumentException(name + ": sequence length T=" + T + " exceeds the context Tmax=" + Tmax
                        + " (a synthesizer has logits for Tmax positions only)");
            }
        }
    }
}
