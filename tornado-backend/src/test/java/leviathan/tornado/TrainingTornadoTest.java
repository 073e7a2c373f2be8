package leviathan.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;

import leviathan.compute.Backend;
import leviathan.model.Mixers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** 50 training steps of the baby preset: the same loss at every step on TornadoVM as on the JVM backend (1e-4 relative). */
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
        try (Backend tornado = TornadoTestSupport.tornado()) {
            got = TornadoTestSupport.train(TornadoTestSupport.baby(mixer), tornado, STEPS);
        }
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
