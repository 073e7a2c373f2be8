package leviathan.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.Backend;
import leviathan.model.ModelConfig;

/**
 * Training steps of every mixer give the reference backend's loss at every step. The Performer
 * redraws its features during the run, so a host-side change of device-resident parameters is
 * crossed too. A device's test extends this with its backend, model, steps and tolerance.
 */
public abstract class TrainingParity {
    /** The device under test, its reference and the tolerance. */
    protected abstract DeviceUnderTest target();

    /** The model trained for a mixer. */
    protected abstract ModelConfig config(String mixer, Map<String, String> options);

    protected abstract int batch();

    protected abstract int steps();

    /** The Performer's redraw interval: several redraws within {@link #steps()}. */
    protected int redraw() {
        return Math.max(2, steps() / 3);
    }

    static java.util.stream.Stream<String> mixers() {
        return MixerParity.mixers();
    }

    @ParameterizedTest(name = "mixer {0}")
    @MethodSource("mixers")
    void trainingMatchesTheReference(String mixer) {
        sameTraining(mixer, 0f);
    }

    /** A run with dropout (the masks depend on the step: every step's differ). */
    @Test
    void trainingWithDropoutMatchesTheReference() {
        sameTraining("attention", 0.1f);
    }

    private void sameTraining(String mixer, float dropout) {
        ModelConfig mc = config(mixer, mixer.equals("performer") ? Map.of("redraw", Integer.toString(redraw())) : Map.of());
        List<Float> want, got;
        try (Backend ref = target().reference().get()) {
            want = DeviceParity.train(mc, batch(), dropout, ref, steps());
        }
        try (Backend dev = target().device().get()) {
            got = DeviceParity.train(mc, batch(), dropout, dev, steps());
        }
        assertEquals(want.size(), got.size());
        double worst = 0;
        for (int i = 0; i < want.size(); i++) {
            double rel = Math.abs(got.get(i) - want.get(i)) / Math.abs(want.get(i));
            worst = Math.max(worst, rel);
            assertTrue(rel <= target().tolerance(), mixer + " step " + (i + 1) + ": device loss " + got.get(i) + " vs " + want.get(i)
                    + " (relative " + rel + ")");
        }
        System.out.printf("%s: %d steps, loss %.4f -> %.4f, worst relative difference %.2e%n", mixer, steps(), want.get(0),
                want.get(want.size() - 1), worst);
        assertTrue(want.get(want.size() - 1) < want.get(0), "the loss should fall");
    }
}
