package leviathan.model;

import leviathan.graph.Backend;
import leviathan.graph.FloatSlice;

/** What a mixer may touch between steps: its own tensors by full name, and a seeded generator. */
public interface MixerState {
    FloatSlice tensor(String fullName);

    /** Tells the backend the host changed this tensor. */
    void changed(FloatSlice slice);

    long seed();

    /** The state a training loop hands its model's mixer: the model's parameters, synced to {@code backend}. */
    static MixerState of(Gpt model, Backend backend, long seed) {
        return new MixerState() {
            @Override
            public FloatSlice tensor(String fullName) {
                return model.param(fullName);
            }

            @Override
            public void changed(FloatSlice slice) {
                backend.syncToDevice(slice.array);
            }

            @Override
            public long seed() {
                return seed;
            }
        };
    }
}
