package leviathan.model;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;

/** Typed access to a mixer's options with one clear message for a bad or unknown one. */
public final class MixerOptions {
    private final String mixer;
    private final Map<String, String> options;

    private MixerOptions(String mixer, Map<String, String> options) {
        this.mixer = mixer;
        this.options = options;
    }

    public static MixerOptions of(ModelConfig config) {
        return new MixerOptions(config.mixer, config.mixerOptions);
    }

    /** Rejects any option not in {@code known}. */
    public MixerOptions allowOnly(String... known) {
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
        return n;
    }

    public boolean flag(String key, boolean fallback) {
        String v = options.get(key);
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

    public String text(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }
}
