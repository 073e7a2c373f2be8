package leviathan.tornado.plan;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;

/**
 * What a task binder may ask of a plan while it adds a task: the plan keeps every float buffer its
 * stages use in one device array ({@link #floats()}) and every int buffer in another
 * ({@link #ints()}), and a stage's buffer is addressed by its offset there ({@link #at}).
 */
public interface ArenaView {
    /** The plan's float arena: every float buffer its stages use. */
    float[] floats();

    /** The plan's int arena: every int buffer its stages use. */
    int[] ints();

    /** Offset of a slice in the float arena; −1 for an absent optional buffer ({@code null}). */
    int at(FloatSlice slice);

    /** Offset of a slice in the int arena. */
    int at(IntSlice slice);
}
