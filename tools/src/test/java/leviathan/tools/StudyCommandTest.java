package leviathan.tools;

import static leviathan.tools.CliRunner.assertCleanError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.imageio.ImageIO;

import org.apache.commons.math3.stat.inference.TTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * {@code leviathan study} on a tiny grid (attention and the Performer × contexts 8 and 16 × seeds 1 and
 * 2, a 2-layer width-16 model, 10 steps): the table, JSON and PNGs carry the numbers of the cells'
 * result files (means, standard errors, Welch p-values as Commons Math computes them), a cell's loss
 * is what {@code eval} gives, a rerun trains nothing and changes no result, {@code --collect} on a
 * copy of the cells gives the same table, and mistakes are refused before anything trains.
 */
class StudyCommandTest {
    @TempDir
    static Path shared;
    static Path data;
    static Path study;
    static CliRunner.Result first;

    /**
     * {@code study} with the tiny grid's options (the study's defaults overridden where a test would take
     * minutes), each replaced by an {@code extra} option of the same name.
     */
    static List<String> grid(Path data, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("study"));
        for (String option : List.of("--out=" + out, "--data=" + data, "--mixers=attention,performer", "--contexts=8,16", "--seeds=1,2",
                "--tokens_per_step=32", "--steps=10", "--layers=2", "--heads=2", "--width=16", "--eval_interval=5", "--eval_iters=1",
                "--log_interval=1", "--checkpoint_interval=5", "--warmup=1", "--lr=1e-2", "--threads=1")) {
            String key = option.substring(0, option.indexOf('=') + 1);
            if (Arrays.stream(extra).noneMatch(e -> e.startsWith(key))) {
                a.add(option);
            }
        }
        a.addAll(Arrays.asList(extra));
        return a;
    }

    static CliRunner.Result run(List<String> args) {
        return CliRunner.run(args.toArray(new String[0]));
    }

    @BeforeAll
    static void runTheGridOnce() throws IOException {
        data = CliRunner.textFile(shared, 4000);
        study = shared.resolve("study");
        first = run(grid(data, study));
        assertEquals(0, first.code(), first.toString());
    }

    static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    /** val loss of each seed's result file of one row, in seed order. */
    static double[] losses(Path study, int context, String mixer) throws IOException {
        return new double[] {json(study.resolve("T" + context + "/" + mixer + "/seed1/result.json")).get("val_loss").getAsDouble(),
                json(study.resolve("T" + context + "/" + mixer + "/seed2/result.json")).get("val_loss").getAsDouble()};
    }

    @Test
    void theTableAndJsonHoldTheMeansStandardErrorsAndPValuesOfTheResultFiles() throws IOException {
        JsonArray contexts = json(study.resolve("study.json")).getAsJsonArray("contexts");
        assertEquals(2, contexts.size());
        String table = Files.readString(study.resolve("study.txt"));
        assertEquals(table.strip(), first.out().substring(first.out().indexOf("## context 8")).split("\nwrote ")[0].strip(),
                "the printed table is study.txt");
        for (int i = 0; i < 2; i++) {
            JsonObject section = contexts.get(i).getAsJsonObject();
            int context = i == 0 ? 8 : 16;
            assertEquals(context, section.get("context").getAsInt());
            assertEquals(32 / context, section.get("batch").getAsInt());
            JsonArray rows = section.getAsJsonArray("rows");
            assertEquals("attention", rows.get(0).getAsJsonObject().get("mixer").getAsString(), "the baseline comes first");
            double[] attention = losses(study, context, "attention");
            for (int k = 0; k < 2; k++) {
                JsonObject row = rows.get(k).getAsJsonObject();
                String mixer = row.get("mixer").getAsString();
                double[] x = losses(study, context, mixer);
                double mean = (x[0] + x[1]) / 2;
                double sd = Math.sqrt(((x[0] - mean) * (x[0] - mean) + (x[1] - mean) * (x[1] - mean)) / (2 - 1));
                assertEquals(2, row.get("n").getAsInt());
                assertEquals(mean, row.get("val_loss_mean").getAsDouble(), 1e-12, mixer);
                assertEquals(sd / Math.sqrt(2), row.get("val_loss_se").getAsDouble(), 1e-12, mixer);
                assertEquals(mean / Math.log(2), row.get("val_bpc_mean").getAsDouble(), 1e-12, mixer);
                String line = table.lines().filter(l -> l.startsWith("| " + mixer + " |")).skip(i).findFirst().orElseThrow();
                assertTrue(line.contains(String.format(Locale.ROOT, "%.4f ± %.4f (n=2)", mean, sd / Math.sqrt(2))), line);
                if (mixer.equals("performer")) {
                    assertTrue(x[0] != attention[0] && x[1] != attention[1], "the Performer computes another function than attention");
                    double p = new TTest().tTest(x, attention);
                    assertEquals(p, row.get("p_value").getAsDouble(), 0.0, "Commons Math's Welch p-value");
                    assertEquals(mean - (attention[0] + attention[1]) / 2, row.get("diff_to_attention").getAsDouble(), 1e-12);
                    assertTrue(line.contains(StudyReport.pValue(p)), line);
                }
            }
        }
    }

    @Test
    void eachCellIsAnOrdinaryRunWhoseLossIsWhatEvalGives() throws IOException {
        Path cell = study.resolve("T16/performer/seed2");
        JsonObject result = json(cell.resolve("result.json"));
        JsonObject config = json(cell.resolve("config.json"));
        assertEquals(2, config.get("batch").getAsInt(), "batch = tokens_per_step / context");
        assertEquals(16, config.get("context").getAsInt());
        assertEquals(2, config.get("seed").getAsInt());
        assertEquals(5, config.get("checkpoint_interval").getAsInt());
        assertTrue(config.has("features"), "the mixer's options are resolved in config.json: " + config);
        // The study scores the validation split; eval --data FILE scores a whole file from its start: the split as a file.
        CliRunner.Result split = CliRunner.run("eval", "--checkpoint=" + cell, "--threads=1", "--data=" + split(cell));
        assertTrue(split.out().contains(String.format(Locale.ROOT, "%d windows of 17: loss %.4f", result.get("windows").getAsInt(),
                result.get("val_loss").getAsDouble())), split + "\n" + result);
        assertEquals(10, result.get("steps").getAsInt());
        assertTrue(result.get("tokens_per_s").getAsDouble() > 0);
        assertTrue(result.get("train_seconds").getAsDouble() > 0);
        assertTrue(result.get("memory_bytes").getAsLong() > 0);
        assertEquals(List.of(5.0, 10.0), curveSteps(result), "the trainer's evaluations at steps 5 and 10");
    }

    /** The validation split of the test data as a file of its own (the last 10%, as Dataset splits it). */
    private static Path split(Path cell) throws IOException {
        String text = Files.readString(data);
        Path file = cell.getParent().getParent().getParent().getParent().resolve("val-" + cell.getFileName() + ".txt");
        Files.writeString(file, text.substring((int) (text.length() * 0.9)));
        return file;
    }

    private static List<Double> curveSteps(JsonObject result) {
        List<Double> steps = new ArrayList<>();
        result.getAsJsonArray("val_curve").forEach(p -> steps.add(p.getAsJsonArray().get(0).getAsDouble()));
        return steps;
    }

    @Test
    void thePngsAreWrittenOnePanelPerContext() throws IOException {
        assertPng(study.resolve(StudyCharts.LOSS_VS_STEP), 2 * StudyCharts.PANEL_WIDTH, StudyCharts.PANEL_HEIGHT);
        assertPng(study.resolve(StudyCharts.LOSS_VS_TIME), 2 * StudyCharts.PANEL_WIDTH, StudyCharts.PANEL_HEIGHT);
        assertPng(study.resolve(StudyCharts.FINAL), StudyCharts.FINAL_WIDTH, StudyCharts.FINAL_HEIGHT);
    }

    static void assertPng(Path file, int width, int height) throws IOException {
        assertTrue(Files.isRegularFile(file), file + " was not written");
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " does not decode");
        assertEquals(width, image.getWidth(), file.toString());
        assertEquals(height, image.getHeight(), file.toString());
    }

    @Test
    void aRerunSkipsEveryFinishedCellAndChangesNoResult() throws IOException {
        Map<Path, byte[]> before = cellFiles(study);
        CliRunner.Result again = run(grid(data, study));
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("8 finished before, 0 to run"), again.out());
        assertFalse(again.out().contains("training (log"), again.out());
        assertFalse(again.out().contains("resuming"), again.out());
        Map<Path, byte[]> after = cellFiles(study);
        assertEquals(before.keySet(), after.keySet());
        for (Path p : before.keySet()) {
            assertArrayEquals(before.get(p), after.get(p), p + " changed on a rerun");
        }
        assertEquals(Files.readString(study.resolve("study.txt")), again.out().substring(again.out().indexOf("## context 8")).split("\nwrote ")[0]
                + "\n", "the rerun prints the same table");
    }

    /** Every cell's result.json, train.log and metrics.jsonl, by path. */
    static Map<Path, byte[]> cellFiles(Path study) throws IOException {
        Map<Path, byte[]> files = new LinkedHashMap<>();
        try (var s = Files.walk(study)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                String name = p.getFileName().toString();
                if (name.equals("result.json") || name.equals("train.log") || name.equals("metrics.jsonl")) {
                    files.put(p, Files.readAllBytes(p));
                }
            }
        }
        assertEquals(3 * 8, files.size(), "three files in each of 8 cells: " + files.keySet());
        return files;
    }

    @Test
    void collectOnACopyOfTheResultFilesGivesTheSameTable() throws IOException {
        Path copy = shared.resolve("copied");
        copyResults(study, copy);
        CliRunner.Result r = CliRunner.run("study", "--collect", copy.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("collected 8 cell results"), r.out());
        assertEquals(Files.readString(study.resolve("study.txt")), Files.readString(copy.resolve("study.txt")));
        assertEquals(Files.readString(study.resolve("study.json")), Files.readString(copy.resolve("study.json")));
        assertPng(copy.resolve(StudyCharts.FINAL), StudyCharts.FINAL_WIDTH, StudyCharts.FINAL_HEIGHT);

        // A cell of another study (here: another number of steps) is not averaged in silently.
        Path foreign = copy.resolve("T8/performer/seed2/result.json");
        Files.writeString(foreign, Files.readString(foreign).replace("\"steps\": \"10\"", "\"steps\": \"20\""));
        assertCleanError(CliRunner.run("study", "--collect", copy.toString()), 1, "cells of different studies (steps=");
        // A directory without cells says what it expected.
        assertCleanError(CliRunner.run("study", "--collect", shared.resolve("copied/T8").toString()), 1, "no cell results under");
    }

    /** Copies only the result files, as from a cluster: the table needs nothing else. */
    static void copyResults(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.getFileName().toString().equals(CellResult.FILE)) {
                    Path target = to.resolve(from.relativize(p));
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target);
                }
            }
        }
    }

    @Test
    void mistakesAreRefusedBeforeAnythingTrains() throws IOException {
        Path out = shared.resolve("refused");
        assertCleanError(run(grid(data, out, "--mixers=attention,leviathan-same")), 2, "not causal");
        assertCleanError(run(grid(data, out, "--tokens_per_step=36")), 2, "not a multiple of context 8");
        assertCleanError(run(grid(data, out, "--batch=4")), 2, "--batch is set by the grid");
        assertCleanError(run(grid(data, out, "--longformer.window=8")), 2, "not in --mixers");
        assertCleanError(run(grid(data, out, "--performer.window=8")), 2, "mixer performer has no option --performer.window");
        assertCleanError(run(grid(data, out, "--seeds=1,1")), 2, "--seeds lists 1 twice");
        assertCleanError(run(grid(data, out, "--only=T=32")), 2, "selects no cell");
        assertCleanError(run(grid(data, out, "--frobnicate=1")), 2, "unknown option --frobnicate for 'study'");
        assertCleanError(CliRunner.run("study", "--collect", study.toString(), "--steps=3"), 2, "takes no other options");
        assertFalse(Files.exists(out), "a refused study left a directory");
        // The same directory with other options: the finished cells are not passed off as this study's.
        assertCleanError(run(grid(data, study, "--steps=11")), 1, "steps=10 in the cell, steps=11 in this study");
    }
}
