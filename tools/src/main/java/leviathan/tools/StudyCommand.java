package leviathan.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import leviathan.model.AtomicFiles;
import leviathan.model.Mixers;
import leviathan.trainer.Corpus;
import leviathan.trainer.StopSignal;

/**
 * {@code leviathan study}: trains and evaluates a grid of mixers × context lengths × seeds, one
 * ordinary run directory per cell, and turns it into tables with standard errors and t-tests
 * against attention. Rerunning it skips finished cells and resumes an interrupted one;
 * {@code --emit-jobs} hands the unfinished cells to GNU parallel or Slurm, and {@code --collect}
 * builds the table from cells run anywhere. See docs/study.md.
 */
final class StudyCommand implements Main.Command {
    static final String DEFAULT_OUT = "runs/study";
    static final String TABLE = "study.txt";
    static final String JSON = "study.json";

    @Override
    public Map<String, ?> helpValues() {
        return Map.of("out", DEFAULT_OUT, "table", TABLE, "json", JSON, "mixers", String.join(",", StudyGrid.DEFAULT_MIXERS),
                "contexts", StudyGrid.join(StudyGrid.DEFAULT_CONTEXTS), "seeds", StudyGrid.join(StudyGrid.DEFAULT_SEEDS),
                "tokens_per_step", StudyGrid.DEFAULT_TOKENS_PER_STEP, "steps", StudyGrid.DEFAULT_STEPS,
                "checkpoint_interval", StudyGrid.CHECKPOINT_INTERVAL, "eval_iters", StudyGrid.EVAL_ITERS);
    }
    /** Where a cell's result sits under the study directory: T&lt;context&gt;/&lt;mixer&gt;/seed&lt;seed&gt;/result.json. */
    private static final Pattern CELL_PATH = Pattern.compile("T(\\d+)/([^/]+)/seed(-?\\d+)/" + Pattern.quote(CellResult.FILE));

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        if (args.has("collect")) {
            return collect(args);
        }
        Path root = Paths.get(args.get("out", DEFAULT_OUT));
        String only = args.get("only", null);
        String emitJobs = args.get("emit-jobs", null);
        String backendSpec = Cli.backendSpec(args);
        int threads = Cli.threads(args);
        List<String> runArguments = new ArrayList<>();
        for (String k : List.of("threads", "backend", "device")) {
            if (args.has(k)) {
                runArguments.add("--" + k + "=" + args.get(k, null));
            }
        }
        StudyGrid grid = StudyGrid.parse(args);
        args.alsoKnown(OptionNames.modelAndTraining());
        args.rejectUnused("study");
        List<StudyGrid.Cell> selected = grid.select(only);
        Corpus corpus = Corpus.load(grid.data());
        CellRunner runner = new CellRunner(grid, root, corpus, runArguments, backendSpec, threads);
        if (emitJobs != null) {
            return emitJobs(Paths.get(emitJobs), root, grid, selected, runner, runArguments);
        }
        TrainCommand.checkWritable(root);
        StopSignal.install();
        List<StudyGrid.Cell> todo = new ArrayList<>();
        StudyProgress progress = new StudyProgress(selected.size());
        for (StudyGrid.Cell c : selected) {
            CellResult r = runner.finished(c);
            if (r != null) {
                progress.finished(r);
            } else {
                todo.add(c);
            }
        }
        System.out.println(String.format(Locale.ROOT, "study: %d cell%s (%s x contexts %s x seeds %s, %d tokens/step, %d steps) in %s;"
                + " %d finished before, %d to run", selected.size(), selected.size() == 1 ? "" : "s", String.join(",", grid.mixers()),
                StudyGrid.join(grid.contexts()), StudyGrid.join(grid.seeds()), grid.tokensPerStep(), grid.steps(), root,
                selected.size() - todo.size(), todo.size()));
        for (int i = 0; i < todo.size(); i++) {
            StudyGrid.Cell c = todo.get(i);
            if (StopSignal.requested()) {
                return stopped(StopSignal.exitCode(StopSignal.signal()));
            }
            System.out.println(progress.status(todo.subList(i, todo.size())) + " " + c.label());
            CellResult r;
            try {
                r = runner.run(c, System.out);
            } catch (CellRunner.Interrupted e) {
                return stopped(e.exitCode);
            }
            progress.finished(r);
            System.out.println("  " + (r.completed() ? String.format(Locale.ROOT, "val loss %.4f (%.3f bpc) over %d windows, %,.0f tok/s, %s",
                    r.valLoss, r.valBpc, r.windows, r.tokensPerS == null ? Double.NaN : r.tokensPerS, CellRunner.seconds(r.seconds()))
                    : "DIVERGED: " + r.message));
        }
        if (only != null) {
            System.out.println(progress.status(List.of()) + " the cells of --only " + only + " are finished; when every cell is, "
                    + "'leviathan study --collect " + root + "' (or this command without --only) builds the table");
            return 0;
        }
        List<CellResult> results = new ArrayList<>();
        List<StudyGrid.Cell> missing = new ArrayList<>();
        for (StudyGrid.Cell c : grid.cells()) {
            CellResult r = CellResult.read(c.dir(root));
            if (r == null) {
                missing.add(c);
            } else {
                results.add(r);
            }
        }
        report(root, results, missing);
        return 0;
    }

    private static int stopped(int code) {
        System.out.println("study stopped by a signal; the cell's checkpoint is saved: rerun the same command to resume");
        return code;
    }

    /** Prints the table and writes it, the JSON and the PNGs into {@code root}. */
    private static void report(Path root, List<CellResult> results, List<StudyGrid.Cell> missing) throws IOException {
        StudyReport report = new StudyReport(results, missing);
        String text = report.text();
        System.out.println();
        System.out.print(text);
        AtomicFiles.writeString(root.resolve(TABLE), text);
        AtomicFiles.writeString(root.resolve(JSON), report.json());
        List<String> written = new ArrayList<>(List.of(root.resolve(TABLE).toString(), root.resolve(JSON).toString()));
        for (Path p : StudyCharts.write(root, report)) {
            written.add(p.toString());
        }
        System.out.println("wrote " + String.join(", ", written));
    }

    /** --emit-jobs: one self-contained command line per unfinished cell of the selection. */
    private static int emitJobs(Path file, Path root, StudyGrid grid, List<StudyGrid.Cell> cells, CellRunner runner,
                                List<String> runArguments) throws IOException {
        Cli.checkOutputFile(file.toString(), "--emit-jobs");
        String launcher = System.getProperty("leviathan.launcher", "./leviathan");
        StringBuilder lines = new StringBuilder();
        int n = 0;
        for (StudyGrid.Cell c : cells) {
            if (runner.finished(c) != null) {
                continue;
            }
            List<String> words = new ArrayList<>(List.of(launcher, "study", "--out=" + root.toAbsolutePath().normalize()));
            words.addAll(grid.arguments());
            words.addAll(runArguments);
            words.add("--only=" + c.label());
            StringBuilder line = new StringBuilder();
            for (String w : words) {
                line.append(line.length() == 0 ? "" : " ").append(shellQuoted(w));
            }
            lines.append(line).append('\n');
            n++;
        }
        AtomicFiles.writeString(file, lines.toString());
        System.out.println("wrote " + n + " job line" + (n == 1 ? "" : "s") + " (one per unfinished cell; " + (cells.size() - n)
                + " finished) to " + file);
        if (n > 0) {
            System.out.println("run them with GNU parallel:  parallel -j 2 < " + file);
            System.out.println("or a Slurm array:            sbatch --array=1-" + n + " --wrap 'sed -n \"${SLURM_ARRAY_TASK_ID}p\" " + file + " | sh'");
        }
        System.out.println("then build the table:        " + launcher + " study --collect " + root.toAbsolutePath().normalize());
        return 0;
    }

    /** A word as a POSIX shell reads it back: bare if it holds no special characters, else single-quoted. */
    static String shellQuoted(String word) {
        if (word.matches("[A-Za-z0-9_./=,:+@%-]+")) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** --collect DIR: every cell result under DIR, checked to be of one study, as a table (no training). */
    private static int collect(Args args) throws IOException {
        Path root = Paths.get(args.get("collect", null));
        Map<String, String> rest = args.unused();
        if (!rest.isEmpty()) {
            throw new CliException("--collect builds the table from the cells in " + root + " and takes no other options (got --"
                    + rest.keySet().iterator().next() + ")", 2);
        }
        args.rejectUnused("study");
        if (!Files.isDirectory(root)) {
            throw new CliException("--collect " + root + " is not a directory", 1);
        }
        List<CellResult> results = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> found = Files.find(root, 4, (p, a) -> a.isRegularFile() && p.getFileName().toString().equals(CellResult.FILE))) {
            files = found.sorted().toList();
        }
        CellResult first = null;
        Path firstFile = null;
        for (Path f : files) {
            String relative = root.relativize(f).toString().replace('\\', '/');
            if (!CELL_PATH.matcher(relative).matches()) {
                continue; // not where a study puts a cell's result
            }
            CellResult r = CellResult.read(f.getParent());
            if (!r.cell().dir(root).equals(f.getParent())) {
                throw new CliException(f + " holds the result of cell " + r.cell().label() + ", which belongs in " + r.cell().dir(root), 1);
            }
            if (first == null) {
                first = r;
                firstFile = f;
            } else {
                String diff = sharedOptionsDifference(r, first);
                if (diff != null) {
                    throw new CliException(f + " (one) and " + firstFile + " (the other) are cells of different studies (" + diff + "); collect each study"
                            + " from a directory of its own", 1);
                }
            }
            results.add(r);
        }
        if (results.isEmpty()) {
            throw new CliException("no cell results under " + root + " (expected " + root + "/T<context>/<mixer>/seed<seed>/"
                    + CellResult.FILE + ")", 1);
        }
        System.out.println("collected " + results.size() + " cell result" + (results.size() == 1 ? "" : "s") + " from " + root);
        report(root, results, missingCells(results));
        return 0;
    }

    /** Where two cells' options differ beyond their place in the grid (context, mixer, seed, batch, the mixer's options). */
    private static String sharedOptionsDifference(CellResult a, CellResult b) {
        if (a.dataSha256 != null && b.dataSha256 != null && !a.dataSha256.equals(b.dataSha256)) {
            return "trained on different data: SHA-256 " + a.dataSha256 + " and " + b.dataSha256;
        }
        Set<String> ignored = new TreeSet<>(Set.of("context", "mixer", "seed", "batch", "data"));
        ignored.addAll(Mixers.optionNames(a.mixer));
        ignored.addAll(Mixers.optionNames(b.mixer));
        return CellResult.difference(a.options, "one", b.options, "the other", ignored);
    }

    /** The cells of the grid the results span (every context × mixer × seed found) that have no result. */
    private static List<StudyGrid.Cell> missingCells(List<CellResult> results) {
        Set<Integer> contexts = new TreeSet<>();
        Set<String> mixers = new TreeSet<>();
        Set<Long> seeds = new TreeSet<>();
        Set<StudyGrid.Cell> found = new java.util.HashSet<>();
        for (CellResult r : results) {
            contexts.add(r.context);
            mixers.add(r.mixer);
            seeds.add(r.seed);
            found.add(r.cell());
        }
        List<StudyGrid.Cell> missing = new ArrayList<>();
        for (int t : contexts) {
            for (long s : seeds) {
                for (String m : mixers) {
                    if (!found.contains(new StudyGrid.Cell(t, m, s))) {
                        missing.add(new StudyGrid.Cell(t, m, s));
                    }
                }
            }
        }
        return missing;
    }
}
