package leviathan.tornado.plan;

import java.util.ArrayList;
import java.util.List;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Profiler;

/**
 * A device for the tests: its memory is a separate copy of each plan's arenas, and its tasks are the
 * generated TornadoVM wrappers themselves, compiled against a stub of TornadoVM's API
 * ({@link StubTornado}) and run one after another on the JVM. So the planner (fusion, arena layout,
 * read and write sets, segmentation, coherence, host inputs and outputs) and every wrapper's
 * argument plumbing are exercised exactly as on TornadoVM, in the default build. A stale device copy
 * shows up as wrong numbers, because nothing is shared with the host by accident.
 */
public final class EmulatedDevice implements Device {
    private final TaskRegistry<Object> registry = StubTornado.registry();
    /** Whole-arena transfers so far (uploads + downloads), for tests of the coherence logic. */
    public int uploads;
    public int downloads;

    /** A backend running on a new emulated device. */
    public static PlannedBackend backend() {
        return new PlannedBackend(new EmulatedDevice(), new Profiler());
    }

    @Override
    public String name() {
        return "emulated";
    }

    @Override
    public String deviceName() {
        return "TornadoVM wrappers on the JVM (stub API)";
    }

    @Override
    public boolean supports(Kernel kernel) {
        return registry.has(kernel);
    }

    public TaskRegistry<Object> registry() {
        return registry;
    }

    @Override
    public DevicePlan build(PlanLayout layout, Arena arena) {
        return new EmulatedPlan(layout, arena);
    }

    private final class EmulatedPlan implements DevicePlan, ArenaView {
        final PlanLayout layout;
        final Arena image;
        final float[] floats;
        final int[] ints;
        final List<List<Runnable>> segments = new ArrayList<>();

        EmulatedPlan(PlanLayout layout, Arena image) {
            this.layout = layout;
            this.image = image;
            this.floats = new float[image.floats().length];
            this.ints = new int[image.ints().length];
            for (List<PlanLayout.Task> seg : layout.segments) {
                Object graph = StubTornado.newTaskGraph();
                for (PlanLayout.Task t : seg) {
                    registry.binder(t.stage()).add(graph, t.id(), t.stage(), this);
                }
                segments.add(StubTornado.tasks(graph));
            }
        }

        @Override
        public float[] floats() {
            return floats;
        }

        @Override
        public int[] ints() {
            return ints;
        }

        @Override
        public int at(FloatSlice slice) {
            return image.at(slice);
        }

        @Override
        public int at(IntSlice slice) {
            return image.at(slice);
        }

        @Override
        public Execution upload() {
            System.arraycopy(image.floats(), 0, floats, 0, floats.length);
            System.arraycopy(image.ints(), 0, ints, 0, ints.length);
            uploads++;
            return Execution.NONE;
        }

        @Override
        public Execution run(int segment) {
            if (segment == 0) {
                for (Object a : layout.hostIn) {
                    System.arraycopy(a, 0, a instanceof float[] ? floats : ints, image.base(a), length(a));
                }
            }
            for (Runnable task : segments.get(segment)) {
                task.run();
            }
            if (segment == segments.size() - 1) {
                for (Object a : layout.hostOut) {
                    System.arraycopy(a instanceof float[] ? floats : ints, image.base(a), a, 0, length(a));
                }
            }
            return Execution.NONE;
        }

        private int length(Object array) {
            return array instanceof float[] f ? f.length : ((int[]) array).length;
        }

        @Override
        public void download() {
            System.arraycopy(floats, 0, image.floats(), 0, floats.length);
            System.arraycopy(ints, 0, image.ints(), 0, ints.length);
            downloads++;
        }

        @Override
        public void profiling(boolean on) {
            // no timings on the emulated device
        }

        @Override
        public void close() {
            // nothing held
        }
    }
}
