package leviathan.trainer;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** A failed checkpoint write in words: which file, how much a set needs, how much is free, what survives. */
final class DiskSpace {
    private DiskSpace() {}

    static IOException explain(IOException e, Path run, long neededBytes, int committedStep) {
        String file = e instanceof FileSystemException f && f.getFile() != null ? f.getFile() : run.toString();
        String survives = committedStep >= 0 ? "the checkpoint committed at step " + committedStep + " in " + run + " is intact"
                : "no checkpoint of this run had been committed yet";
        if (!noSpace(e)) {
            return new CheckpointException("cannot write the checkpoint (" + file + ": " + reason(e) + "); " + survives, e);
        }
        long free = -1;
        try {
            free = Files.getFileStore(run).getUsableSpace();
        } catch (IOException ignored) {
            // the message goes without the free space
        }
        return new CheckpointException(String.format(Locale.ROOT, "no space left on the device writing %s: a checkpoint needs about %s%s; %s",
                file, mib(neededBytes), free >= 0 ? ", " + mib(free) + " is free" : "", survives), e);
    }

    static boolean noSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    private static String reason(IOException e) {
        return e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage());
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
