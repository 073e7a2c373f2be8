package leviathan.tornado.plan;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.mixers.example.RunningMeanMixer;

/**
 * Every registered mixer (the test tree's example too) on a device equals the reference backend:
 * one forward, loss and backward of a one-block model, over every activation and gradient. A
 * device's test extends this with its backend and tolerance.
 */
public abstract class MixerParity {
    static final int B = 2, T = 16;

    /**
     * Option sets that reach paths the defaults do not (every other mixer runs with its defaults):
     * a Longformer window shorter than T with dilations and global tokens; both synthesizer kinds;
     * leviathan-same's default and its notebook mode (the 4-D correlation, unmasked attention).
     */
    static final Map<String, List<Map<String, String>>> OPTIONS = Map.of(
            "performer", List.of(Map.of("features", "12")),
            "leviathan-same", List.of(Map.of(), Map.of("notebook", "true")),
            "longformer", List.of(Map.of("window", "4", "dilation", "1,2", "globals", "2")),
            "synthesizer", List.of(Map.of("kind", "dense"), Map.of("kind", "random")));

    /** The device under test, its reference and the tolerance. */
    protected abstract DeviceUnderTest target();

    /** Every registered mixer. */
    public static Stream<String> mixers() {
        RunningMeanMixer.register();
        return Mixers.all().keySet().stream();
    }

    /** The one-block configs the parity runs for a mixer. */
    public static Stream<ModelConfig> configs(String mixer) {
        return OPTIONS.getOrDefault(mixer, List.of(Map.of())).stream().map(o -> new ModelConfig(29, T, 1, 2, 16, mixer, o));
    }

    /** Dropout on (the embedding, the probabilities where the mixer has them, the residual branches): the masks agree too. */
    static final float DROPOUT = 0.1f;

    @ParameterizedTest(name = "mixer {0}")
    @MethodSource("mixers")
    void mixerMatchesTheReference(String mixer) {
        configs(mixer).forEach(mc -> DeviceParity.sameStep(mc, B, T, 0f, target().reference(), target().device(), target().tolerance()));
    }

    @ParameterizedTest(name = "mixer {0}")
    @MethodSource("mixers")
    void mixerWithDropoutMatchesTheReference(String mixer) {
        configs(mixer).forEach(mc -> DeviceParity.sameStep(mc, B, T, DROPOUT, target().reference(), target().device(), target().tolerance()));
    }
}
