package leviathan.tornado;

import leviathan.model.mixers.LeviathanMixer;
import leviathan.model.mixers.LeviathanSameMixer;
import leviathan.model.mixers.LongformerMixer;
import leviathan.model.mixers.PerformerMixer;
import leviathan.model.mixers.SynthesizerMixer;
import leviathan.kernels.Leviathan;
import leviathan.kernels.LeviathanSame;
import leviathan.kernels.Longformer;
import leviathan.kernels.Performer;
import leviathan.kernels.Synthesizer;
import uk.ac.manchester.tornado.api.annotations.Parallel;

/**
 * TornadoVM tasks for the mixers' kernels ({@code leviathan.compute.mixers.*Ops}): {@link CoreTasks}'s
 * pattern, for the mixers. Each method is a thin {@code @Parallel} loop over the extent calling the
 * SAME plain body the JVM backend runs ({@code leviathan.kernels}; the JVM-only fast variants are not
 * wrapped), with the float arena {@code f} (and int arena {@code n}) passed once per buffer with that
 * buffer's offset; no math here. {@link #register()} binds each kernel constant to its wrapper, the
 * stage arguments in the order its {@code *Ops} stage factory declares them. A new mixer adds its
 * wrappers and registrations here.
 */
public final class MixerTasks {
    private MixerTasks() {}

    // ---- Leviathan (causal): LeviathanOps -----------------------------------------------------------

