package leviathan.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** The registry of mixers by config name: where a new mixer is made known. */
public final class Mixers {
    private Mixers() {}

    private static final class Entry {
        final String description;
        final Function<ModelConfig, Mixer> factory;

        Entry(String description, Function<ModelConfig, Mixer> factory) {
            this.description = description;
            this.factory = factory;
        }
    }

    private static final Map<String, Entry> MIXERS = new LinkedHashMap<>();

    static {
        // One line per mixer: config name, one-line description, constructor.
        MIXERS.put("leviathan", new Entry("causal Leviathan: attention scores correlated over L sequence lags with learned per-head weights, option lags (SPEC 2.2)", leviathan.model.mixers.LeviathanMixer::new));
        MIXERS.put("leviathan-same", new Entry("NOT CAUSAL (leaks later tokens): the seed notebook's correlate2d(Q, K, 'same') score, kept only to reproduce it (SPEC 2.2)", leviathan.model.mixers.LeviathanSameMixer::new));
        MIXERS.put("performer", new Entry("FAVOR+ linear-time causal attention with positive orthogonal random features (SPEC 2.3)", leviathan.model.mixers.PerformerMixer::new));
        MIXERS.put("longformer", new Entry("causal sliding-window attention with per-head dilation and global tokens, banded scores (SPEC 2.4)", leviathan.model.mixers.LongformerMixer::new));
        MIXERS.put("synthesizer", new Entry("dense or random synthesizer: attention logits from an MLP of the token or a learned table (SPEC 2.5)", leviathan.model.mixers.SynthesizerMixer::new));
        MIXERS.put("attention", new Entry("causal scaled dot-product attention, the baseline (SPEC 2.1)", leviathan.model.mixers.AttentionMixer::new));
    }

    public static Mixer create(ModelConfig config) {
        return entry(config.mixer).factory.apply(config);
    }

    /** One-line description; throws with the list of known mixers for an unknown name. */
    public static String describe(String name) {
        return entry(name).description;
    }

    public static Map<String, String> all() {
        Map<String, String> m = new LinkedHashMap<>();
        MIXERS.forEach((k, v) -> m.put(k, v.description));
        return m;
    }

    private static Entry entry(String name) {
        Entry e = MIXERS.get(name);
        if (e == null) {
            throw new IllegalArgumentException("unknown mixer '" + name + "' (known: " + String.join(", ", MIXERS.keySet()) + ")");
        }
        return e;
    }
}
