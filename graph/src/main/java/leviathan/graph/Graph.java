package leviathan.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A named, ordered sequence of stages: what one call of a step computes. The model declares its
 * forward, backward and update graphs once; a {@link Backend} compiles and runs them.
 *
 * <p>{@link #hostInputs()} are the buffers the host writes before each run (the token batch,
 * the step scalars) and {@link #hostOutputs()} the ones it reads after (the loss): everything
 * else may stay on a device between runs.
 */
public final class Graph {
    public final String name;
    private final List<Stage> stages = new ArrayList<>();
    private final Set<Object> hostInputs = new LinkedHashSet<>();
    private final Set<Object> hostOutputs = new LinkedHashSet<>();

    public Graph(String name) {
        this.name = name;
    }

    public Graph add(Stage stage) {
        for (Stage s : stages) {
            if (s.name.equals(stage.name)) {
                throw new IllegalArgumentException("graph " + name + " already has a stage named " + stage.name);
            }
        }
        stages.add(stage);
        return this;
    }

    public Graph readsFromHost(FloatSlice slice) {
        hostInputs.add(slice);
        return this;
    }

    public Graph readsFromHost(IntSlice slice) {
        hostInputs.add(slice);
        return this;
    }

    public Graph writesToHost(FloatSlice slice) {
        hostOutputs.add(slice);
        return this;
    }

    public List<Stage> stages() {
        return Collections.unmodifiableList(stages);
    }

    public Set<Object> hostInputs() {
        return Collections.unmodifiableSet(hostInputs);
    }

    public Set<Object> hostOutputs() {
        return Collections.unmodifiableSet(hostOutputs);
    }
}
