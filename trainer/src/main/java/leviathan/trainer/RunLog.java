package leviathan.trainer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.google.gson.Gson;

/** What a run tells the user (one console line per log interval, with ETA) and metrics.jsonl (one object per line). */
final class RunLog {
    private static final double LN2 = Math.log(2);
    private final PrintStream out;
    private final Path metrics;
    /** NaN or Infinity (a diverging evaluation) is written as such rather than failing the run. */
    private final Gson gson = new com.google.gson.GsonBuilder().serializeSpecialFloatingPointValues().create();
    private long startNanos;
    private int startStep;
    /** Training seconds before this session (a resumed run's), for elapsed_s. */
    private final double elapsedBefore;

    RunLog(PrintStream out, Path metrics, double elapsedBefore) {
        this.out = out;
        this.metrics = metrics;
        this.elapsedBefore = elapsedBefore;
        this.startNanos = System.nanoTime();
    }

    void start(int step, int end) {
        startNanos = System.nanoTime();
        startStep = step;
    }

    /** Seconds of training so far, sessions before this one included. */
    double elapsedSeconds() {
        return elapsedBefore + (System.nanoTime() - startNanos) / 1e9;
    }

    /** How far metrics.jsonl has got (what a committed checkpoint records). */
    long metricsBytes() throws IOException {
        return metrics != null && Files.exists(metrics) ? Files.size(metrics) : 0;
    }

    void step(int step, int end, double meanLoss, float loss, float lr, float norm, double msPerStep, double tokensPerSecond) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        double eta = step > startStep ? elapsed / (step - startStep) * (end - step) : 0;
        out.println(String.format(Locale.ROOT, "step %5d/%d %3.0f%% | loss %.4f | lr %.2e | norm %.2f | %6.1f ms/step | %7.0f tok/s | ETA %s",
                step, end, 100.0 * step / end, meanLoss, lr, norm, msPerStep, tokensPerSecond, duration(eta)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("train_loss", loss);
        m.put("train_loss_mean", meanLoss);
        m.put("lr", lr);
        m.put("grad_norm", norm);
        m.put("ms_per_step", msPerStep);
        m.put("tokens_per_s", tokensPerSecond);
        append(m);
    }

    void eval(int step, double train, double val, double seconds, String sample) {
        out.println(String.format(Locale.ROOT, "eval step %d: train loss %.4f (%.3f bpc) | val loss %.4f (%.3f bpc) | %.1f s",
                step, train, train / LN2, val, val / LN2, seconds));
        if (sample != null) {
            out.println("---- sample ----");
            out.println(sample);
            out.println("----------------");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("eval_train_loss", train);
        m.put("eval_val_loss", val);
        m.put("eval_val_bpc", val / LN2);
        append(m);
    }

    void saved(int step, Path dir) {
        out.println("saved checkpoint at step " + step + " to " + dir);
    }

    void interrupted(int step, Path dir) {
        out.println("interrupted at step " + step + (dir == null ? "" : "; checkpoint saved in " + dir + " (resume with --resume)"));
    }

    /**
     * The one-line report of a non-finite loss or gradient (without an "error:" prefix): the caller shows
     * it (the CLI on stderr); the console log gets a short pointer to it.
     */
    String diverged(int step, String what, int savedStep, Path dir) {
        out.println("stopped: non-finite loss, gradient or parameter at step " + step);
        return String.format(Locale.ROOT, "%s at step %d; stopping without saving. %s",
                what, step, savedStep < 0 ? "No checkpoint was saved in this run." : "The last good checkpoint (step " + savedStep + ") is in " + dir + ".");
    }

    void finished(int step, boolean stopped, Path dir, double tokensPerSecond) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        String rate = tokensPerSecond > 0 ? String.format(Locale.ROOT, "%.0f tok/s steady state", tokensPerSecond)
                : "too few steps for a steady-state rate"; // the first steps (JIT warm-up) are never counted
        out.println(String.format(Locale.ROOT, "%s at step %d in %s (%s)%s", stopped ? "stopped" : "finished",
                step, duration(elapsed), rate, dir == null ? "" : "; checkpoint in " + dir));
    }

    /** Appends one line; every line carries the wall-clock time (ISO-8601, UTC) and the training seconds so far. */
    private void append(Map<String, Object> m) {
        if (metrics == null) {
            return;
        }
        m.put("time", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        m.put("elapsed_s", Math.round(elapsedSeconds() * 1000) / 1000.0);
        try {
            Files.createDirectories(metrics.getParent());
            try (BufferedWriter w = Files.newBufferedWriter(metrics, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                w.write(gson.toJson(m));
                w.newLine();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot append to " + metrics + ": " + e.getMessage(), e);
        }
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        if (s >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return s + "s";
    }
}
