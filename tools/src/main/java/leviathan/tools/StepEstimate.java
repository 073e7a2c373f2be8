package leviathan.tools;

import java.util.Locale;

import org.apache.commons.math3.stat.descriptive.rank.Median;

import leviathan.graph.Backend;
import leviathan.model.Gpt;
import leviathan.model.ModelConfig;
import leviathan.trainer.TrainConfig;
import leviathan.trainer.TrainingStep;

/**
 * How long a configuration's training step takes on this machine, found quickly: whole training steps
 * (as {@code bench step} runs them) at a batch of at most 2, first for {@link #WARMUP_SECONDS} so the
 * JIT compiles the kernels, then {@link #MEASURED_STEPS} timed ones, whose median is scaled linearly to the
 * configured batch. Good to tens of percent — enough to tell minutes from days.
 */
final class StepEstimate {
    static final double WARMUP_SECONDS = 1.5;
    static final int MEASURED_STEPS = 3;

    final double msPerStep;
    final int measuredBatch;
    final String backend;

    private StepEstimate(double msPerStep, int measuredBatch, String backend) {
        this.msPerStep = msPerStep;
        this.measuredBatch = measuredBatch;
        this.backend = backend;
    }

    static StepEstimate measure(ModelConfig mc, TrainConfig tc, Backend backend) {
        TrainConfig small = tc.copy();
        small.batchSize = Math.min(tc.batchSize, 2);
        Gpt model = new Gpt(mc);
        model.initialise(tc.seed);
        TrainingStep step = new TrainingStep(model, small, backend, BenchCommand.syntheticBatches(mc, small));
        long start = System.nanoTime();
        int n = 0;
        while (n < 2 || (System.nanoTime() - start) / 1e9 < WARMUP_SECONDS) {
            step.run(n++);
        }
        double[] ms = new double[MEASURED_STEPS];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            step.run(n++);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double median = new Median().evaluate(ms);
        return new StepEstimate(median * tc.batchSize / small.batchSize, small.batchSize, backend.name());
    }

    /** One line for {@code info}: the step time at the configured batch and what {@code steps} of them take. */
    String describe(int batch, int steps) {
        return String.format(Locale.ROOT, "~%s per step at batch %d on %s (measured at batch %d, scaled); %d steps ~%s",
                duration(msPerStep / 1e3), batch, backend, measuredBatch, steps, duration(msPerStep * steps / 1e3));
    }

    static String duration(double seconds) {
        if (seconds < 0.01) {
            return String.format(Locale.ROOT, "%.2f ms", seconds * 1e3);
        }
        if (seconds < 1) {
            return String.format(Locale.ROOT, "%.0f ms", seconds * 1e3);
        }
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        if (seconds < 2 * 3600) {
            return String.format(Locale.ROOT, "%.0f min", seconds / 60);
        }
        if (seconds < 3 * 86400) {
            return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
        }
        return String.format(Locale.ROOT, "%.1f days", seconds / 86400);
    }
}
