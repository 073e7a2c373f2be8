package leviathan.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import leviathan.graph.Graph;
import leviathan.graph.Kernel;
import leviathan.graph.KernelIndex;
import leviathan.graph.Stage;
import leviathan.model.Gpt;
import leviathan.model.Workspace;

/**
 * No kernel can be left out: every kernel on the class path (found through the kernel processor's
 * index, the test tree's example included) has a generated TornadoVM wrapper, and is run on the
 * emulated device by the parity tests, in the core-kernel graph or in some mixer's model.
 */
class EveryKernelRunsOnTheDeviceTest {
    @Test
    void everyKernelHasAGeneratedWrapper() {
        Set<Kernel> all = new LinkedHashSet<>(KernelIndex.all());
        assertTrue(all.size() >= 50, "the kernel index lists only " + all.size() + " kernels");
        Set<Kernel> missing = StubTornado.registry().missing(all);
        assertTrue(missing.isEmpty(), "kernels without a TornadoVM wrapper: " + missing);
    }

    @Test
    void everyKernelIsExercisedByTheParityTests() {
        Set<String> exercised = new TreeSet<>();
        collect(CoreKernelParity.allCoreKernels(), exercised);
        MixerParity.mixers().flatMap(MixerParity::configs).forEach(mc -> {
            Gpt model = new Gpt(mc);
            Workspace ws = model.trainingWorkspace(MixerParity.B, MixerParity.T, 1337); // mixerWithDropout… runs these
            for (Graph g : new Graph[] {ws.logitsGraph, ws.lossGraph, ws.backwardGraph, model.updateGraph(0.1f, 1f)}) {
                collect(g, exercised);
            }
        });
        Set<String> all = new TreeSet<>();
        KernelIndex.all().forEach(k -> all.add(k.name));
        all.removeAll(exercised);
        assertEquals(Set.of(), all, "kernels no parity test runs on a device: add them to CoreKernelParity or a mixer option set");
    }

    private static void collect(Graph g, Set<String> names) {
        for (Stage s : g.stages()) {
            names.add(s.kernel.name);
        }
    }
}
