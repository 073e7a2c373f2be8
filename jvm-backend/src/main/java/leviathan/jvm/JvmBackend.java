package leviathan.jvm;

import java.util.List;
import java.util.function.Function;

import leviathan.graph.Backend;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.graph.Stage;

/**
 * The default backend: runs each stage's extent in parallel across the CPU cores with a fixed
 * partition ({@link WorkerPool}), so two runs with the same thread count are bit-identical.
 * With {@code fast} on, hot stages run their Vector API variants ({@link JvmFastKernels}).
 */
public final class JvmBackend implements Backend {
    private final WorkerPool pool;
    private final boolean fast;
    private final Profiler profiler;

    public JvmBackend(int threads, boolean fast, Profiler profiler) {
        this.pool = new WorkerPool(threads);
        this.fast = fast;
        this.profiler = profiler;
    }

    public JvmBackend(int threads) {
        this(threads, true, new Profiler());
    }

    /** All cores, fast variants on. */
    public static JvmBackend create() {
        return new JvmBackend(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return pool.threads();
    }

    @Override
    public String name() {
        return "jvm";
    }

    @Override
    public CompiledGraph compile(Graph graph) {
        List<Stage> stages = graph.stages();
        JvmFastKernels.JvmStage[] bound = new JvmFastKernels.JvmStage[stages.size()];
        for (int i = 0; i < bound.length; i++) {
            Stage s = stages.get(i);
            Function<Stage, JvmFastKernels.JvmStage> fastBinder = fast ? JvmFastKernels.lookup(s.kernel) : null;
            bound[i] = fastBinder != null ? fastBinder.apply(s) : JvmFastKernels.plain(s);
        }
        Profiler.StageStats[] stats = new Profiler.StageStats[bound.length];
        for (int i = 0; i < stats.length; i++) {
            stats[i] = profiler.stats(graph.name, stages.get(i));
        }
        return new Compiled(graph, bound, stats);
    }

    private final class Compiled implements CompiledGraph {
        private final Graph graph;
        private final JvmFastKernels.JvmStage[] stages;
        private final Profiler.StageStats[] stats;

        Compiled(Graph graph, JvmFastKernels.JvmStage[] stages, Profiler.StageStats[] stats) {
            this.graph = graph;
            this.stages = stages;
            this.stats = stats;
        }

        @Override
        public Graph graph() {
            return graph;
        }

        @Override
        public void run() {
            if (!profiler.enabled()) {
                for (JvmFastKernels.JvmStage s : stages) {
                    s.run(pool);
                }
                return;
            }
            for (int i = 0; i < stages.length; i++) {
                long t0 = System.nanoTime();
                stages[i].run(pool);
                stats[i].record(System.nanoTime() - t0);
            }
        }
    }

    @Override
    public void syncToHost(Object... arrays) {
        // Host memory is the device memory.
    }

    @Override
    public void syncToDevice(Object... arrays) {
        // Host memory is the device memory.
    }

    @Override
    public Profiler profiler() {
        return profiler;
    }

    @Override
    public void close() {
        pool.close();
    }
}
