package leviathan.kernels;

import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.GRAD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.constant;
import static leviathan.testing.TestData.dot;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.minus;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.model.mixers.SynthesizerMixer;
import leviathan.stages.DropoutSite;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;

/**
 * {@link Synthesizer} (SPEC 2.5) through {@link SynthesizerMixer.Stages} stages on the JVM backend (2 threads),
 * for both logit layouts (dense (B,T,H·Tmax), random (H,Tmax,Tmax)) with T &lt; Tmax: forward against
 * a double reference (relative 1e-5), masked probabilities never written; the logit and value
 * gradients against central finite differences of the reference (relative 1e-3), the value and
 * table gradients accumulating into pre-filled buffers and the dense logit gradient written
 * whole (zero where masked); ReLU forward and backward; validation.
 */
class SynthesizerKernelTest {
    static final int B = 2, T = 6, Tmax = 8, C = 12, H = 3, D = C / H;
    static final float PREFILL = 0.25f;

    /** Offset of logit (b, h, i, j) in the dense (B,T,H·Tmax) or random (H,Tmax,Tmax) layout. */
    static int logitAt(boolean dense, int b, int h, int i, int j) {
        return dense ? (b * T + i) * H * Tmax + h * Tmax + j : (h * Tmax + i) * Tmax + j;
    }

    static int logitCount(boolean dense) {
        return dense ? B * T * H * Tmax : H * Tmax * Tmax;
    }

