package leviathan.tornado;

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
import leviathan.kernels.AdamWKernels;
import leviathan.kernels.AttentionKernels;
import leviathan.kernels.CrossEntropyKernels;
import leviathan.kernels.EncoderKernels;
import leviathan.kernels.FillKernels;
import leviathan.kernels.GeluKernels;
import leviathan.kernels.GradNormKernels;
import leviathan.kernels.LayerNormKernels;
import leviathan.kernels.MatmulKernels;
import leviathan.kernels.ResidualKernels;

/**
 * TornadoVM tasks for the core kernels: each method is a thin {@code @Parallel} loop (two for a
 * 2-D extent) over the SAME static body the JVM backend runs ({@code leviathan.kernels}); no math
 * here.
 *
 * <p>Every float buffer of a stage lives in one device array, the plan's float arena {@code f}
 * (and every int buffer in the int arena {@code n}); a wrapper receives the arena once and passes
 * it to the body once per buffer with that buffer's offset. So a task never receives the same Java
 * array twice, which TornadoVM 5.2's task-graph compiler cannot schedule (see
 * {@link TornadoBackend}). {@link #register()} binds each {@link CoreKernels} constant to its
 * wrapper, with the stage's arguments in the order {@code Ops} declares them, and says which
 * arguments the body writes ({@link TornadoTasks.Access}). A mixer's kernels get their wrappers the
 * same way, in their own class.
 */
public final class CoreTasks {
    private CoreTasks() {}

    // ---- wrappers: loop over the extent, call the body -------------------------------------------

    public static void encoderForward(float[] f, int[] n, int outOff, int tokOff, int wteOff, int wpeOff, int T, int C, int count) {
        for (@Parallel int bt = 0; bt < count; bt++) {
            Encoder.forward(f, outOff, n, tokOff, f, wteOff, f, wpeOff, T, C, bt);
        }
    }

    public static void encoderBackwardTokens(float[] f, int[] n, int dwteOff, int doutOff, int tokOff, int BT, int C, int count) {
        for (@Parallel int v = 0; v < count; v++) {
            Encoder.backwardTokens(f, dwteOff, f, doutOff, n, tokOff, BT, C, v);
        }
    }

    public static void encoderBackwardPositions(float[] f, int dwpeOff, int doutOff, int B, int T, int C, int count) {
        for (@Parallel int t = 0; t < count; t++) {
            Encoder.backwardPositions(f, dwpeOff, f, doutOff, B, T, C, t);
        }
    }

    public static void layerNormForward(float[] f, int outOff, int meanOff, int rstdOff, int inpOff, int wOff, int bOff, int C, int count) {
        for (@Parallel int r = 0; r < count; r++) {
            LayerNorm.forward(f, outOff, f, meanOff, f, rstdOff, f, inpOff, f, wOff, f, bOff, C, r);
        }
    }

    public static void layerNormBackwardInput(float[] f, int dinpOff, int doutOff, int inpOff, int wOff, int meanOff, int rstdOff,
                                              int C, int count) {
        for (@Parallel int r = 0; r < count; r++) {
            LayerNorm.backwardInput(f, dinpOff, f, doutOff, f, inpOff, f, wOff, f, meanOff, f, rstdOff, C, r);
        }
    }

    public static void layerNormBackwardParams(float[] f, int dwOff, int dbOff, int doutOff, int inpOff, int meanOff, int rstdOff,
                                               int N, int C, int count) {
        for (@Parallel int c = 0; c < count; c++) {
            LayerNorm.backwardParams(f, dwOff, f, dbOff, f, doutOff, f, inpOff, f, meanOff, f, rstdOff, N, C, c);
        }
    }

    /** 2-D: rows × output channels, one output element per work item (the register-blocked variants are in {@link MatmulTasks}). */
    public static void matmulForward(float[] f, int outOff, int inpOff, int wOff, int bOff, int C, int OC, int BT) {
        for (@Parallel int r = 0; r < BT; r++) {
            for (@Parallel int o = 0; o < OC; o++) {
                Matmul.forward(f, outOff, f, inpOff, f, wOff, f, bOff, C, OC, r, o);
            }
        }
    }

    public static void matmulBackwardInput(float[] f, int dinpOff, int doutOff, int wOff, int C, int OC, int accumulate, int BT) {
        for (@Parallel int r = 0; r < BT; r++) {
            for (@Parallel int c = 0; c < C; c++) {
                Matmul.backwardInput(f, dinpOff, f, doutOff, f, wOff, C, OC, accumulate, r, c);
            }
        }
    }

