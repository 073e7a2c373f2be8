package leviathan.tools;

import java.io.IOException;
import java.util.Set;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.model.Rng;
import leviathan.trainer.Sampler;

/** {@code leviathan sample}: generate text from a checkpoint. */
final class SampleCommand implements Main.Command {
    @Override
    public String summary() {
        return "generate text from a checkpoint";
    }

    @Override
    public String help() {
        return String.join("\n",
                "usage: leviathan sample --checkpoint RUN_DIR|SET_DIR|FILE [--set latest|best|STEP] [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed S]",
                "",
                "  --prompt TEXT      text to continue (default a newline); every character must be in the model's vocabulary",
                "  --length N         characters to generate (default 500)",
                "  --temperature T    0 = always the most likely character; default 0.8",
                "  --top-k K          sample among the K most likely characters (default 0 = all)",
                "  --seed S           sampling seed (default 1)");
    }

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        Cli.LoadedModel m = Cli.load(Cli.checkpoint(args));
        String prompt = args.get("prompt", "\n");
        int length = args.integer("length", 500);
        float temperature = args.number("temperature", 0.8f);
        int topK = args.integer("top-k", 0);
        long seed = args.longValue("seed", 1);
        String backendSpec = Cli.backendSpec(args);
        int threads = Cli.threads(args);
        args.rejectUnused("sample");
        if (length < 0) {
            throw new CliException("--length must not be negative", 2);
        }
        if (temperature < 0 || !Float.isFinite(temperature)) {
            throw new CliException("--temperature must be a number ≥ 0", 2);
        }
        if (topK < 0) {
            throw new CliException("--top-k must not be negative (0 = all characters)", 2);
        }
        if (prompt.isEmpty()) {
            throw new CliException("--prompt must not be empty", 2);
        }
        int[] tokens;
        try {
            tokens = m.tokenizer.encode(prompt);
        } catch (IllegalArgumentException e) {
            throw new CliException("prompt: " + e.getMessage(), 1);
        }
        Cli.warnIfLeaky(m.model.mixer, System.err);
        try (Backend backend = Cli.backend(backendSpec, threads, new Profiler())) {
            int[] out = new Sampler(m.model, backend).generate(tokens, length, temperature, topK, new Rng(seed));
            System.out.println(m.tokenizer.decode(out, 0, out.length));
        }
        return 0;
    }
}
