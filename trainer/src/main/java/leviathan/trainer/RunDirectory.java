package leviathan.trainer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import leviathan.model.AtomicFiles;

/**
 * A run directory:
 * <pre>
 *   RUN/config.json          the run's effective options (train --config RUN/config.json reruns it)
 *   RUN/metrics.jsonl        one JSON object per logged step or evaluation
 *   RUN/model.safetensors    the latest committed model, at a stable path (a hard link into its set)
 *   RUN/checkpoints/step-N/  committed sets ({@link CheckpointSet}); the newest is "latest"
 *   RUN/checkpoints/best     a link to the set with the lowest validation loss measured at its step
 *   RUN/.lock                held by the one process writing the run ({@link RunLock})
 * </pre>
 * A run directory of the earlier layout (model.safetensors and optimizer.safetensors side by side)
 * still loads and resumes; its first new commit moves it to this layout.
 */
public final class RunDirectory {
    public static final String CHECKPOINTS = "checkpoints";
    public static final String BEST = "best";
    public static final String METRICS = "metrics.jsonl";
    public static final String LEGACY_OPTIMIZER = "optimizer.safetensors";
    private static final Pattern SET = Pattern.compile("step-(\\d{8})");

    public final Path root;

    public RunDirectory(Path root) {
        this.root = root;
    }

    public Path checkpoints() {
        return root.resolve(CHECKPOINTS);
    }

    public Path metrics() {
        return root.resolve(METRICS);
    }

    public Path configFile() {
        return root.resolve(CheckpointSet.CONFIG_FILE);
    }

    /** The stable path of the latest model, for Hugging Face readers. */
    public Path modelFile() {
        return root.resolve(CheckpointSet.MODEL_FILE);
    }

    /** Committed sets, oldest first (incomplete ones are not listed). */
    public List<Path> sets() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(checkpoints())) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(checkpoints())) {
            for (Path p : ds) {
                if (SET.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)) {
                    out.add(p);
                }
            }
        }
        Collections.sort(out);
        return out;
    }

    public static int stepOf(Path set) {
        Matcher m = SET.matcher(set.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(set + " is not a checkpoint set");
        }
        return Integer.parseInt(m.group(1));
    }

    /** The newest committed set, or null. */
    public Path latest() throws IOException {
        List<Path> sets = sets();
        return sets.isEmpty() ? null : sets.get(sets.size() - 1);
    }

    /** The set "best" points at, or null. */
    public Path best() throws IOException {
        Path link = checkpoints().resolve(BEST);
        if (!Files.isSymbolicLink(link)) {
            return null;
        }
        Path target = checkpoints().resolve(Files.readSymbolicLink(link));
        return Files.isDirectory(target) ? target : null;
    }

    /** Whether the directory holds a checkpoint of the earlier layout and none of this one. */
    public boolean isLegacy() throws IOException {
        return latest() == null && Files.isRegularFile(root.resolve(LEGACY_OPTIMIZER)) && Files.isRegularFile(modelFile());
    }

    /** Whether anything resumable is here (either layout). */
    public boolean hasCheckpoint() throws IOException {
        return latest() != null || isLegacy();
    }

    /**
     * Before a fresh start in a directory without a checkpoint: the metrics a start killed before its
     * first commit left behind move to metrics.removed.jsonl (as a resume moves uncommitted lines),
     * so the new run's metrics.jsonl holds its own lines only. Only the lock holder calls it.
     */
    public void discardUncommittedMetrics() throws IOException {
        MetricsFile.truncate(metrics(), 0);
    }

    /** Removes sets a crash left incomplete. Only the lock holder calls it. */
    public void removeIncomplete() throws IOException {
        if (!Files.isDirectory(checkpoints())) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(checkpoints(), CheckpointSet.INCOMPLETE + "*")) {
            for (Path p : ds) {
                CheckpointSet.deleteTree(p);
            }
        }
    }

    /**
     * Before a resumed run trains: removes what a crash left incomplete and finishes the bookkeeping a
     * crash may have cut short after the last commit (the stable model path, "best", pruning).
     */
    public void repair(int keepLast) throws IOException {
        removeIncomplete();
        Path latest = latest();
        if (latest != null) {
            afterCommit(latest, keepLast);
        }
    }

    /**
     * After a commit: points the stable model path at the new set's model, "best" at the best set,
     * and removes sets beyond the last {@code keepLast} (never the best). Each step is atomic; a crash
     * between them leaves a consistent, merely older, view.
     */
    void afterCommit(Path set, int keepLast) throws IOException {
        linkStable(set.resolve(CheckpointSet.MODEL_FILE), modelFile());
        Files.deleteIfExists(root.resolve(LEGACY_OPTIMIZER)); // the earlier layout's pair is superseded
        Path best = chooseBest();
        if (best != null && !best.equals(best())) {
            Path tmp = checkpoints().resolve("." + BEST + "." + ProcessHandle.current().pid());
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, best.getFileName());
            Files.move(tmp, checkpoints().resolve(BEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        List<Path> sets = sets();
        for (int i = 0; i < sets.size() - Math.max(1, keepLast); i++) {
            if (!sets.get(i).equals(best)) {
                prune(sets.get(i));
            }
        }
        AtomicFiles.syncDirectory(checkpoints());
    }

    /**
     * Removes a committed set: first renamed out of the committed names (atomically), then deleted; a
     * kill in between leaves an incomplete set, never a committed one with files missing.
     */
    private void prune(Path set) throws IOException {
        Path doomed = checkpoints().resolve(CheckpointSet.INCOMPLETE + "pruned-" + set.getFileName());
        Files.move(set, doomed, StandardCopyOption.ATOMIC_MOVE);
        CheckpointSet.deleteTree(doomed);
    }

    private Path chooseBest() throws IOException {
        Path best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (Path s : sets()) {
            RunState st = CheckpointSet.readState(s);
            if (st.evaluatedHere() && st.lastValLoss() < bestLoss) {
                bestLoss = st.lastValLoss();
                best = s;
            }
        }
        return best;
    }

    /** Replaces {@code link} by a hard link to {@code target} (a copy where links are not possible), atomically. */
    private static void linkStable(Path target, Path link) throws IOException {
        Path tmp = link.resolveSibling("." + link.getFileName() + "." + ProcessHandle.current().pid() + ".link");
        try {
            Files.deleteIfExists(tmp);
            try {
                Files.createLink(tmp, target);
            } catch (UnsupportedOperationException | SecurityException | IOException e) {
                Files.copy(target, tmp, StandardCopyOption.REPLACE_EXISTING); // another file system, or no hard links
            }
            Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            AtomicFiles.syncDirectory(link.toAbsolutePath().getParent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
