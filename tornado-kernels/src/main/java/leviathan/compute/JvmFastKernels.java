package leviathan.compute;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Faster JVM implementations of hot stages, swapped in by {@link JvmBackend} in place of the plain
 * body loop. Each is tested against the plain body it replaces (JvmFastKernelsTest).
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
        FAST.put(CoreKernels.MATMUL_FORWARD, s -> VectorGemm.forward(s.floats(0), s.floats(1), s.floats(2), s.floats(3),
                s.extent[0], s.intArg(4), s.intArg(5))::run);
        FAST.put(CoreKernels.MATMUL_BACKWARD_INPUT, s -> VectorGemm.backwardInput(s.floats(0), s.floats(1), s.floats(2),
                s.extent[0], s.intArg(3), s.intArg(4), s.intArg(5) != 0)::run);
        FAST.put(CoreKernels.MATMUL_BACKWARD_WEIGHT, s -> VectorGemm.backwardWeight(s.floats(0), s.floats(1), s.floats(2),
                s.intArg(3), s.intArg(4), s.intArg(5))::run);
        FAST.put(CoreKernels.MATMUL_BACKWARD_BIAS, VectorColumns::matmulBackwardBias);
        FAST.put(CoreKernels.LAYERNORM_FORWARD, VectorLayerNorm::forward);
        FAST.put(CoreKernels.LAYERNORM_BACKWARD_INPUT, VectorLayerNorm::backwardInput);
        FAST.put(CoreKernels.LAYERNORM_BACKWARD_PARAMS, VectorColumns::layerNormBackwardParams);
        FAST.put(CoreKernels.GELU_FORWARD, VectorElementwise::geluForward);
        FAST.put(CoreKernels.GELU_BACKWARD, VectorElementwise::geluBackward);
        FAST.put(CoreKernels.ADAMW_UPDATE, VectorElementwise::adamw);
        FAST.put(CoreKernels.FILL, VectorElementwise::fill);
        FAST.put(CoreKernels.RESIDUAL_FORWARD, VectorElementwise::residualForward);
        FAST.put(CoreKernels.RESIDUAL_BACKWARD, VectorElementwise::residualBackward);
        FAST.put(CoreKernels.GRADNORM_PARTIAL, VectorElementwise::gradNormPartial);
        FAST.put(CoreKernels.CROSSENTROPY_FORWARD, VectorCrossEntropy::forward);
        FAST.put(CoreKernels.ATTENTION_FORWARD, VectorAttention::forward);
        FAST.put(CoreKernels.ATTENTION_BACKWARD_QUERY, VectorAttention::backwardQuery);
        FAST.put(CoreKernels.ATTENTION_BACKWARD_KEY_VALUE, VectorAttention::backwardKeyValue);
    }

    /** Registers a fast variant (e.g. from a mixer's package); it must be tested against the plain body. */
    public static synchronized void register(Kernel kernel, Function<Stage, JvmStage> binder) {
        FAST.put(kernel, binder);
    }

    static synchronized Function<Stage, JvmStage> lookup(Kernel kernel) {
        return FAST.get(kernel);
    }

    /** The plain binding: the kernel's body over the stage's extent, split across the pool. */
    public static JvmStage plain(Stage stage) {
        Kernel.RangeBody body = stage.kernel.bindJvm(stage);
        int n = stage.extent[0];
        return pool -> pool.run(n, body);
    }
}
