package leviathan.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Typed access to a mixer's options with one clear message for a bad or unknown one. It records the
 * options the mixer takes ({@link #names}) and the value each one resolved to, defaults included
 * ({@link #effective}): what a checkpoint stores, so that a reader of the file alone rebuilds the model.
 */
public final class MixerOptions {
    private final String mixer;
    private final Map<String, String> options;
    private final Map<String, String> effective = new TreeMap<>();
    private List<String> names = List.of();

    private MixerOptions(String mixer, Map<String, String> options) {
        this.mixer = mixer;
        this.options = options;
    }

    public static MixerOptions of(ModelConfig config) {
        return new MixerOptions(config.mixer, config.mixerOptions);
    }

    /** The options this mixer takes. */
    public List<String> names() {
        return names;
    }

    /** Every option the mixer read, with the value it resolved to (defaults included). */
    public Map<String, String> effective() {
        return Collections.unmodifiableMap(effective);
    }

    /** Rejects any option not in {@code known}. */
    public MixerOptions allowOnly(String... known) {
        names = List.of(known);
        TreeSet<String> unknown = new TreeSet<>(options.keySet());
        unknown.removeAll(Arrays.asList(known));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("mixer " + mixer + " has no option " + unknown.first()
                    + (known.length == 0 ? " (it takes none)" : " (known: " + String.join(", ", known) + ")"));
        }
        return this;
    }

    public int integer(String key, int fallback, int min, int max) {
        String v = options.get(key);
        if (v == null) {
            effective.put(key, Integer.toString(fallback));
            return fallback;
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("mixer option " + key + " expects an integer, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("mixer option " + key + "=" + n + " is outside [" + min + ", " + max + "]");
        }
        effective.put(key, Integer.toString(n));
        return n;
    }

    public boolean flag(String key, boolean fallback) {
        boolean b = parseFlag(key, options.get(key), fallback);
        effective.put(key, Boolean.toString(b));
        return b;
    }

    private boolean parseFlag(String key, String v, boolean fallback) {
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true") || v.equals("1")) {
            return true;
        }
        if (v.equalsIgnoreCase("false") || v.equals("0")) {
            return false;
        }
        throw new IllegalArgumentException("mixer option " + key + " expects true or false, got '" + v + "'");
    }

    /** A text option; {@code resolved} turns the value into its canonical form for {@link #effective}. */
    public String text(String key, String fallback) {
        String v = options.getOrDefault(key, fallback);
        effective.put(key, v);
        return v;
    }

    /** Records the canonical form of an option the mixer parsed itself (e.g. a per-head list). */
    public void resolved(String key, String value) {
        effective.put(key, value);
    }
}
