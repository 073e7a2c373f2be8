package leviathan.tornado.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import leviathan.graph.Backend;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.graph.Stage;

/**
 * Runs the declared graphs on a {@link Device} (TornadoVM's, or an emulation), keeping data on the
 * device between steps.
 *
 * <p><b>Fusion.</b> {@link CompiledGraph#run()} is deferred: the graphs run between two host
 * synchronisations (for training: forward, loss, backward, update) are fused into one plan, built
 * once per distinct sequence and cached, and executed when the host next needs data
 * ({@link #syncToHost}, a {@link #syncToDevice} of an array a pending graph uses, a second run of a
 * pending graph, or {@link #close}).
 *
 * <p><b>Memory.</b> A plan keeps every buffer its stages use in one float and one int arena
 * ({@link Arena}). The arena is uploaded whole only when the device copy is stale (first run, a
 * checkpoint load, a mixer redrawing its features); host inputs (token batch, step scalars) go in
 * and host outputs (loss, step scalars) come out every run, so a training step moves only those.
 * {@link Coherence} tracks where each array's newest copy is.
 */
public final class PlannedBackend implements Backend {
    /** Tasks per segment: TornadoVM's task-graph compiler needs minutes for long TaskGraphs. */
    public static final int SEGMENT_TASKS = Integer.getInteger("leviathan.tornado.segment.tasks", 12);

    private final Device device;
    private final Profiler profiler;
    private final List<Compiled> pending = new ArrayList<>();
    private final Map<List<Compiled>, Plan> plans = new HashMap<>();
    private final Coherence coherence = new Coherence();
    private int planCounter;
    private long onDemandIn;
    private long onDemandOut;
    private double compileMs;
    private double firstExecutionMs;
    private boolean closed;

    public PlannedBackend(Device device, Profiler profiler) {
        this.device = device;
        this.profiler = profiler;
    }

    @Override
    public String name() {
        return device.name();
    }

    public Device device() {
        return device;
    }

    /** Number of fused plans built so far. */
    public int planCount() {
        return plans.size();
    }

