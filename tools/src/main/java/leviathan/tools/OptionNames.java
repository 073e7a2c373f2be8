package leviathan.tools;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import leviathan.model.Mixers;
import leviathan.trainer.TrainConfig;

/** The hint for an unknown option: the Leviathan name of a nanoGPT option, or the closest known name. */
final class OptionNames {
    private OptionNames() {}

    /** nanoGPT's train.py names → Leviathan's. */
    static final Map<String, String> NANOGPT = Map.ofEntries(
            Map.entry("learning_rate", "lr"), Map.entry("max_iters", "steps"), Map.entry("lr_decay_iters", "steps"),
            Map.entry("warmup_iters", "warmup"), Map.entry("batch_size", "batch"), Map.entry("block_size", "context"),
            Map.entry("n_layer", "layers"), Map.entry("n_head", "heads"), Map.entry("n_embd", "width"),
            Map.entry("out_dir", "out"), Map.entry("dataset", "data"), Map.entry("init_from", "resume"),
            Map.entry("eval_only", "eval"), Map.entry("always_save_checkpoint", "checkpoint_interval"),
            Map.entry("min_learning_rate", "min_lr"), Map.entry("gradient_clip", "grad_clip"));

    /** Names a model-building command knows besides its own: shape, mixer, training and every mixer's options. */
    static Set<String> modelAndTraining() {
        Set<String> names = new TreeSet<>(Set.of("layers", "heads", "width", "context", "mixer"));
        for (String k : TrainConfig.KEYS.split(",\\s*")) {
            names.add(k);
        }
        for (String m : Mixers.all().keySet()) {
            names.addAll(Mixers.optionNames(m));
        }
        return names;
    }

    /** " (did you mean --x?)" or "" when nothing is close. */
    static String suggest(String unknown, Set<String> known) {
        String alias = NANOGPT.get(unknown);
        if (alias != null) {
            return " (nanoGPT's " + unknown + " is --" + alias + " here)";
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(unknown.replace('-', '_'), k.replace('-', '_'));
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        int allowed = unknown.length() <= 4 ? 1 : 2;
        return best != null && bestDistance <= allowed ? " (did you mean --" + best + "?)" : "";
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
