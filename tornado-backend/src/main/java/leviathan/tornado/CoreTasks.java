package leviathan.tornado;

import leviathan.compute.CoreKernels;
import leviathan.compute.FloatSlice;
import leviathan.compute.IntSlice;
import leviathan.compute.Stage;
import leviathan.kernels.AdamW;
import leviathan.kernels.Attention;
import leviathan.kernels.CrossEntropy;
import leviathan.kernels.Encoder;
import leviathan.kernels.Fill;
import leviathan.kernels.Gelu;
import leviathan.kernels.GradNorm;
import leviathan.kernels.LayerNorm;
import leviathan.kernels.Matmul;
import leviathan.kernels.Residual;
import uk.ac.manchester.tornado.api.annotations.Parallel;

/**
 * TornadoVM tasks for the core kernels: each method is a thin {@code @Parallel} loop (two for a
 * 2-D extent) over the SAME static body the JVM backend runs ({@code leviathan.kernels}); no math
 * here. {@link #register()} binds each {@link CoreKernels} constant to its wrapper, with the
 * stage's arguments in the order {@code Ops} declares them, and says which arguments the body
 * writes ({@link TornadoTasks.Access}). A mixer's kernels get their wrappers the same way, in
 * their own class, registered with {@link TornadoTasks#register}.
 */
public final class CoreTasks {
    private CoreTasks() {}

    // ---- wrappers: loop over the extent, call the body -------------------------------------------

    public static void encoderForward(float[] out, int outOff, int[] tok, int tokOff, float[] wte, int wteOff,
                                      float[] wpe, int wpeOff, int T, int C, int n) {
        for (@Parallel int bt = 0; bt < n; bt++) {
            Encoder.forward(out, outOff, tok, tokOff, wte, wteOff, wpe, wpeOff, T, C, bt);
        }
    }

    public static void encoderBackwardTokens(float[] dwte, int dwteOff, float[] dout, int doutOff, int[] tok, int tokOff,
                                             int BT, int C, int n) {
        for (@Parallel int v = 0; v < n; v++) {
            Encoder.backwardTokens(dwte, dwteOff, dout, doutOff, tok, tokOff, BT, C, v);
        }
    }

    public static void encoderBackwardPositions(float[] dwpe, int dwpeOff, float[] dout, int doutOff, int B, int T, int C, int n) {
        for (@Parallel int t = 0; t < n; t++) {
            Encoder.backwardPositions(dwpe, dwpeOff, dout, doutOff, B, T, C, t);
        }
    }

