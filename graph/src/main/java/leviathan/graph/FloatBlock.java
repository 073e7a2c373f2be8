package leviathan.graph;

import java.util.HashMap;
import java.util.Map;

/** One contiguous float array with named slices, laid out by a {@link BlockLayout}. */
public final class FloatBlock {
    private final String name;
    private final BlockLayout layout;
    private final float[] data;
    private final FloatSlice all;
    private final Map<String, FloatSlice> slices = new HashMap<>();

    FloatBlock(String name, BlockLayout layout, float[] data) {
        this.name = name;
        this.layout = layout;
        this.data = data;
        this.all = new FloatSlice(name, data, 0, new int[] {layout.size()});
    }

    public FloatSlice slice(String tensor) {
        return slices.computeIfAbsent(tensor, t -> new FloatSlice(name + "." + t, data, layout.offsetOf(t), layout.shapeOf(t)));
    }

    /** The whole used extent of the block as one slice. */
    public FloatSlice all() {
        return all;
    }

    /** A window of the block, for stages that run over a range of tensors (e.g. one AdamW group). */
    public FloatSlice range(String sliceName, int from, int to) {
        return new FloatSlice(name + "." + sliceName, data, from, new int[] {to - from});
    }

    public float[] array() {
        return data;
    }

    public BlockLayout layout() {
        return layout;
    }

    public String name() {
        return name;
    }
}
