package leviathan.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatBlock;
import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.stages.CoreStages;
import leviathan.graph.Graph;
import leviathan.graph.Stage;

/**
 * Size validation where stages are declared: a wrong-length buffer gives an
 * IllegalArgumentException whose message names the stage, the buffer and the expected length
 * (and how it is computed); inconsistent sizes name the sizes. Correct declarations pass.
 */
class OpsValidationTest {
    static final int B = 2, T = 5, C = 12, H = 3, V = 7, Tmax = 8, BT = B * T, OC = 19;

    static FloatSlice buf(String name, int... shape) {
        return FloatSlice.of(name, shape);
    }

    /** Asserts an IllegalArgumentException whose message contains every fragment. */
    static void assertRejected(Executable declaration, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, declaration);
        String msg = e.getMessage();
        for (String f : fragments) {
            assertTrue(msg != null && msg.contains(f), "message \"" + msg + "\" should mention \"" + f + "\"");
        }
    }

    @Test
    void matmulForwardRejectsWrongWeight() {
        assertRejected(() -> CoreStages.matmulForward("mm", buf("out", BT, OC), buf("inp", BT, C), buf("w_bad", OC, C + 1), null, BT, C, OC),
                "mm", "w_bad", "expected " + OC * C, "OC*C", "length " + OC * (C + 1));
    }

    @Test
    void matmulForwardRejectsWrongBiasAndOutput() {
        assertRejected(() -> CoreStages.matmulForward("mm", buf("out", BT, OC), buf("inp", BT, C), buf("w", OC, C), buf("b_bad", OC - 1), BT, C, OC),
                "b_bad", "expected " + OC, "OC");
        assertRejected(() -> CoreStages.matmulForward("mm", buf("out_bad", OC, BT + 1), buf("inp", BT, C), buf("w", OC, C), null, BT, C, OC),
                "out_bad", "expected " + BT * OC, "BT*OC");
    }

    @Test
    void matmulBackwardRejectsWrongBuffers() {
        assertRejected(() -> CoreStages.matmulBackwardInput("mm_bi", buf("dinp", BT, C), buf("dout_bad", BT, C), buf("w", OC, C), BT, C, OC),
                "dout_bad", "expected " + BT * OC);
        assertRejected(() -> CoreStages.matmulBackwardWeight("mm_bw", buf("dw_bad", C, C), buf("dout", BT, OC), buf("inp", BT, C), BT, C, OC),
                "dw_bad", "expected " + OC * C);
        assertRejected(() -> CoreStages.matmulBackwardBias("mm_bb", buf("db_bad", C), buf("dout", BT, OC), BT, OC),
                "db_bad", "expected " + OC);
    }

    @Test
    void attentionRejectsWidthNotDivisibleByHeads() {
        int c = 10;
        assertRejected(() -> CoreStages.attentionForward("attn", buf("out", B, T, c), buf("pre", B, H, T, T), buf("att", B, H, T, T),
                buf("qkv", B, T, 3 * c), B, T, c, H), "attn", "C=10", "H=3");
        assertRejected(() -> CoreStages.attentionBackwardQuery("attn_bq", buf("dqkv", B, T, 3 * c), buf("dpre", B, H, T, T),
                buf("dout", B, T, c), buf("qkv", B, T, 3 * c), buf("att", B, H, T, T), B, T, c, H), "C=10", "H=3");
    }

    @Test
    void attentionRejectsWrongScoreBuffer() {
        assertRejected(() -> CoreStages.attentionForward("attn", buf("out", B, T, C), buf("preatt_bad", B, T, T), buf("att", B, H, T, T),
                buf("qkv", B, T, 3 * C), B, T, C, H), "preatt_bad", "expected " + B * H * T * T, "B*H*T*T");
        assertRejected(() -> CoreStages.attentionBackwardKeyValue("attn_bkv", buf("dqkv", B, T, 3 * C), buf("dpre", B, H, T, T),
                buf("dout", B, T, C), buf("qkv_bad", B, T, C), buf("att", B, H, T, T), B, T, C, H), "qkv_bad", "expected " + B * T * 3 * C);
    }

    @Test
    void encoderRejectsSequenceLongerThanContext() {
        int t = Tmax + 1;
        assertRejected(() -> CoreStages.encoderForward("enc", buf("out", B, t, C), IntSlice.of("tokens", B * t), buf("wte", V, C),
                buf("wpe", Tmax, C), B, t, C, V, Tmax), "enc", "T=" + t, "Tmax=" + Tmax);
    }

    /**
     * The backward pass needs the same T &lt;= Tmax check as the forward: its extent is T rows of
     * dwpe, so with T &gt; Tmax it would write past the (Tmax, C) slice into whatever tensor follows
     * it in the gradient block, silently.
     */
    @Test
    void encoderBackwardPositionsRejectsSequenceLongerThanContext() {
        int t = Tmax + 1;
        BlockLayout layout = new BlockLayout("grads");
        layout.add("wpe", Tmax, C);
        layout.add("next", 16);
        FloatBlock grads = layout.allocate();
        assertRejected(() -> CoreStages.encoderBackwardPositions("enc_bp", grads.slice("wpe"), buf("dout", B, t, C), B, t, C, Tmax),
                "enc_bp", "T=" + t, "Tmax=" + Tmax);
    }

    @Test
    void encoderRejectsWrongTablesAndTokens() {
        assertRejected(() -> CoreStages.encoderForward("enc", buf("out", B, T, C), IntSlice.of("tokens", B * T), buf("wte", V, C),
                buf("wpe_bad", T, C), B, T, C, V, Tmax), "wpe_bad", "expected " + Tmax * C, "Tmax*C");
        assertRejected(() -> CoreStages.encoderForward("enc", buf("out", B, T, C), IntSlice.of("tokens_bad", B * T - 1), buf("wte", V, C),
                buf("wpe", Tmax, C), B, T, C, V, Tmax), "tokens_bad", "expected " + B * T, "B*T");
        assertRejected(() -> CoreStages.encoderBackwardTokens("enc_bt", buf("dwte_bad", V + 1, C), buf("dout", BT, C), IntSlice.of("tokens", BT), BT, C, V),
                "dwte_bad", "expected " + V * C);
    }

    @Test
    void layerNormRejectsWrongMeanLength() {
        assertRejected(() -> CoreStages.layerNormForward("ln", buf("out", BT, C), buf("mean_bad", BT + 1), buf("rstd", BT), buf("inp", BT, C),
                buf("w", C), buf("b", C), BT, C), "ln", "mean_bad", "length " + (BT + 1), "expected " + BT, "= N");
        assertRejected(() -> CoreStages.layerNormBackwardParams("ln_bp", buf("dw", C), buf("db", C), buf("dout", BT, C), buf("inp", BT, C),
                buf("mean", BT), buf("rstd_bad", C), BT, C), "rstd_bad", "expected " + BT);
    }

    @Test
    void missingBufferIsNamedByItsShape() {
        assertRejected(() -> CoreStages.layerNormForward("ln", buf("out", BT, C), buf("mean", BT), buf("rstd", BT), buf("inp", BT, C),
                null, buf("b", C), BT, C), "ln", "missing");
    }

    @Test
    void nonPositiveSizesAreRejected() {
        assertRejected(() -> CoreStages.matmulForward("mm", buf("out", 0), buf("inp", 0), buf("w", OC, C), null, 0, C, OC), "BT", "positive");
    }

    @Test
    void crossEntropyRejectsWrongTargetsAndProbs() {
        assertRejected(() -> CoreStages.crossEntropyForward("ce", buf("losses", BT), buf("probs", BT, V), buf("logits", BT, V),
                IntSlice.of("targets_bad", BT + 2), BT, V), "targets_bad", "expected " + BT);
        assertRejected(() -> CoreStages.crossEntropyBackward("ce_b", buf("dlogits", BT, V), buf("probs_bad", BT, V + 1),
                IntSlice.of("targets", BT), BT, V), "probs_bad", "expected " + BT * V);
        assertRejected(() -> CoreStages.meanLoss("mean", buf("out_bad", 2), buf("losses", BT), BT), "out_bad", "expected 1");
    }

    @Test
    void elementwiseRejectWrongLengths() {
        assertRejected(() -> CoreStages.geluForward("gelu", buf("out", 10), buf("inp_bad", 11), 10), "inp_bad", "expected 10");
        assertRejected(() -> CoreStages.residualBackward("res_b", buf("da", 10), buf("db_bad", 9), buf("dout", 10), 10), "db_bad", "expected 10");
    }

    @Test
    void adamwRejectsMismatchedOffsetsAndLengths() {
        BlockLayout layout = new BlockLayout("p");
        layout.add("a", 20);
        layout.add("b", 20);
        FloatBlock p = layout.allocate("params"), g = layout.allocate("grads"), m = layout.allocate("m"), v = layout.allocate("v");
        FloatSlice scalars = buf("scalars", StepScalars.SIZE);
        // Same lengths, different tensors: grads of "b" against params of "a".
        assertRejected(() -> CoreStages.adamw("adamw", p.slice("a"), g.slice("b"), m.slice("a"), v.slice("a"), scalars, 0.1f),
                "adamw", "same offsets");
        assertRejected(() -> CoreStages.adamw("adamw", p.slice("a"), g.range("short", 0, 19), m.slice("a"), v.slice("a"), scalars, 0.1f),
                "grads.short", "expected 20");
        assertRejected(() -> CoreStages.adamw("adamw", p.slice("a"), g.slice("a"), m.slice("a"), v.slice("a"), buf("scalars_bad", 3), 0.1f),
                "scalars_bad", "expected " + StepScalars.SIZE, "StepScalars.SIZE");
        assertDoesNotThrow(() -> CoreStages.adamw("adamw", p.slice("b"), g.slice("b"), m.slice("b"), v.slice("b"), scalars, 0.1f));
    }

    @Test
    void gradNormRejectsWrongPartials() {
        int n = CoreStages.GRADNORM_BLOCK + 1;
        assertRejected(() -> CoreStages.gradNormPartial("gn", buf("partials_bad", 1), buf("grads", n)), "partials_bad", "expected 2");
        assertRejected(() -> CoreStages.gradNormClip("gn_clip", buf("scalars_bad", 4), buf("partials", 2), 1f), "scalars_bad",
                "expected " + StepScalars.SIZE);
    }

    @Test
    void correctDeclarationsPass() {
        assertDoesNotThrow(() -> {
            CoreStages.matmulForward("mm", buf("out", BT, OC), buf("inp", BT, C), buf("w", OC, C), buf("b", OC), BT, C, OC);
            CoreStages.attentionForward("attn", buf("out", B, T, C), buf("pre", B, H, T, T), buf("att", B, H, T, T), buf("qkv", B, T, 3 * C), B, T, C, H);
            CoreStages.encoderForward("enc", buf("out", B, T, C), IntSlice.of("tok", BT), buf("wte", V, C), buf("wpe", Tmax, C), B, T, C, V, Tmax);
            CoreStages.layerNormForward("ln", buf("out", BT, C), buf("mean", BT), buf("rstd", BT), buf("inp", BT, C), buf("w", C), buf("b", C), BT, C);
        });
    }

    @Test
    void stageAndGraphRejectInconsistentDeclarations() {
        assertRejected(() -> new Stage("bad", MatmulKernels.FORWARD, new int[] {3}, 0, 0), "bad", "2-D extent");
        Graph g = new Graph("g").add(CoreStages.fill("z", buf("a", 4), 0f));
        assertRejected(() -> g.add(CoreStages.fill("z", buf("b", 4), 0f)), "already has a stage named z");
    }
}
