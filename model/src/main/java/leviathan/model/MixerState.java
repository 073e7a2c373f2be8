package leviathan.model;

import leviathan.compute.FloatSlice;

/** What a mixer may touch between steps: its own tensors by full name, and a seeded generator. */
public interface MixerState {
    FloatSlice tensor(String fullName);

    /** Tells the backend the host changed this tensor. */
    void changed(FloatSlice slice);

    long seed();
}
