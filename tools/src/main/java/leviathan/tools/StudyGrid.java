package leviathan.tools;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import leviathan.model.Mixers;
import leviathan.model.ModelConfig;
import leviathan.trainer.Corpus;
import leviathan.trainer.Preset;
import leviathan.trainer.TrainConfig;

/**
 * The grid of {@code leviathan study}: mixers × context lengths × seeds, the options every cell
 * shares, and each cell's complete {@code train} options. A cell's options spell out every model and
 * training option, so the cell is reproducible from its own config.json whatever the presets' defaults
 * become; the batch is {@code tokens_per_step / context}, so every cell sees as many tokens per step.
 *
 * @param data         --data as given (the default corpus by name, so that a cell finds it on any machine)
 * @param overrides    --layers/--heads/--width and training options, as given; applied to every cell
 * @param mixerOptions --MIXER.KEY=VALUE: options of one mixer, applied to its cells
 */
record StudyGrid(List<String> mixers, List<Integer> contexts, List<Long> seeds, int tokensPerStep, int steps, String data,
                 Map<String, String> overrides, Map<String, Map<String, String>> mixerOptions) {
    /** The causal mixers (leviathan-same leaks later characters, so it is never in a language-model comparison). */
    static final List<String> DEFAULT_MIXERS = List.of("attention", "leviathan", "performer", "longformer", "synthesizer");
    static final List<Integer> DEFAULT_CONTEXTS = List.of(64, 512);
    static final List<Long> DEFAULT_SEEDS = List.of(1337L, 1L, 2L);
    /**
     * The smallest multiple of 512 (so that both default contexts divide it) that is at least baby's
     * 12 × 64 = 768 tokens per step: batch 16 at T = 64, 2 at T = 512.
     */
    static final int DEFAULT_TOKENS_PER_STEP = 1024;
    static final int DEFAULT_STEPS = 2000;
    /** The recipe the cells start from; the grid sets its context, batch, steps and seed. */
    static final String PRESET = "baby";
    /** A checkpoint every 200 steps: an interrupted 2000-step cell loses at most a tenth of its training. */
    static final int CHECKPOINT_INTERVAL = 200;
    /** One committed set (plus the best) per cell: 30 cells of baby keep ~0.6 GB rather than ~0.9 GB. */
    static final int KEEP_LAST = 1;
    /** Batches per split of the trainer's periodic evaluations (the curves). */
    static final int EVAL_ITERS = 50;
    /** Options a cell's place in the grid sets; each names the grid option that sets it instead. */
    private static final Map<String, String> SET_BY_GRID = Map.of("mixer", "--mixers", "context", "--contexts", "seed", "--seeds",
            "batch", "--tokens_per_step (batch = tokens_per_step / context)");

    /** One cell: a mixer at a context length with a seed. */
    record Cell(int context, String mixer, long seed) {
        Path dir(Path root) {
            return root.resolve("T" + context).resolve(mixer).resolve("seed" + seed);
        }

        /** As {@code --only} takes it. */
        String label() {
            return "T=" + context + ",mixer=" + mixer + ",seed=" + seed;
        }
    }


    /** Reads the grid options and the overrides (every option not read yet that is a model, training or mixer option). */
    static StudyGrid parse(Args args) {
        List<String> mixers = new ArrayList<>();
        for (String m : args.get("mixers", String.join(",", DEFAULT_MIXERS)).split(",")) {
            mixers.add(m.trim());
        }
        List<Integer> contexts = new ArrayList<>();
        for (int t : args.integers("contexts", DEFAULT_CONTEXTS.stream().mapToInt(Integer::intValue).toArray())) {
            contexts.add(t);
        }
        List<Long> seeds = new ArrayList<>();
        String seedList = args.get("seeds", null);
        if (seedList == null) {
            seeds.addAll(DEFAULT_SEEDS);
        } else {
            for (String s : seedList.split(",")) {
                try {
                    seeds.add(Long.parseLong(s.trim()));
                } catch (NumberFormatException e) {
                    throw new CliException("--seeds expects comma-separated integers, got '" + seedList + "'", 2);
                }
            }
        }
        int tokens = args.integer("tokens_per_step", DEFAULT_TOKENS_PER_STEP);
        int steps = args.integer("steps", DEFAULT_STEPS);
        String data = args.get("data", Corpus.DEFAULT_NAME);
        if (!data.equals(Corpus.DEFAULT_NAME)) {
            data = Path.of(data).toAbsolutePath().normalize().toString(); // the same file from wherever a cell runs
        }
        Map<String, String> overrides = new LinkedHashMap<>();
        Map<String, Map<String, String>> mixerOptions = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : args.unused().entrySet()) {
            String k = e.getKey();
            int dot = k.indexOf('.');
            if (SET_BY_GRID.containsKey(k)) {
                throw new CliException("--" + k + " is set by the grid: give " + SET_BY_GRID.get(k), 2);
            } else if (ModelConfig.isShapeKey(k) || TrainConfig.isKey(k)) {
                overrides.put(k, args.get(k, null));
            } else if (dot > 0) {
                mixerOptions.computeIfAbsent(k.substring(0, dot), x -> new LinkedHashMap<>()).put(k.substring(dot + 1), args.get(k, null));
            }
        }
        StudyGrid grid = new StudyGrid(List.copyOf(distinct("--mixers", mixers)), List.copyOf(distinct("--contexts", contexts)), List.copyOf(distinct("--seeds", seeds)),
                tokens, steps, data, overrides, mixerOptions);
        grid.check();
        return grid;
    }

    private static <T> List<T> distinct(String option, List<T> values) {
        Set<T> seen = new LinkedHashSet<>();
        for (T v : values) {
            if (!seen.add(v)) {
                throw new CliException(option + " lists " + v + " twice", 2);
            }
        }
        if (seen.isEmpty()) {
            throw new CliException(option + " must not be empty", 2);
        }
        return new ArrayList<>(seen);
    }

    /** Everything that can be checked before a cell trains: a mistake must not surface hours into a study. */
    private void check() {
        if (tokensPerStep <= 0 || steps <= 0) {
            throw new CliException("--tokens_per_step and --steps must be positive", 2);
        }
        for (String m : mixers) {
            Mixers.describe(m);
            if (!Mixers.create(new ModelConfig(2, 16, 1, 2, 16, m, Map.of())).causal()) {
                throw new CliException("mixer " + m + " is not causal (later characters leak into earlier predictions): its loss is not a"
                        + " language-model result, so it has no place in the study (train or compare it on its own)", 2);
            }
        }
        for (int t : contexts) {
            if (t <= 0 || tokensPerStep % t != 0) {
                throw new CliException("--tokens_per_step " + tokensPerStep + " is not a multiple of context " + t
                        + " (each cell's batch is tokens_per_step / context)", 2);
            }
        }
        for (Map.Entry<String, Map<String, String>> e : mixerOptions.entrySet()) {
            if (!mixers.contains(e.getKey())) {
                throw new CliException("options given for mixer '" + e.getKey() + "', which is not in --mixers " + String.join(",", mixers), 2);
            }
            List<String> known = Mixers.optionNames(e.getKey());
            for (String option : e.getValue().keySet()) {
                if (!known.contains(option)) {
                    throw new CliException("mixer " + e.getKey() + " has no option --" + e.getKey() + "." + option
                            + (known.isEmpty() ? " (it takes none)" : " (it takes " + String.join(", ", known) + ")"), 2);
                }
            }
        }
        TrainConfig train = trainConfig(contexts.get(0), seeds.get(0));
        for (int t : contexts) {
            for (String m : mixers) {
                Mixers.create(modelConfig(t, m, 65).validate());
            }
        }
        train.validate();
    }

    /** The cells in the order they run: by context, then seed, then mixer, so every mixer of a seed is done before the next seed. */
    List<Cell> cells() {
        List<Cell> cells = new ArrayList<>();
        for (int t : contexts) {
            for (long s : seeds) {
                for (String m : mixers) {
                    cells.add(new Cell(t, m, s));
                }
            }
        }
        return cells;
    }

    /** The cells {@code --only T=…,mixer=…,seed=…} selects (any of the three; each must be in the grid). */
    List<Cell> select(String only) {
        if (only == null) {
            return cells();
        }
        Map<String, String> wanted = new LinkedHashMap<>();
        for (String part : only.split(",")) {
            int eq = part.indexOf('=');
            String key = eq > 0 ? part.substring(0, eq).trim() : "";
            if (key.equals("context")) {
                key = "T";
            }
            if (!Set.of("T", "mixer", "seed").contains(key) || wanted.put(key, part.substring(eq + 1).trim()) != null) {
                throw new CliException("--only expects T=N,mixer=NAME,seed=S (each at most once), got '" + only + "'", 2);
            }
        }
        List<Cell> selected = new ArrayList<>();
        for (Cell c : cells()) {
            if (matches(wanted.get("T"), Integer.toString(c.context())) && matches(wanted.get("mixer"), c.mixer())
                    && matches(wanted.get("seed"), Long.toString(c.seed()))) {
                selected.add(c);
            }
        }
        if (selected.isEmpty()) {
            throw new CliException("--only " + only + " selects no cell of the grid (contexts " + join(contexts) + ", mixers "
                    + String.join(",", mixers) + ", seeds " + join(seeds) + ")", 2);
        }
        return selected;
    }

    private static boolean matches(String wanted, String value) {
        return wanted == null || wanted.equals(value);
    }

    /** The model of a cell (vocabulary {@code vocab}) with the overrides and the mixer's options. */
    private ModelConfig modelConfig(int context, String mixer, int vocab) {
        ModelConfig mc = Preset.get(PRESET).model().withVocabSize(vocab).with("context", Integer.toString(context)).with("mixer", mixer);
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (ModelConfig.isShapeKey(e.getKey())) {
                mc = mc.with(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, String> e : mixerOptions.getOrDefault(mixer, Map.of()).entrySet()) {
            mc = mc.withMixerOption(e.getKey(), e.getValue());
        }
        return mc;
    }

    /** The training options of a cell: baby's recipe, the study's checkpointing, the overrides, then the grid's batch, steps and seed. */
    private TrainConfig trainConfig(int context, long seed) {
        TrainConfig cfg = Preset.get(PRESET).train().copy();
        cfg.checkpointInterval = CHECKPOINT_INTERVAL;
        cfg.keepLast = KEEP_LAST;
        cfg.sampleChars = 0; // samples are not results, and at T = 512 each costs as much as an evaluation
        // The periodic estimates only draw the curves (the result is the whole-split score): 50 batches of each
        // split rather than baby's 200 keep the evaluations at ~13% of the training time instead of ~50%.
        cfg.evalIters = EVAL_ITERS;
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (TrainConfig.isKey(e.getKey())) {
                cfg.set(e.getKey(), e.getValue());
            }
        }
        cfg.batchSize = tokensPerStep / context;
        cfg.steps = steps;
        cfg.seed = seed;
        return cfg;
    }

    /** Every option of a cell's {@code train} run, in the order config.json lists them (without --out and the backend). */
    Map<String, String> trainOptions(Cell cell) {
        ModelConfig mc = modelConfig(cell.context(), cell.mixer(), 65);
        Map<String, String> o = new LinkedHashMap<>();
        o.put("preset", PRESET);
        o.put("data", data);
        o.put("layers", Integer.toString(mc.layers));
        o.put("heads", Integer.toString(mc.heads));
        o.put("width", Integer.toString(mc.width));
        o.put("context", Integer.toString(mc.contextLength));
        o.put("mixer", mc.mixer);
        o.putAll(mixerOptions.getOrDefault(cell.mixer(), Map.of()));
        trainConfig(cell.context(), cell.seed()).toMap().forEach((k, v) -> o.put(k, String.valueOf(v)));
        return o;
    }

    /** The options that define this grid, as {@code --key=value} arguments: what a line of --emit-jobs repeats. */
    List<String> arguments() {
        List<String> a = new ArrayList<>();
        a.add("--mixers=" + String.join(",", mixers));
        a.add("--contexts=" + join(contexts));
        a.add("--seeds=" + join(seeds));
        a.add("--tokens_per_step=" + tokensPerStep);
        a.add("--steps=" + steps);
        a.add("--data=" + data);
        overrides.forEach((k, v) -> a.add("--" + k + "=" + v));
        mixerOptions.forEach((m, options) -> options.forEach((k, v) -> a.add("--" + m + "." + k + "=" + v)));
        return a;
    }

    static String join(List<?> values) {
        StringBuilder sb = new StringBuilder();
        for (Object v : values) {
            sb.append(sb.length() == 0 ? "" : ",").append(v);
        }
        return sb.toString();
    }
}
