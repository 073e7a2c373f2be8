package leviathan.tornado;

import java.util.IdentityHashMap;
import java.util.Map;

import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;

import leviathan.graph.Kernel;
import leviathan.graph.Stage;

/**
 * The registry Kernel → TornadoVM task. Each kernel that may appear in a graph run by the
 * TornadoVM backend needs one binder that adds a task (a thin wrapper over the kernel's body)
 * to a TaskGraph. {@link CoreTasks} registers the core kernels; a mixer's kernels register theirs
 * the same way. A kernel without a binder fails at compile time with a message naming it.
 */
public final class TornadoTasks {
    private TornadoTasks() {}

    /** How a kernel body uses each stage argument (buffers only; sizes are ignored). */
    public enum Access {
        /** Read only. */
        R,
        /** Written before being read: the body overwrites its slice (the part that is later read). */
        W,
        /** Read and written (accumulates, or updates in place). */
        RW
    }

    /**
     * What a binder may ask of the backend while it adds a task. Every float buffer of a plan lives
     * in one device array ({@link #floats()}) and every int buffer in another ({@link #ints()}); a
     * stage's slice is addressed by its offset there ({@link #at}).
     */
    public interface BindContext {
        /** The plan's float arena: every float buffer its stages use. */
        float[] floats();

        /** The plan's int arena: every int buffer its stages use. */
        int[] ints();

        /** Offset of a slice in the float arena; −1 for an absent optional buffer ({@code null}). */
        int at(leviathan.graph.FloatSlice slice);

        /** Offset of a slice in the int arena. */
        int at(leviathan.graph.IntSlice slice);

        /** Gives a task an explicit worker grid (TornadoVM GridScheduler), for tuned kernels. */
        void grid(String taskId, WorkerGrid grid);

        /** The task-graph name (grid schedulers address tasks as "graph.task"). */
        String graphName();
    }

    @FunctionalInterface
    public interface Binder {
        void add(TaskGraph graph, String taskId, Stage stage, BindContext ctx);
    }

    public static final class Binding {
        public final Kernel kernel;
        public final Access[] access;
        public final Binder binder;

        Binding(Kernel kernel, Access[] access, Binder binder) {
            this.kernel = kernel;
            this.access = access;
            this.binder = binder;
        }

        /** Access of stage argument i (R for arguments past the declared list, which are sizes). */
        public Access access(int i) {
            return i < access.length ? access[i] : Access.R;
        }
    }

    private static final Map<Kernel, Binding> REGISTRY = new IdentityHashMap<>();

    /** "W R R" → [W, R, R]. */
    public static Access[] access(String spec) {
        String[] parts = spec.trim().split("\\s+");
        Access[] out = new Access[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Access.valueOf(parts[i]);
        }
        return out;
    }

    public static synchronized void register(Kernel kernel, Access[] access, Binder binder) {
        REGISTRY.put(kernel, new Binding(kernel, access, binder));
    }

    public static synchronized boolean has(Kernel kernel) {
        CoreTasks.register();
        MixerTasks.register();
        return REGISTRY.containsKey(kernel);
    }

    /** The binding of a stage's kernel, or an error naming the kernel and the stage. */
    public static synchronized Binding lookup(Stage stage) {
        CoreTasks.register();
        MixerTasks.register();
        Binding b = REGISTRY.get(stage.kernel);
        if (b == null) {
            throw new UnsupportedOperationException("no TornadoVM task for kernel " + stage.kernel.name + " (stage " + stage.name
                    + "): add a thin @Parallel wrapper over its body and register it with leviathan.tornado.TornadoTasks.register"
                    + " (see leviathan.tornado.CoreTasks)");
        }
        return b;
    }
}
