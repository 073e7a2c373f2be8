package leviathan.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jfree.chart.JFreeChart;

import com.google.gson.Gson;
import com.google.gson.FieldNamingPolicy;
import com.google.gson.GsonBuilder;
import com.google.gson.annotations.SerializedName;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.model.AtomicFiles;
import leviathan.model.Gpt;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.Rng;
import leviathan.trainer.Corpus;
import leviathan.trainer.Dataset;
import leviathan.trainer.Preset;
import leviathan.trainer.Tokenizer;
import leviathan.trainer.TrainConfig;
import leviathan.trainer.RunDirectory;
import leviathan.trainer.Trainer;

/**
 * {@code leviathan compare}: trains every mixer on the same data, steps, seed and preset, and reports
 * validation loss, BPC, tokens/s, memory and parameters, with the validation curves on one plot.
 * A non-causal mixer (leviathan-same) is trained too but marked: its loss is not a language-model result.
 */
final class CompareCommand implements Main.Command {
    /** One mixer's outcome. */
    /** One mixer's result; compare.json lists these as they are (field names in snake case). */
    static final class Row {
        String mixer;
        boolean causal;
        long parameters;
        long memoryBytes;
        double valLoss;
        double valBpc;
        double trainLoss;
        @SerializedName("tokens_per_s")
        double tokensPerSecond;
        String outcome;
        @SerializedName("val_curve")
        List<double[]> curve = new ArrayList<>();
    }

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        Preset preset = Preset.get(args.get("preset", "baby"));
        String mixerList = args.get("mixers", String.join(",", Mixers.all().keySet()));
        String dataArg = args.get("data", Corpus.DEFAULT_NAME);
        Path out = Paths.get(args.get("out", "runs/compare-" + preset.name()));
        String backendSpec = Cli.backendSpec(args);
        int threads = Cli.threads(args);
        TrainConfig train = preset.train().copy();
        Map<String, Map<String, String>> mixerOptions = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : args.unused().entrySet()) {
            String k = e.getKey();
            int dot = k.indexOf('.');
            if (TrainConfig.isKey(k)) {
                train.set(k, e.getValue());
            } else if (dot > 0) {
                mixerOptions.computeIfAbsent(k.substring(0, dot), x -> new LinkedHashMap<>()).put(k.substring(dot + 1), e.getValue());
            } else {
                continue;
            }
            args.get(k, null);
        }
        args.rejectUnused("compare");
        List<String> mixers = new ArrayList<>();
        for (String m : mixerList.split(",")) {
            Mixers.describe(m.trim());
            mixers.add(m.trim());
        }
        Cli.checkOutputFile(out.resolve("compare.json").toString(), "--out");
        for (String m : mixerOptions.keySet()) {
            if (!mixers.contains(m)) {
                throw new CliException("options given for mixer '" + m + "', which is not compared", 2);
            }
        }
        Corpus corpus = Corpus.load(dataArg);
        Tokenizer tokenizer = Tokenizer.fromText(corpus.text);
        Dataset data = new Dataset(tokenizer.encode(corpus.text));
        TrainCommand.checkWritable(out);
        System.out.println("compare: " + String.join(", ", mixers) + " | preset " + preset.name() + ", " + train.steps + " steps, seed "
                + train.seed + ", data " + corpus.path);
        List<Row> rows = new ArrayList<>();
        try (Backend backend = Cli.backend(backendSpec, threads, new Profiler())) {
            for (String mixer : mixers) {
                ModelConfig mc = preset.model().withVocabSize(tokenizer.size()).with("mixer", mixer);
                for (Map.Entry<String, String> o : mixerOptions.getOrDefault(mixer, Map.of()).entrySet()) {
                    mc = mc.withMixerOption(o.getKey(), o.getValue());
                }
                rows.add(trainOne(mc, train, tokenizer, data, backend, out.resolve(mixer)));
            }
        }
        System.out.println();
        System.out.print(table(rows, train.steps));
        List<String> notes = notes(rows, train.steps);
        for (String note : notes) {
            System.out.println("note: " + note);
        }
        writeJson(out.resolve("compare.json"), rows, notes, preset, train, corpus);
        writePlot(out.resolve("compare.png"), rows, preset, train);
        System.out.println("wrote " + out.resolve("compare.json") + " and " + out.resolve("compare.png"));
        return 0;
    }

    private static Row trainOne(ModelConfig mc, TrainConfig train, Tokenizer tokenizer, Dataset data, Backend backend, Path dir) throws IOException {
        Gpt model = new Gpt(mc);
        model.initialise(train.seed);
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve("metrics.jsonl"));
        Row row = new Row();
        row.mixer = mc.mixer;
        row.causal = model.mixer.causal();
        row.parameters = model.parameterCount();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("causal", Boolean.toString(row.causal));
        TrainConfig cfg = train.copy();
        cfg.sampleChars = 0;
        Path logFile = dir.resolve("train.log");
        Trainer.Result result;
        System.out.println(String.format(Locale.ROOT, "training %-15s %s parameters%s (log: %s)", mc.mixer, Cli.count(row.parameters),
                row.causal ? "" : "  [NOT CAUSAL: leaks later tokens]", logFile));
        try (OutputStream os = Files.newOutputStream(logFile); PrintStream log = new PrintStream(os, true, StandardCharsets.UTF_8)) {
            Trainer trainer = new Trainer(model, tokenizer, data, cfg, backend, log, new Rng(cfg.seed),
                    new Trainer.Checkpointing(new RunDirectory(dir), null, meta, "{}"));
            row.memoryBytes = model.stateBytes() + trainer.workspace().activationBytes();
            result = trainer.run(0);
        }
        row.outcome = result.outcome.name().toLowerCase(Locale.ROOT);
        row.tokensPerSecond = result.tokensPerSecond;
        row.valLoss = result.lastValLoss;
        row.valBpc = result.lastValLoss / Math.log(2);
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("eval_val_loss")) {
                row.curve.add(new double[] {o.get("step").getAsDouble(), o.get("eval_val_loss").getAsDouble()});
                row.trainLoss = o.get("eval_train_loss").getAsDouble();
            }
        }
        System.out.println(String.format(Locale.ROOT, "  %-15s val loss %.4f (%.3f bpc), %.0f tok/s, %s", row.mixer, row.valLoss, row.valBpc,
                row.tokensPerSecond, row.outcome));
        return row;
    }

    static String table(List<Row> rows, int steps) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| mixer | params | val loss @%d | val BPC | train loss | tokens/s | memory | note |%n", steps));
        sb.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.3f | %.4f | %.0f | %s | %s |%n", r.mixer, Cli.count(r.parameters),
                    r.valLoss, r.valBpc, r.trainLoss, r.tokensPerSecond, Cli.bytes(r.memoryBytes),
                    r.causal ? (r.outcome.equals("completed") ? "" : r.outcome) : "NOT CAUSAL: leaks later tokens, not an LM result"));
        }
        return sb.toString();
    }

    /** Why two rows show the same loss, when they do (see {@link IdenticalLosses}). */
    static List<String> notes(List<Row> rows, int steps) {
        List<String> names = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        for (Row r : rows) {
            names.add(r.mixer);
            losses.add(r.valLoss);
        }
        return IdenticalLosses.notes(names, losses, steps);
    }

    private static void writeJson(Path file, List<Row> rows, List<String> notes, Preset preset, TrainConfig train, Corpus corpus)
            throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("preset", preset.name());
        root.put("data", corpus.path.toString());
        root.put("train", train.toMap());
        root.put("mixers", rows);
        root.put("notes", notes);
        Gson gson = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
                .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).create();
        AtomicFiles.writeString(file, gson.toJson(root));
    }

    private static void writePlot(Path file, List<Row> rows, Preset preset, TrainConfig train) throws IOException {
        JFreeChart chart = Charts.lines("validation loss, preset " + preset.name() + " (" + train.steps + " steps)", "step",
                "val loss (nats)", false, false);
        int i = 0;
        for (Row r : rows) {
            double[] x = new double[r.curve.size()], y = new double[r.curve.size()];
            for (int k = 0; k < x.length; k++) {
                x[k] = r.curve.get(k)[0];
                y[k] = r.curve.get(k)[1];
            }
            Charts.line(chart, r.mixer + (r.causal ? "" : " (NOT CAUSAL)"), x, y, Charts.PALETTE[i++ % Charts.PALETTE.length],
                    r.causal ? Charts.Style.SOLID : Charts.Style.DASHED);
        }
        Charts.writePng(file, Charts.figure(760, 480, 1, chart));
    }
}
