package leviathan.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.model.Mixers;

/**
 * 50 training steps of the baby preset: the same loss at every step on TornadoVM as on the JVM backend
 * (1e-4 relative), and per step only the batch, the step scalars and the loss cross between host and device.
 */
class TrainingTornadoTest {
    static final int STEPS = Integer.getInteger("leviathan.tornado.steps", 50);
    static final double TOL = 1e-4;

    @BeforeAll
    static void tornadoPresent() {
        TornadoTestSupport.assumeTornado();
    }

    static void sameLosses(String mixer) {
        List<Float> want;
        try (Backend jvm = TornadoTestSupport.jvm()) {
            want = TornadoTestSupport.train(TornadoTestSupport.baby(mixer), jvm, STEPS);
        }
        List<Float> got;
        Profiler profiler = new Profiler(true, 2);
        try (Backend tornado = new TornadoBackend(TornadoTestSupport.DEVICE, profiler)) {
            got = TornadoTestSupport.train(TornadoTestSupport.baby(mixer), tornado, STEPS);
        }
        onlyBatchAndLossMove(mixer, profiler.backendFigures());
        assertEquals(want.size(), got.size());
        double worst = 0;
        for (int i = 0; i < want.size(); i++) {
            double rel = Math.abs(got.get(i) - want.get(i)) / Math.abs(want.get(i));
            worst = Math.max(worst, rel);
            assertTrue(rel <= TOL, mixer + " step " + (i + 1) + ": TornadoVM loss " + got.get(i) + " vs JVM " + want.get(i)
                    + " (relative " + rel + ")");
        }
        System.out.printf("%s: %d steps, loss %.4f -> %.4f, worst relative difference %.2e%n", mixer, STEPS, want.get(0),
                want.get(want.size() - 1), worst);
        assertTrue(want.get(want.size() - 1) < want.get(0), "the loss should fall");
    }

    /**
     * The profiler's copy counters: per step only the host inputs (tokens, targets, step scalars) go in
     * and the host outputs (loss, step scalars) come out; nothing is copied on demand. TornadoVM's
     * copy-in counter also includes each kernel launch's argument buffer (well under 256 bytes a task).
     */
    static void onlyBatchAndLossMove(String mixer, Map<String, Double> fig) {
        System.out.printf("%s copies per step: in %.0f bytes (host inputs %.0f, %.0f tasks), out %.0f bytes (host outputs %.0f);"
                + " on demand in %.0f, out %.0f%n", mixer, fig.get("copy_in_bytes_per_step"), fig.get("host_input_bytes_per_step"),
                fig.get("tasks_per_step"), fig.get("copy_out_bytes_per_step"), fig.get("host_output_bytes_per_step"),
                fig.get("on_demand_copy_in_bytes"), fig.get("on_demand_copy_out_bytes"));
        double headers = 64; // TornadoVM counts each array's header too
        assertTrue(fig.get("copy_out_bytes_per_step") <= fig.get("host_output_bytes_per_step") + headers, mixer + ": copy out " + fig);
        assertTrue(fig.get("copy_in_bytes_per_step") <= fig.get("host_input_bytes_per_step") + headers + 256 * fig.get("tasks_per_step"),
                mixer + ": copy in " + fig);
        if (!mixer.equals("performer")) { // the Performer redraws its features on the host (every 20 steps here)
            assertEquals(0.0, fig.get("on_demand_copy_in_bytes"), mixer + ": on-demand uploads during training");
            assertEquals(0.0, fig.get("on_demand_copy_out_bytes"), mixer + ": on-demand downloads during training");
        }
    }

    @Test
    void babyAttentionMatchesJvm() {
        sameLosses("attention");
    }

    static Stream<String> mixers() {
        return Mixers.all().keySet().stream().filter(m -> !m.equals("attention"));
    }

    /** Every registered mixer; one whose kernels have no TornadoVM task fails with "no TornadoVM task for kernel X". */
    @ParameterizedTest(name = "mixer {0}")
    @MethodSource("mixers")
    void everyMixerMatchesJvm(String mixer) {
        sameLosses(mixer);
    }
}
