package leviathan.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Command-line options: {@code --key=value}, {@code --key value}, and bare {@code --flag}s. */
final class Args {
    final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new LinkedHashMap<>();
    private final java.util.Set<String> used = new java.util.HashSet<>();

    Args(String[] argv, java.util.Set<String> flags) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                if (eq >= 0) {
                    options.put(body.substring(0, eq), body.substring(eq + 1));
                } else if (flags.contains(body)) {
                    options.put(body, "true");
                } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                    options.put(body, argv[++i]);
                } else {
                    throw new CliException("option --" + body + " needs a value (--" + body + "=VALUE)", 2);
                }
            } else if (a.equals("-h")) {
                options.put("help", "true");
            } else {
                positional.add(a);
            }
        }
    }

    boolean has(String key) {
        return options.containsKey(key);
    }

    boolean flag(String key) {
        used.add(key);
        String v = options.get(key);
        return v != null && !v.equals("false");
    }

    String get(String key, String fallback) {
        used.add(key);
        return options.getOrDefault(key, fallback);
    }

    int integer(String key, int fallback) {
        return parsed(key, fallback, "an integer", Integer::parseInt);
    }

    long longValue(String key, long fallback) {
        return parsed(key, fallback, "an integer", Long::parseLong);
    }

    float number(String key, float fallback) {
        return parsed(key, fallback, "a number", Float::parseFloat);
    }

    /** A comma-separated list of integers, e.g. {@code --m 8,16,32}. */
    int[] integers(String key, int[] fallback) {
        return parsed(key, fallback, "comma-separated integers",
                v -> Arrays.stream(v.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray());
    }

    /** A comma-separated list of numbers, e.g. {@code --norms 1,2.5}. */
    double[] numbers(String key, double[] fallback) {
        return parsed(key, fallback, "comma-separated numbers",
                v -> Arrays.stream(v.split(",")).mapToDouble(s -> Double.parseDouble(s.trim())).toArray());
    }

    /** The option read by {@code parser} (trimmed), or the fallback; a value it cannot read is a usage error. */
    private <T> T parsed(String key, T fallback, String expected, Function<String, T> parser) {
        String v = get(key, null);
        if (v == null) {
            return fallback;
        }
        try {
            return parser.apply(v.trim());
        } catch (NumberFormatException e) {
            throw new CliException("--" + key + " expects " + expected + ", got '" + v + "'", 2);
        }
    }

    /** Options no command read yet (model, training and mixer overrides), in order. */
    Map<String, String> unused() {
        Map<String, String> m = new LinkedHashMap<>();
        options.forEach((k, v) -> {
            if (!used.contains(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    /** Fails on any option not read: a typo gets a message, not silence. */
    void rejectUnused(String command) {
        Map<String, String> rest = unused();
        if (!rest.isEmpty()) {
            throw new CliException("unknown option --" + rest.keySet().iterator().next() + " for '" + command
                    + "' (see leviathan " + command + " --help)", 2);
        }
    }
}
