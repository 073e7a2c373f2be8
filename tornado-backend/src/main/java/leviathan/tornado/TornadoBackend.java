package leviathan.tornado;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import leviathan.graph.Backend;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.IntSlice;
import leviathan.graph.Profiler;
import leviathan.graph.Stage;

/**
 * Runs the declared graphs as TornadoVM TaskGraphs on one device.
 *
 * <p><b>Mapping.</b> Every stage becomes one task whose method is a thin wrapper over the kernel's
 * body ({@link CoreTasks}, registry {@link TornadoTasks}). {@link CompiledGraph#run()} is deferred:
 * the graphs run between two host synchronisations (for training: forward, loss, backward, update)
 * are fused into one plan, compiled once per distinct sequence and cached, and executed when the
 * host next needs data ({@link #syncToHost}, a {@link #syncToDevice} of an array a pending graph
 * uses, a second run of a pending graph, or {@link #close}).
 *
 * <p><b>Memory.</b> A plan keeps every buffer its stages use in one device float array and one int
 * array ({@link Arena}), so no task receives the same Java array twice (TornadoVM 5.2 cannot
 * schedule that). The plan is an upload TaskGraph (the whole arena, run only when the device copy
 * is stale: first run, a checkpoint load, a mixer redrawing its features) and the step's tasks cut
 * into chained TaskGraphs that consume the arena from the previous one and persist it. The graphs'
 * host inputs (token batch, step scalars) go in as their own small arrays every run and a copy task
 * puts them into the arena; host outputs (the loss, the step scalars) are copied out of the arena
 * into their own arrays at the end and transferred back. So a training step moves only the batch,
 * the step scalars and the loss. Which copy of each host array is newest (the host's, or which
 * plan's device arena) is tracked, so checkpoints, evaluation and sampling copy on demand only.
 */
public final class TornadoBackend implements Backend {
    static {
        TornadoBackendProvider.disableBailout();
    }

    private final TornadoDevice device;
    private final String deviceSpec;
    private final Profiler profiler;
    private final List<Compiled> pending = new ArrayList<>();
    private final Map<List<Compiled>, Plan> plans = new HashMap<>();
    private final Map<Object, ArrayState> arrays = new IdentityHashMap<>();
    private int planCounter;
    private long onDemandIn;
    private long onDemandOut;
    private double compileMs;
    private double firstExecutionMs;
    private boolean closed;

    public TornadoBackend(String deviceSpec, Profiler profiler) {
        this.profiler = profiler;
        this.deviceSpec = deviceSpec == null || deviceSpec.isEmpty() ? "0:0" : deviceSpec;
        this.device = resolveDevice(this.deviceSpec);
        CoreTasks.register();
    }

