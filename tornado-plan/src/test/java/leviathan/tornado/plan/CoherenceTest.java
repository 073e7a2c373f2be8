package leviathan.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import leviathan.graph.Backend;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.stages.CoreStages;

/** Where the newest copy of each array is, through the planned backend on the emulated device. */
class CoherenceTest {
    @Test
    void theHostSeesDeviceResultsOnlyAfterASyncAndCopiesOnDemand() {
        EmulatedDevice device = new EmulatedDevice();
        FloatSlice x = FloatSlice.of("x", 16), y = FloatSlice.of("y", 16);
        x.fill(2f);
        Graph g = new Graph("g").add(CoreStages.residualForward("double", y, x, x, 16));
        try (PlannedBackend backend = new PlannedBackend(device, new Profiler())) {
            Backend.CompiledGraph c = backend.compile(g);
            c.run();
            assertEquals(0f, y.get(0), "runs are deferred until the host needs data");
            backend.syncToHost(y.array);
            assertEquals(4f, y.get(0));
            assertEquals(1, device.downloads, "the result is copied back on demand, once");
            backend.syncToHost(y.array);
            assertEquals(1, device.downloads, "a current host copy is not copied again");
            c.run();
            c.run(); // the second run of a pending graph flushes the first
            backend.syncToHost(y.array);
            assertEquals(1, device.uploads, "nothing the plan reads changed on the host: no new upload");
        }
    }

    @Test
    void aHostChangeToPartOfADeviceArrayIsMerged() {
        EmulatedDevice device = new EmulatedDevice();
        float[] block = new float[32];
        FloatSlice lo = new FloatSlice("lo", block, 0, new int[] {16}), hi = new FloatSlice("hi", block, 16, new int[] {16});
        FloatSlice out = FloatSlice.of("out", 16);
        // Each run: hi = lo + hi (on the device); the host then changes lo only.
        Graph g = new Graph("g").add(CoreStages.residualForward("acc", hi, lo, hi, 16)).add(CoreStages.geluForward("read", out, hi, 16));
        lo.fill(1f);
        try (PlannedBackend backend = new PlannedBackend(device, new Profiler())) {
            Backend.CompiledGraph c = backend.compile(g);
            c.run();
            backend.syncToHost(out.array); // hi = 1 on the device; the host block is stale
            lo.fill(10f);                  // the host changes lo only
            backend.syncToDevice(block);
            c.run();
            backend.syncToHost(block);
            float[] want = new float[32];
            java.util.Arrays.fill(want, 0, 16, 10f);
            java.util.Arrays.fill(want, 16, 32, 11f); // hi kept its device value 1 and added the new lo
            assertArrayEquals(want, block);
            assertEquals(2, device.uploads, "the host change forced one new upload");
        }
    }
}
