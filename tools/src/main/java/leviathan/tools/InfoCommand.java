package leviathan.tools;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.model.Gpt;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.trainer.Checkpoints;
import leviathan.trainer.Preset;
import leviathan.trainer.RunState;
import leviathan.trainer.TrainConfig;

/** {@code leviathan info}: config, parameter count and memory estimate of a preset or checkpoint. */
final class InfoCommand implements Main.Command {
    @Override
    public Map<String, ?> helpValues() {
        return Map.of("presets", String.join(", ", Preset.all().keySet()), "mixers", mixerList().stripTrailing());
    }

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("tensors", "debug", "no_estimate"));
        args.flag("debug");
        boolean tensors = args.flag("tensors");
        boolean estimate = !args.flag("no_estimate");
        String backendSpec = Cli.backendSpec(args);
        int threads = Cli.threads(args);
        Gpt model;
        TrainConfig train;
        String source;
        RunState state = null;
        Map<String, ?> options;
        if (args.has("checkpoint")) {
            Checkpoints.Resolved c = Cli.checkpoint(args);
            Cli.LoadedModel m = Cli.load(c);
            model = m.model;
            source = m.file.toString();
            state = m.state;
            Map<String, String> recorded = RunConfig.recorded(c);
            train = new TrainConfig();
            recorded.forEach((k, v) -> {
                if (TrainConfig.isKey(k)) {
                    train.set(k, v);
                }
            });
            options = recorded;
        } else {
            Preset p = Preset.get(args.get("preset", "baby"));
            ModelConfig mc = p.model().withVocabSize(args.integer("vocab", 65));
            train = p.train().copy();
            mc = Cli.applyOverrides(args, mc, train);
            model = new Gpt(mc);
            source = "preset " + p.name();
            options = RunConfig.options(model, train);
        }
        args.rejectUnused("info");
        long acts = leviathan.model.Workspace.activationBytes(model, train.batchSize, model.config.contextLength, true);
        System.out.println("source:      " + source);
        System.out.println("config:      " + model.config);
        System.out.println("mixer:       " + Mixers.describe(model.config.mixer) + (model.mixer.causal() ? "" : "  [NOT CAUSAL]"));
        System.out.println("parameters:  " + Cli.count(model.parameterCount()));
        System.out.println("memory:      parameters + gradients + AdamW moments " + Cli.bytes(model.stateBytes())
                + "; activations + their gradients at batch " + train.batchSize + " x " + model.config.contextLength + ": " + Cli.bytes(acts)
                + "; total ~" + Cli.bytes(model.stateBytes() + acts));
        if (state != null) {
            System.out.println("trained:     step " + state.step() + ", " + Cli.count(state.tokensSeen()) + " tokens seen, "
                    + String.format(java.util.Locale.ROOT, "%.0f s of training", state.elapsedSeconds()) + ", saved " + state.savedAt());
            System.out.println("losses:      last train " + String.format(java.util.Locale.ROOT, "%.4f", state.lastTrainLoss())
                    + (state.lastValStep() >= 0 ? String.format(java.util.Locale.ROOT, ", validation %.4f at step %d", state.lastValLoss(),
                    state.lastValStep()) : ", no evaluation yet"));
        }
        if (!options.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            options.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append('=').append(v));
            System.out.println("options:     " + sb);
        }
        if (estimate) {
            try (Backend backend = Cli.backend(backendSpec, threads, new Profiler())) {
                StepEstimate e = StepEstimate.measure(model.config, train, backend);
                System.out.println("step time:   " + e.describe(train.batchSize, train.steps));
            }
        }
        if (tensors) {
            for (ParamSpec s : model.specs()) {
                System.out.println(String.format("  %-36s %-14s %s", s.name, java.util.Arrays.toString(s.diskShape()),
                        s.trainable ? (s.decay ? "decay" : "no decay") : "buffer (not trained)"));
            }
        }
        return 0;
    }

    static String mixerList() {
        StringBuilder sb = new StringBuilder();
        Mixers.all().forEach((k, v) -> sb.append(String.format("  %-16s %s%n", k, v)));
        return sb.toString();
    }
}
