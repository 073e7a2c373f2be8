package leviathan.model;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.stages.CoreStages;

/**
 * Zeroes the activation gradients before a backward pass, except where it can be skipped.
 * Backward stages accumulate into their gradients (llm.c's convention), so every gradient starts at
 * zero; but when a stage that can overwrite ({@link CoreStages#asFirstWriter}) is the first to touch its
 * output, it writes instead of adding and that range needs no zeroing. For the baseline model
 * (matmul input gradients, GELU's and the residual stream's) this and leaving alone what no stage
 * touches skip most of the zeroing (docs/performance.md has the figures).
 */
final class GradientZeroing {
    private GradientZeroing() {}

    /** Touched ranges closer than this (floats: the layout's padding, small tensors) share one fill. */
    private static final int MERGE_GAP = 64;

    /** Name of the fill stages, numbered from 0 in block order. */
    static final String FILL_NAME = "zero_activation_grads";

    /**
     * The backward stages with first writers switched to overwriting, preceded by fills of the
     * parts of {@code dacts} that the stages touch and no first writer overwrites.
     */
    static List<Stage> plan(FloatBlock dacts, List<Stage> backward) {
        FloatSlice all = dacts.all();
        // Ranges [from, to) of dacts touched so far (read or written), and those first written by an overwrite.
        TreeMap<Integer, Integer> touched = new TreeMap<>();
        TreeMap<Integer, Integer> overwritten = new TreeMap<>();
        List<Stage> stages = new ArrayList<>();
        for (Stage s : backward) {
            Stage first = CoreStages.asFirstWriter(s);
            if (first != null && untouchedOutputs(first, all, touched)) {
                for (FloatSlice out : CoreStages.firstWriterOutputs(first)) {
                    overwritten.put(out.offset, out.offset + out.length);
                }
                s = first;
            }
            for (int i = 0; i < s.argCount(); i++) {
                if (s.arg(i) instanceof FloatSlice) {
                    FloatSlice f = (FloatSlice) s.arg(i);
                    if (f.array == all.array) {
                        touched.merge(f.offset, f.offset + f.length, Math::max);
                    }
                }
            }
            stages.add(s);
        }
        // Zero what some stage touches, minus what a first writer overwrites; ranges no stage
        // touches (e.g. the gradient of attention's probabilities, LayerNorm's statistics) stay as they are.
        List<Stage> plan = new ArrayList<>();
        int n = 0, from = Integer.MIN_VALUE, to = Integer.MIN_VALUE;
        for (var e : touched.entrySet()) {
            if (e.getKey() > to + MERGE_GAP) {
                n = fillExcept(plan, dacts, n, from, to, overwritten);
                from = e.getKey();
            }
            to = Math.max(to, e.getValue());
        }
        fillExcept(plan, dacts, n, from, to, overwritten);
        plan.addAll(stages);
        return plan;
    }

    /** Adds fills of [from, to) minus the overwritten ranges; returns the next fill number. */
    private static int fillExcept(List<Stage> plan, FloatBlock dacts, int n, int from, int to, TreeMap<Integer, Integer> overwritten) {
        for (var e : overwritten.subMap(from, true, to, false).entrySet()) {
            if (e.getKey() > from) {
                plan.add(fill(dacts, n++, from, e.getKey()));
            }
            from = Math.max(from, e.getValue());
        }
        if (to > from) {
            plan.add(fill(dacts, n++, from, to));
        }
        return n;
    }

    private static Stage fill(FloatBlock dacts, int n, int from, int to) {
        return CoreStages.fill(FILL_NAME + "." + n, dacts.range("zero." + n, from, to), 0f);
    }

    /** Whether every output of the stage lies in dacts and no earlier stage touched it. */
    private static boolean untouchedOutputs(Stage s, FloatSlice all, TreeMap<Integer, Integer> touched) {
        for (FloatSlice out : CoreStages.firstWriterOutputs(s)) {
            if (out.array != all.array || overlaps(touched, out.offset, out.offset + out.length)) {
                return false;
            }
        }
        return true;
    }

    private static boolean overlaps(TreeMap<Integer, Integer> ranges, int from, int to) {
        for (var e : ranges.headMap(to, false).entrySet()) {
            if (e.getValue() > from) {
                return true;
            }
        }
        return false;
    }
}
