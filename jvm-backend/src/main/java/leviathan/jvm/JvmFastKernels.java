package leviathan.jvm;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.AdamWKernels;
import leviathan.kernels.AttentionKernels;
import leviathan.kernels.CrossEntropyKernels;
import leviathan.kernels.Dropout;
import leviathan.kernels.FillKernels;
import leviathan.kernels.GeluKernels;
import leviathan.kernels.GradNormKernels;
import leviathan.kernels.LayerNormKernels;
import leviathan.kernels.LeviathanKernels;
import leviathan.kernels.LeviathanNotebookKernels;
import leviathan.kernels.MatmulKernels;
import leviathan.kernels.PerformerKernels;
import leviathan.kernels.ResidualKernels;

/**
 * Faster JVM implementations of hot stages, swapped in by {@link JvmBackend} in place of the plain
 * body loop: the JVM backend's own registry, so a kernel's declaration never depends on it. Each is
 * tested against the plain body it replaces (JvmFastKernelsTest checks every kernel listed here).
 */
public final class JvmFastKernels {
    private JvmFastKernels() {}

    /** A stage bound for the JVM: runs its whole extent on the pool. */
    @FunctionalInterface
    public interface JvmStage {
        void run(WorkerPool pool);
    }

    private static final Map<Kernel, Function<Stage, JvmStage>> FAST = new IdentityHashMap<>();

