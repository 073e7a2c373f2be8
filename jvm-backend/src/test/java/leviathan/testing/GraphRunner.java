package leviathan.testing;

import leviathan.graph.Backend;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.graph.Stage;
import leviathan.jvm.JvmBackend;
import leviathan.jvm.JvmFastKernels;
import leviathan.stages.CoreStages;

/**
 * Runs stages through the real path used by the model: declared with {@link CoreStages}, put in a
 * {@link Graph}, compiled by a {@link JvmBackend} and run. {@code fast=false} runs the plain
 * kernel bodies; {@code fast=true} swaps in the registered {@link JvmFastKernels} variants.
 */
public final class GraphRunner {
    private GraphRunner() {}

    /** Threads used by the kernel tests unless a test says otherwise: exercises the partition. */
    public static final int THREADS = 2;

    public static Graph graph(String name, Stage... stages) {
        Graph g = new Graph(name);
        for (Stage s : stages) {
            g.add(s);
        }
        return g;
    }

    /** Compiles the stages into one graph and runs it once. */
    public static void run(int threads, boolean fast, Stage... stages) {
        runTimes(threads, fast, 1, stages);
    }

    /** Compiles once and runs the graph {@code times} times. */
    public static void runTimes(int threads, boolean fast, int times, Stage... stages) {
        Graph g = graph("test", stages);
        try (JvmBackend backend = new JvmBackend(threads, fast, new Profiler())) {
            Backend.CompiledGraph compiled = backend.compile(g);
            for (int i = 0; i < times; i++) {
                compiled.run();
            }
        }
    }

    /** A test body run once per kernel variant: given its thread count and whether it is the fast one, returns its outputs. */
    public interface Variant {
        float[][] run(int threads, boolean fast);
    }

    /** {plain, fast}: the outputs of {@code body} with the plain bodies on 1 thread, then with the fast variants on 3. */
    public static float[][][] plainAndFast(Variant body) {
        return new float[][][] {body.run(1, false), body.run(3, true)};
    }

    public static void run(boolean fast, Stage... stages) {
        run(THREADS, fast, stages);
    }
}
