package leviathan.tools;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

import leviathan.model.Gpt;
import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.trainer.Preset;
import leviathan.trainer.RunState;
import leviathan.trainer.TrainConfig;

/** {@code leviathan info}: config, parameter count and memory estimate of a preset or checkpoint. */
final class InfoCommand implements Main.Command {
    @Override
    public String summary() {
        return "config, parameter count and memory estimate of a preset or checkpoint";
    }

    @Override
    public String help() {
        return String.join("\n",
                "usage: leviathan info [--preset NAME | --checkpoint RUN_DIR|SET_DIR|FILE [--set latest|best|STEP]] [--vocab V] [--tensors] [--KEY=VALUE ...]",
                "",
                "  --preset NAME   one of " + String.join(", ", Preset.all().keySet()) + " (default baby); --vocab sets V (default 65)",
                "  --tensors       list every tensor with its shape",
                "  model/training overrides as for train (e.g. --mixer=attention --width=256 --batch=32)",
                "",
                "mixers:", mixerList());
    }

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("tensors", "debug"));
        args.flag("debug");
        boolean tensors = args.flag("tensors");
        Gpt model;
        TrainConfig train;
        String source;
        RunState state = null;
        if (args.has("checkpoint")) {
            Cli.LoadedModel m = Cli.load(Cli.checkpoint(args));
            model = m.model;
            train = new TrainConfig();
            source = m.file.toString();
            state = m.state;
        } else {
            Preset p = Preset.get(args.get("preset", "baby"));
            ModelConfig mc = p.model.withVocabSize(args.integer("vocab", 65));
            train = p.train.copy();
            mc = Cli.applyOverrides(args, mc, train);
            model = new Gpt(mc);
            source = "preset " + p.name;
        }
        args.rejectUnused("info");
        long acts = model.workspace(train.batchSize, model.config.contextLength, true).activationBytes();
        System.out.println("source:      " + source);
        System.out.println("config:      " + model.config);
        System.out.println("mixer:       " + Mixers.describe(model.config.mixer) + (model.mixer.causal() ? "" : "  [NOT CAUSAL]"));
        System.out.println("parameters:  " + Cli.count(model.parameterCount()));
        System.out.println("memory:      parameters + gradients + AdamW moments " + Cli.bytes(model.stateBytes())
                + "; activations + their gradients at batch " + train.batchSize + " x " + model.config.contextLength + ": " + Cli.bytes(acts)
                + "; total ~" + Cli.bytes(model.stateBytes() + acts));
        if (state != null) {
            System.out.println("trained:     step " + state.step + ", " + Cli.count(state.tokensSeen) + " tokens seen, "
                    + String.format(java.util.Locale.ROOT, "%.0f s of training", state.elapsedSeconds) + ", saved " + state.savedAt);
            System.out.println("losses:      last train " + String.format(java.util.Locale.ROOT, "%.4f", state.lastTrainLoss)
                    + (state.lastValStep >= 0 ? String.format(java.util.Locale.ROOT, ", validation %.4f at step %d", state.lastValLoss,
                    state.lastValStep) : ", no evaluation yet"));
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
