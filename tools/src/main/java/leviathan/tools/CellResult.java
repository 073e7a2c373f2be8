package leviathan.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

import leviathan.model.AtomicFiles;

/**
 * What one cell of a study produced, as {@code CELL/result.json}: written (atomically) once the cell
 * is trained and evaluated, and the mark that it is finished. It holds everything the study's table
 * and charts need — so {@code study --collect} works from result files alone — and the cell's
 * options, which decide whether a rerun of a study may skip it.
 */
final class CellResult {
    static final String FILE = "result.json";
    static final String COMPLETED = "completed";
    /** The loss became non-finite: the cell is finished, but it has no loss to average. */
    static final String DIVERGED = "diverged";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES).create();

    int context;
    String mixer;
    long seed;
    String outcome;
    /** For a diverged cell: what the trainer reported. */
    String message;
    /** Every option of the cell's train run. */
    Map<String, String> options;
    /** SHA-256 of the training text: cells copied from other machines name their data by different paths. */
    String dataSha256;
    int steps;
    /** The mean loss over every whole window of context + 1 characters of the validation split (SPEC 4, as {@code eval}). */
    Double valLoss;
    Double valBpc;
    Integer windows;
    Long parameters;
    /** Median tokens/s of the logged intervals after the first steps (JIT warm-up). */
    Double tokensPerS;
    /** The model's memory estimate, as {@code info} prints it: parameters, gradients, AdamW moments, activations and their gradients. */
    Long memoryBytes;
    /** Seconds of training (metrics' elapsed_s at the last step: every session, with the periodic evaluations and checkpoints). */
    Double trainSeconds;
    /** Seconds of the whole-split evaluation. */
    Double evalSeconds;
    /** The trainer's validation estimates: [step, elapsed_s, val loss] at each evaluation. */
    List<double[]> valCurve = new ArrayList<>();
    String finishedAt;

    StudyGrid.Cell cell() {
        return new StudyGrid.Cell(context, mixer, seed);
    }

    boolean completed() {
        return COMPLETED.equals(outcome);
    }

    /** Seconds the cell took (training and evaluation), or NaN for a cell without timings. */
    double seconds() {
        return trainSeconds == null ? Double.NaN : trainSeconds + (evalSeconds == null ? 0 : evalSeconds);
    }

    void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(FILE), GSON.toJson(this) + "\n");
    }

    /** The result in {@code dir}, or null if there is none; a file that is not a cell's result is an error naming it. */
    static CellResult read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        CellResult r;
        try {
            r = GSON.fromJson(Files.readString(file), CellResult.class);
        } catch (JsonParseException e) {
            throw new CliException(file + " is not a study cell's result (not valid JSON); delete it to rerun the cell", 1);
        }
        if (r == null || r.mixer == null || r.options == null || r.outcome == null || r.completed() && r.valLoss == null) {
            throw new CliException(file + " is not a study cell's result (fields missing); delete it to rerun the cell", 1);
        }
        return r;
    }

    /**
     * The first option in which {@code a} and {@code b} differ, in words ("steps=10 in the cell, steps=20 in
     * this study" for the names "the cell" and "this study"), or null if they agree; numbers are compared as
     * numbers (1e-3 is 0.001). Keys in {@code ignored} do not count.
     */
    static String difference(Map<String, String> a, String aName, Map<String, String> b, String bName, java.util.Set<String> ignored) {
        java.util.Set<String> keys = new java.util.TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (String k : keys) {
            if (ignored.contains(k)) {
                continue;
            }
            String x = a.get(k), y = b.get(k);
            if (x == null || y == null || !sameValue(x, y)) {
                return k + "=" + (x == null ? "(unset)" : x) + " in " + aName + ", " + k + "=" + (y == null ? "(unset)" : y) + " in " + bName;
            }
        }
        return null;
    }

    static boolean sameValue(String x, String y) {
        if (x.trim().equals(y.trim())) {
            return true;
        }
        try {
            return Double.parseDouble(x.trim()) == Double.parseDouble(y.trim());
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
