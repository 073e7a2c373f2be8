package leviathan.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import leviathan.graph.Backend;
import leviathan.graph.BlockLayout;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.kernels.StepScalars;
import leviathan.stages.CoreStages;
import leviathan.testing.Check;

/**
 * Bit-for-bit reproducibility of a training step through one attention block: LayerNorm,
 * QKV matmul (fast path), attention forward, output projection, then the full backward
 * (matmul backward input/weight/bias, attention backward, LayerNorm backward), the two-pass
 * gradient norm with clipping and AdamW, all in one graph over {@link BlockLayout} blocks.
 * <ul>
 *   <li>Same thread count (2), fresh buffers, same inputs: bit-identical (Arrays.equals).</li>
 *   <li>The same compiled graph run again after restoring its inputs: bit-identical (no hidden state).</li>
 *   <li>Plain bodies: 1 thread and 3 threads bit-identical, since every index owns its outputs.</li>
 *   <li>Fast path: 1 and 3 threads also bit-identical, because {@link VectorGemm} splits its work
 *       into whole row tiles and panels aligned to row and column 0, so each element is computed by
 *       the same instruction sequence whatever the split; the GradNorm blocks are fixed
 *       ({@link CoreStages#GRADNORM_BLOCK}).</li>
 * </ul>
 */
class DeterminismTest {
    static final int B = 2, T = 7, C = 40, H = 4, BT = B * T;
    static final int STEPS = 2;

    /** A self-contained block step: buffers, graph, and the arrays to compare. */
    static final class BlockStep {
        final BlockLayout layout = new BlockLayout("params");
        final FloatBlock params, grads, m, v;
        final FloatSlice x, ln, mean, rstd, qkv, preatt, att, atty, y, dy;
        final FloatSlice datty, dqkv, dpreatt, dln, dx, scalars, partials;
        final Graph graph;
        private final float[][] initial;

        BlockStep() {
            layout.add("ln_w", C);
            layout.add("ln_b", C);
            layout.add("qkv_w", 3 * C, C);
            layout.add("qkv_b", 3 * C);
            layout.add("proj_w", C, C);
            layout.add("proj_b", C);
            params = layout.allocate("params");
            grads = layout.allocate("grads");
            m = layout.allocate("m");
            v = layout.allocate("v");
            x = FloatSlice.of("x", BT, C);
            ln = FloatSlice.of("ln", BT, C);
            mean = FloatSlice.of("mean", BT);
            rstd = FloatSlice.of("rstd", BT);
            qkv = FloatSlice.of("qkv", BT, 3 * C);
            preatt = FloatSlice.of("preatt", B, H, T, T);
            att = FloatSlice.of("att", B, H, T, T);
            atty = FloatSlice.of("atty", BT, C);
            y = FloatSlice.of("y", BT, C);
            dy = FloatSlice.of("dy", BT, C);
            datty = FloatSlice.of("datty", BT, C);
            dqkv = FloatSlice.of("dqkv", BT, 3 * C);
            dpreatt = FloatSlice.of("dpreatt", B, H, T, T);
            dln = FloatSlice.of("dln", BT, C);
            dx = FloatSlice.of("dx", BT, C);
            scalars = FloatSlice.of("scalars", StepScalars.SIZE);
            FloatSlice allGrads = grads.range("all", 0, layout.size());
            partials = FloatSlice.of("partials", CoreStages.gradNormBlocks(allGrads.length));

            Random r = new Random(2024);
            float[] p = params.array();
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) (r.nextGaussian() * 0.3);
            }
            params.slice("ln_w").fill(1f);
            fillGaussian(r, x, 1);
            fillGaussian(r, dy, 1);
            float[] s = new float[StepScalars.SIZE];
            s[StepScalars.LEARNING_RATE] = 1e-2f;
            s[StepScalars.BETA1] = 0.9f;
            s[StepScalars.BETA2] = 0.99f;
            s[StepScalars.EPS] = 1e-8f;
            s[StepScalars.BIAS_CORRECTION1] = 0.1f;
            s[StepScalars.BIAS_CORRECTION2] = 0.01f;
            scalars.copyFrom(s);

