package leviathan.model;

import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.stages.CoreStages;

/** Stage groups every block and mixer repeats: a linear layer forward and backward. */
public final class Layers {
    private Layers() {}

    /**
     * The tensors of GPT-2's attention projections, shared by every mixer that starts from
     * [Q K V] = u·Wqkv + bqkv and ends with concat·Wo + bo (SPEC 2): c_attn (C → 3C) and c_proj (C → C,
     * with the scaled residual init).
     */
    public static java.util.List<ParamSpec> qkvAndProjection(String prefix, ModelConfig config) {
        int C = config.width;
        return java.util.List.of(
                ParamSpec.weight(prefix + "c_attn.weight", 3 * C, C, Gpt.INIT_STD),
                ParamSpec.bias(prefix + "c_attn.bias", 3 * C),
                ParamSpec.weight(prefix + "c_proj.weight", C, C, Gpt.residualStd(config)),
                ParamSpec.bias(prefix + "c_proj.bias", C));
    }

    /** out (BT, OC) = inp (BT, C) · w (OC, C)ᵀ + b. */
    public static void linearForward(Graph g, String name, FloatSlice out, FloatSlice inp, FloatSlice w, FloatSlice b,
                                     int BT, int C, int OC) {
        g.add(CoreStages.matmulForward(name, out, inp, w, b, BT, C, OC));
    }

    /** dinp += dout·w, dw += doutᵀ·inp, db += Σ dout (db may be null). */
    public static void linearBackward(Graph g, String name, FloatSlice dinp, FloatSlice dw, FloatSlice db,
                                      FloatSlice dout, FloatSlice inp, FloatSlice w, int BT, int C, int OC) {
        g.add(CoreStages.matmulBackwardInput(name + ".dinp", dinp, dout, w, BT, C, OC));
        g.add(CoreStages.matmulBackwardWeight(name + ".dweight", dw, dout, inp, BT, C, OC));
        if (db != null) {
            g.add(CoreStages.matmulBackwardBias(name + ".dbias", db, dout, BT, OC));
        }
    }
}
