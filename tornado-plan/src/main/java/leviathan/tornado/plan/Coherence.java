package leviathan.tornado.plan;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which copy of each host array is newest: the host's, and/or the device arena of some plans. So
 * checkpoints, evaluation and sampling copy from a device only on demand, and a host change to part
 * of an array whose newest copy is on a device (a mixer redrawing its features inside the parameter
 * block) is merged instead of overwriting the rest with stale data.
 */
final class Coherence {
    /** A plan whose device arena may hold the newest copy of some arrays. */
    interface Holder {
        /** Whether the device copy can be read (the plan has run). */
        boolean readable();

        /** Copies the array from the device into the host array. */
        void pull(Object array);
    }

    private static final class State {
        boolean hostFresh = true;
        final Set<Holder> freshOn = Collections.newSetFromMap(new IdentityHashMap<>());
        /** The host contents when host and device last agreed: lets a partial host change be merged. */
        Object snapshot;
    }

    private final Map<Object, State> arrays = new IdentityHashMap<>();

    private State state(Object array) {
        return arrays.computeIfAbsent(array, a -> new State());
    }

    boolean tracked(Object array) {
        return arrays.containsKey(array);
    }

    boolean freshOn(Object array, Holder plan) {
        return state(array).freshOn.contains(plan);
    }

    /** Makes the host copy current, copying from a device that holds the newest one. */
    void pullToHost(Object array) {
        State st = state(array);
        if (st.hostFresh) {
            return;
        }
        for (Holder p : st.freshOn) {
            if (p.readable()) {
                p.pull(array);
                st.hostFresh = true;
                st.snapshot = copyOf(array);
                return;
            }
        }
        throw new IllegalStateException("device backend: no device holds the newest copy of an array of " + PlanLayout.bytes(array) + " bytes");
    }

    /** The host changed the array: from now on the host copy is the only current one. */
    void hostChanged(Object array) {
        State st = arrays.get(array);
        if (st == null) {
            return; // not on any device yet: the first run copies it
        }
        if (!st.hostFresh) {
            mergeHostChanges(array, st);
        }
        st.hostFresh = true;
        st.freshOn.clear();
        st.snapshot = null;
    }

    /** The plan uploaded its whole arena: it now holds the current copy of every array it uses. */
    void uploaded(Holder plan, Set<Object> all) {
        for (Object a : all) {
            State st = state(a);
            st.freshOn.add(plan);
            if (st.snapshot == null) {
                st.snapshot = copyOf(a);
            }
        }
    }

    /** The plan ran: what it wrote is newest on its device only (and on the host where copied back). */
    void ran(Holder plan, Set<Object> written, Set<Object> hostOut, Set<Object> all) {
        for (Object a : written) {
            State st = state(a);
            st.freshOn.clear();
            st.freshOn.add(plan);
            st.hostFresh = hostOut.contains(a);
            if (st.hostFresh) {
                st.snapshot = null;
            }
        }
        for (Object a : all) {
            state(a).freshOn.add(plan);
        }
    }

    /** Takes the device copy and re-applies the host's changes since host and device last agreed. */
    private void mergeHostChanges(Object array, State st) {
        Object host = copyOf(array);
        Object base = st.snapshot;
        pullToHost(array); // the array now holds the device copy
        if (array instanceof float[] a) {
            float[] h = (float[]) host, s = (float[]) base;
            for (int i = 0; i < a.length; i++) {
                if (s == null || Float.floatToRawIntBits(h[i]) != Float.floatToRawIntBits(s[i])) {
                    a[i] = h[i];
                }
            }
        } else {
            int[] a = (int[]) array, h = (int[]) host, s = (int[]) base;
            for (int i = 0; i < a.length; i++) {
                if (s == null || h[i] != s[i]) {
                    a[i] = h[i];
                }
            }
        }
    }

    static Object copyOf(Object array) {
        return array instanceof float[] f ? f.clone() : ((int[]) array).clone();
    }
}