    @Override
    public CompiledGraph compile(Graph graph) {
        for (Stage s : graph.stages()) {
            if (!device.supports(s.kernel)) { // fails now, naming the kernel, rather than at the first run
                throw new UnsupportedOperationException("no task for kernel " + s.kernel.name + " (stage " + s.name + ") on "
                        + device.name() + ": its wrapper is generated from the @Kernel body " + s.kernel.body);
            }
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
        final Set<Object> uses = Collections.newSetFromMap(new IdentityHashMap<>());

        Compiled(Graph graph, Profiler.StageStats[] stats) {
            this.graph = graph;
            this.stats = stats;
            for (Stage s : graph.stages()) {
                for (int i = 0; i < s.argCount(); i++) {
                    Object a = PlanLayout.arrayOf(s.arg(i));
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

    /** Executes the pending graphs now (one fused plan). */
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

    @Override
    public void syncToHost(Object... arrays) {
        checkOpen();
        flush();
        for (Object a : arrays) {
            if (coherence.tracked(a)) {
                coherence.pullToHost(a);
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
            coherence.hostChanged(a);
        }
    }

    /** One fused plan: its layout, its device side, and what its runs have left where. */
    private final class Plan implements Coherence.Holder {
        final List<Compiled> graphs;
        final PlanLayout layout;
        final Arena arena;
        final Device.DevicePlan devicePlan;
        final List<Profiler.StageStats> taskStats = new ArrayList<>();
        final ProfilerLog log;
        boolean ran;
        /** The arena image holds the device's contents (no run since the last download). */
        boolean imageCurrent;
        long runs;
        boolean profiling;

        Plan(List<Compiled> graphs, String name) {
            this.graphs = graphs;
            List<Graph> gs = new ArrayList<>();
            graphs.forEach(c -> gs.add(c.graph));
            this.layout = new PlanLayout(name, gs, SEGMENT_TASKS);
            for (List<PlanLayout.Task> seg : layout.segments) {
                for (PlanLayout.Task t : seg) {
                    taskStats.add(graphs.get(t.graph()).stats[t.index()]);
                }
            }
            this.arena = new Arena(layout.all);
            this.devicePlan = device.build(layout, arena);
            this.log = new ProfilerLog(name);
        }

        @Override
        public boolean readable() {
            return ran;
        }

        @Override
        public void pull(Object array) {
            downloadImage();
            arena.get(array);
        }

        /** Copies the device arena into the host image (once per run at most). */
        void downloadImage() {
            if (imageCurrent) {
                return;
            }
            devicePlan.download();
            onDemandOut += arena.bytes();
            imageCurrent = true;
        }

        void execute() {
            boolean wantProfile = profiler.enabled();
            if (wantProfile != profiling) {
                devicePlan.profiling(wantProfile);
                profiling = wantProfile;
            }
            if (runs == 0 && taskStats.size() > 20) { // a long first step should not look like a hang
                System.err.println(device.name() + ": compiling " + taskStats.size() + " tasks for " + device.deviceName()
                        + " (first run of " + describeGraphs() + "; each task is compiled once)");
            }
            long t0 = System.nanoTime();
            double compile = 0;
            Device.Execution step = new Device.Execution(0, 0, 0, 0, 0, null);
            try {
                compile += uploadIfStale();
                for (Object a : layout.hostIn) {
                    coherence.pullToHost(a);
                }
                for (int seg = 0; seg < layout.segments.size(); seg++) {
                    Device.Execution e = devicePlan.run(seg);
                    ran = true;
                    compile += e.compileMs();
                    step = new Device.Execution(0, step.copyInBytes() + e.copyInBytes(), step.copyOutBytes() + e.copyOutBytes(),
                            step.kernelMs() + e.kernelMs(), step.copyMs() + e.copyMs(), null);
                    log.kernelNanos(e.profileLog()).forEach((idx, ns) -> {
                        if (idx < taskStats.size()) {
                            taskStats.get(idx).record(ns);
                        }
                    });
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException(device.name() + " failed to run " + describe() + " on " + device.deviceName() + ": "
                        + e.getMessage() + " (run with --debug for the stack trace)", e);
            }
            long wall = System.nanoTime() - t0;
            imageCurrent = false;
            coherence.ran(this, layout.written, layout.hostOut, layout.all);
            runs++;
            recordFigures(compile, step, wall);
        }

        /** Uploads the whole arena if the device copy of anything the plan reads is stale; returns compile ms. */
        private double uploadIfStale() {
            boolean upload = runs == 0;
            for (Object a : layout.liveIn) {
                if (!coherence.freshOn(a, this)) {
                    upload = true;
                }
            }
            if (!upload) {
                return 0;
            }
            if (runs > 0) {
                downloadImage(); // keeps what only this device holds
            }
            for (Object a : layout.all) {
                if (runs == 0 || !coherence.freshOn(a, this)) {
                    coherence.pullToHost(a);
                    arena.put(a);
                }
            }
            Device.Execution e = devicePlan.upload();
            if (runs > 0) {
                onDemandIn += arena.bytes();
            }
            coherence.uploaded(this, layout.all);
            return e.compileMs();
        }

        private void recordFigures(double compile, Device.Execution step, long wall) {
            if (runs == 1) {
                firstExecutionMs += wall / 1e6;
                profiler.putBackendFigure("first_execution_ms", firstExecutionMs);
            }
            if (profiling && runs == 1) {
                compileMs += compile;
                profiler.putBackendFigure("compile_ms", compileMs);
                profiler.putBackendFigure("tornado_jit_ms", compileMs);
            }
            if (profiling && runs > 1) {
                String p = graphs.size() > 1 ? "" : graphs.get(0).graph.name + ".";
                // TornadoVM's copy-in counter also counts each kernel launch's argument buffer:
                // the data part is the host inputs; everything else stays on the device.
                profiler.putBackendFigure(p + "copy_in_bytes_per_step", step.copyInBytes());
                profiler.putBackendFigure(p + "copy_out_bytes_per_step", step.copyOutBytes());
                profiler.putBackendFigure(p + "host_input_bytes_per_step", PlanLayout.bytes(layout.hostIn));
                profiler.putBackendFigure(p + "host_output_bytes_per_step", PlanLayout.bytes(layout.hostOut));
                profiler.putBackendFigure(p + "tasks_per_step", taskStats.size());
                profiler.putBackendFigure(p + "device_kernel_ms_per_step", step.kernelMs());
                profiler.putBackendFigure(p + "copy_ms_per_step", step.copyMs());
                profiler.putBackendFigure(p + "task_graphs_per_step", layout.segments.size());
                profiler.putBackendFigure(p + "host_wall_ms_per_step", wall / 1e6);
            }
            profiler.putBackendFigure("on_demand_copy_in_bytes", onDemandIn);
            profiler.putBackendFigure("on_demand_copy_out_bytes", onDemandOut);
            profiler.putBackendFigure("fused_plans", plans.size());
        }

        String describeGraphs() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < graphs.size(); i++) {
                sb.append(i > 0 ? "+" : "").append(graphs.get(i).graph.name);
            }
            return sb.toString();
        }

        String describe() {
            StringBuilder sb = new StringBuilder("graphs [").append(describeGraphs().replace("+", ", ")).append("] (")
                    .append(taskStats.size()).append(" tasks");
            if (!layout.segments.isEmpty() && !layout.segments.get(0).isEmpty()) {
                sb.append(": ").append(layout.segments.get(0).get(0).describe(layout.graphs)).append(" …");
            }
            return sb.append(")").toString();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the " + device.name() + " backend is closed");
        }
    }

    @Override
    public Profiler profiler() {
        return profiler;
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
                    p.devicePlan.close();
                } catch (RuntimeException e) {
                    // closing: nothing more to do
                }
            }
        }
    }

    @Override
    public String toString() {
        return name() + " (" + device.deviceName() + ")";
    }
}
