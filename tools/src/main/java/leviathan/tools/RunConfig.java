package leviathan.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;

import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.trainer.CheckpointSet;
import leviathan.trainer.Checkpoints;
import leviathan.trainer.Corpus;
import leviathan.trainer.RunDirectory;
import leviathan.trainer.RunLock;
import leviathan.trainer.TrainConfig;

/**
 * A run's effective options, written to {@code RUN/config.json} (and into every checkpoint set):
 * the data, the model's shape, the mixer with every option it resolved (defaults included) and every
 * training option. Its keys are {@code train}'s option names, so {@code train --config RUN/config.json}
 * reruns the experiment. Where the run goes ({@code --out}) and how it runs (backend, threads) are not
 * part of it: the results do not depend on them.
 */
final class RunConfig {
    private RunConfig() {}

    static String json(Corpus corpus, Gpt model, TrainConfig cfg) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", corpus.path.toString());
        m.putAll(options(model, cfg));
        return new GsonBuilder().setPrettyPrinting().create().toJson(m) + "\n";
    }

    /** The model's and the training's options by their {@code train} names, the mixer's resolved options included. */
    static Map<String, Object> options(Gpt model, TrainConfig cfg) {
        ModelConfig mc = model.effectiveConfig();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layers", mc.layers);
        m.put("heads", mc.heads);
        m.put("width", mc.width);
        m.put("context", mc.contextLength);
        m.put("mixer", mc.mixer);
        m.putAll(mc.mixerOptions);
        m.putAll(cfg.toMap());
        return m;
    }

    /**
     * The options recorded with a checkpoint: its set's {@code config.json}, else its run directory's;
     * empty for a bare model file or a run from before config files were written.
     */
    static Map<String, String> recorded(Checkpoints.Resolved c) throws IOException {
        Path file = null;
        if (c.set() != null) {
            file = c.set().resolve(CheckpointSet.CONFIG_FILE);
            if (!Files.exists(file)) {
                file = c.set().getParent() == null ? null : c.set().getParent().getParent().resolve(CheckpointSet.CONFIG_FILE);
            }
        }
        Map<String, String> m = new LinkedHashMap<>();
        if (file == null || !Files.exists(file)) {
            return m;
        }
        try {
            for (var e : JsonParser.parseString(Files.readString(file)).getAsJsonObject().entrySet()) {
                m.put(e.getKey(), e.getValue().isJsonPrimitive() ? e.getValue().getAsString() : e.getValue().toString());
            }
        } catch (RuntimeException e) {
            throw new CliException(file + " is not a JSON object of options (" + e.getMessage() + ")", 1);
        }
        return m;
    }

    /** After a failed start: removes the run directory again if it holds nothing a run wrote. */
    static void removeIfUnused(RunDirectory run) {
        Set<String> startFiles = Set.of(RunLock.FILE, "config.json");
        try (var files = Files.list(run.root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (!startFiles.contains(p.getFileName().toString())) {
                    return;
                }
            }
        } catch (IOException e) {
            return;
        }
        try {
            Files.deleteIfExists(run.configFile());
            Files.deleteIfExists(run.root.resolve(RunLock.FILE));
            Files.deleteIfExists(run.root);
        } catch (IOException e) {
            // nothing was saved there; a leftover empty directory is only untidy
        }
    }
}
