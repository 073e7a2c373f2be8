package leviathan.graph;

/**
 * Runs declared graphs. The JVM backend ({@code leviathan.jvm.JvmBackend}) runs each stage's extent in
 * parallel on the CPU cores; the TornadoVM backend (built with {@code -Ptornado}) turns the
 * same graphs into TaskGraphs over the same kernel bodies.
 */
public interface Backend extends AutoCloseable {
    String name();

    /** Binds a graph once: buffers are fixed from here on, nothing is allocated per run. */
    CompiledGraph compile(Graph graph);

    /** Makes the host copy of these arrays current (no-op where host and device are one). */
    void syncToHost(Object... arrays);

    /** Pushes host changes of these arrays to the device (no-op where host and device are one). */
    void syncToDevice(Object... arrays);

    Profiler profiler();

    @Override
    void close();

    /** A graph bound to a backend. */
    interface CompiledGraph {
        Graph graph();

        void run();
    }
}
