package leviathan.graph;

import java.util.Arrays;

/** A named window {@code [offset, offset+length)} of a float block: how every buffer is passed. */
public final class FloatSlice {
    public final String name;
    public final float[] array;
    public final int offset;
    public final int length;
    /** Logical shape, for messages, checkpoints and docs; its product is {@code length}. */
    public final int[] shape;

    public FloatSlice(String name, float[] array, int offset, int[] shape) {
        this.name = name;
        this.array = array;
        this.offset = offset;
        this.shape = shape.clone();
        this.length = product(shape);
        if (offset < 0 || offset + length > array.length) {
            throw new IllegalArgumentException("slice " + name + " [" + offset + ", " + (offset + length)
                    + ") lies outside its block of " + array.length);
        }
    }

    /** A standalone buffer of the given shape. */
    public static FloatSlice of(String name, int... shape) {
        return new FloatSlice(name, new float[product(shape)], 0, shape);
    }

    public float get(int i) {
        return array[offset + i];
    }

    public void set(int i, float value) {
        array[offset + i] = value;
    }

    public void fill(float value) {
        Arrays.fill(array, offset, offset + length, value);
    }

    public float[] toArray() {
        return Arrays.copyOfRange(array, offset, offset + length);
    }

    public void copyFrom(float[] src) {
        if (src.length != length) {
            throw new IllegalArgumentException(name + ": expected " + length + " values, got " + src.length);
        }
        System.arraycopy(src, 0, array, offset, length);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    public static int product(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large for one array");
        }
        return (int) n;
    }

    @Override
    public String toString() {
        return name + shapeString();
    }
}
