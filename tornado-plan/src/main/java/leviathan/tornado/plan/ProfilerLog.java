package leviathan.tornado.plan;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads per-task kernel times out of TornadoVM's profiler log (its JSON-like text, which holds every
 * execution so far, keyed "graph.task"). Tasks are named {@code <plan>_s<segment>.t<index>} by
 * {@link PlanLayout}; for each task index the last entry counts.
 */
public final class ProfilerLog {
    private static final Pattern KERNEL_TIME = Pattern.compile("\"TASK_KERNEL_TIME\"\\s*:\\s*\"(\\d+)\"");
    private final Pattern taskBlock;

    public ProfilerLog(String planName) {
        this.taskBlock = Pattern.compile("\"" + Pattern.quote(planName) + "_s\\d+\\.t(\\d+)\"\\s*:\\s*\\{([^}]*)\\}");
    }

    /** Task index → kernel nanoseconds of its last entry in {@code log}; empty for a null log. */
    public Map<Integer, Long> kernelNanos(String log) {
        Map<Integer, Long> last = new HashMap<>();
        if (log == null) {
            return last;
        }
        Matcher m = taskBlock.matcher(log);
        while (m.find()) {
            Matcher k = KERNEL_TIME.matcher(m.group(2));
            if (k.find()) {
                last.put(Integer.parseInt(m.group(1)), Long.parseLong(k.group(1)));
            }
        }
        return last;
    }
}
