package leviathan.model;

import java.util.LinkedHashMap;
import java.util.List;
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
        // One registration line per mixer: config name, one-line description, constructor.
        register("leviathan", "causal Leviathan: attention scores correlated over L sequence lags with learned per-head weights, option lags (SPEC 2.2)", leviathan.model.mixers.LeviathanMixer::new);
        register("leviathan-same", "NOT CAUSAL (leaks later tokens): the seed notebook's correlate2d(Q, K, 'same') score, kept only to reproduce it; option notebook=true: the notebook's code exactly (4-D correlate over batch rows and heads, Q/K detached, no mask) (SPEC 2.2)", leviathan.model.mixers.LeviathanSameMixer::new);
        register("performer", "FAVOR+ linear-time causal attention with positive orthogonal random features (SPEC 2.3)", leviathan.model.mixers.PerformerMixer::new);
        register("longformer", "causal sliding-window attention with per-head dilation and global tokens, banded scores (SPEC 2.4)", leviathan.model.mixers.LongformerMixer::new);
        register("synthesizer", "dense or random synthesizer: attention logits from an MLP of the token or a learned table (SPEC 2.5)", leviathan.model.mixers.SynthesizerMixer::new);
        register("attention", "causal scaled dot-product attention, the baseline (SPEC 2.1)", leviathan.model.mixers.AttentionMixer::new);
    }

    /** Makes a mixer known under {@code name}; a name can be registered once. */
    public static synchronized void register(String name, String description, Function<ModelConfig, Mixer> factory) {
        if (MIXERS.containsKey(name)) {
            throw new IllegalArgumentException("a mixer named '" + name + "' is already registered");
        }
        MIXERS.put(name, new Entry(description, factory));
    }

    /** Whether a mixer of this name is registered. */
    public static synchronized boolean has(String name) {
        return MIXERS.containsKey(name);
    }

    /**
     * The options mixer {@code name} takes: read off a mixer made on a small probe config (its
     * constructor states them once, in {@link MixerOptions#allowOnly}).
     */
    public static List<String> optionNames(String name) {
        return create(new ModelConfig(2, 16, 1, 2, 16, name, Map.of())).options().names();
    }

    public static Mixer create(ModelConfig config) {
        return entry(config.mixer).factory.apply(config);
    }

    /** One-line description; throws with the list of known mixers for an unknown name. */
    public static String describe(String name) {
        return entry(name).description;
    }

    public static synchronized Map<String, String> all() {
        Map<String, String> m = new LinkedHashMap<>();
        MIXERS.forEach((k, v) -> m.put(k, v.description));
        return m;
    }

    private static synchronized Entry entry(String name) {
        Entry e = MIXERS.get(name);
        if (e == null) {
            throw new IllegalArgumentException("unknown mixer '" + name + "' (known: " + String.join(", ", MIXERS.keySet()) + ")");
        }
        return e;
    }
}
