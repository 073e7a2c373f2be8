package leviathan.model;

import leviathan.compute.FloatSlice;
import leviathan.compute.Graph;
import leviathan.compute.Ops;

/** Stage groups every block and mixer repeats: a linear layer forward and backward. */
public final class Layers {
    private Layers() {}

    /** out (BT, OC) = inp (BT, C) · w (OC, C)ᵀ + b. */
    public static void linearForward(Graph g, String name, FloatSlice out, FloatSlice inp, FloatSlice w, FloatSlice b,
                                     int BT, int C, int OC) {
        g.add(Ops.matmulForward(name, out, inp, w, b, BT, C, OC));
    }

    /** dinp += dout·w, dw += doutᵀ·inp, db += Σ dout (db may be null). */
    public static void linearBackward(Graph g, String name, FloatSlice dinp, FloatSlice dw, FloatSlice db,
                                      FloatSlice dout, FloatSlice inp, FloatSlice w, int BT, int C, int OC) {
        g.add(Ops.matmulBackwardInput(name + ".dinp", dinp, dout, w, BT, C, OC));
        g.add(Ops.matmulBackwardWeight(name + ".dweight", dw, dout, inp, BT, C, OC));
        if (db != null) {
            g.add(Ops.matmulBackwardBias(name + ".dbias", db, dout, BT, OC));
        }
    }
}
