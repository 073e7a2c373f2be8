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
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        Cli.LoadedModel m = Cli.load(Cli.checkpoint(args));
        String prompt = prompt(args);
        int samples = args.integer("num_samples", 1);
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
        if (samples <= 0) {
            throw new CliException("--num_samples must be at least 1", 2);
        }
        int[] tokens;
        try {
            tokens = m.tokenizer.encode(prompt);
        } catch (IllegalArgumentException e) {
            throw new CliException("prompt: " + e.getMessage(), 1);
        }
        Cli.warnIfLeaky(m.model.mixer, System.err);
        try (Backend backend = Cli.backend(backendSpec, threads, new Profiler())) {
            Sampler sampler = new Sampler(m.model, backend);
            Rng rng = new Rng(seed);   // one stream: each sample is the next draw from it
            for (int i = 1; i <= samples; i++) {
                if (samples > 1) {
                    System.out.println("--- sample " + i + " of " + samples + " ---");
                }
                int[] out = sampler.generate(tokens, length, temperature, topK, rng);
                System.out.println(m.tokenizer.decode(out, 0, out.length));
            }
        }
        return 0;
    }

    /** --prompt TEXT or --prompt_file F (not both); a newline when neither is given. */
    private static String prompt(Args args) throws IOException {
        String text = args.get("prompt", null);
        String file = args.get("prompt_file", null);
        if (text != null && file != null) {
            throw new CliException("give --prompt or --prompt_file, not both", 2);
        }
        if (file != null) {
            java.nio.file.Path path = java.nio.file.Paths.get(file);
            if (!java.nio.file.Files.isRegularFile(path)) {
                throw new CliException("--prompt_file " + file + " does not exist or is not a file", 1);
            }
            try {
                text = new String(java.nio.file.Files.readAllBytes(path), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliException("cannot read --prompt_file " + file + ": " + Cli.describe(e), 1);
            }
            if (text.isEmpty()) {
                throw new CliException("--prompt_file " + file + " is empty", 2);
            }
            return text;
        }
        if (text != null && text.isEmpty()) {
            throw new CliException("--prompt must not be empty", 2);
        }
        return text == null ? "\n" : text;
    }
}