    static TornadoDevice resolveDevice(String spec) {
        String[] parts = spec.split(":");
        int b, d;
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            b = Integer.parseInt(parts[0]);
            d = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tornado device must be BACKEND:DEVICE (e.g. tornado:0:0), got '" + spec + "'; see 'leviathan devices'");
        }
        var map = TornadoExecutionPlan.getTornadoDeviceMap();
        if (b < 0 || b >= map.getNumBackends()) {
            throw new IllegalArgumentException("TornadoVM has " + map.getNumBackends() + " backend(s); no backend " + b + " (device " + spec + "); see 'leviathan devices'");
        }
        int n = map.getAllBackends().get(b).getNumDevices();
        if (d < 0 || d >= n) {
            throw new IllegalArgumentException("TornadoVM backend " + b + " has " + n + " device(s); no device " + d + " (device " + spec + "); see 'leviathan devices'");
        }
        return TornadoRuntimeProvider.getTornadoRuntime().getBackend(b).getDevice(d);
    }

    @Override
    public String name() {
        return "tornado:" + deviceSpec;
    }

    public TornadoDevice device() {
        return device;
    }

    // ---- compile / run -------------------------------------------------------------------------------

    @Override
    public CompiledGraph compile(Graph graph) {
        for (Stage s : graph.stages()) {
            TornadoTasks.lookup(s); // fails now, naming the kernel, rather than at the first run
        }
        Profiler.StageStats[] stats = new Profiler.StageStats[graph.stages().size()];
        for (int i = 0; i < stats.length; i++) {
            stats[i] = profiler.stats(graph.name, graph.stages().get(i));
        }
        return new Compiled(graph, stats);
    }

    private final class Compiled implements CompiledGraph {
        final Graph graph;
        final Profiler.StageStats[] stats;
        final Set<Object> uses = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

        Compiled(Graph graph, Profiler.StageStats[] stats) {
            this.graph = graph;
            this.stats = stats;
            for (Stage s : graph.stages()) {
                for (int i = 0; i < s.argCount(); i++) {
                    Object a = arrayOf(s.arg(i));
                    if (a != null) {
                        uses.add(a);
                    }
                }
            }
        }

        @Override
        public Graph graph() {
            return graph;
        }

        @Override
        public void run() {
            checkOpen();
            if (pending.contains(this)) {
                flush();
            }
            pending.add(this);
        }
    }

    /** Executes the pending graphs now (one fused TaskGraph). */
    public void flush() {
        if (pending.isEmpty()) {
            return;
        }
        List<Compiled> key = List.copyOf(pending);
        pending.clear();
        Plan plan = plans.get(key);
        if (plan == null) {
            plan = new Plan(key, "leviathan_p" + planCounter++);
            plans.put(key, plan);
        }
        plan.execute();
    }

    static Object arrayOf(Object arg) {
        if (arg instanceof FloatSlice) {
            return ((FloatSlice) arg).array;
        }
        if (arg instanceof IntSlice) {
            return ((IntSlice) arg).array;
        }
        return null;
    }

    static long bytes(Object array) {
        return array instanceof float[] ? 4L * ((float[]) array).length : 4L * ((int[]) array).length;
    }

    // ---- freshness of arrays -------------------------------------------------------------------------

    /** Where the newest copy of an array is: on the host, and/or on the device of some plans. */
    private static final class ArrayState {
        boolean hostFresh = true;
        final Set<Plan> freshOn = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        /** The host contents when host and device last agreed: lets a partial host change be merged. */
        Object snapshot;
    }

    private ArrayState state(Object array) {
        return arrays.computeIfAbsent(array, a -> new ArrayState());
    }

    private static Object copyOf(Object array) {
        return array instanceof float[] ? ((float[]) array).clone() : ((int[]) array).clone();
    }

    /** Makes the host copy current, copying from a device that holds the newest one. */
    private void pull(Object array) {
        ArrayState st = state(array);
        if (st.hostFresh) {
            return;
        }
        for (Plan p : st.freshOn) {
            if (p.lastMain != null) {
                p.pullImage();
                p.arena.get(array);
                st.hostFresh = true;
                st.snapshot = copyOf(array);
                return;
            }
        }
        throw new IllegalStateException("TornadoVM backend: no device holds the newest copy of an array of " + bytes(array) + " bytes");
    }

    @Override
    public void syncToHost(Object... arrays) {
        checkOpen();
        flush();
        for (Object a : arrays) {
            if (this.arrays.containsKey(a)) {
                pull(a);
            }
        }
    }

    @Override
    public void syncToDevice(Object... arrays) {
        checkOpen();
        for (Object a : arrays) {
            for (Compiled c : pending) {
                if (c.uses.contains(a)) {
                    flush();
                    break;
                }
            }
        }
        for (Object a : arrays) {
            ArrayState st = this.arrays.get(a);
            if (st == null) {
                continue; // not on any device yet: the first run copies it
            }
            if (!st.hostFresh) {
                mergeHostChanges(a, st);
            }
            st.hostFresh = true;
            st.freshOn.clear();
            st.snapshot = null;
        }
    }

    /**
     * The host changed part of an array whose newest copy is on a device (e.g. a mixer redrawing its
     * features inside the parameter block during training): take the device copy and re-apply the
     * host's changes since host and device last agreed, so the rest is not overwritten by stale data.
     */
    private void mergeHostChanges(Object array, ArrayState st) {
        Object host = copyOf(array);
        Object base = st.snapshot;
        pull(array); // the array now holds the device copy
        if (array instanceof float[]) {
            float[] h = (float[]) host, a = (float[]) array, s = (float[]) base;
            for (int i = 0; i < a.length; i++) {
                if (s == null || Float.floatToRawIntBits(h[i]) != Float.floatToRawIntBits(s[i])) {
                    a[i] = h[i];
                }
            }
        } else {
            int[] h = (int[]) host, a = (int[]) array, s = (int[]) base;
            for (int i = 0; i < a.length; i++) {
                if (s == null || h[i] != s[i]) {
                    a[i] = h[i];
                }
            }
        }
    }

    // ---- one fused plan ------------------------------------------------------------------------------

    private final class Plan implements TornadoTasks.BindContext {
        final String name;
        final List<Compiled> graphs;
        /** Every host array the plan's stages use (each has a region in the arena). */
        final Set<Object> all = newIdentitySet();
        /** Arrays read before the plan has written all of them: the device copy must be current before a run. */
        final Set<Object> liveIn = newIdentitySet();
        /** Arrays some stage writes: after a run this plan's arena holds their newest copy. */
        final Set<Object> written = newIdentitySet();
        /** The graphs' host inputs (copied in every run) and host outputs (copied out every run). */
        final Set<Object> hostIn = newIdentitySet();
        final Set<Object> hostOut = newIdentitySet();
        final List<Profiler.StageStats> taskStats = new ArrayList<>();
        final List<String> taskStages = new ArrayList<>();
        final GridScheduler grids = new GridScheduler();
        boolean hasGrids;
        final Arena arena;
        final TornadoExecutionPlan exec;
        /** Index in {@link #exec} of the upload graph. */
        static final int UP = 0;
        /** Indices in {@link #exec} of the main segments, run in order. */
        final List<Integer> segments = new ArrayList<>();
        TornadoExecutionResult lastMain;
        /** The arena image holds the device's contents (no run since the last pull). */
        boolean imageCurrent;
        long runs;
        boolean profiling;

        /**
         * TornadoVM 5.2 encodes a TaskGraph in a fixed 8 KB buffer (about 15 + 5 bytes per task argument),
         * so a long step (a training step of the baby model is ~135 tasks) is cut into segments of at most
         * this many bytes, chained on the device: each segment consumes the arena from the previous one.
         */
        static final int SEGMENT_BUDGET = 6000;
        /**
         * TornadoVM's task-graph compiler schedules its nodes in roughly cubic time, so a long TaskGraph
         * compiles for minutes: segments are kept short.
         */
        static final int SEGMENT_TASKS = Integer.getInteger("leviathan.tornado.segment.tasks", 12);

        Plan(List<Compiled> graphs, String name) {
            this.name = name;
            this.graphs = graphs;
            analyse();
            arena = new Arena(all);
            float[] f = arena.floats;
            int[] n = arena.ints;
            List<ImmutableTaskGraph> snapshots = new ArrayList<>();
            String upName = name + "_up";
            TaskGraph up = new TaskGraph(upName);
            up.transferToDevice(DataTransferMode.EVERY_EXECUTION, f, n);
            up.task("touch", TornadoBackend::touch, f, n, 0);
            up.persistOnDevice(f, n);
            snapshots.add(up.snapshot());
            List<List<Object[]>> cut = cut();
            int t = 0;
            String previous = upName;
            for (int seg = 0; seg < cut.size(); seg++) {
                String segName = name + "_s" + seg;
                currentSegment = segName;
                TaskGraph g = new TaskGraph(segName);
                g.consumeFromDevice(previous, f, n);
                if (seg == 0) {
                    stageIn(g);
                }
                for (Object[] entry : cut.get(seg)) {
                    Compiled c = (Compiled) entry[0];
                    int i = (Integer) entry[1];
                    Stage s = c.graph.stages().get(i);
                    TornadoTasks.lookup(s).binder.add(g, "t" + t++, s, this);
                    taskStats.add(c.stats[i]);
                    taskStages.add(c.graph.name + "/" + s.name + " (kernel " + s.kernel.name + ")");
                }
                if (seg == cut.size() - 1) {
                    stageOut(g);
                }
                g.task("touch", TornadoBackend::touch, f, n, 0); // every segment holds both arrays for the next
                g.persistOnDevice(f, n);
                segments.add(snapshots.size());
                snapshots.add(g.snapshot());
                previous = segName;
            }
            this.exec = new TornadoExecutionPlan(snapshots.toArray(new ImmutableTaskGraph[0]));
            exec.withDevice(device);
            if (hasGrids) {
                exec.withGridScheduler(grids);
            }
        }

        /** The stages, cut into segments that fit TornadoVM's task-graph buffer and compile quickly. */
        private List<List<Object[]>> cut() {
            List<List<Object[]>> cut = new ArrayList<>();
            List<Object[]> current = new ArrayList<>();
            int bytes = 0;
            int fixed = 30 * (hostIn.size() + hostOut.size() + 2);
            for (Compiled c : graphs) {
                List<Stage> stages = c.graph.stages();
                for (int i = 0; i < stages.size(); i++) {
                    int cost = 20 + 5 * (2 * stages.get(i).argCount() + 2);
                    if (!current.isEmpty() && (bytes + cost + fixed > SEGMENT_BUDGET || current.size() >= SEGMENT_TASKS)) {
                        cut.add(current);
                        current = new ArrayList<>();
                        bytes = 0;
                    }
                    current.add(new Object[] {c, i});
                    bytes += cost;
                }
            }
            cut.add(current);
            return cut;
        }

        /** Host inputs travel as their own arrays every run; a copy task puts each into the arena. */
        private void stageIn(TaskGraph g) {
            if (hostIn.isEmpty()) {
                return;
            }
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, hostIn.toArray());
            int k = 0;
            for (Object a : hostIn) {
                if (a instanceof float[] fa) {
                    g.task("in" + k++, TornadoBackend::copyFloatsIn, arena.floats, arena.base(a), fa, fa.length);
                } else {
                    int[] ia = (int[]) a;
                    g.task("in" + k++, TornadoBackend::copyIntsIn, arena.ints, arena.base(a), ia, ia.length);
                }
            }
        }

        /** Host outputs are copied out of the arena into their own arrays, which travel back every run. */
        private void stageOut(TaskGraph g) {
            if (hostOut.isEmpty()) {
                return;
            }
            int k = 0;
            for (Object a : hostOut) {
                float[] fa = (float[]) a;
                g.task("out" + k++, TornadoBackend::copyFloatsOut, fa, arena.floats, arena.base(a), fa.length);
            }
            g.transferToHost(DataTransferMode.EVERY_EXECUTION, hostOut.toArray());
        }

        /** Copies the device arena into the host image (once per run at most). */
        void pullImage() {
            if (imageCurrent) {
                return;
            }
            lastMain.transferToHost(arena.floats, arena.ints);
            onDemandOut += arena.bytes();
            imageCurrent = true;
        }

        private String currentSegment;

        private void analyse() {
            Map<Object, List<long[]>> covered = new IdentityHashMap<>();
            for (Compiled c : graphs) {
                for (Object in : c.graph.hostInputs()) {
                    hostIn.add(arrayOf(in));
                }
                for (Object out : c.graph.hostOutputs()) {
                    hostOut.add(arrayOf(out));
                }
                for (Stage s : c.graph.stages()) {
                    TornadoTasks.Binding b = TornadoTasks.lookup(s);
                    for (int i = 0; i < s.argCount(); i++) {
                        Object arg = s.arg(i);
                        Object arr = arrayOf(arg);
                        if (arr == null) {
                            continue; // a size, or an absent optional buffer
                        }
                        long off = arg instanceof FloatSlice ? ((FloatSlice) arg).offset : ((IntSlice) arg).offset;
                        long len = arg instanceof FloatSlice ? ((FloatSlice) arg).length : ((IntSlice) arg).length;
                        all.add(arr);
                        TornadoTasks.Access acc = b.access(i);
                        if (acc != TornadoTasks.Access.W && !isCovered(covered.get(arr), off, off + len)) {
                            liveIn.add(arr);
                        }
                        if (acc != TornadoTasks.Access.R) {
                            written.add(arr);
                        }
                        if (acc == TornadoTasks.Access.W) {
                            covered.computeIfAbsent(arr, k -> new ArrayList<>()).add(new long[] {off, off + len});
                        }
                    }
                }
            }
            hostIn.retainAll(all);
            hostOut.retainAll(all);
            liveIn.removeAll(hostIn);
        }

        @Override
        public float[] floats() {
            return arena.floats;
        }

        @Override
        public int[] ints() {
            return arena.ints;
        }

        @Override
        public int at(FloatSlice slice) {
            return arena.at(slice);
        }

        @Override
        public int at(IntSlice slice) {
            return arena.at(slice);
        }

        @Override
        public void grid(String taskId, WorkerGrid grid) {
            grids.addWorkerGrid(currentSegment + "." + taskId, grid);
            hasGrids = true;
        }

        @Override
        public String graphName() {
            return currentSegment;
        }

        void execute() {
            boolean wantProfile = profiler.enabled();
            if (wantProfile != profiling) {
                if (wantProfile) {
                    exec.withProfiler(ProfilerMode.SILENT);
                } else {
                    exec.withoutProfiler();
                }
                profiling = wantProfile;
            }
            if (runs == 0 && taskStats.size() > 20) { // a long first step should not look like a hang
                System.err.println("tornado: compiling " + taskStats.size() + " tasks for " + device.getDeviceName()
                        + " (first run of " + describeGraphs() + "; TornadoVM compiles each task once)");
            }
            long t0 = System.nanoTime();
            double compile = 0;
            try {
                boolean upload = runs == 0;
                for (Object a : liveIn) {
                    if (!state(a).freshOn.contains(this)) {
                        upload = true;
                    }
                }
                if (upload) {
                    if (runs > 0) {
                        pullImage(); // keeps what only this device holds
                    }
                    for (Object a : all) {
                        if (runs == 0 || !state(a).freshOn.contains(this)) {
                            pull(a);
                            arena.put(a);
                        }
                    }
                    TornadoExecutionResult r = exec.withGraph(UP).execute();
                    if (runs > 0) {
                        onDemandIn += arena.bytes();
                    }
                    if (profiling) {
                        compile += r.getProfilerResult().getCompileTime() / 1e6;
                    }
                    for (Object a : all) {
                        ArrayState st = state(a);
                        st.freshOn.add(this);
                        if (st.snapshot == null) {
                            st.snapshot = copyOf(a);
                        }
                    }
                }
                for (Object a : hostIn) {
                    pull(a);
                }
                long copyIn = 0, copyOut = 0;
                double kernelMs = 0, copyMs = 0;
                for (int idx : segments) {
                    lastMain = exec.withGraph(idx).execute();
                    if (profiling) {
                        var pr = lastMain.getProfilerResult();
                        compile += pr.getCompileTime() / 1e6;
                        copyIn += pr.getTotalBytesCopyIn();
                        copyOut += pr.getTotalBytesCopyOut();
                        kernelMs += pr.getDeviceKernelTime() / 1e6;
                        copyMs += pr.getDataTransfersTime() / 1e6;
                        recordTasks(pr.getProfileLog());
                        exec.clearProfiles(); // the log otherwise keeps every execution
                    }
                }
                stepCopyIn = copyIn;
                stepCopyOut = copyOut;
                stepKernelMs = kernelMs;
                stepCopyMs = copyMs;
            } catch (RuntimeException e) {
                throw new IllegalStateException("TornadoVM failed to run " + describe() + " on device " + deviceSpec + " ("
                        + device.getDeviceName() + "): " + e.getMessage()
                        + " (bailouts to sequential Java are disabled: -Dtornado.recover.bailout=False; run with --debug for the stack trace)", e);
            }
            long wall = System.nanoTime() - t0;
            imageCurrent = false;
            for (Object a : written) {
                ArrayState st = state(a);
                st.freshOn.clear();
                st.freshOn.add(this);
                st.hostFresh = hostOut.contains(a);
                if (st.hostFresh) {
                    st.snapshot = null;
                }
            }
            for (Object a : all) {
                state(a).freshOn.add(this);
            }
            runs++;
            if (runs == 1) {
                firstExecutionMs += wall / 1e6;
                profiler.putBackendFigure("first_execution_ms", firstExecutionMs);
            }
            if (profiling) {
                if (runs == 1) {
                    compileMs += compile;
                    profiler.putBackendFigure("compile_ms", compileMs);
                    profiler.putBackendFigure("tornado_jit_ms", compileMs);
                }
                if (runs > 1) {
                    String p = graphs.size() > 1 ? "" : graphs.get(0).graph.name + ".";
                    // TornadoVM's copy-in counter also counts each kernel launch's argument buffer (OCLInstalledCode):
                    // the data part is the host inputs; everything else stays on the device.
                    profiler.putBackendFigure(p + "copy_in_bytes_per_step", stepCopyIn);
                    profiler.putBackendFigure(p + "copy_out_bytes_per_step", stepCopyOut);
                    profiler.putBackendFigure(p + "host_input_bytes_per_step", bytesOf(hostIn));
                    profiler.putBackendFigure(p + "host_output_bytes_per_step", bytesOf(hostOut));
                    profiler.putBackendFigure(p + "tasks_per_step", taskStats.size());
                    profiler.putBackendFigure(p + "device_kernel_ms_per_step", stepKernelMs);
                    profiler.putBackendFigure(p + "copy_ms_per_step", stepCopyMs);
                    profiler.putBackendFigure(p + "task_graphs_per_step", segments.size());
                    profiler.putBackendFigure(p + "host_wall_ms_per_step", wall / 1e6);
                }
            }
            profiler.putBackendFigure("on_demand_copy_in_bytes", onDemandIn);
            profiler.putBackendFigure("on_demand_copy_out_bytes", onDemandOut);
            profiler.putBackendFigure("fused_plans", plans.size());
        }

        private Pattern taskBlock;
        private long stepCopyIn, stepCopyOut;
        private double stepKernelMs, stepCopyMs;
        private final Pattern kernelTime = Pattern.compile("\"TASK_KERNEL_TIME\"\\s*:\\s*\"(\\d+)\"");

        private void recordTasks(String log) {
            if (log == null) {
                return;
            }
            if (taskBlock == null) {
                taskBlock = Pattern.compile("\"" + Pattern.quote(name) + "_s\\d+\\.t(\\d+)\"\\s*:\\s*\\{([^}]*)\\}");
            }
            // The log holds every execution so far: take each task's last entry.
            Map<Integer, Long> last = new HashMap<>();
            Matcher m = taskBlock.matcher(log);
            while (m.find()) {
                int idx = Integer.parseInt(m.group(1));
                Matcher k = kernelTime.matcher(m.group(2));
                if (idx < taskStats.size() && k.find()) {
                    last.put(idx, Long.parseLong(k.group(1)));
                }
            }
            last.forEach((idx, ns) -> taskStats.get(idx).record(ns));
        }

        String describeGraphs() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < graphs.size(); i++) {
                sb.append(i > 0 ? "+" : "").append(graphs.get(i).graph.name);
            }
            return sb.toString();
        }

        String describe() {
            StringBuilder sb = new StringBuilder("graphs [");
            for (int i = 0; i < graphs.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(graphs.get(i).graph.name);
            }
            sb.append("] (").append(taskStages.size()).append(" tasks");
            if (!taskStages.isEmpty()) {
                sb.append(": ").append(taskStages.get(0)).append(" …");
            }
            return sb.append(")").toString();
        }
    }

    private static long bytesOf(Set<Object> arrays) {
        long b = 0;
        for (Object a : arrays) {
            b += bytes(a);
        }
        return b;
    }

    private static boolean isCovered(List<long[]> intervals, long from, long to) {
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

    private static Set<Object> newIdentitySet() {
        return java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    }

    // ---- plumbing tasks (no math): hold the arena in a graph, stage host inputs and outputs ------------

    /** Names both arena arrays in a task graph so TornadoVM holds them; changes nothing ({@code never} is 0). */
    public static void touch(float[] f, int[] n, int never) {
        if (never == 1) {
            f[0] = f[0] + n[0];
        }
    }

    public static void copyFloatsIn(float[] f, int off, float[] src, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            f[off + i] = src[i];
        }
    }

    public static void copyIntsIn(int[] n, int off, int[] src, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            n[off + i] = src[i];
        }
    }

    public static void copyFloatsOut(float[] dst, float[] f, int off, int count) {
        for (@Parallel int i = 0; i < count; i++) {
            dst[i] = f[off + i];
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the TornadoVM backend is closed");
        }
    }

    @Override
    public Profiler profiler() {
        return profiler;
    }

    /** Number of fused TaskGraphs compiled so far. */
    public int planCount() {
        return plans.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            flush();
        } finally {
            closed = true;
            for (Plan p : plans.values()) {
                try {
                    p.exec.freeDeviceMemory();
                    p.exec.close();
                } catch (Exception e) {
                    // closing: nothing more to do
                }
            }
        }
    }

    @Override
    public String toString() {
        return name() + " (" + device.getDeviceName() + ")";
    }
}
