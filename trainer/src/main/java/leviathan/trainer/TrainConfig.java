package leviathan.trainer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoublePredicate;

/** Training hyperparameters (SPEC 3). Defaults are the {@code baby} preset's; {@link #set} applies a --key=value. */
public final class TrainConfig {
    public int batchSize = 12;
    public int steps = 2000;
    public float learningRate = 1e-3f;
    public float minLearningRate = 1e-4f;
    public int warmupSteps = 100;
    public float weightDecay = 0.1f;
    public float beta1 = 0.9f;
    public float beta2 = 0.99f;
    public float eps = 1e-8f;
    public float gradClip = 1.0f;
    public int evalInterval = 250;
    public int evalIters = 200;
    public int logInterval = 10;
    public int checkpointInterval = 0;
    public long seed = 1337;
    public int sampleChars = 200;
    /** Committed checkpoint sets kept (the best by validation loss is kept too). */
    public int keepLast = 2;
    /** Dropout rate on the embedding sum, the mixer's probabilities and each residual branch (nanoGPT's places); 0 = none. */
    public float dropout = 0f;

    public static final String KEYS = "batch, steps, lr, min_lr, warmup, weight_decay, beta1, beta2, eps, grad_clip, "
            + "eval_interval, eval_iters, log_interval, checkpoint_interval, keep_last, seed, sample_chars, dropout";

    public TrainConfig copy() {
        TrainConfig c = new TrainConfig();
        c.batchSize = batchSize; c.steps = steps; c.learningRate = learningRate; c.minLearningRate = minLearningRate;
        c.warmupSteps = warmupSteps; c.weightDecay = weightDecay; c.beta1 = beta1; c.beta2 = beta2; c.eps = eps;
        c.gradClip = gradClip; c.evalInterval = evalInterval; c.evalIters = evalIters; c.logInterval = logInterval;
        c.checkpointInterval = checkpointInterval; c.seed = seed; c.sampleChars = sampleChars; c.keepLast = keepLast; c.dropout = dropout;
        return c;
    }

    public static boolean isKey(String key) {
        return ("," + KEYS.replace(" ", "") + ",").contains("," + key + ",");
    }

    public TrainConfig set(String key, String value) {
        switch (key) {
            case "batch": batchSize = integer(key, value, Range.POSITIVE); break;
            case "steps": steps = integer(key, value, Range.POSITIVE); break;
            case "lr": learningRate = number(key, value, Range.POSITIVE); break;
            case "min_lr": minLearningRate = number(key, value, Range.NON_NEGATIVE); break;
            case "warmup": warmupSteps = integer(key, value, Range.NON_NEGATIVE); break;
            case "weight_decay": weightDecay = number(key, value, Range.NON_NEGATIVE); break;
            case "beta1": beta1 = number(key, value, Range.UNIT); break;
            case "beta2": beta2 = number(key, value, Range.UNIT); break;
            case "eps": eps = number(key, value, Range.POSITIVE); break;
            case "grad_clip": gradClip = number(key, value, Range.POSITIVE); break;
            case "eval_interval": evalInterval = integer(key, value, Range.NON_NEGATIVE); break;
            case "eval_iters": evalIters = integer(key, value, Range.POSITIVE); break;
            case "log_interval": logInterval = integer(key, value, Range.POSITIVE); break;
            case "checkpoint_interval": checkpointInterval = integer(key, value, Range.NON_NEGATIVE); break;
            case "seed": seed = parseLong(key, value); break;
            case "sample_chars": sampleChars = integer(key, value, Range.NON_NEGATIVE); break;
            case "keep_last": keepLast = integer(key, value, Range.POSITIVE); break;
            case "dropout": dropout = number(key, value, Range.UNIT); break;
            default: throw new IllegalArgumentException("unknown training option '" + key + "' (known: " + KEYS + ")");
        }
        return this;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("batch", batchSize);
        m.put("steps", steps);
        m.put("lr", learningRate);
        m.put("min_lr", minLearningRate);
        m.put("warmup", warmupSteps);
        m.put("weight_decay", weightDecay);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("eps", eps);
        m.put("grad_clip", gradClip);
        m.put("eval_interval", evalInterval);
        m.put("eval_iters", evalIters);
        m.put("log_interval", logInterval);
        m.put("checkpoint_interval", checkpointInterval);
        m.put("seed", seed);
        m.put("sample_chars", sampleChars);
        m.put("keep_last", keepLast);
        m.put("dropout", dropout);
        return m;
    }

    /** Checks what single options cannot: the schedule must not rise ({@code min_lr ≤ lr}). */
    public TrainConfig validate() {
        if (minLearningRate > learningRate) {
            throw new IllegalArgumentException("--min_lr " + minLearningRate + " is above --lr " + learningRate
                    + ": the schedule decays from lr to min_lr");
        }
        return this;
    }

    /** nanoGPT's schedule: linear warm-up, then cosine decay from lr to min_lr over the run. */
    public float learningRateAt(int step) {
        if (step < warmupSteps) {
            return learningRate * (step + 1) / (warmupSteps + 1);
        }
        if (step >= steps) {
            return minLearningRate;
        }
        double ratio = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
        double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
        return (float) (minLearningRate + coeff * (learningRate - minLearningRate));
    }

    /** The range a numeric option must lie in, and how its message says so. */
    private enum Range {
        POSITIVE("must be positive", x -> x > 0),
        NON_NEGATIVE("must not be negative", x -> x >= 0),
        UNIT("must be in [0, 1)", x -> x >= 0 && x < 1);

        private final String rule;
        private final DoublePredicate holds;

        Range(String rule, DoublePredicate holds) {
            this.rule = rule;
            this.holds = holds;
        }

        /** {@code shown}: the value as the message quotes it. */
        void check(String k, double x, String shown) {
            if (!holds.test(x)) {
                throw new IllegalArgumentException(k + " " + rule + ", got " + shown);
            }
        }
    }

    /** An integer option; its message quotes the parsed value. */
    private static int integer(String k, String v, Range range) {
        int n = parseInt(k, v);
        range.check(k, n, Integer.toString(n));
        return n;
    }

    /** A finite float option; its message quotes the text as given. */
    private static float number(String k, String v, Range range) {
        float f = parseFloat(k, v);
        range.check(k, f, v);
        return f;
    }

    private static int parseInt(String k, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(k + " expects an integer, got '" + v + "'");
        }
    }

    private static long parseLong(String k, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(k + " expects an integer, got '" + v + "'");
        }
    }

    private static float parseFloat(String k, String v) {
        try {
            float f = Float.parseFloat(v.trim());
            if (!Float.isFinite(f)) {
                throw new NumberFormatException();
            }
            return f;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(k + " expects a finite number, got '" + v + "'");
        }
    }
}
