package leviathan.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;

/** Causality through the whole model (SPEC 1), via the reusable {@link CausalityCheck}, for every registered mixer. */
class CausalityTest {
    /**
     * Every mixer that says it is causal is (a change of token t moves no earlier logit), and the one
     * that says it is not (the notebook reproduction) does leak: the flag cannot lie either way.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("leviathan.model.TestModels#allMixers")
    void everyMixerIsCausalExactlyWhenItSaysSo(String mixer) {
        ModelConfig cfg = TestModels.tiny(mixer);
        if (Mixers.create(cfg).causal()) {
            CausalityCheck.assertCausal(cfg);
            return;
        }
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            double leak = 0;
            for (int t = 1; t < cfg.contextLength; t++) {
                leak = Math.max(leak, CausalityCheck.maxEarlierChange(cfg, backend, 5, t));
            }
            assertTrue(leak > CausalityCheck.CHANGED, mixer + " says it is not causal, but no later token moved an earlier logit");
        }
    }

    @Test
    void attentionIsCausal() {
        CausalityCheck.assertCausal(TestModels.tiny());
    }

    @Test
    void attentionIsCausalWithMoreHeadsAndLongerContext() {
        CausalityCheck.assertCausal(new ModelConfig(13, 16, 1, 4, 16, "attention", Map.of()));
    }

    @Test
    void earlierLogitsAreBitIdenticalForAttention() {
        // Attention masks exactly (probability 0, no rounding from later rows): earlier logits do not move at all.
        try (Backend backend = new JvmBackend(1, true, new Profiler())) {
            for (int t : new int[] {1, 4, 7}) {
                assertEquals(0.0, CausalityCheck.maxEarlierChange(TestModels.tiny(), backend, 5, t), 0.0, "t=" + t);
            }
        }
    }

    @Test
    void attentionTakesNoOptions() {
        ModelConfig cfg = TestModels.tiny().withMixerOption("lags", "4");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Gpt(cfg));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("lags"), e.getMessage());
    }
}