            FloatSlice lnW = params.slice("ln_w"), lnB = params.slice("ln_b");
            FloatSlice qkvW = params.slice("qkv_w"), qkvB = params.slice("qkv_b");
            FloatSlice projW = params.slice("proj_w"), projB = params.slice("proj_b");
            graph = new Graph("step")
                    .readsFromHost(x).readsFromHost(dy).readsFromHost(scalars)
                    .add(CoreStages.layerNormForward("ln_fwd", ln, mean, rstd, x, lnW, lnB, BT, C))
                    .add(CoreStages.matmulForward("qkv_fwd", qkv, ln, qkvW, qkvB, BT, C, 3 * C))
                    .add(CoreStages.attentionForward("attn_fwd", atty, preatt, att, qkv, B, T, C, H))
                    .add(CoreStages.matmulForward("proj_fwd", y, atty, projW, projB, BT, C, C))
                    .add(CoreStages.fill("zero_grads", allGrads, 0f))
                    .add(CoreStages.fill("zero_datty", datty, 0f))
                    .add(CoreStages.fill("zero_dqkv", dqkv, 0f))
                    .add(CoreStages.fill("zero_dln", dln, 0f))
                    .add(CoreStages.fill("zero_dx", dx, 0f))
                    .add(CoreStages.matmulBackwardInput("proj_bwd_in", datty, dy, projW, BT, C, C))
                    .add(CoreStages.matmulBackwardWeight("proj_bwd_w", grads.slice("proj_w"), dy, atty, BT, C, C))
                    .add(CoreStages.matmulBackwardBias("proj_bwd_b", grads.slice("proj_b"), dy, BT, C))
                    .add(CoreStages.attentionBackwardQuery("attn_bwd_q", dqkv, dpreatt, datty, qkv, att, B, T, C, H))
                    .add(CoreStages.attentionBackwardKeyValue("attn_bwd_kv", dqkv, dpreatt, datty, qkv, att, B, T, C, H))
                    .add(CoreStages.matmulBackwardInput("qkv_bwd_in", dln, dqkv, qkvW, BT, C, 3 * C))
                    .add(CoreStages.matmulBackwardWeight("qkv_bwd_w", grads.slice("qkv_w"), dqkv, ln, BT, C, 3 * C))
                    .add(CoreStages.matmulBackwardBias("qkv_bwd_b", grads.slice("qkv_b"), dqkv, BT, 3 * C))
                    .add(CoreStages.layerNormBackwardInput("ln_bwd_in", dx, dln, x, lnW, mean, rstd, BT, C))
                    .add(CoreStages.layerNormBackwardParams("ln_bwd_p", grads.slice("ln_w"), grads.slice("ln_b"), dln, x, mean, rstd, BT, C))
                    .add(CoreStages.gradNormPartial("gn_partial", partials, allGrads))
                    .add(CoreStages.gradNormClip("gn_clip", scalars, partials, 0.5f))
                    .add(CoreStages.adamw("adamw", params.range("all", 0, layout.size()), allGrads,
                            m.range("all", 0, layout.size()), v.range("all", 0, layout.size()), scalars, 0.1f))
                    .writesToHost(y);
            initial = new float[][] {params.array().clone(), m.array().clone(), v.array().clone(), scalars.toArray()};
        }

        static void fillGaussian(Random r, FloatSlice s, double scale) {
            for (int i = 0; i < s.length; i++) {
                s.set(i, (float) (r.nextGaussian() * scale));
            }
        }

        /** Puts the state the graph updates (parameters, moments, scalars) back to its initial values. */
        void restore() {
            System.arraycopy(initial[0], 0, params.array(), 0, initial[0].length);
            System.arraycopy(initial[1], 0, m.array(), 0, initial[1].length);
            System.arraycopy(initial[2], 0, v.array(), 0, initial[2].length);
            scalars.copyFrom(initial[3]);
        }

        /** Every buffer the graph writes. */
        Map<String, float[]> snapshot() {
            Map<String, float[]> out = new LinkedHashMap<>();
            out.put("params", params.array().clone());
            out.put("grads", grads.array().clone());
            out.put("m", m.array().clone());
            out.put("v", v.array().clone());
            for (FloatSlice s : List.of(ln, mean, rstd, qkv, preatt, att, atty, y, datty, dqkv, dpreatt, dln, dx, scalars, partials)) {
                out.put(s.name, s.toArray());
            }
            return out;
        }
    }

    static Map<String, float[]> runFresh(int threads, boolean fast) {
        return runFresh(threads, fast, STEPS);
    }

    static Map<String, float[]> runFresh(int threads, boolean fast, int steps) {
        BlockStep step = new BlockStep();
        try (JvmBackend backend = new JvmBackend(threads, fast, new Profiler())) {
            Backend.CompiledGraph g = backend.compile(step.graph);
            for (int i = 0; i < steps; i++) {
                g.run();
            }
        }
        return step.snapshot();
    }

    static void assertBitIdentical(Map<String, float[]> a, Map<String, float[]> b, String what) {
        assertEquals(a.keySet(), b.keySet());
        List<String> differ = new ArrayList<>();
        for (String k : a.keySet()) {
            if (!Arrays.equals(a.get(k), b.get(k))) {
                differ.add(k);
            }
        }
        assertTrue(differ.isEmpty(), what + ": buffers differ: " + differ);
    }

    /** Guards against comparing two runs that did nothing or blew up. */
    static void assertSane(Map<String, float[]> s) {
        for (Map.Entry<String, float[]> e : s.entrySet()) {
            for (float f : e.getValue()) {
                assertTrue(Float.isFinite(f), e.getKey() + " holds " + f);
            }
        }
        float[] scal = s.get("scalars");
        assertTrue(scal[StepScalars.GRAD_NORM] > 0.5f, "the test gradients are clipped (norm " + scal[StepScalars.GRAD_NORM] + ")");
        assertTrue(scal[StepScalars.GRAD_SCALE] < 1f);
        assertFalse(Arrays.equals(new BlockStep().params.array(), s.get("params")), "AdamW changed the parameters");
    }

    @Test
    void sameThreadCountFreshBuffersIsBitIdentical() {
        Map<String, float[]> a = runFresh(2, true);
        Map<String, float[]> b = runFresh(2, true);
        assertSane(a);
        assertBitIdentical(a, b, "two fresh runs on 2 threads (fast)");
    }

    @Test
    void rerunningACompiledGraphAfterRestoringInputsIsBitIdentical() {
        BlockStep step = new BlockStep();
        try (JvmBackend backend = new JvmBackend(2, true, new Profiler())) {
            Backend.CompiledGraph g = backend.compile(step.graph);
            g.run();
            Map<String, float[]> first = step.snapshot();
            // Scribble over every activation and gradient, then restore only the graph's inputs.
            for (FloatSlice s : List.of(step.ln, step.mean, step.rstd, step.qkv, step.atty, step.y, step.datty,
                    step.dqkv, step.dln, step.dx, step.partials)) {
                s.fill(Float.NaN);
            }
            // Score buffers: only the causal entries (j <= i) are ever written; the masked ones stay as they are.
            for (FloatSlice s : List.of(step.preatt, step.att, step.dpreatt)) {
                for (int row = 0; row < B * H * T; row++) {
                    for (int j = 0; j <= row % T; j++) {
                        s.set(row * T + j, Float.NaN);
                    }
                }
            }
            Arrays.fill(step.grads.array(), 7f);
            step.restore();
            g.run();
            assertBitIdentical(first, step.snapshot(), "second run of the same compiled graph");
            assertSane(first);
        }
    }

    @Test
    void plainBodiesAreBitIdenticalAcrossThreadCounts() {
        Map<String, float[]> one = runFresh(1, false);
        assertSane(one);
        assertBitIdentical(one, runFresh(3, false), "plain bodies, 1 vs 3 threads");
        assertBitIdentical(one, runFresh(2, false), "plain bodies, 1 vs 2 threads");
    }

    @Test
    void fastPathIsBitIdenticalAcrossThreadCounts() {
        Map<String, float[]> one = runFresh(1, true);
        assertBitIdentical(one, runFresh(3, true), "fast path, 1 vs 3 threads");
    }

    /**
     * Not bit-identical but close: plain and fast differ only in the matmuls' summation order and
     * FMA. After one step every activation and gradient agrees within {@link Check#FAST_RTOL}.
     */
    @Test
    void fastAndPlainAgreeWithinTolerance() {
        Map<String, float[]> plain = runFresh(2, false, 1);
        Map<String, float[]> fast = runFresh(2, true, 1);
        for (String k : List.of("qkv", "att", "atty", "y", "datty", "dqkv", "dln", "dx", "grads", "partials")) {
            Check.assertClose(plain.get(k), fast.get(k), Check.FAST_RTOL, k + " (fast vs plain)");
        }
    }
}
