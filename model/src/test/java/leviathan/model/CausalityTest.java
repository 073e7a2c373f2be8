package leviathan.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;

/** Causality of the attention mixer through the whole model (SPEC 1), via the reusable {@link CausalityCheck}. */
class CausalityTest {
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