    public static void leviathanBaseScores(float[] f, int baseOff, int qkvOff, int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Leviathan.baseScores(f, baseOff, f, qkvOff, T, C, H, i);
        }
    }

    public static void leviathanLagCorrelate(float[] f, int preOff, int baseOff, int lagOff, int T, int H, int L, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Leviathan.lagCorrelate(f, preOff, f, baseOff, f, lagOff, T, H, L, i);
        }
    }

    public static void leviathanSoftmaxValues(float[] f, int outOff, int attOff, int preOff, int qkvOff, int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Leviathan.softmaxValues(f, outOff, f, attOff, f, preOff, f, qkvOff, T, C, H, i);
        }
    }

    public static void leviathanScoresBackward(float[] f, int dpreOff, int doutOff, int qkvOff, int attOff, int T, int C, int H,
                                               int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Leviathan.scoresBackward(f, dpreOff, f, doutOff, f, qkvOff, f, attOff, T, C, H, i);
        }
    }

    public static void leviathanLagCorrelateBackward(float[] f, int dbaseOff, int dpreOff, int lagOff, int T, int H, int L, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Leviathan.lagCorrelateBackward(f, dbaseOff, f, dpreOff, f, lagOff, T, H, L, i);
        }
    }

    public static void leviathanLagWeightBackward(float[] f, int dlagOff, int dpreOff, int baseOff, int B, int T, int H, int L,
                                                  int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Leviathan.lagWeightBackward(f, dlagOff, f, dpreOff, f, baseOff, B, T, H, L, i);
        }
    }

    public static void leviathanQueryBackward(float[] f, int dqkvOff, int dbaseOff, int qkvOff, int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Leviathan.queryBackward(f, dqkvOff, f, dbaseOff, f, qkvOff, T, C, H, i);
        }
    }

    // ---- Leviathan-same (the notebook reproduction): LeviathanSameOps --------------------------------

    public static void leviathanSameCorrelate(float[] f, int cqkvOff, int qkvOff, int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            LeviathanSame.correlateForward(f, cqkvOff, f, qkvOff, T, C, H, i);
        }
    }

    public static void leviathanSameCorrelateBackward(float[] f, int dqkvOff, int dcqkvOff, int qkvOff, int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            LeviathanSame.correlateBackward(f, dqkvOff, f, dcqkvOff, f, qkvOff, T, C, H, i);
        }
    }

    // ---- Performer (FAVOR+): PerformerOps -------------------------------------------------------------

    public static void performerFeatures(float[] f, int phiQOff, int phiKOff, int keyMaxOff, int qkvOff, int omegaOff,
                                         int T, int C, int H, int m, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Performer.features(f, phiQOff, f, phiKOff, f, keyMaxOff, f, qkvOff, f, omegaOff, T, C, H, m, i);
        }
    }

    public static void performerScan(float[] f, int outOff, int numOff, int stateOff, int phiQOff, int phiKOff, int keyMaxOff,
                                     int qkvOff, int T, int C, int H, int m, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Performer.scan(f, outOff, f, numOff, f, stateOff, f, phiQOff, f, phiKOff, f, keyMaxOff, f, qkvOff, T, C, H, m, i);
        }
    }

    public static void performerOutputGrad(float[] f, int dnumOff, int doutOff, int outOff, int numOff, int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Performer.outputGrad(f, dnumOff, f, doutOff, f, outOff, f, numOff, T, C, H, i);
        }
    }

    public static void performerBackwardQuery(float[] f, int dphiQOff, int stateOff, int dnumOff, int phiKOff, int qkvOff,
                                              int T, int C, int H, int m, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Performer.backwardQuery(f, dphiQOff, f, stateOff, f, dnumOff, f, phiKOff, f, qkvOff, T, C, H, m, i);
        }
    }

    public static void performerBackwardKeyValue(float[] f, int dqkvOff, int dphiKOff, int stateOff, int dnumOff, int phiQOff,
                                                 int phiKOff, int qkvOff, int T, int C, int H, int m, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Performer.backwardKeyValue(f, dqkvOff, f, dphiKOff, f, stateOff, f, dnumOff, f, phiQOff, f, phiKOff, f, qkvOff,
                    T, C, H, m, i);
        }
    }

    public static void performerBackwardFeatures(float[] f, int dqkvOff, int dphiQOff, int dphiKOff, int phiQOff, int phiKOff,
                                                 int qkvOff, int omegaOff, int T, int C, int H, int m, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Performer.backwardFeatures(f, dqkvOff, f, dphiQOff, f, dphiKOff, f, phiQOff, f, phiKOff, f, qkvOff, f, omegaOff,
                    T, C, H, m, i);
        }
    }

    // ---- Longformer (banded, dilated, global tokens): LongformerOps ----------------------------------

    public static void longformerForward(float[] f, int[] n, int outOff, int preOff, int attOff, int qkvOff, int dilOff,
                                         int T, int C, int H, int W, int G, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Longformer.forward(f, outOff, f, preOff, f, attOff, f, qkvOff, n, dilOff, T, C, H, W, G, i);
        }
    }

    public static void longformerBackwardQuery(float[] f, int[] n, int dqkvOff, int dpreOff, int doutOff, int qkvOff, int attOff,
                                               int dilOff, int T, int C, int H, int W, int G, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Longformer.backwardQuery(f, dqkvOff, f, dpreOff, f, doutOff, f, qkvOff, f, attOff, n, dilOff, T, C, H, W, G, i);
        }
    }

    public static void longformerBackwardKeyValue(float[] f, int[] n, int dqkvOff, int dpreOff, int doutOff, int qkvOff, int attOff,
                                                  int dilOff, int T, int C, int H, int W, int G, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Longformer.backwardKeyValue(f, dqkvOff, f, dpreOff, f, doutOff, f, qkvOff, f, attOff, n, dilOff, T, C, H, W, G, i);
        }
    }

    // ---- Synthesizer (dense and random): SynthesizerOps -----------------------------------------------

    public static void reluForward(float[] f, int outOff, int inpOff, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Synthesizer.reluForward(f, outOff, f, inpOff, i);
        }
    }

    public static void reluBackward(float[] f, int dinpOff, int inpOff, int doutOff, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Synthesizer.reluBackward(f, dinpOff, f, inpOff, f, doutOff, i);
        }
    }

    public static void synthesizerForward(float[] f, int outOff, int attOff, int logitsOff, int vOff, int T, int C, int H,
                                          int strideB, int strideH, int strideT, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Synthesizer.forward(f, outOff, f, attOff, f, logitsOff, f, vOff, T, C, H, strideB, strideH, strideT, i);
        }
    }

    public static void synthesizerBackwardLogits(float[] f, int dlogitsOff, int doutOff, int vOff, int attOff, int T, int C, int H,
                                                 int strideB, int strideH, int strideT, int rowLength, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Synthesizer.backwardLogits(f, dlogitsOff, f, doutOff, f, vOff, f, attOff, T, C, H, strideB, strideH, strideT, rowLength, i);
        }
    }

    public static void synthesizerBackwardValues(float[] f, int dvOff, int doutOff, int attOff, int T, int C, int H, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Synthesizer.backwardValues(f, dvOff, f, doutOff, f, attOff, T, C, H, i);
        }
    }

    public static void synthesizerBackwardTable(float[] f, int dtableOff, int dscoresOff, int B, int T, int H, int Tmax, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            Synthesizer.backwardTable(f, dtableOff, f, dscoresOff, B, T, H, Tmax, i);
        }
    }

    // ---- the registry: Kernel -> task ---------------------------------------------------------------

    private static boolean registered;

    /** Binds every mixer kernel to its wrapper (idempotent). */
    public static synchronized void register() {
        if (registered) {
            return;
        }
        registered = true;
        // Access lists as in CoreTasks: per stage argument index, W = the body overwrites its slice (the
        // part later read) before reading it, RW = accumulates or reads-then-writes, R = reads only.

        // Leviathan
        TornadoTasks.register(LeviathanMixer.Stages.BASE_SCORES, TornadoTasks.access("W R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanBaseScores, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        s.intArg(2), s.intArg(3), s.intArg(4), s.extent[0]));
        TornadoTasks.register(LeviathanMixer.Stages.LAG_CORRELATE, TornadoTasks.access("W R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanLagCorrelate, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        s.intArg(3), s.intArg(4), s.intArg(5), s.extent[0]));
        TornadoTasks.register(LeviathanMixer.Stages.SOFTMAX_VALUES, TornadoTasks.access("W W R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanSoftmaxValues, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), s.intArg(4), s.intArg(5), s.intArg(6), s.extent[0]));
        TornadoTasks.register(LeviathanMixer.Stages.SCORES_BACKWARD, TornadoTasks.access("W R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanScoresBackward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), s.intArg(4), s.intArg(5), s.intArg(6), s.extent[0]));
        TornadoTasks.register(LeviathanMixer.Stages.LAG_CORRELATE_BACKWARD, TornadoTasks.access("W R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanLagCorrelateBackward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), s.intArg(3), s.intArg(4), s.intArg(5), s.extent[0]));
        TornadoTasks.register(LeviathanMixer.Stages.LAG_WEIGHT_BACKWARD, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanLagWeightBackward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), s.intArg(3), s.intArg(4), s.intArg(5), s.intArg(6), s.extent[0]));
        TornadoTasks.register(LeviathanMixer.Stages.QUERY_BACKWARD, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanQueryBackward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        s.intArg(3), s.intArg(4), s.intArg(5), s.extent[0]));

        // Leviathan-same
        TornadoTasks.register(LeviathanSameMixer.Stages.CORRELATE, TornadoTasks.access("W R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanSameCorrelate, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        s.intArg(2), s.intArg(3), s.intArg(4), s.extent[0]));
        TornadoTasks.register(LeviathanSameMixer.Stages.CORRELATE_BACKWARD, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::leviathanSameCorrelateBackward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), s.intArg(3), s.intArg(4), s.intArg(5), s.extent[0]));

        // Performer (its bodies avoid Math.ceil/floor/rint, which TornadoVM 5.2's OpenCL backend cannot compile)
        TornadoTasks.register(PerformerMixer.Stages.FEATURES, TornadoTasks.access("W W W R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::performerFeatures, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), a.at(s.floats(4)), s.intArg(5), s.intArg(6), s.intArg(7), s.intArg(8), s.extent[0]));
        TornadoTasks.register(PerformerMixer.Stages.SCAN, TornadoTasks.access("W W W R R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::performerScan, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), a.at(s.floats(4)), a.at(s.floats(5)), a.at(s.floats(6)), s.intArg(7), s.intArg(8),
                        s.intArg(9), s.intArg(10), s.extent[0]));
        TornadoTasks.register(PerformerMixer.Stages.OUTPUT_GRAD, TornadoTasks.access("RW R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::performerOutputGrad, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), s.intArg(4), s.intArg(5), s.intArg(6), s.extent[0]));
        TornadoTasks.register(PerformerMixer.Stages.BACKWARD_QUERY, TornadoTasks.access("RW W R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::performerBackwardQuery, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), a.at(s.floats(4)), s.intArg(5), s.intArg(6), s.intArg(7), s.intArg(8), s.extent[0]));
        TornadoTasks.register(PerformerMixer.Stages.BACKWARD_KEY_VALUE, TornadoTasks.access("RW RW W R R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::performerBackwardKeyValue, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), a.at(s.floats(3)), a.at(s.floats(4)), a.at(s.floats(5)), a.at(s.floats(6)),
                        s.intArg(7), s.intArg(8), s.intArg(9), s.intArg(10), s.extent[0]));
        TornadoTasks.register(PerformerMixer.Stages.BACKWARD_FEATURES, TornadoTasks.access("RW R R R R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::performerBackwardFeatures, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), a.at(s.floats(3)), a.at(s.floats(4)), a.at(s.floats(5)), a.at(s.floats(6)),
                        s.intArg(7), s.intArg(8), s.intArg(9), s.intArg(10), s.extent[0]));

        // Longformer
        TornadoTasks.register(LongformerMixer.Stages.FORWARD, TornadoTasks.access("W W W R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::longformerForward, a.floats(), a.ints(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), a.at(s.floats(3)), a.at(s.ints(4)),
                        s.intArg(5), s.intArg(6), s.intArg(7), s.intArg(8), s.intArg(9), s.extent[0]));
        TornadoTasks.register(LongformerMixer.Stages.BACKWARD_QUERY, TornadoTasks.access("RW W R R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::longformerBackwardQuery, a.floats(), a.ints(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), a.at(s.floats(3)), a.at(s.floats(4)), a.at(s.ints(5)),
                        s.intArg(6), s.intArg(7), s.intArg(8), s.intArg(9), s.intArg(10), s.extent[0]));
        TornadoTasks.register(LongformerMixer.Stages.BACKWARD_KEY_VALUE, TornadoTasks.access("RW R R R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::longformerBackwardKeyValue, a.floats(), a.ints(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), a.at(s.floats(3)), a.at(s.floats(4)), a.at(s.ints(5)),
                        s.intArg(6), s.intArg(7), s.intArg(8), s.intArg(9), s.intArg(10), s.extent[0]));

        // Synthesizer
        TornadoTasks.register(SynthesizerMixer.Stages.RELU_FORWARD, TornadoTasks.access("W R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::reluForward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), s.extent[0]));
        TornadoTasks.register(SynthesizerMixer.Stages.RELU_BACKWARD, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::reluBackward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)), s.extent[0]));
        TornadoTasks.register(SynthesizerMixer.Stages.FORWARD, TornadoTasks.access("W W R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::synthesizerForward, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)), a.at(s.floats(2)),
                        a.at(s.floats(3)), s.intArg(4), s.intArg(5), s.intArg(6), s.intArg(7), s.intArg(8), s.intArg(9), s.extent[0]));
        TornadoTasks.register(SynthesizerMixer.Stages.BACKWARD_LOGITS, TornadoTasks.access("W R R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::synthesizerBackwardLogits, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), a.at(s.floats(3)), s.intArg(4), s.intArg(5), s.intArg(6), s.intArg(7), s.intArg(8),
                        s.intArg(9), s.intArg(10), s.extent[0]));
        TornadoTasks.register(SynthesizerMixer.Stages.BACKWARD_VALUES, TornadoTasks.access("RW R R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::synthesizerBackwardValues, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        a.at(s.floats(2)), s.intArg(3), s.intArg(4), s.intArg(5), s.extent[0]));
        TornadoTasks.register(SynthesizerMixer.Stages.BACKWARD_TABLE, TornadoTasks.access("RW R"), (tg, id, s, a) ->
                tg.task(id, MixerTasks::synthesizerBackwardTable, a.floats(), a.at(s.floats(0)), a.at(s.floats(1)),
                        s.intArg(2), s.intArg(3), s.intArg(4), s.intArg(5), s.extent[0]));
    }
}
