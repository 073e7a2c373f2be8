package leviathan.model;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The shape of a model: vocabulary V, context Tmax, layers N, heads H, width C, and the token
 * mixer with its options (SPEC 2). Immutable; {@link #validate()} says what is wrong in one line.
 */
public final class ModelConfig {
    public final int vocabSize;
    public final int contextLength;
    public final int layers;
    public final int heads;
    public final int width;
    public final String mixer;
    /** Mixer options by name (e.g. "lags" → "4"), as given; each mixer parses and checks its own. */
    public final Map<String, String> mixerOptions;

    public ModelConfig(int vocabSize, int contextLength, int layers, int heads, int width, String mixer, Map<String, String> mixerOptions) {
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.layers = layers;
        this.heads = heads;
        this.width = width;
        this.mixer = Objects.requireNonNull(mixer, "mixer");
        this.mixerOptions = Collections.unmodifiableMap(new TreeMap<>(mixerOptions));
    }

    public int headSize() {
        return width / heads;
    }

    public ModelConfig withVocabSize(int v) {
        return new ModelConfig(v, contextLength, layers, heads, width, mixer, mixerOptions);
    }

    public ModelConfig with(String key, String value) {
        int v;
        switch (key) {
            case "vocab_size": v = parse(key, value); return new ModelConfig(v, contextLength, layers, heads, width, mixer, mixerOptions);
            case "context": v = parse(key, value); return new ModelConfig(vocabSize, v, layers, heads, width, mixer, mixerOptions);
            case "layers": v = parse(key, value); return new ModelConfig(vocabSize, contextLength, v, heads, width, mixer, mixerOptions);
            case "heads": v = parse(key, value); return new ModelConfig(vocabSize, contextLength, layers, v, width, mixer, mixerOptions);
            case "width": v = parse(key, value); return new ModelConfig(vocabSize, contextLength, layers, heads, v, mixer, mixerOptions);
            case "mixer": return new ModelConfig(vocabSize, contextLength, layers, heads, width, value, Map.of());
            default:
                throw new IllegalArgumentException("unknown model option '" + key + "' (known: vocab_size, context, layers, heads, width, mixer)");
        }
    }

    /** The shape options {@link #with} takes besides "mixer". */
    public static boolean isShapeKey(String key) {
        return key.equals("layers") || key.equals("heads") || key.equals("width") || key.equals("context");
    }

    /** The same shape with these mixer options (e.g. the mixer's effective ones, defaults resolved). */
    public ModelConfig withMixerOptions(Map<String, String> options) {
        return new ModelConfig(vocabSize, contextLength, layers, heads, width, mixer, options);
    }

    public ModelConfig withMixerOption(String key, String value) {
        Map<String, String> opts = new TreeMap<>(mixerOptions);
        opts.put(key, value);
        return new ModelConfig(vocabSize, contextLength, layers, heads, width, mixer, opts);
    }

    private static int parse(String key, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + " expects an integer, got '" + value + "'");
        }
    }

    /** Throws IllegalArgumentException naming the first invalid field. */
    public ModelConfig validate() {
        check(vocabSize > 0, "vocab_size must be positive, got " + vocabSize);
        check(contextLength > 0, "context must be positive, got " + contextLength);
        check(layers > 0, "layers must be positive, got " + layers);
        check(heads > 0, "heads must be positive, got " + heads);
        check(width > 0, "width must be positive, got " + width);
        check(width % heads == 0, "width " + width + " is not divisible by heads " + heads);
        Mixers.describe(mixer);
        return this;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Key/value form, stable order, as stored in checkpoint metadata. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("vocab_size", vocabSize);
        m.put("context", contextLength);
        m.put("layers", layers);
        m.put("heads", heads);
        m.put("width", width);
        m.put("mixer", mixer);
        m.put("mixer_options", new TreeMap<>(mixerOptions));
        return m;
    }

    public static ModelConfig fromMap(Map<String, Object> m) {
        Object opts = m.get("mixer_options");
        Map<String, String> options = new TreeMap<>();
        if (opts instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) opts).entrySet()) {
                options.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
            }
        }
        return new ModelConfig(num(m, "vocab_size"), num(m, "context"), num(m, "layers"), num(m, "heads"), num(m, "width"),
                String.valueOf(m.get("mixer")), options);
    }

    private static int num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number)) {
            throw new IllegalArgumentException("model config is missing the integer '" + key + "'");
        }
        return ((Number) v).intValue();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ModelConfig)) {
            return false;
        }
        ModelConfig c = (ModelConfig) o;
        return vocabSize == c.vocabSize && contextLength == c.contextLength && layers == c.layers && heads == c.heads
                && width == c.width && mixer.equals(c.mixer) && mixerOptions.equals(c.mixerOptions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(vocabSize, contextLength, layers, heads, width, mixer, mixerOptions);
    }

    @Override
    public String toString() {
        return "layers=" + layers + " heads=" + heads + " width=" + width + " context=" + contextLength + " vocab=" + vocabSize
                + " mixer=" + mixer + (mixerOptions.isEmpty() ? "" : " " + mixerOptions);
    }
}
