package leviathan.tornado.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Stage;
import leviathan.stages.CoreStages;

/** Read and write sets from the kernels' signatures, and the cut into segments. */
class PlanLayoutTest {
    @Test
    void aBufferWrittenBeforeItIsReadNeedsNoUpload() {
        FloatSlice a = FloatSlice.of("a", 64), b = FloatSlice.of("b", 64), c = FloatSlice.of("c", 64);
        Graph g = new Graph("g");
        g.add(CoreStages.fill("fill_a", a, 1f));                   // a: written first
        g.add(CoreStages.residualForward("add", c, a, b, 64));     // c written; a (covered) and b read
        g.add(CoreStages.geluBackward("acc", b, a, c, 64));        // b read-written (accumulates)
        PlanLayout p = new PlanLayout("p", List.of(g), 12);
        assertTrue(p.liveIn.contains(b.array), "b is read before anything writes it");
        assertFalse(p.liveIn.contains(a.array), "a is written whole before it is read");
        assertFalse(p.liveIn.contains(c.array), "c is written whole before it is read");
        assertTrue(p.written.contains(a.array) && p.written.contains(b.array) && p.written.contains(c.array));
        assertEquals(3, p.all.size());
    }

    @Test
    void aPartlyWrittenBufferIsStillLiveIn() {
        float[] block = new float[128];
        FloatSlice lo = new FloatSlice("lo", block, 0, new int[] {64});
        FloatSlice all = new FloatSlice("all", block, 0, new int[] {128});
        FloatSlice out = FloatSlice.of("out", 128);
        Graph g = new Graph("g");
        g.add(CoreStages.fill("fill_lo", lo, 0f));
        g.add(CoreStages.geluForward("read_all", out, all, 128)); // reads [64, 128) that nothing wrote
        PlanLayout p = new PlanLayout("p", List.of(g), 12);
        assertTrue(p.liveIn.contains(block));
        assertTrue(PlanLayout.isCovered(List.of(new long[] {0, 64}, new long[] {64, 128}), 10, 128));
        assertFalse(PlanLayout.isCovered(List.of(new long[] {0, 64}, new long[] {65, 128}), 10, 128));
    }

    @Test
    void hostInputsAreNotLiveInAndHostOutputsAreKept() {
        FloatSlice in = FloatSlice.of("in", 8), out = FloatSlice.of("out", 8), unused = FloatSlice.of("unused", 8);
        Graph g = new Graph("g").readsFromHost(in).writesToHost(out).writesToHost(unused);
        g.add(CoreStages.geluForward("gelu", out, in, 8));
        PlanLayout p = new PlanLayout("p", List.of(g), 12);
        assertEquals(1, p.hostIn.size());
        assertFalse(p.liveIn.contains(in.array), "host inputs travel every run; they are not uploaded with the arena");
        assertEquals(1, p.hostOut.size(), "a host output no stage uses is not copied out");
    }

    @Test
    void segmentsRespectTheTaskLimitAndTheEncodingBudget() {
        Graph g = new Graph("g");
        for (int i = 0; i < 30; i++) {
            g.add(CoreStages.fill("fill" + i, FloatSlice.of("b" + i, 4), 0f));
        }
        PlanLayout p = new PlanLayout("p", List.of(g), 12);
        assertEquals(List.of(12, 12, 6), p.segments.stream().map(List::size).toList());
        assertEquals("t29", p.segments.get(2).get(5).id());
        // Stages with many arguments hit the byte budget before the task limit.
        Graph wide = new Graph("wide");
        for (int i = 0; i < 200; i++) {
            FloatSlice x = FloatSlice.of("x" + i, 4);
            wide.add(CoreStages.layerNormForward("ln" + i, x, FloatSlice.of("m" + i, 1), FloatSlice.of("r" + i, 1), x,
                    FloatSlice.of("w" + i, 4), FloatSlice.of("b" + i, 4), 1, 4));
        }
        PlanLayout q = new PlanLayout("q", List.of(wide), 1000);
        int perStage = 20 + 5 * (2 * 7 + 2);
        for (List<PlanLayout.Task> seg : q.segments) {
            assertTrue(seg.size() * perStage <= PlanLayout.SEGMENT_BUDGET, seg.size() + " tasks exceed the budget");
        }
        assertEquals(200, q.taskCount());
        Stage first = q.segments.get(0).get(0).stage();
        assertEquals("ln0", first.name);
    }
}
