package leviathan.tornado.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.IntSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;

/**
 * What one fused plan (the graphs run between two host synchronisations) is, before any device
 * sees it: every host array its stages use, which of them must be current on the device before a
 * run ({@link #liveIn}: read before the plan has overwritten all of it), which a run leaves newest on
 * the device ({@link #written}), the host inputs copied in and host outputs copied out every run,
 * and its tasks cut into segments that fit TornadoVM's limits.
 *
 * <p>Read and write sets come from each kernel's signature ({@link Kernel.Access}): a buffer the body
 * {@code WRITE}s is covered from then on, so a later read of that range needs no upload.
 */
public final class PlanLayout {
    /**
     * TornadoVM 5.2 encodes a TaskGraph in a fixed 8 KB buffer (about 15 + 5 bytes per task argument),
     * so a long step (a training step of the baby model is ~135 tasks) is cut into segments of at most
     * this many bytes, chained on the device: each segment consumes the arena from the previous one.
     */
    public static final int SEGMENT_BUDGET = 6000;

    /** A planned task: the stage, where it came from, and its id in its segment's task graph. */
    public record Task(String id, int graph, int index, Stage stage) {
        public String describe(List<Graph> graphs) {
            return graphs.get(graph).name + "/" + stage.name + " (kernel " + stage.kernel.name + ")";
        }
    }

    public final String name;
    public final List<Graph> graphs;
    /** Every host array the plan's stages use (each has a region in the arena). */
    public final Set<Object> all = identitySet();
    /** Arrays read before the plan has written all of them: the device copy must be current before a run. */
    public final Set<Object> liveIn = identitySet();
    /** Arrays some stage writes: after a run the plan's arena holds their newest copy. */
    public final Set<Object> written = identitySet();
    /** The graphs' host inputs (copied in every run) and host outputs (copied out every run). */
    public final Set<Object> hostIn = identitySet();
    public final Set<Object> hostOut = identitySet();
    public final List<List<Task>> segments;

    /**
     * @param maxTasks the most tasks a segment holds: TornadoVM's task-graph compiler schedules in
     *                 roughly cubic time, so a long TaskGraph compiles for minutes
     */
    public PlanLayout(String name, List<Graph> graphs, int maxTasks) {
        this.name = name;
        this.graphs = List.copyOf(graphs);
        analyse();
        this.segments = cut(maxTasks);
    }

    public int taskCount() {
        int n = 0;
        for (List<Task> s : segments) {
            n += s.size();
        }
        return n;
    }

    /** The host array behind a stage argument, or null for a size or an absent optional buffer. */
    public static Object arrayOf(Object arg) {
        if (arg instanceof FloatSlice f) {
            return f.array;
        }
        if (arg instanceof IntSlice i) {
            return i.array;
        }
        return null;
    }

    public static long bytes(Object array) {
        return array instanceof float[] f ? 4L * f.length : 4L * ((int[]) array).length;
    }

    public static long bytes(Set<Object> arrays) {
        long b = 0;
        for (Object a : arrays) {
            b += bytes(a);
        }
        return b;
    }

    private void analyse() {
        Map<Object, List<long[]>> covered = new IdentityHashMap<>();
        for (Graph g : graphs) {
            for (Object in : g.hostInputs()) {
                hostIn.add(arrayOf(in));
            }
            for (Object out : g.hostOutputs()) {
                hostOut.add(arrayOf(out));
            }
            for (Stage s : g.stages()) {
                for (int i = 0; i < s.argCount(); i++) {
                    Object arg = s.arg(i);
                    Object arr = arrayOf(arg);
                    if (arr == null) {
                        continue;
                    }
                    long off = arg instanceof FloatSlice f ? f.offset : ((IntSlice) arg).offset;
                    long len = arg instanceof FloatSlice f ? f.length : ((IntSlice) arg).length;
                    all.add(arr);
                    Kernel.Access access = s.kernel.param(i).access();
                    if (access.reads() && !isCovered(covered.get(arr), off, off + len)) {
                        liveIn.add(arr);
                    }
                    if (access.writes()) {
                        written.add(arr);
                    }
                    if (access == Kernel.Access.WRITE) {
                        covered.computeIfAbsent(arr, k -> new ArrayList<>()).add(new long[] {off, off + len});
                    }
                }
            }
        }
        hostIn.retainAll(all);
        hostOut.retainAll(all);
        liveIn.removeAll(hostIn);
    }

    /** Whether [from, to) lies within the union of the intervals. */
    static boolean isCovered(List<long[]> intervals, long from, long to) {
        if (intervals == null) {
            return false;
        }
        List<long[]> sorted = new ArrayList<>(intervals);
        sorted.sort((x, y) -> Long.compare(x[0], y[0]));
        long reach = from;
        for (long[] iv : sorted) {
            if (iv[0] > reach) {
                break;
            }
            reach = Math.max(reach, iv[1]);
            if (reach >= to) {
                return true;
            }
        }
        return reach >= to;
    }

    /** The tasks in order, cut into segments of at most {@link #SEGMENT_BUDGET} encoded bytes and {@code maxTasks} tasks. */
    private List<List<Task>> cut(int maxTasks) {
        List<List<Task>> cut = new ArrayList<>();
        List<Task> current = new ArrayList<>();
        int bytes = 0;
        int fixed = 30 * (hostIn.size() + hostOut.size() + 2);
        int t = 0;
        for (int gi = 0; gi < graphs.size(); gi++) {
            List<Stage> stages = graphs.get(gi).stages();
            for (int i = 0; i < stages.size(); i++) {
                int cost = 20 + 5 * (2 * stages.get(i).argCount() + 2);
                if (!current.isEmpty() && (bytes + cost + fixed > SEGMENT_BUDGET || current.size() >= maxTasks)) {
                    cut.add(Collections.unmodifiableList(current));
                    current = new ArrayList<>();
                    bytes = 0;
                }
                current.add(new Task("t" + t++, gi, i, stages.get(i)));
                bytes += cost;
            }
        }
        cut.add(Collections.unmodifiableList(current));
        return Collections.unmodifiableList(cut);
    }

    private static Set<Object> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }
}
