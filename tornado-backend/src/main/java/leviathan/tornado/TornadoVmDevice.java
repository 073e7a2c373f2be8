package leviathan.tornado;

import java.util.ArrayList;
import java.util.List;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.graph.Kernel;
import leviathan.tornado.plan.Arena;
import leviathan.tornado.plan.Device;
import leviathan.tornado.plan.PlanLayout;
import leviathan.tornado.plan.TaskRegistry;
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

/**
 * The thin adapter between the planner ({@code tornado-plan}) and TornadoVM: one device, and for
 * each plan an upload TaskGraph (the whole arena, run when the device copy is stale) and the plan's
 * segments as chained TaskGraphs that consume the arena from the previous one and persist it. The
 * first segment copies the host inputs (their own small arrays) into the arena; the last copies the
 * host outputs out into theirs. The tasks are the generated wrappers ({@code *Wrappers}) and the
 * blocked matmuls ({@link MatmulTasks}).
 */
final class TornadoVmDevice implements Device {
    /** A binder's view of the plan being built: the arenas, and a worker grid for a tuned task. */
    interface GridContext {
        /** Gives task {@code taskId} of the task graph being built an explicit worker grid. */
        void grid(String taskId, WorkerGrid grid);
    }

    private final String spec;
    private final TornadoDevice device;
    private final TaskRegistry<TaskGraph> registry;

    TornadoVmDevice(String spec) {
        this.spec = spec == null || spec.isEmpty() ? "0:0" : spec;
        this.device = resolve(this.spec);
        this.registry = new TaskRegistry<TaskGraph>().addGenerated(TornadoVmDevice.class.getClassLoader());
        MatmulTasks.register(registry);
    }

    static TornadoDevice resolve(String spec) {
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
            throw new IllegalArgumentException("TornadoVM has " + map.getNumBackends() + " backend(s); no backend " + b + " (device " + spec
                    + "); see 'leviathan devices'");
        }
        int n = map.getAllBackends().get(b).getNumDevices();
        if (d < 0 || d >= n) {
            throw new IllegalArgumentException("TornadoVM backend " + b + " has " + n + " device(s); no device " + d + " (device " + spec
                    + "); see 'leviathan devices'");
        }
        return TornadoRuntimeProvider.getTornadoRuntime().getBackend(b).getDevice(d);
    }

    @Override
    public String name() {
        return "tornado:" + spec;
    }

    @Override
    public String deviceName() {
        return device.getDeviceName();
    }

    @Override
    public boolean supports(Kernel kernel) {
        return registry.has(kernel);
    }

    @Override
    public DevicePlan build(PlanLayout layout, Arena arena) {
        return new Plan(layout, arena);
    }

    private final class Plan implements DevicePlan, GridContext, leviathan.tornado.plan.ArenaView {
        static final int UP = 0;
        final Arena arena;
        final GridScheduler grids = new GridScheduler();
        boolean hasGrids;
        String currentSegment;
        final TornadoExecutionPlan exec;
        final List<Integer> segments = new ArrayList<>();
        TornadoExecutionResult last;
        boolean profiling;

        Plan(PlanLayout layout, Arena arena) {
            this.arena = arena;
            float[] f = arena.floats();
            int[] n = arena.ints();
            List<ImmutableTaskGraph> snapshots = new ArrayList<>();
            String upName = layout.name + "_up";
            TaskGraph up = new TaskGraph(upName);
            up.transferToDevice(DataTransferMode.EVERY_EXECUTION, f, n);
            up.task("touch", TornadoVmDevice::touch, f, n, 0);
            up.persistOnDevice(f, n);
            snapshots.add(up.snapshot());
            String previous = upName;
            for (int seg = 0; seg < layout.segments.size(); seg++) {
                currentSegment = layout.name + "_s" + seg;
                TaskGraph g = new TaskGraph(currentSegment);
                g.consumeFromDevice(previous, f, n);
                if (seg == 0) {
                    stageIn(g, layout);
                }
                for (PlanLayout.Task t : layout.segments.get(seg)) {
                    registry.binder(t.stage()).add(g, t.id(), t.stage(), this);
                }
                if (seg == layout.segments.size() - 1) {
                    stageOut(g, layout);
                }
                g.task("touch", TornadoVmDevice::touch, f, n, 0); // every segment holds both arrays for the next
                g.persistOnDevice(f, n);
                segments.add(snapshots.size());
                snapshots.add(g.snapshot());
                previous = currentSegment;
            }
            exec = new TornadoExecutionPlan(snapshots.toArray(new ImmutableTaskGraph[0]));
            exec.withDevice(device);
            if (hasGrids) {
                exec.withGridScheduler(grids);
            }
        }

        /** Host inputs travel as their own arrays every run; a copy task puts each into the arena. */
        private void stageIn(TaskGraph g, PlanLayout layout) {
            if (layout.hostIn.isEmpty()) {
                return;
            }
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, layout.hostIn.toArray());
            int k = 0;
            for (Object a : layout.hostIn) {
                if (a instanceof float[] fa) {
                    g.task("in" + k++, TornadoVmDevice::copyFloatsIn, arena.floats(), arena.base(a), fa, fa.length);
                } else {
                    int[] ia = (int[]) a;
                    g.task("in" + k++, TornadoVmDevice::copyIntsIn, arena.ints(), arena.base(a), ia, ia.length);
                }
            }
        }

        /** Host outputs are copied out of the arena into their own arrays, which travel back every run. */
        private void stageOut(TaskGraph g, PlanLayout layout) {
            if (layout.hostOut.isEmpty()) {
                return;
            }
            int k = 0;
            for (Object a : layout.hostOut) {
                float[] fa = (float[]) a;
                g.task("out" + k++, TornadoVmDevice::copyFloatsOut, fa, arena.floats(), arena.base(a), fa.length);
            }
            g.transferToHost(DataTransferMode.EVERY_EXECUTION, layout.hostOut.toArray());
        }

        @Override
        public float[] floats() {
            return arena.floats();
        }

        @Override
        public int[] ints() {
            return arena.ints();
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
        public Execution upload() {
            return report(exec.withGraph(UP).execute());
        }

        @Override
        public Execution run(int segment) {
            last = exec.withGraph(segments.get(segment)).execute();
            Execution e = report(last);
            if (profiling) {
                exec.clearProfiles(); // the log otherwise keeps every execution
            }
            return e;
        }

        private Execution report(TornadoExecutionResult r) {
            if (!profiling) {
                return Execution.NONE;
            }
            var pr = r.getProfilerResult();
            return new Execution(pr.getCompileTime() / 1e6, pr.getTotalBytesCopyIn(), pr.getTotalBytesCopyOut(), pr.getDeviceKernelTime() / 1e6,
                    pr.getDataTransfersTime() / 1e6, pr.getProfileLog());
        }

        @Override
        public void download() {
            last.transferToHost(arena.floats(), arena.ints());
        }

        @Override
        public void profiling(boolean on) {
            if (on) {
                exec.withProfiler(ProfilerMode.SILENT);
            } else {
                exec.withoutProfiler();
            }
            profiling = on;
        }

        @Override
        public void close() {
            try {
                exec.freeDeviceMemory();
                exec.close();
            } catch (Exception e) {
                // closing: nothing more to do
            }
        }
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
}