    /** out (B,T,C) = Σ_{j≤i} softmax_j(logits row) v_j per head, in double precision. */
    static double[] reference(boolean dense, double[] logits, double[] v) {
        double[] out = new double[B * T * C];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < T; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        max = Math.max(max, logits[logitAt(dense, b, h, i, j)]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        sum += Math.exp(logits[logitAt(dense, b, h, i, j)] - max);
                    }
                    for (int j = 0; j <= i; j++) {
                        double p = Math.exp(logits[logitAt(dense, b, h, i, j)] - max) / sum;
                        for (int d = 0; d < D; d++) {
                            out[(b * T + i) * C + h * D + d] += p * v[(b * T + j) * C + h * D + d];
                        }
                    }
                }
            }
        }
        return out;
    }

    private static FloatSlice logitBuffer(boolean dense, float[] values) {
        return dense ? padded("logits", values, B, T, H * Tmax) : padded("table", values, H, Tmax, Tmax);
    }

    @ParameterizedTest(name = "dense={0}")
    @ValueSource(booleans = {true, false})
    void forwardMatchesReference(boolean dense) {
        Random r = new Random(51);
        float[] logits = gaussian(r, logitCount(dense), 1.5), values = gaussian(r, B * T * C, 1);
        FloatSlice out = padded("out", gaussian(r, B * T * C, 1), B, T, C);   // garbage: forward overwrites
        FloatSlice att = padded("att", constant(B * H * T * T, Float.NaN), B, H, T, T);
        FloatSlice lg = logitBuffer(dense, logits), v = padded("v", values, B, T, C);
        GraphRunner.run(false, dense ? SynthesizerMixer.Stages.forwardDense("synth", out, att, lg, v, B, T, C, H, Tmax, DropoutSite.NONE)
                : SynthesizerMixer.Stages.forwardRandom("synth", out, att, lg, v, B, T, C, H, Tmax, DropoutSite.NONE));

        assertClose(reference(dense, toDouble(logits), toDouble(values)), out.toArray(), FORWARD_RTOL, "synthesizer out");
        float[] a = att.toArray();
        for (int bh = 0; bh < B * H; bh++) {
            for (int i = 0; i < T; i++) {
                double rowSum = 0;
                for (int j = 0; j < T; j++) {
                    float p = a[(bh * T + i) * T + j];
                    if (j > i) {
                        assertTrue(Float.isNaN(p), "masked probability (bh=" + bh + ", i=" + i + ", j=" + j + ") was written");
                    } else {
                        rowSum += p;
                    }
                }
                assertEquals(1.0, rowSum, 1e-5, "row (bh=" + bh + ", i=" + i + ") sums to 1");
            }
        }
        assertPaddingIntact(out, att, lg, v);
    }

    @ParameterizedTest(name = "dense={0}")
    @ValueSource(booleans = {true, false})
    void backwardMatchesFiniteDifferences(boolean dense) {
        Random r = new Random(52);
        float[] logits = gaussian(r, logitCount(dense), 1.5), values = gaussian(r, B * T * C, 1), dy = gaussian(r, B * T * C, 1);
        FloatSlice out = padded("out", B, T, C), att = padded("att", B, H, T, T);
        FloatSlice lg = logitBuffer(dense, logits), v = padded("v", values, B, T, C), dout = padded("dout", dy, B, T, C);
        FloatSlice dv = padded("dv", constant(B * T * C, PREFILL), B, T, C);
        float[] got;
        if (dense) {
            // Garbage in the logit gradient: the stage writes every entry, masked ones as 0.
            FloatSlice dlogits = padded("dlogits", gaussian(r, logitCount(true), 1), B, T, H * Tmax);
            GraphRunner.run(false,
                    SynthesizerMixer.Stages.forwardDense("synth", out, att, lg, v, B, T, C, H, Tmax, DropoutSite.NONE),
                    SynthesizerMixer.Stages.backwardValues("synth_bv", dv, dout, att, B, T, C, H, DropoutSite.NONE),
                    SynthesizerMixer.Stages.backwardLogitsDense("synth_bl", dlogits, dout, v, att, B, T, C, H, Tmax, DropoutSite.NONE));
            got = dlogits.toArray();
            assertPaddingIntact(dlogits);
        } else {
            FloatSlice dscores = padded("dscores", gaussian(r, B * H * T * T, 1), B, H, T, T);
            FloatSlice dtable = padded("dtable", constant(logitCount(false), PREFILL), H, Tmax, Tmax);
            GraphRunner.run(false,
                    SynthesizerMixer.Stages.forwardRandom("synth", out, att, lg, v, B, T, C, H, Tmax, DropoutSite.NONE),
                    SynthesizerMixer.Stages.backwardValues("synth_bv", dv, dout, att, B, T, C, H, DropoutSite.NONE),
                    SynthesizerMixer.Stages.backwardScoresRandom("synth_bs", dscores, dout, v, att, B, T, C, H, Tmax, DropoutSite.NONE),
                    SynthesizerMixer.Stages.backwardTable("synth_bt", dtable, dscores, B, T, H, Tmax));
            got = minus(dtable.toArray(), PREFILL);
            assertPaddingIntact(dscores, dtable);
        }
        double[] v0 = toDouble(values), l0 = toDouble(logits);
        double[] gLogits = FiniteDifference.gradient(l -> dot(dy, reference(dense, l, v0)), l0);
        double[] gValues = FiniteDifference.gradient(vv -> dot(dy, reference(dense, l0, vv)), v0);
        assertClose(gLogits, got, GRAD_RTOL, dense ? "dlogits" : "dtable");
        assertClose(gValues, minus(dv.toArray(), PREFILL), GRAD_RTOL, "dv");
        assertPaddingIntact(dv, att, lg, v, dout);
    }

    @Test
    void reluForwardAndBackwardAccumulate() {
        Random r = new Random(53);
        int N = 37;
        float[] x = gaussian(r, N, 1), dy = gaussian(r, N, 1);
        x[3] = 0f;   // the subgradient at 0 is taken as 0
        FloatSlice inp = padded("inp", x, N), out = padded("out", gaussian(r, N, 1), N), dout = padded("dout", dy, N);
        FloatSlice dinp = padded("dinp", constant(N, PREFILL), N);
        GraphRunner.run(false, SynthesizerMixer.Stages.reluForward("relu", out, inp, N), SynthesizerMixer.Stages.reluBackward("relu_b", dinp, inp, dout, N));
        double[] y = new double[N], g = new double[N];
        for (int i = 0; i < N; i++) {
            y[i] = Math.max(x[i], 0);
            g[i] = x[i] > 0 ? dy[i] : 0;
        }
        assertClose(y, out.toArray(), 0, "relu");
        assertClose(g, minus(dinp.toArray(), PREFILL), FORWARD_RTOL, "relu backward");
        assertPaddingIntact(inp, out, dout, dinp);
    }

    @Test
    void stagesRejectWrongBuffersAndLongSequences() {
        FloatSlice out = FloatSlice.of("out", B, T, C), att = FloatSlice.of("att", B, H, T, T), v = FloatSlice.of("v", B, T, C);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SynthesizerMixer.Stages.forwardDense("synth", out, att,
                FloatSlice.of("logits", B, T, H * T), v, B, T, C, H, Tmax, DropoutSite.NONE));
        assertTrue(e.getMessage().contains("B*T*H*Tmax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SynthesizerMixer.Stages.forwardRandom("synth", out, att,
                FloatSlice.of("table", H, Tmax, Tmax), v, B, T, C, H, T - 1, DropoutSite.NONE));
        assertTrue(e.getMessage().contains("exceeds the context"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SynthesizerMixer.Stages.backwardTable("synth", FloatSlice.of("dtable", H, T, T),
                att, B, T, H, Tmax));
        assertTrue(e.getMessage().contains("H*Tmax*Tmax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SynthesizerMixer.Stages.reluBackward("relu", v, v, FloatSlice.of("short", 3), B * T * C));
        assertTrue(e.getMessage().contains("short"), e.getMessage());
    }
}
