package leviathan.model.mixers;

import static leviathan.model.TestModels.randomBatch;
import static leviathan.model.TestModels.randomised;
import static leviathan.model.mixers.LeviathanMixerTest.checkGradients;
import static leviathan.model.mixers.LeviathanMixerTest.config;
import static leviathan.model.mixers.LeviathanMixerTest.logitChanges;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.model.Gpt;
import leviathan.model.ModelCheckpoint;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.TestModels;
import leviathan.model.Workspace;

/**
 * The {@code leviathan-same} mixer (the notebook's correlate2d 'same' score; SPEC 2.2) in a real
 * model: it says it is not causal and it is not (a later token changes earlier logits); its
 * gradients are exact (finite differences of the float32 loss for every mixer tensor, tolerance as
 * in GradientCheckTest); it takes no option but {@code notebook}; its checkpoint round-trips.
 */
class LeviathanSameMixerTest {

    static ModelConfig cfg() {
        return config(LeviathanSameMixer.NAME, 8, 2, 2, 16, Map.of());
    }

    @Test
    void declaresItselfNotCausal() {
        Gpt model = new Gpt(cfg());
        assertInstanceOf(LeviathanSameMixer.class, model.mixer);
        assertFalse(model.mixer.causal());
        assertTrue(Mixers.describe(LeviathanSameMixer.NAME).contains("NOT CAUSAL"), Mixers.describe(LeviathanSameMixer.NAME));
    }

    /**
     * The leak, shown: with T = 8 (pT = 3), Cmat row i reads query rows up to i + 4, so replacing
     * token 5 moves the logits of positions 1…4 (position 0's output is v_0 whatever its score).
     */
    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void laterTokenChangesEarlierLogits(boolean fast) {
        Gpt model = randomised(cfg(), 11, 0.25f);
        double[] changes = logitChanges(model, 8, fast, 5);
        assertTrue(changes[0] > 1e-4, "changing token 5 should leak into earlier logits (moved them by " + changes[0] + ", relative)");
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void mixerGradientsMatchFiniteDifferences(boolean fast) {
        Gpt model = randomised(cfg(), 42, 0.25f);
        Workspace ws = model.workspace(2, 8, true);
        randomBatch(ws, 7);
        checkGradients(model, ws, fast, name -> name.contains(".attn."), 4, 0);
    }

    /** Its one option is {@code notebook} (LeviathanSameNotebookMixerTest); anything else is refused by name. */
    @Test
    void takesNoOptionButNotebook() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Gpt(config(LeviathanSameMixer.NAME, 8, 1, 2, 8, Map.of("lags", "2"))));
        assertTrue(e.getMessage().contains("no option lags") && e.getMessage().contains("known: notebook"), e.getMessage());
    }

    @Test
    void tensorsAreAttentionsAndRoundTrip(@TempDir Path dir) throws IOException {
        Gpt model = randomised(cfg(), 21, 0.25f);
        List<String> names = new ArrayList<>();
        for (ParamSpec s : model.specs()) {
            if (s.name.startsWith("h.0.attn.")) {
                names.add(s.name);
            }
        }
        assertEquals(List.of("h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias"), names);
        Path file = TestModels.save(dir, model, Map.of("causal", "false"));
        ModelCheckpoint.Loaded loaded = ModelCheckpoint.load(file);
        assertEquals(cfg().withMixerOption("notebook", "false"), loaded.config); // every option recorded, defaults resolved
        Gpt back = ModelCheckpoint.loadModel(loaded, file);
        TestModels.assertSameParameters(model, back);
    }
}
