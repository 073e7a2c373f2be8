package leviathan.trainer;

import java.util.LinkedHashMap;
import java.util.Map;

import leviathan.model.ModelConfig;

/**
 * Named starting points: a model shape and its training hyperparameters.
 * {@code baby}: nanoGPT's CPU recipe (SPEC 3). {@code seed}: the Leviathan notebook's scale
 * (2 blocks, 2 heads, context 512, width 34 → about 48K parameters with the 65-character vocabulary).
 * {@code shakespeare}: nanoGPT's {@code shakespeare_char} GPU recipe, the reference a device backend is
 * held against (on two CPU cores a step takes seconds; {@code info --preset shakespeare} estimates it).
 *
 * @param model vocabulary size 0: set from the data
 * @param train shared by every caller: copy it before changing it
 */
public record Preset(String name, String description, ModelConfig model, TrainConfig train) {
    private static final Map<String, Preset> PRESETS = new LinkedHashMap<>();

    private static void add(Preset preset) {
        PRESETS.put(preset.name, preset);
    }

    static {
        TrainConfig baby = new TrainConfig();
        add(new Preset("baby", "nanoGPT's CPU recipe: 4 layers, 4 heads, width 128, context 64, batch 12, 2000 steps",
                new ModelConfig(0, 64, 4, 4, 128, "attention", Map.of()), baby));
        TrainConfig seed = new TrainConfig();
        seed.batchSize = 8;
        seed.evalIters = 50;
        add(new Preset("seed", "the Leviathan notebook's scale: 2 layers, 2 heads, width 34, context 512 (~50K parameters)",
                new ModelConfig(0, 512, 2, 2, 34, "attention", Map.of()), seed));
        TrainConfig gpu = new TrainConfig();
        gpu.batchSize = 64;
        gpu.steps = 5000;
        gpu.dropout = 0.2f;
        add(new Preset("shakespeare", "nanoGPT's shakespeare_char GPU recipe: 6 layers, 6 heads, width 384, context 256,"
                + " batch 64, dropout 0.2, 5000 steps (~10.7M parameters; for a GPU through TornadoVM)",
                new ModelConfig(0, 256, 6, 6, 384, "attention", Map.of()), gpu));
    }

    public static Preset get(String name) {
        Preset p = PRESETS.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown preset '" + name + "' (known: " + String.join(", ", PRESETS.keySet()) + ")");
        }
        return p;
    }

    public static Map<String, Preset> all() {
        return PRESETS;
    }
}