    public static void layerNormForward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                        float[] inp, int inpOff, float[] w, int wOff, float[] b, int bOff, int C, int n) {
        for (@Parallel int r = 0; r < n; r++) {
            LayerNorm.forward(out, outOff, mean, meanOff, rstd, rstdOff, inp, inpOff, w, wOff, b, bOff, C, r);
        }
    }

    public static void layerNormBackwardInput(float[] dinp, int dinpOff, float[] dout, int doutOff, float[] inp, int inpOff,
                                              float[] w, int wOff, float[] mean, int meanOff, float[] rstd, int rstdOff, int C, int n) {
        for (@Parallel int r = 0; r < n; r++) {
            LayerNorm.backwardInput(dinp, dinpOff, dout, doutOff, inp, inpOff, w, wOff, mean, meanOff, rstd, rstdOff, C, r);
        }
    }

    public static void layerNormBackwardParams(float[] dw, int dwOff, float[] db, int dbOff, float[] dout, int doutOff,
                                               float[] inp, int inpOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                               int N, int C, int n) {
        for (@Parallel int c = 0; c < n; c++) {
            LayerNorm.backwardParams(dw, dwOff, db, dbOff, dout, doutOff, inp, inpOff, mean, meanOff, rstd, rstdOff, N, C, c);
        }
    }

    /** 2-D: rows × output channels, one output element per work item. */
    public static void matmulForward(float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff,
                                     float[] b, int bOff, int C, int OC, int BT) {
        for (@Parallel int r = 0; r < BT; r++) {
            for (@Parallel int o = 0; o < OC; o++) {
                Matmul.forward(out, outOff, inp, inpOff, w, wOff, b, bOff, C, OC, r, o);
            }
        }
    }

    public static void matmulBackwardInput(float[] dinp, int dinpOff, float[] dout, int doutOff, float[] w, int wOff,
                                           int C, int OC, int BT) {
        for (@Parallel int r = 0; r < BT; r++) {
            for (@Parallel int c = 0; c < C; c++) {
                Matmul.backwardInput(dinp, dinpOff, dout, doutOff, w, wOff, C, OC, r, c);
            }
        }
    }

    public static void matmulBackwardWeight(float[] dw, int dwOff, float[] dout, int doutOff, float[] inp, int inpOff,
                                            int BT, int C, int OC) {
        for (@Parallel int o = 0; o < OC; o++) {
            for (@Parallel int c = 0; c < C; c++) {
                Matmul.backwardWeight(dw, dwOff, dout, doutOff, inp, inpOff, BT, C, OC, o, c);
            }
        }
    }

    public static void matmulBackwardBias(float[] db, int dbOff, float[] dout, int doutOff, int BT, int OC, int n) {
        for (@Parallel int o = 0; o < n; o++) {
            Matmul.backwardBias(db, dbOff, dout, doutOff, BT, OC, o);
        }
    }

    public static void geluForward(float[] out, int outOff, float[] inp, int inpOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Gelu.forward(out, outOff, inp, inpOff, i);
        }
    }

    public static void geluBackward(float[] dinp, int dinpOff, float[] inp, int inpOff, float[] dout, int doutOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Gelu.backward(dinp, dinpOff, inp, inpOff, dout, doutOff, i);
        }
    }

    public static void residualForward(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Residual.forward(out, outOff, a, aOff, b, bOff, i);
        }
    }

    public static void residualBackward(float[] da, int daOff, float[] db, int dbOff, float[] dout, int doutOff, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Residual.backward(da, daOff, db, dbOff, dout, doutOff, i);
        }
    }

    public static void crossEntropyForward(float[] losses, int lossOff, float[] probs, int probsOff, float[] logits, int logitsOff,
                                           int[] tgt, int tgtOff, int V, int n) {
        for (@Parallel int r = 0; r < n; r++) {
            CrossEntropy.forward(losses, lossOff, probs, probsOff, logits, logitsOff, tgt, tgtOff, V, r);
        }
    }

    public static void crossEntropyBackward(float[] dlogits, int dlogitsOff, float[] probs, int probsOff, int[] tgt, int tgtOff,
                                            int BT, int V, int n) {
        for (@Parallel int r = 0; r < n; r++) {
            CrossEntropy.backward(dlogits, dlogitsOff, probs, probsOff, tgt, tgtOff, BT, V, r);
        }
    }

    public static void meanLoss(float[] out, int outOff, float[] losses, int lossOff, int count, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            CrossEntropy.mean(out, outOff, losses, lossOff, count, i);
        }
    }

    public static void attentionForward(float[] out, int outOff, float[] pre, int preOff, float[] att, int attOff,
                                        float[] qkv, int qkvOff, int T, int C, int H, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Attention.forward(out, outOff, pre, preOff, att, attOff, qkv, qkvOff, T, C, H, i);
        }
    }

    public static void attentionBackwardQuery(float[] dqkv, int dqkvOff, float[] dpre, int dpreOff, float[] dout, int doutOff,
                                              float[] qkv, int qkvOff, float[] att, int attOff, int T, int C, int H, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Attention.backwardQuery(dqkv, dqkvOff, dpre, dpreOff, dout, doutOff, qkv, qkvOff, att, attOff, T, C, H, i);
        }
    }

    public static void attentionBackwardKeyValue(float[] dqkv, int dqkvOff, float[] dpre, int dpreOff, float[] dout, int doutOff,
                                                 float[] qkv, int qkvOff, float[] att, int attOff, int T, int C, int H, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Attention.backwardKeyValue(dqkv, dqkvOff, dpre, dpreOff, dout, doutOff, qkv, qkvOff, att, attOff, T, C, H, i);
        }
    }

    public static void adamw(float[] p, float[] g, float[] m, float[] v, int off, float[] scalars, float wd, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            AdamW.update(p, g, m, v, off, scalars, wd, i);
        }
    }

    public static void gradNormPartial(float[] partials, int partOff, float[] grads, int gradOff, int count, int blockSize, int n) {
        for (@Parallel int b = 0; b < n; b++) {
            GradNorm.partialSquares(partials, partOff, grads, gradOff, count, blockSize, b);
        }
    }

    public static void gradNormClip(float[] scalars, float[] partials, int partOff, int nBlocks, float maxNorm, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            GradNorm.clipScale(scalars, partials, partOff, nBlocks, maxNorm, i);
        }
    }

    public static void fill(float[] buf, int off, float value, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Fill.fill(buf, off, value, i);
        }
    }

    // ---- the registry: Kernel -> task ---------------------------------------------------------------

    private static boolean registered;

    /** Binds every core kernel to its wrapper (idempotent). */
    public static synchronized void register() {
        if (registered) {
            return;
        }
        registered = true;
        // Access lists name, per stage argument index, how the body uses it: W = overwrites its slice
        // (the body writes before any read), RW = accumulates or reads-then-writes, R = reads.
        TornadoTasks.register(CoreKernels.ENCODER_FORWARD, TornadoTasks.access("W R R R"), (tg, id, s, a) -> {
            FloatSlice out = s.floats(0), wte = s.floats(2), wpe = s.floats(3);
            IntSlice tok = s.ints(1);
            tg.task(id, CoreTasks::encoderForward, out.array, out.offset, tok.array, tok.offset, wte.array, wte.offset,
                    wpe.array, wpe.offset, s.intArg(4), s.intArg(5), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.ENCODER_BACKWARD_TOKENS, TornadoTasks.access("RW R R"), (tg, id, s, a) -> {
            FloatSlice dwte = s.floats(0), dout = s.floats(1);
            IntSlice tok = s.ints(2);
            tg.task(id, CoreTasks::encoderBackwardTokens, dwte.array, dwte.offset, dout.array, dout.offset, tok.array, tok.offset,
                    s.intArg(3), s.intArg(4), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.ENCODER_BACKWARD_POSITIONS, TornadoTasks.access("RW R"), (tg, id, s, a) -> {
            FloatSlice dwpe = s.floats(0), dout = s.floats(1);
            tg.task(id, CoreTasks::encoderBackwardPositions, dwpe.array, dwpe.offset, dout.array, dout.offset,
                    s.intArg(2), s.intArg(3), s.intArg(4), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.LAYERNORM_FORWARD, TornadoTasks.access("W W W R R R"), (tg, id, s, a) -> {
            FloatSlice out = s.floats(0), mean = s.floats(1), rstd = s.floats(2), inp = s.floats(3), w = s.floats(4), b = s.floats(5);
            tg.task(id, CoreTasks::layerNormForward, out.array, out.offset, mean.array, mean.offset, rstd.array, rstd.offset,
                    inp.array, inp.offset, w.array, w.offset, b.array, b.offset, s.intArg(6), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.LAYERNORM_BACKWARD_INPUT, TornadoTasks.access("RW R R R R R"), (tg, id, s, a) -> {
            FloatSlice dinp = s.floats(0), dout = s.floats(1), inp = s.floats(2), w = s.floats(3), mean = s.floats(4), rstd = s.floats(5);
            tg.task(id, CoreTasks::layerNormBackwardInput, dinp.array, dinp.offset, dout.array, dout.offset, inp.array, inp.offset,
                    w.array, w.offset, mean.array, mean.offset, rstd.array, rstd.offset, s.intArg(6), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.LAYERNORM_BACKWARD_PARAMS, TornadoTasks.access("RW RW R R R R"), (tg, id, s, a) -> {
            FloatSlice dw = s.floats(0), db = s.floats(1), dout = s.floats(2), inp = s.floats(3), mean = s.floats(4), rstd = s.floats(5);
            tg.task(id, CoreTasks::layerNormBackwardParams, dw.array, dw.offset, db.array, db.offset, dout.array, dout.offset,
                    inp.array, inp.offset, mean.array, mean.offset, rstd.array, rstd.offset, s.intArg(6), s.intArg(7), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.MATMUL_FORWARD, TornadoTasks.access("W R R R"), (tg, id, s, a) -> {
            FloatSlice out = s.floats(0), inp = s.floats(1), w = s.floats(2), b = s.floats(3);
            float[] bArr = b == null ? a.none() : b.array;
            int bOff = b == null ? -1 : b.offset;
            MatmulTasks.forward(tg, id, out.array, out.offset, inp.array, inp.offset, w.array, w.offset, bArr, bOff,
                    s.intArg(4), s.intArg(5), s.extent[0], a);
        });
        TornadoTasks.register(CoreKernels.MATMUL_BACKWARD_INPUT, TornadoTasks.access("RW R R"), (tg, id, s, a) -> {
            FloatSlice dinp = s.floats(0), dout = s.floats(1), w = s.floats(2);
            tg.task(id, CoreTasks::matmulBackwardInput, dinp.array, dinp.offset, dout.array, dout.offset, w.array, w.offset,
                    s.intArg(3), s.intArg(4), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.MATMUL_BACKWARD_WEIGHT, TornadoTasks.access("RW R R"), (tg, id, s, a) -> {
            FloatSlice dw = s.floats(0), dout = s.floats(1), inp = s.floats(2);
            tg.task(id, CoreTasks::matmulBackwardWeight, dw.array, dw.offset, dout.array, dout.offset, inp.array, inp.offset,
                    s.intArg(3), s.intArg(4), s.intArg(5));
        });
        TornadoTasks.register(CoreKernels.MATMUL_BACKWARD_BIAS, TornadoTasks.access("RW R"), (tg, id, s, a) -> {
            FloatSlice db = s.floats(0), dout = s.floats(1);
            tg.task(id, CoreTasks::matmulBackwardBias, db.array, db.offset, dout.array, dout.offset, s.intArg(2), s.intArg(3), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.GELU_FORWARD, TornadoTasks.access("W R"), (tg, id, s, a) -> {
            FloatSlice out = s.floats(0), inp = s.floats(1);
            tg.task(id, CoreTasks::geluForward, out.array, out.offset, inp.array, inp.offset, s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.GELU_BACKWARD, TornadoTasks.access("RW R R"), (tg, id, s, a) -> {
            FloatSlice dinp = s.floats(0), inp = s.floats(1), dout = s.floats(2);
            tg.task(id, CoreTasks::geluBackward, dinp.array, dinp.offset, inp.array, inp.offset, dout.array, dout.offset, s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.RESIDUAL_FORWARD, TornadoTasks.access("W R R"), (tg, id, s, a) -> {
            FloatSlice out = s.floats(0), x = s.floats(1), y = s.floats(2);
            tg.task(id, CoreTasks::residualForward, out.array, out.offset, x.array, x.offset, y.array, y.offset, s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.RESIDUAL_BACKWARD, TornadoTasks.access("RW RW R"), (tg, id, s, a) -> {
            FloatSlice da = s.floats(0), db = s.floats(1), dout = s.floats(2);
            tg.task(id, CoreTasks::residualBackward, da.array, da.offset, db.array, db.offset, dout.array, dout.offset, s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.CROSSENTROPY_FORWARD, TornadoTasks.access("W W R R"), (tg, id, s, a) -> {
            FloatSlice losses = s.floats(0), probs = s.floats(1), logits = s.floats(2);
            IntSlice tgt = s.ints(3);
            tg.task(id, CoreTasks::crossEntropyForward, losses.array, losses.offset, probs.array, probs.offset, logits.array, logits.offset,
                    tgt.array, tgt.offset, s.intArg(4), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.CROSSENTROPY_BACKWARD, TornadoTasks.access("RW R R"), (tg, id, s, a) -> {
            FloatSlice dlogits = s.floats(0), probs = s.floats(1);
            IntSlice tgt = s.ints(2);
            tg.task(id, CoreTasks::crossEntropyBackward, dlogits.array, dlogits.offset, probs.array, probs.offset, tgt.array, tgt.offset,
                    s.intArg(3), s.intArg(4), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.MEAN_LOSS, TornadoTasks.access("W R"), (tg, id, s, a) -> {
            FloatSlice out = s.floats(0), losses = s.floats(1);
            tg.task(id, CoreTasks::meanLoss, out.array, out.offset, losses.array, losses.offset, s.intArg(2), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.ATTENTION_FORWARD, TornadoTasks.access("W W W R"), (tg, id, s, a) -> {
            FloatSlice out = s.floats(0), pre = s.floats(1), att = s.floats(2), qkv = s.floats(3);
            tg.task(id, CoreTasks::attentionForward, out.array, out.offset, pre.array, pre.offset, att.array, att.offset,
                    qkv.array, qkv.offset, s.intArg(4), s.intArg(5), s.intArg(6), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.ATTENTION_BACKWARD_QUERY, TornadoTasks.access("RW W R R R"), (tg, id, s, a) -> {
            FloatSlice dqkv = s.floats(0), dpre = s.floats(1), dout = s.floats(2), qkv = s.floats(3), att = s.floats(4);
            tg.task(id, CoreTasks::attentionBackwardQuery, dqkv.array, dqkv.offset, dpre.array, dpre.offset, dout.array, dout.offset,
                    qkv.array, qkv.offset, att.array, att.offset, s.intArg(5), s.intArg(6), s.intArg(7), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.ATTENTION_BACKWARD_KEY_VALUE, TornadoTasks.access("RW R R R R"), (tg, id, s, a) -> {
            FloatSlice dqkv = s.floats(0), dpre = s.floats(1), dout = s.floats(2), qkv = s.floats(3), att = s.floats(4);
            tg.task(id, CoreTasks::attentionBackwardKeyValue, dqkv.array, dqkv.offset, dpre.array, dpre.offset, dout.array, dout.offset,
                    qkv.array, qkv.offset, att.array, att.offset, s.intArg(5), s.intArg(6), s.intArg(7), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.ADAMW_UPDATE, TornadoTasks.access("RW R RW RW R"), (tg, id, s, a) -> {
            FloatSlice p = s.floats(0), g = s.floats(1), m = s.floats(2), v = s.floats(3), scalars = s.floats(4);
            tg.task(id, CoreTasks::adamw, p.array, g.array, m.array, v.array, p.offset, scalars.array, s.floatArg(5), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.GRADNORM_PARTIAL, TornadoTasks.access("W R"), (tg, id, s, a) -> {
            FloatSlice partials = s.floats(0), grads = s.floats(1);
            tg.task(id, CoreTasks::gradNormPartial, partials.array, partials.offset, grads.array, grads.offset,
                    s.intArg(2), s.intArg(3), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.GRADNORM_CLIP, TornadoTasks.access("RW R"), (tg, id, s, a) -> {
            FloatSlice scalars = s.floats(0), partials = s.floats(1);
            tg.task(id, CoreTasks::gradNormClip, scalars.array, partials.array, partials.offset, s.intArg(2), s.floatArg(3), s.extent[0]);
        });
        TornadoTasks.register(CoreKernels.FILL, TornadoTasks.access("W"), (tg, id, s, a) -> {
            FloatSlice buf = s.floats(0);
            tg.task(id, CoreTasks::fill, buf.array, buf.offset, s.floatArg(1), s.extent[0]);
        });
    }

    /** Stage args of a stage, for messages. */
    static String describe(Stage s) {
        return s.name + " (kernel " + s.kernel.name + ")";
    }
}
