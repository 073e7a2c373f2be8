package leviathan.tools;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.commons.math3.exception.MathIllegalArgumentException;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.commons.math3.stat.inference.TTest;

import com.google.gson.GsonBuilder;

/**
 * The answer of a study: per context length, one row per mixer with the validation loss over seeds
 * (mean ± standard error), BPC, the difference to attention with a Welch t-test, speed, memory and
 * time. Built from cell results alone (a study's own or {@code --collect}ed ones), in a fixed order —
 * contexts ascending, attention first, the other mixers as {@link StudyGrid#DEFAULT_MIXERS} lists them —
 * so the same cells give the same table wherever they were run.
 */
final class StudyReport {
    static final String BASELINE = "attention";

    /** One mixer at one context, over its seeds. */
    static final class Row {
        final String mixer;
        final List<CellResult> cells;
        /** Seeds whose training diverged: finished, but without a loss. */
        final List<Long> diverged = new ArrayList<>();
        final List<Long> seeds = new ArrayList<>();
        final double[] losses;
        final double mean;
        /** Sample standard deviation over √n; NaN with fewer than two seeds. */
        final double standardError;
        final double bpc;
        final long parameters;
        final double tokensPerSecond;
        final long memoryBytes;
        final double trainSeconds;
        /** Mean loss minus attention's (null for attention itself or without attention cells). */
        Double difference;
        /** Two-sided Welch t-test against attention's seeds, or null with {@link #tTestNote} saying why not. */
        Double pValue;
        String tTestNote;

        Row(String mixer, List<CellResult> cells) {
            this.mixer = mixer;
            this.cells = cells;
            DescriptiveStatistics loss = new DescriptiveStatistics(), rate = new DescriptiveStatistics(), time = new DescriptiveStatistics();
            long params = 0, memory = 0;
            for (CellResult c : cells) {
                if (!c.completed()) {
                    diverged.add(c.seed);
                    continue;
                }
                seeds.add(c.seed);
                loss.addValue(c.valLoss);
                rate.addValue(c.tokensPerS == null ? Double.NaN : c.tokensPerS);
                time.addValue(c.trainSeconds == null ? Double.NaN : c.trainSeconds);
                params = c.parameters;
                memory = Math.max(memory, c.memoryBytes);
            }
            losses = loss.getValues();
            mean = loss.getN() == 0 ? Double.NaN : loss.getMean();
            standardError = loss.getN() < 2 ? Double.NaN : loss.getStandardDeviation() / Math.sqrt(loss.getN());
            bpc = mean / Math.log(2);
            parameters = params;
            tokensPerSecond = rate.getN() == 0 ? Double.NaN : rate.getMean();
            memoryBytes = memory;
            trainSeconds = time.getN() == 0 ? Double.NaN : time.getMean();
        }

        int n() {
            return losses.length;
        }
    }

    /** The rows of one context length. */
    static final class Section {
        final int context;
        final int batch;
        final int steps;
        final List<Row> rows = new ArrayList<>();
        final List<String> notes = new ArrayList<>();

        Section(int context, int batch, int steps) {
            this.context = context;
            this.batch = batch;
            this.steps = steps;
        }
    }

    final List<Section> sections = new ArrayList<>();
    /** Cells expected but without a result (labels as --only takes them), in {@link #CELL_ORDER}. */
    final List<String> missing = new ArrayList<>();

