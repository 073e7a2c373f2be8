package leviathan.tornado.plan;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;

/**
 * The host image of one plan's device memory: every float buffer the plan's stages use, laid out
 * in one {@code float[]}, and every int buffer in one {@code int[]}.
 *
 * <p>Why one array: TornadoVM 5.2's task-graph builder makes a task depend on its own output when
 * the same Java array reaches it through a written parameter and any later parameter, and its
 * scheduler then never finishes. The model keeps all activations in one block (and all gradients
 * in another), so most stages pass one array several times. With an arena every task receives the
 * float arena once and addresses each buffer by offset, whatever the aliasing.
 */
public final class Arena implements ArenaView {
    /** Buffers start on 64-byte boundaries (whole cache lines / vector loads on the device). */
    private static final int ALIGN = 16;

    private final float[] floats;
    private final int[] ints;
    private final Map<Object, Integer> base = new IdentityHashMap<>();

    public Arena(Collection<Object> members) {
        long f = 0, n = 0;
        for (Object a : members) {
            if (a instanceof float[] fa) {
                base.put(a, (int) f);
                f = align(f + fa.length);
            } else {
                base.put(a, (int) n);
                n = align(n + ((int[]) a).length);
            }
        }
        if (f > Integer.MAX_VALUE - ALIGN || n > Integer.MAX_VALUE - ALIGN) {
            throw new IllegalArgumentException("the TornadoVM backend keeps a plan's buffers in one array of at most 2^31 elements;"
                    + " this plan needs " + Math.max(f, n));
        }
        floats = new float[(int) Math.max(f, 1)];
        ints = new int[(int) Math.max(n, 1)];
    }

    @Override
    public float[] floats() {
        return floats;
    }

    @Override
    public int[] ints() {
        return ints;
    }

    private static long align(long x) {
        return (x + ALIGN - 1) / ALIGN * ALIGN;
    }

    public boolean contains(Object array) {
        return base.containsKey(array);
    }

    /** Offset of the host array's first element in its arena. */
    public int base(Object array) {
        return base.get(array);
    }

    /** Offset of a slice in the float arena; −1 for an absent optional buffer. */
    @Override
    public int at(FloatSlice s) {
        return s == null ? -1 : base(s.array) + s.offset;
    }

    @Override
    public int at(IntSlice s) {
        return base(s.array) + s.offset;
    }

    static int length(Object array) {
        return array instanceof float[] fa ? fa.length : ((int[]) array).length;
    }

    /** Host array → image. */
    public void put(Object array) {
        System.arraycopy(array, 0, array instanceof float[] ? floats : ints, base(array), length(array));
    }

    /** Image → host array. */
    public void get(Object array) {
        System.arraycopy(array instanceof float[] ? floats : ints, base(array), array, 0, length(array));
    }

    public long bytes() {
        return 4L * floats.length + 4L * ints.length;
    }
}
