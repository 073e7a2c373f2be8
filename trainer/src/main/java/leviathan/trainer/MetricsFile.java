package leviathan.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps metrics.jsonl from going back in time: on resume, the lines a crashed run appended after the
 * committed step are cut off (and kept in metrics.removed.jsonl), so the file's steps only increase.
 */
final class MetricsFile {
    static final String REMOVED = "metrics.removed.jsonl";
    private static final Pattern STEP = Pattern.compile("\\{\"step\":(\\d+)");

    private MetricsFile() {}

    /** Cuts the file to its first {@code bytes} bytes, moving the rest to {@link #REMOVED}. Returns the bytes removed. */
    static long truncate(Path metrics, long bytes) throws IOException {
        if (!Files.exists(metrics) || Files.size(metrics) <= bytes) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(metrics, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            ByteBuffer tail = ByteBuffer.allocate((int) (size - bytes));
            ch.read(tail, bytes);
            Files.write(metrics.resolveSibling(REMOVED), tail.array(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ch.truncate(bytes);
            ch.force(true);
            return size - bytes;
        }
    }

    /** For a run of the earlier layout (no recorded position): the length of the lines with step ≤ {@code step}. */
    static long bytesThroughStep(Path metrics, int step) throws IOException {
        if (!Files.exists(metrics)) {
            return 0;
        }
        long keep = 0;
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            Matcher m = STEP.matcher(line);
            if (m.lookingAt() && Integer.parseInt(m.group(1)) > step) {
                break;
            }
            keep += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        return keep;
    }
}
