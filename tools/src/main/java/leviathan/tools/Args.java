package leviathan.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Command-line options: {@code --key=value}, {@code --key value} and bare {@code --flag}s, and
 * {@code --config FILE}, a JSON object of the same options (the command line wins over the file).
 * The options every command takes ({@link #COMMON}) are always accepted. An option given twice, an
 * unknown one and an unexpected positional argument are usage errors; an unknown name gets the
 * closest known one, or the Leviathan name of a nanoGPT option ({@link OptionNames}).
 */
final class Args {
    /** Taken by every command: threads, backend and device for the backend, --debug for stack traces, --config. */
    static final java.util.Set<String> COMMON = java.util.Set.of("threads", "backend", "device", "debug", "config");
    /** Marks a valueless option that is not a flag: an error once a command reads it (or finds it unknown). */
    private static final String NO_VALUE = "\u0000no value";

    final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new LinkedHashMap<>();
    private final java.util.Set<String> used = new java.util.HashSet<>(COMMON);
    /** Names for the "did you mean" hint beyond those the command read. */
    private final java.util.Set<String> known = new java.util.TreeSet<>();
    /** Options that came from the --config file, and the file. */
    private final java.util.Set<String> fromFile = new java.util.HashSet<>();
    private String configFile;

    Args(String[] argv, java.util.Set<String> flags) {
        java.util.Set<String> allFlags = new java.util.HashSet<>(flags);
        allFlags.add("debug");
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String body = a.substring(2);
                int eq = body.indexOf('=');
                String key = eq >= 0 ? body.substring(0, eq) : body;
                String value;
                if (eq >= 0) {
                    value = body.substring(eq + 1);
                } else if (allFlags.contains(body)) {
                    value = "true";
                } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                    value = argv[++i];
                } else {
                    value = NO_VALUE;
                }
                if (options.containsKey(key)) {
                    throw new CliException("--" + key + " is given twice (once is enough: the last would silently win)", 2);
                }
                options.put(key, value);
            } else if (a.equals("-h")) {
                options.put("help", "true");
            } else {
                positional.add(a);
            }
        }
        String config = options.get("config");
        if (config != null && !config.equals(NO_VALUE)) {
            readConfig(config);
        }
        if (options.containsKey("threads")) {
            Cli.checkThreads(integer("threads", 0)); // every command takes --threads; a bad one is refused even where unused
        }
    }

    /** Adds the options of a JSON config file that the command line does not give. */
    private void readConfig(String file) {
        configFile = file;
        java.nio.file.Path path = java.nio.file.Paths.get(file);
        com.google.gson.JsonElement root;
        try {
            root = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(path));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliException("--config " + file + " does not exist", 1);
        } catch (java.io.IOException e) {
            throw new CliException("cannot read --config " + file + " (" + e.getClass().getSimpleName() + ")", 1);
        } catch (com.google.gson.JsonParseException e) {
            throw new CliException("--config " + file + " is not valid JSON", 1);
        }
        if (!root.isJsonObject()) {
            throw new CliException("--config " + file + " must hold a JSON object of options, e.g. {\"lr\": 0.001}", 1);
        }
        for (Map.Entry<String, com.google.gson.JsonElement> e : root.getAsJsonObject().entrySet()) {
            if (options.containsKey(e.getKey())) {
                continue; // the command line wins
            }
            options.put(e.getKey(), configValue(file, e.getKey(), e.getValue()));
            fromFile.add(e.getKey());
        }
    }

    private static String configValue(String file, String key, com.google.gson.JsonElement v) {
        if (v.isJsonPrimitive()) {
            return v.getAsString();
        }
        if (v.isJsonArray()) {
            List<String> parts = new ArrayList<>();
            for (com.google.gson.JsonElement x : v.getAsJsonArray()) {
                if (!x.isJsonPrimitive()) {
                    throw new CliException("option '" + key + "' in " + file + " must be a value or a list of values", 1);
                }
                parts.add(x.getAsString());
            }
            return String.join(",", parts);
        }
        throw new CliException("option '" + key + "' in " + file + " must be a value or a list of values, not " + v, 1);
    }

    boolean has(String key) {
        return options.containsKey(key);
    }

    boolean flag(String key) {
        used.add(key);
        String v = options.get(key);
        if (v != null && !v.equals("true") && !v.equals("false")) {
            throw new CliException("--" + key + " is a flag: give it alone, or as --" + key + "=true / --" + key + "=false", 2);
        }
        return "true".equals(v);
    }

    String get(String key, String fallback) {
        used.add(key);
        String v = options.getOrDefault(key, fallback);
        if (NO_VALUE.equals(v)) {
            throw new CliException("option --" + key + " needs a value (--" + key + "=VALUE)", 2);
        }
        return v;
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

    /** Marks an option as taken (e.g. by the mixer). */
    void use(String key) {
        used.add(key);
    }

    /** More option names this command knows, for the hint on a misspelt one. */
    void alsoKnown(java.util.Collection<String> names) {
        known.addAll(names);
    }

    /** Whether the option came from the --config file rather than the command line. */
    boolean fromConfigFile(String key) {
        return fromFile.contains(key);
    }

    /**
     * Fails on any option not read and on positional arguments beyond {@code positionals}: a typo
     * gets a message (with the closest known name), not silence.
     */
    void rejectUnused(String command, int positionals) {
        if (positional.size() > positionals) {
            throw new CliException("unexpected argument '" + positional.get(positionals) + "' for '" + command + "'"
                    + (positionals == 0 ? " (options start with --)" : "") + " (see leviathan " + command + " --help)", 2);
        }
        Map<String, String> rest = unused();
        if (rest.isEmpty()) {
            return;
        }
        String key = rest.keySet().iterator().next();
        java.util.Set<String> names = new java.util.TreeSet<>(used);
        names.addAll(known);
        names.remove("help");
        String hint = OptionNames.suggest(key, names);
        if (fromFile.contains(key)) {
            throw new CliException("unknown option '" + key + "' in " + configFile + " for '" + command + "'" + hint, 2);
        }
        throw new CliException("unknown option --" + key + " for '" + command + "'" + hint + " (see leviathan " + command + " --help)", 2);
    }

    void rejectUnused(String command) {
        rejectUnused(command, 0);
    }
}