    static {
        FAST.put(MatmulKernels.FORWARD, s -> {
            MatmulKernels.ForwardArgs a = MatmulKernels.ForwardArgs.of(s);
            return VectorGemm.forward(a.out(), a.inp(), a.weight(), a.bias(), s.extent[0], a.C(), a.OC())::run;
        });
        FAST.put(MatmulKernels.BACKWARD_INPUT, s -> {
            MatmulKernels.BackwardInputArgs a = MatmulKernels.BackwardInputArgs.of(s);
            return VectorGemm.backwardInput(a.dinp(), a.dout(), a.weight(), s.extent[0], a.C(), a.OC(), a.accumulate() != 0)::run;
        });
        FAST.put(MatmulKernels.BACKWARD_WEIGHT, s -> {
            MatmulKernels.BackwardWeightArgs a = MatmulKernels.BackwardWeightArgs.of(s);
            return VectorGemm.backwardWeight(a.dweight(), a.dout(), a.inp(), a.BT(), a.C(), a.OC())::run;
        });
        FAST.put(MatmulKernels.BACKWARD_BIAS, VectorColumns::matmulBackwardBias);
        FAST.put(LayerNormKernels.FORWARD, VectorLayerNorm::forward);
        FAST.put(LayerNormKernels.BACKWARD_INPUT, VectorLayerNorm::backwardInput);
        FAST.put(LayerNormKernels.BACKWARD_PARAMS, VectorColumns::layerNormBackwardParams);
        FAST.put(GeluKernels.FORWARD, VectorElementwise::geluForward);
        FAST.put(GeluKernels.BACKWARD, VectorElementwise::geluBackward);
        FAST.put(AdamWKernels.UPDATE, VectorElementwise::adamw);
        FAST.put(FillKernels.FILL, VectorElementwise::fill);
        FAST.put(ResidualKernels.FORWARD, VectorElementwise::residualForward);
        FAST.put(ResidualKernels.BACKWARD, VectorElementwise::residualBackward);
        FAST.put(GradNormKernels.PARTIAL_SQUARES, VectorElementwise::gradNormPartial);
        FAST.put(CrossEntropyKernels.FORWARD, VectorCrossEntropy::forward);
        // The attention and Leviathan row variants do not drop out: with a dropout rate above 0 the plain body runs.
        FAST.put(AttentionKernels.FORWARD, unlessDropping(VectorAttention::forward, s -> AttentionKernels.ForwardArgs.of(s).dropout()));
        FAST.put(AttentionKernels.BACKWARD_QUERY, unlessDropping(VectorAttention::backwardQuery,
                s -> AttentionKernels.BackwardQueryArgs.of(s).dropout()));
        FAST.put(AttentionKernels.BACKWARD_KEY_VALUE, unlessDropping(VectorAttention::backwardKeyValue,
                s -> AttentionKernels.BackwardKeyValueArgs.of(s).dropout()));
        // Leviathan: the row kernels in whole vectors; the lag correlations by FFT where LeviathanFft.faster
        // says it beats the direct sum (long lag windows), else by the vector direct sum (bit-identical to the body).
        FAST.put(LeviathanKernels.BASE_SCORES, LeviathanVector::baseScores);
        FAST.put(LeviathanKernels.SOFTMAX_VALUES, unlessDropping(LeviathanVector::softmaxValues,
                s -> LeviathanKernels.SoftmaxValuesArgs.of(s).dropout()));
        FAST.put(LeviathanKernels.SCORES_BACKWARD, unlessDropping(LeviathanVector::scoresBackward,
                s -> LeviathanKernels.ScoresBackwardArgs.of(s).dropout()));
        FAST.put(LeviathanKernels.QUERY_BACKWARD, LeviathanVector::queryBackward);
        FAST.put(LeviathanKernels.LAG_CORRELATE, s -> {
            LeviathanKernels.LagCorrelateArgs a = LeviathanKernels.LagCorrelateArgs.of(s);
            return LeviathanFft.faster(a.T(), a.L()) ? LeviathanFft.lagCorrelate(s) : LeviathanVector.lagCorrelate(s);
        });
        FAST.put(LeviathanKernels.LAG_CORRELATE_BACKWARD, s -> {
            LeviathanKernels.LagCorrelateBackwardArgs a = LeviathanKernels.LagCorrelateBackwardArgs.of(s);
            return LeviathanFft.faster(a.T(), a.L()) ? LeviathanFft.lagCorrelateBackward(s) : LeviathanVector.lagCorrelateBackward(s);
        });
        FAST.put(LeviathanKernels.LAG_WEIGHT_BACKWARD, s -> {
            LeviathanKernels.LagWeightBackwardArgs a = LeviathanKernels.LagWeightBackwardArgs.of(s);
            return LeviathanFft.faster(a.T(), a.L()) ? LeviathanFft.lagWeightBackward(s) : plain(s);
        });
        // leviathan-same --notebook=true: the 4-D correlation by FFT along T at every size (the direct
        // body is O((B·H·T·D)²); the transforms win from the smallest shapes on).
        FAST.put(LeviathanNotebookKernels.CORRELATE_FORWARD, NotebookCorrelationFft::correlateForward);
        // Performer (no dropout in any of its stages): the feature map and the three scans in whole vectors.
        FAST.put(PerformerKernels.FEATURES, PerformerVector::features);
        FAST.put(PerformerKernels.SCAN, PerformerScanVector::scan);
        FAST.put(PerformerKernels.BACKWARD_QUERY, PerformerScanVector::backwardQuery);
        FAST.put(PerformerKernels.BACKWARD_KEY_VALUE, PerformerScanVector::backwardKeyValue);
        FAST.put(PerformerKernels.BACKWARD_FEATURES, PerformerVector::backwardFeatures);
    }

    /**
     * A fast variant for stages that run without dropout: whenever the stage's dropout rate (read at
     * run time: evaluation zeroes it) is above 0, the plain body runs, which drops out exactly.
     */
    static Function<Stage, JvmStage> unlessDropping(Function<Stage, JvmStage> fast, Function<Stage, FloatSlice> dropout) {
        return s -> {
            JvmStage vector = fast.apply(s);
            JvmStage body = plain(s);
            FloatSlice d = dropout.apply(s);
            return pool -> (Dropout.rate(d.array, d.offset) > 0f ? body : vector).run(pool);
        };
    }

    /** The fast variant of a kernel, or null where the plain body runs. */
    static Function<Stage, JvmStage> lookup(Kernel kernel) {
        return FAST.get(kernel);
    }

    /** Every kernel with a fast variant (the tests check each against its plain body). */
    static Set<Kernel> kernels() {
        return Collections.unmodifiableSet(FAST.keySet());
    }

    /** The plain binding: the kernel's body over the stage's extent, split across the pool. */
    public static JvmStage plain(Stage stage) {
        Kernel.RangeBody body = stage.kernel.bindJvm(stage);
        int n = stage.extent[0];
        return pool -> pool.run(n, body);
    }
}
