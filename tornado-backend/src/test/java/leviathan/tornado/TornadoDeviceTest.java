package leviathan.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import leviathan.graph.Backend;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.graph.Stage;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;
import leviathan.stages.CoreStages;
import leviathan.tornado.plan.CoreKernelParity;
import leviathan.tornado.plan.DeviceParity;
import leviathan.tornado.plan.DeviceUnderTest;
import leviathan.tornado.plan.MixerParity;
import leviathan.tornado.plan.TrainingParity;

/**
 * The planner's parity checks (every core kernel, every registered mixer, training of the baby
 * model) on a real TornadoVM device against the JVM backend, within float rounding; plus what only a
 * real device has: the blocked matmul tasks, the bytes crossing per step, and per-task kernel times.
 */
class TornadoDeviceTest {
    static final int TRAINING_STEPS = Integer.getInteger("leviathan.tornado.steps", 50);
    /** One stage or step: float rounding of a different summation order (the blocked matmuls, OpenCL's math). */
    static final DeviceUnderTest STEP = new DeviceUnderTest(TornadoTestSupport::jvm, TornadoTestSupport::tornado, 1e-5);
    /** Fifty training steps let rounding differences grow a little. */
    static final DeviceUnderTest TRAINING = new DeviceUnderTest(TornadoTestSupport::jvm, TornadoTestSupport::tornado, 1e-4);

    @BeforeAll
    static void tornadoPresent() {
        TornadoTestSupport.assumeTornado();
    }

    @Nested
    class CoreKernels extends CoreKernelParity {
        @Override
        protected DeviceUnderTest target() {
            return STEP;
        }
    }

    @Nested
    class Mixers extends MixerParity {
        @Override
        protected DeviceUnderTest target() {
            return STEP;
        }
    }

    /** The baby preset's shapes (N=4, H=4, C=128, Tmax=64, B=12), 65 characters. */
    @Nested
    class Training extends TrainingParity {
        @Override
        protected DeviceUnderTest target() {
            return TRAINING;
        }

        @Override
        protected ModelConfig config(String mixer, Map<String, String> options) {
            return new ModelConfig(65, 64, 4, 4, 128, mixer, options);
        }

        @Override
        protected int batch() {
            return 12;
        }

        @Override
        protected int steps() {
            return TRAINING_STEPS;
        }
    }

    /** Both TornadoVM forms (register-blocked, generated plain) of the three matmul stages, on blockable and odd shapes. */
    @Test
    void matmulVariantsMatchTheJvmBackend() {
        Rng rng = new Rng(3);
        for (String variant : new String[] {"blocked", "plain"}) {
            System.setProperty("leviathan.tornado.matmul", variant);
            try {
                Graph g = new Graph("matmul_" + variant);
                g.add(CoreStages.matmulForward("blockable", FloatSlice.of("o", 64, 48), r(rng, 64, 32), r(rng, 48, 32), r(rng, 48), 64, 32, 48));
                g.add(CoreStages.matmulForward("blockable_nobias", FloatSlice.of("o", 8, 12), r(rng, 8, 16), r(rng, 12, 16), null, 8, 16, 12));
                g.add(CoreStages.matmulForward("odd", FloatSlice.of("o", 30, 65), r(rng, 30, 36), r(rng, 65, 36), r(rng, 65), 30, 36, 65));
                g.add(CoreStages.matmulBackwardInput("backward_input", r(rng, 24, 20), r(rng, 24, 36), r(rng, 36, 20), 24, 20, 36));
                g.add(CoreStages.matmulBackwardInput("backward_input_odd", r(rng, 30, 36), r(rng, 30, 65), r(rng, 65, 36), 30, 36, 65));
                g.add(CoreStages.matmulBackwardInput("backward_input_first", r(rng, 24, 20), r(rng, 24, 36), r(rng, 36, 20), 24, 20, 36, false));
                g.add(CoreStages.matmulBackwardWeight("backward_weight", r(rng, 36, 20), r(rng, 24, 36), r(rng, 24, 20), 24, 20, 36));
                g.add(CoreStages.matmulBackwardWeight("backward_weight_odd", r(rng, 65, 36), r(rng, 30, 65), r(rng, 30, 36), 30, 36, 65));
                System.out.println("matmul variant " + variant + ":");
                DeviceParity.sameGraph(g, TornadoTestSupport::jvm, TornadoTestSupport::tornado, 1e-5);
            } finally {
                System.clearProperty("leviathan.tornado.matmul");
            }
        }
    }

    private static FloatSlice r(Rng rng, int... shape) {
        return DeviceParity.random(rng, "x", shape);
    }

    /**
     * Per step only the host inputs (tokens, targets, step scalars) go in and the host outputs (loss,
     * step scalars) come out; nothing is copied on demand. TornadoVM's copy-in counter also counts each
     * kernel launch's argument buffer (well under 256 bytes a task).
     */
    @Test
    void aTrainingStepMovesOnlyTheBatchTheScalarsAndTheLoss() {
        Profiler profiler = new Profiler(true, 2);
        try (Backend tornado = TornadoBackend.open(TornadoTestSupport.DEVICE, profiler)) {
            DeviceParity.train(new ModelConfig(65, 64, 2, 4, 64, "attention", Map.of()), 12, tornado, 6);
        }
        Map<String, Double> fig = profiler.backendFigures();
        System.out.println("per-step copies: " + fig);
        double headers = 64; // TornadoVM counts each array's header too
        assertTrue(fig.get("copy_out_bytes_per_step") <= fig.get("host_output_bytes_per_step") + headers, "copy out " + fig);
        assertTrue(fig.get("copy_in_bytes_per_step") <= fig.get("host_input_bytes_per_step") + headers + 256 * fig.get("tasks_per_step"),
                "copy in " + fig);
        assertEquals(0.0, fig.get("on_demand_copy_in_bytes"), "on-demand uploads during training");
        assertEquals(0.0, fig.get("on_demand_copy_out_bytes"), "on-demand downloads during training");
    }

    /** With the profiler on, every stage gets device kernel times from TornadoVM's profiler log. */
    @Test
    void everyStageGetsKernelTimesFromTheProfilerLog() {
        Profiler profiler = new Profiler(true, 0);
        Graph g = CoreKernelParity.allCoreKernels();
        try (Backend tornado = TornadoBackend.open(TornadoTestSupport.DEVICE, profiler)) {
            Backend.CompiledGraph c = tornado.compile(g);
            for (int i = 0; i < 3; i++) {
                c.run();
                tornado.syncToHost(); // runs the plan
            }
        }
        List<String> untimed = new java.util.ArrayList<>();
        for (Stage s : g.stages()) {
            if (profiler.stats(g.name, s).measuredCalls() == 0) {
                untimed.add(s.name);
            }
        }
        assertTrue(untimed.isEmpty(), "stages without kernel times: " + untimed);
    }
}
