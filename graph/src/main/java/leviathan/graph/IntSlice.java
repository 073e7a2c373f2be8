package leviathan.graph;

import java.util.Arrays;

/** A named window of an int array: token ids and targets. */
public final class IntSlice {
    public final String name;
    public final int[] array;
    public final int offset;
    public final int length;

    public IntSlice(String name, int[] array, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > array.length) {
            throw new IllegalArgumentException("slice " + name + " lies outside its array");
        }
        this.name = name;
        this.array = array;
        this.offset = offset;
        this.length = length;
    }

    public static IntSlice of(String name, int length) {
        return new IntSlice(name, new int[length], 0, length);
    }

    public int get(int i) {
        return array[offset + i];
    }

    public void set(int i, int value) {
        array[offset + i] = value;
    }

    public int[] toArray() {
        return Arrays.copyOfRange(array, offset, offset + length);
    }

    @Override
    public String toString() {
        return name + "[" + length + "]";
    }
}