    public static void matmulBackwardWeight(float[] f, int dwOff, int doutOff, int inpOff, int BT, int C, int OC) {
        for (@Parallel int o = 0; o < OC; o++) {
            for (@Parallel int c = 0; c < C; c++) {
                Matmul.backwardWeight(f, dwOff, f, doutOff, f, inpOff, BT, C, OC, o, c);
            }
        }
    }

    public static void matmulBackwardBias(float[] f, int dbOff, int doutOff, int BT, int OC, int count) {
        for (@Parallel int o = 0; o < count; o++) {
            Matmul.backwardBias(f, dbOff, f, doutOff, BT, OC, o);
        }
    }

    public static void geluForward(float[] f, int outOff, int inpOff, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Gelu.forward(f, outOff, f, inpOff, i);
        }
    }

    public static void geluBackward(float[] f, int dinpOff, int inpOff, int doutOff, int accumulate, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Gelu.backward(f, dinpOff, f, inpOff, f, doutOff, accumulate, i);
        }
    }

    public static void residualForward(float[] f, int outOff, int aOff, int bOff, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Residual.forward(f, outOff, f, aOff, f, bOff, i);
        }
    }

    public static void residualBackward(float[] f, int daOff, int dbOff, int doutOff, int accumulate, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Residual.backward(f, daOff, f, dbOff, f, doutOff, accumulate, i);
        }
    }

    public static void crossEntropyForward(float[] f, int[] n, int lossOff, int probsOff, int logitsOff, int tgtOff, int V, int count) {
        for (@Parallel int r = 0; r < count; r++) {
            CrossEntropy.forward(f, lossOff, f, probsOff, f, logitsOff, n, tgtOff, V, r);
        }
    }

    public static void crossEntropyBackward(float[] f, int[] n, int dlogitsOff, int probsOff, int tgtOff, int BT, int V, int count) {
        for (@Parallel int r = 0; r < count; r++) {
            CrossEntropy.backward(f, dlogitsOff, f, probsOff, n, tgtOff, BT, V, r);
        }
    }

    public static void meanLoss(float[] f, int outOff, int lossOff, int lossCount, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            CrossEntropy.mean(f, outOff, f, lossOff, lossCount, i);
        }
    }

    public static void attentionForward(float[] f, int outOff, int preOff, int attOff, int qkvOff, int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Attention.forward(f, outOff, f, preOff, f, attOff, f, qkvOff, T, C, H, i);
        }
    }

    public static void attentionBackwardQuery(float[] f, int dqkvOff, int dpreOff, int doutOff, int qkvOff, int attOff,
                                              int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Attention.backwardQuery(f, dqkvOff, f, dpreOff, f, doutOff, f, qkvOff, f, attOff, T, C, H, i);
        }
    }

    public static void attentionBackwardKeyValue(float[] f, int dqkvOff, int dpreOff, int doutOff, int qkvOff, int attOff,
                                                 int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Attention.backwardKeyValue(f, dqkvOff, f, dpreOff, f, doutOff, f, qkvOff, f, attOff, T, C, H, i);
        }
    }

    public static void adamw(float[] f, int pOff, int gOff, int mOff, int vOff, int scalarsOff, float wd, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            AdamW.update(f, pOff, f, gOff, f, mOff, f, vOff, f, scalarsOff, wd, i);
        }
    }

    public static void gradNormPartial(float[] f, int partOff, int gradOff, int gradCount, int blockSize, int count) {
        for (@Parallel int b = 0; b < count; b++) {
            GradNorm.partialSquares(f, partOff, f, gradOff, gradCount, blockSize, b);
        }
    }

    public static void gradNormClip(float[] f, int scalarsOff, int partOff, int nBlocks, float maxNorm, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            GradNorm.clipScale(f, scalarsOff, f, partOff, nBlocks, maxNorm, i);
        }
    }

    public static void fill(float[] f, int off, float value, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Fill.fill(f, off, value, i);
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
        // a.at(slice) is the slice's offset in the arena (-1 for an absent optional buffer).
        TornadoTasks.register(EncoderKernels.FORWARD, TornadoTasks.access("W R R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::encoderForward, a.floats(), a.ints(), a.at(s.floats(0)), a.at(s.ints(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), s.intArg(4), s.intArg(5), s.extent[0]));
        TornadoTasks.register(EncoderKernels.BACKWARD_TOKENS, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::encoderBackwardTokens, a.floats(), a.ints(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.ints(2)), s.intArg(3), s.intArg(4), s.extent[0]));
        TornadoTasks.register(EncoderKernels.BACKWARD_POSITIONS, TornadoTasks.access("RW R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::encoderBackwardPositions, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        s.intArg(2), s.intArg(3), s.intArg(4), s.extent[0]));
        TornadoTasks.register(LayerNormKernels.FORWARD, TornadoTasks.access("W W W R R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::layerNormForward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), a.at(s.floats(4)), a.at(s.floats(5)), s.intArg(6), s.extent[0]));
        TornadoTasks.register(LayerNormKernels.BACKWARD_INPUT, TornadoTasks.access("RW R R R R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::layerNormBackwardInput, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), a.at(s.floats(4)), a.at(s.floats(5)), s.intArg(6), s.extent[0]));
        TornadoTasks.register(LayerNormKernels.BACKWARD_PARAMS, TornadoTasks.access("RW RW R R R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::layerNormBackwardParams, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), a.at(s.floats(4)), a.at(s.floats(5)), s.intArg(6), s.intArg(7), s.extent[0]));
        TornadoTasks.register(MatmulKernels.FORWARD, TornadoTasks.access("W R R R"), (tg, id, s, a) ->
                MatmulTasks.forward(tg, id, a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)), a.at(s.floats(3)),
                        s.intArg(4), s.intArg(5), s.extent[0], a));
        TornadoTasks.register(MatmulKernels.BACKWARD_INPUT, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                MatmulTasks.backwardInput(tg, id, a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        s.intArg(3), s.intArg(4), s.intArg(5), s.extent[0], a));
        TornadoTasks.register(MatmulKernels.BACKWARD_WEIGHT, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                MatmulTasks.backwardWeight(tg, id, a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        s.intArg(3), s.intArg(4), s.intArg(5), a));
        TornadoTasks.register(MatmulKernels.BACKWARD_BIAS, TornadoTasks.access("RW R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::matmulBackwardBias, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), s.intArg(2), s.intArg(3),
                        s.extent[0]));
        TornadoTasks.register(GeluKernels.FORWARD, TornadoTasks.access("W R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::geluForward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), s.extent[0]));
        TornadoTasks.register(GeluKernels.BACKWARD, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::geluBackward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)), s.intArg(3),
                        s.extent[0]));
        TornadoTasks.register(ResidualKernels.FORWARD, TornadoTasks.access("W R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::residualForward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)), s.extent[0]));
        TornadoTasks.register(ResidualKernels.BACKWARD, TornadoTasks.access("RW RW R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::residualBackward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)), s.intArg(3),
                        s.extent[0]));
        TornadoTasks.register(CrossEntropyKernels.FORWARD, TornadoTasks.access("W W R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::crossEntropyForward, a.floats(), a.ints(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.ints(3)), s.intArg(4), s.extent[0]));
        TornadoTasks.register(CrossEntropyKernels.BACKWARD, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::crossEntropyBackward, a.floats(), a.ints(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.ints(2)),
                        s.intArg(3), s.intArg(4), s.extent[0]));
        TornadoTasks.register(CrossEntropyKernels.MEAN, TornadoTasks.access("W R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::meanLoss, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), s.intArg(2), s.extent[0]));
        TornadoTasks.register(AttentionKernels.FORWARD, TornadoTasks.access("W W W R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::attentionForward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), s.intArg(4), s.intArg(5), s.intArg(6), s.extent[0]));
        TornadoTasks.register(AttentionKernels.BACKWARD_QUERY, TornadoTasks.access("RW W R R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::attentionBackwardQuery, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), a.at(s.floats(4)), s.intArg(5), s.intArg(6), s.intArg(7), s.extent[0]));
        TornadoTasks.register(AttentionKernels.BACKWARD_KEY_VALUE, TornadoTasks.access("RW R R R R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::attentionBackwardKeyValue, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), a.at(s.floats(4)), s.intArg(5), s.intArg(6), s.intArg(7), s.extent[0]));
        TornadoTasks.register(AdamWKernels.UPDATE, TornadoTasks.access("RW R RW RW R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::adamw, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)), a.at(s.floats(3)),
                        a.at(s.floats(4)), s.floatArg(5), s.extent[0]));
        TornadoTasks.register(GradNormKernels.PARTIAL_SQUARES, TornadoTasks.access("W R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::gradNormPartial, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), s.intArg(2), s.intArg(3),
                        s.extent[0]));
        TornadoTasks.register(GradNormKernels.CLIP_SCALE, TornadoTasks.access("RW R"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::gradNormClip, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), s.intArg(2), s.floatArg(3),
                        s.extent[0]));
        TornadoTasks.register(FillKernels.FILL, TornadoTasks.access("W"), (tg, id, s, a) ->
                tg.task(id, CoreTasks::fill, a.floats(), a.at(s.floats(0)), s.floatArg(1), s.extent[0]));
    }
}
