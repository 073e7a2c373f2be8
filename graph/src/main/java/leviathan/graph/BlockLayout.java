package leviathan.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout of one contiguous float block with named views (parameters, gradients, AdamW
 * moments and activations each live in one). Declare the tensors in order, then
 * {@link #allocate()} as many blocks of that layout as needed: same names, same offsets.
 */
public final class BlockLayout {
    private final String name;
    private final Map<String, int[]> shapes = new LinkedHashMap<>();
    private final Map<String, Integer> offsets = new LinkedHashMap<>();
    private int size;

    public BlockLayout(String name) {
        this.name = name;
    }

    /** Appends a tensor; returns its offset. Offsets are rounded to 16 floats (64 bytes). */
    public int add(String tensor, int... shape) {
        if (shapes.containsKey(tensor)) {
            throw new IllegalArgumentException(name + ": tensor " + tensor + " declared twice");
        }
        int offset = (size + 15) & ~15;
        int length = FloatSlice.product(shape);
        long end = (long) offset + length;
        if (end > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(name + ": block exceeds the largest Java array");
        }
        shapes.put(tensor, shape.clone());
        offsets.put(tensor, offset);
        size = (int) end;
        return offset;
    }

    /**
     * Extends the layout to at least {@code end} floats, so that a range ending there (e.g. a group
     * of tensors rounded up to the 16-float alignment) lies inside every allocated block.
     */
    public void extendTo(int end) {
        size = Math.max(size, end);
    }

    /** Current end of the layout: where the next tensor would start, before alignment. */
    public int size() {
        return size;
    }

    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(shapes.keySet()));
    }

    public int offsetOf(String tensor) {
        Integer off = offsets.get(tensor);
        if (off == null) {
            throw new IllegalArgumentException(name + ": no tensor named " + tensor);
        }
        return off;
    }

    public int[] shapeOf(String tensor) {
        offsetOf(tensor);
        return shapes.get(tensor).clone();
    }

    public boolean contains(String tensor) {
        return shapes.containsKey(tensor);
    }

    public FloatBlock allocate(String blockName) {
        return new FloatBlock(blockName, this, new float[Math.max(size, 1)]);
    }

    public FloatBlock allocate() {
        return allocate(name);
    }

    /** A block of this layout over an existing array (for example one restored from disk). */
    public FloatBlock wrap(String blockName, float[] data) {
        if (data.length < size) {
            throw new IllegalArgumentException(blockName + ": array of " + data.length + " is smaller than the layout's " + size);
        }
        return new FloatBlock(blockName, this, data);
    }

    public String name() {
        return name;
    }
}
