package leviathan.tools;

import java.io.IOException;
import java.util.Locale;
import java.util.Set;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.trainer.Corpus;
import leviathan.trainer.Dataset;
import leviathan.trainer.Evaluator;

/** {@code leviathan eval}: loss and bits per character of a checkpoint. */
final class EvalCommand implements Main.Command {
    /** Windows evaluated at once; the loss does not depend on it beyond float rounding. */
    static final int DEFAULT_BATCH = 12;

    /** The SPEC 4 score of a split or file: the mean loss over its consecutive windows of context + 1, and how many there were. */
    record WindowLoss(double loss, int windows) {
        double bpc() {
            return loss / Math.log(2);
        }
    }

    /** The mean loss over every whole window of context + 1 tokens of {@code data}, by an evaluator of a model of that context. */
    static WindowLoss windowLoss(Evaluator evaluator, int context, int[] data) {
        return new WindowLoss(evaluator.file(data), data.length / (context + 1));
    }

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        Cli.LoadedModel m = Cli.load(Cli.checkpoint(args));
        String dataArg = args.get("data", null);
        long seed = args.longValue("seed", 1);
        int batch = args.integer("batch", DEFAULT_BATCH);
        String backendSpec = Cli.backendSpec(args);
        int threads = Cli.threads(args);
        args.rejectUnused("eval");
        if (batch <= 0) {
            throw new CliException("--batch must be positive", 2);
        }
        Corpus corpus = Corpus.load(dataArg == null ? Corpus.DEFAULT_NAME : dataArg);
        int[] tokens;
        try {
            tokens = m.tokenizer.encode(corpus.text);
        } catch (IllegalArgumentException e) {
            throw new CliException(corpus.path + ": " + e.getMessage(), 1);
        }
        int[] data = dataArg == null ? new Dataset(tokens).val : tokens;
        String what = dataArg == null ? corpus.path + " (validation split)" : corpus.path.toString();
        int T = m.model.config.contextLength;
        if (data.length < T + 1) {
            throw new CliException(what + " has " + data.length + " characters, fewer than context + 1 = " + (T + 1), 1);
        }
        Cli.warnIfLeaky(m.model.mixer, System.out);
        try (Backend backend = Cli.backend(backendSpec, threads, new Profiler())) {
            Evaluator ev = Evaluator.create(m.model, batch, backend);
            WindowLoss windows = windowLoss(ev, T, data);
            double fixed = ev.randomBatches(data, 1, seed);
            double ln2 = Math.log(2);
            System.out.println("checkpoint: " + m.file + " (" + m.model.config + ")");
            System.out.println(String.format(Locale.ROOT, "%s: %d windows of %d: loss %.4f, %.4f bpc",
                    what, windows.windows(), T + 1, windows.loss(), windows.bpc()));
            System.out.println(String.format(Locale.ROOT, "fixed batch (seed %d, %d x %d): loss %.4f, %.4f bpc",
                    seed, batch, T, fixed, fixed / ln2));
        }
        return 0;
    }
}