    /** The report of {@code results}; {@code missing} are the grid's cells that have none. */
    StudyReport(List<CellResult> results, List<StudyGrid.Cell> missing) {
        missing.stream().sorted(CELL_ORDER).forEach(c -> this.missing.add(c.label()));
        Map<Integer, Map<String, List<CellResult>>> byContext = new TreeMap<>();
        for (CellResult r : results) {
            byContext.computeIfAbsent(r.context, t -> new TreeMap<>(MIXER_ORDER)).computeIfAbsent(r.mixer, m -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<Integer, Map<String, List<CellResult>>> e : byContext.entrySet()) {
            CellResult any = e.getValue().values().iterator().next().get(0);
            Section s = new Section(e.getKey(), Integer.parseInt(any.options.get("batch")), any.steps);
            for (Map.Entry<String, List<CellResult>> m : e.getValue().entrySet()) {
                List<CellResult> cells = new ArrayList<>(m.getValue());
                cells.sort(Comparator.comparingLong(c -> c.seed));
                s.rows.add(new Row(m.getKey(), cells));
            }
            compareToBaseline(s);
            List<String> names = new ArrayList<>();
            List<Double> means = new ArrayList<>();
            for (Row r : s.rows) {
                names.add(r.mixer);
                means.add(r.mean);
                if (!r.diverged.isEmpty()) {
                    s.notes.add(r.mixer + ": seed" + (r.diverged.size() == 1 ? " " : "s ") + StudyGrid.join(r.diverged)
                            + " diverged (non-finite loss) and " + (r.diverged.size() == 1 ? "is" : "are") + " left out of the mean");
                }
            }
            s.notes.addAll(IdenticalLosses.notes(names, means, s.steps));
            sections.add(s);
        }
    }

    /** Attention first (the baseline), then the default mixers in their order, then any other alphabetically. */
    static final Comparator<String> MIXER_ORDER = Comparator.comparingInt((String m) -> {
        int i = StudyGrid.DEFAULT_MIXERS.indexOf(m);
        return i < 0 ? Integer.MAX_VALUE : i;
    }).thenComparing(Comparator.naturalOrder());

    /** Contexts ascending, then seeds ascending, then {@link #MIXER_ORDER}: however the grid was listed. */
    static final Comparator<StudyGrid.Cell> CELL_ORDER = Comparator.comparingInt(StudyGrid.Cell::context)
            .thenComparingLong(StudyGrid.Cell::seed).thenComparing(StudyGrid.Cell::mixer, MIXER_ORDER);

    private static void compareToBaseline(Section s) {
        Row base = s.rows.stream().filter(r -> r.mixer.equals(BASELINE) && r.n() > 0).findFirst().orElse(null);
        for (Row r : s.rows) {
            if (r.mixer.equals(BASELINE)) {
                continue;
            }
            if (base == null || r.n() == 0) {
                r.tTestNote = "not available: " + (base == null ? "no attention cells at this context" : "no finished seed");
                continue;
            }
            r.difference = r.mean - base.mean;
            if (r.n() < 2 || base.n() < 2) {
                r.tTestNote = "not available: needs at least 2 seeds of both (" + r.n() + " and " + base.n() + ")";
                continue;
            }
            try {
                double p = new TTest().tTest(r.losses, base.losses);
                if (Double.isNaN(p)) {
                    r.tTestNote = "not available: the losses do not vary over seeds";
                } else {
                    r.pValue = p;
                }
            } catch (MathIllegalArgumentException e) {
                r.tTestNote = "not available: " + e.getMessage();
            }
        }
    }

    /** The tables as Markdown, with the notes and what the columns mean. */
    String text() {
        StringBuilder sb = new StringBuilder();
        for (Section s : sections) {
            TreeSet<Long> seeds = new TreeSet<>();
            s.rows.forEach(r -> r.cells.forEach(c -> seeds.add(c.seed)));
            sb.append(String.format(Locale.ROOT, "## context %d: batch %d × %d = %s tokens per step, %d steps, seeds %s%n%n", s.context,
                    s.batch, s.context, Cli.count((long) s.batch * s.context), s.steps, StudyGrid.join(new ArrayList<>(seeds)).replace(",", ", ")));
            sb.append("| mixer | params | val loss (mean ± s.e.) | val BPC | Δ vs attention | p (Welch) | tokens/s | peak memory | wall-clock |\n");
            sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Row r : s.rows) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.mixer,
                        r.n() == 0 ? "—" : Cli.count(r.parameters), lossCell(r), r.n() == 0 ? "—" : String.format(Locale.ROOT, "%.3f", r.bpc),
                        r.mixer.equals(BASELINE) ? "baseline" : r.difference == null ? "—" : String.format(Locale.ROOT, "%+.4f", r.difference),
                        r.mixer.equals(BASELINE) ? "—" : r.pValue == null ? "n/a" : pValue(r.pValue),
                        Double.isNaN(r.tokensPerSecond) ? "—" : String.format(Locale.ROOT, "%,.0f", r.tokensPerSecond),
                        r.n() == 0 ? "—" : Cli.bytes(r.memoryBytes), CellRunner.seconds(r.trainSeconds)));
            }
            sb.append('\n');
            for (Row r : s.rows) {
                if (r.tTestNote != null) {
                    sb.append("- ").append(r.mixer).append(": t-test ").append(r.tTestNote).append('\n');
                }
            }
            for (String note : s.notes) {
                sb.append("- ").append(note).append('\n');
            }
            sb.append('\n');
        }
        if (!missing.isEmpty()) {
            sb.append("Not finished (no result yet): ").append(String.join("; ", missing)).append("\n\n");
        }
        sb.append("val loss: mean next-character loss (nats) over every whole window of context + 1 characters of the validation split\n"
                + "(as `leviathan eval`), averaged over seeds; ± is the standard error of that mean (sample standard deviation / √n).\n"
                + "Δ: the mixer's mean minus attention's. p: two-sided Welch t-test (unequal variances) of the mixer's seeds against\n"
                + "attention's; it needs at least 2 seeds of each. tokens/s: median training rate after the first " + CellRunner.WARMUP_STEPS
                + " steps, mean over seeds.\npeak memory: the model's memory estimate (parameters, gradients, AdamW moments, activations"
                + " and their gradients at the\ntraining batch, as `leviathan info` prints it), not a measurement of the JVM heap."
                + " wall-clock: training seconds per seed\n(metrics elapsed_s, with the periodic evaluations and checkpoints), mean over seeds.\n");
        return sb.toString();
    }

    private static String lossCell(Row r) {
        if (r.n() == 0) {
            return "—";
        }
        String se = Double.isNaN(r.standardError) ? "± n/a" : String.format(Locale.ROOT, "± %.4f", r.standardError);
        return String.format(Locale.ROOT, "%.4f %s (n=%d)", r.mean, se, r.n());
    }

    static String pValue(double p) {
        return p < 0.001 ? String.format(Locale.ROOT, "%.1e", p) : String.format(Locale.ROOT, "%.3f", p);
    }

    /** The same numbers as JSON (NaN and the unavailable as null). */
    String json() {
        List<Object> contexts = new ArrayList<>();
        for (Section s : sections) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("context", s.context);
            c.put("batch", s.batch);
            c.put("tokens_per_step", s.batch * s.context);
            c.put("steps", s.steps);
            List<Object> rows = new ArrayList<>();
            for (Row r : s.rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("mixer", r.mixer);
                m.put("parameters", r.n() == 0 ? null : r.parameters);
                m.put("n", r.n());
                m.put("seeds", r.seeds);
                m.put("val_losses", r.losses);
                m.put("val_loss_mean", finite(r.mean));
                m.put("val_loss_se", finite(r.standardError));
                m.put("val_bpc_mean", finite(r.bpc));
                m.put("diff_to_attention", r.difference);
                m.put("p_value", r.pValue);
                m.put("t_test", r.mixer.equals(BASELINE) ? "baseline" : r.pValue != null ? "Welch, two-sided" : r.tTestNote);
                m.put("tokens_per_s", finite(r.tokensPerSecond));
                m.put("peak_memory_bytes", r.n() == 0 ? null : r.memoryBytes);
                m.put("train_seconds_mean", finite(r.trainSeconds));
                m.put("diverged_seeds", r.diverged);
                rows.add(m);
            }
            c.put("rows", rows);
            c.put("notes", s.notes);
            contexts.add(c);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("contexts", contexts);
        root.put("missing", missing);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(root) + "\n";
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
