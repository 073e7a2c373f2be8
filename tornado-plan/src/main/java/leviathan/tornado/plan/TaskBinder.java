package leviathan.tornado.plan;

import leviathan.graph.Stage;

/**
 * Adds the task of one stage to a task graph of type {@code G} (TornadoVM's {@code TaskGraph}; a
 * stub of it in the tests). The generated wrappers ({@code leviathan.tornado.generated.*Wrappers})
 * supply one per kernel; a hand-tuned schedule (the blocked matmuls) may replace one.
 */
@FunctionalInterface
public interface TaskBinder<G> {
    void add(G graph, String taskId, Stage stage, ArenaView arena);
}
