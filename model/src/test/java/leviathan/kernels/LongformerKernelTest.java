package leviathan.kernels;

import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.GRAD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.Check.assertQkvClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.constant;
import static leviathan.testing.TestData.dot;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.minus;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.model.mixers.LongformerMixer;
import leviathan.stages.CoreStages;
import leviathan.stages.DropoutSite;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;

/**
 * {@link Longformer} (SPEC 2.4) through {@link LongformerMixer.Stages} stages on the JVM backend (2 threads):
 * forward against a double-precision reference written from the SPEC's definition of the allowed
 * set (relative 1e-5), masked band slots never written; backward (query-row + key-row stages)
 * against central finite differences of that reference (relative 1e-3, Q, K and V columns
 * separately), accumulating into a pre-filled dqkv; bit-identical to {@link Attention} when
 * W ≥ T, d = 1 and no globals; stage validation.
 */
class LongformerKernelTest {
    static final int B = 2, T = 9, C = 12, H = 3;
    static final float PREFILL = 0.25f;

    /** (window W, per-head dilations, globals G): plain window, dilated, globals overlapping the window, all-global. */
    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of(3, new int[] {1, 1, 1}, 0),
                Arguments.of(3, new int[] {1, 2, 3}, 0),
                Arguments.of(3, new int[] {2, 2, 2}, 2),
                Arguments.of(2, new int[] {1, 3, 2}, 3),
                Arguments.of(4, new int[] {4, 1, 2}, 1),
                Arguments.of(1, new int[] {1, 1, 1}, T));
    }

    /** The SPEC's allowed set: j ≤ i and (i global, or j global, or j = i − d·t with t < W). */
    static boolean allowed(int i, int j, int W, int d, int G) {
        if (j > i) {
            return false;
        }
        return i < G || j < G || ((i - j) % d == 0 && (i - j) / d < W);
    }

    /** out (B,T,C) of Longformer attention in double precision, from qkv (B,T,3C). */
    static double[] reference(double[] qkv, int W, int[] dil, int G) {
        int D = C / H;
        double scale = 1.0 / Math.sqrt(D);
        double[] out = new double[B * T * C];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < T; i++) {
                    double[] s = new double[T];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        if (!allowed(i, j, W, dil[h], G)) {
                            continue;
                        }
                        for (int d = 0; d < D; d++) {
                            s[j] += qkv[(b * T + i) * 3 * C + h * D + d] * qkv[(b * T + j) * 3 * C + C + h * D + d];
                        }
                        s[j] *= scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    double[] p = new double[T];
                    for (int j = 0; j <= i; j++) {
                        if (allowed(i, j, W, dil[h], G)) {
                            p[j] = Math.exp(s[j] - max);
                            sum += p[j];
                        }
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < D; d++) {
                            out[(b * T + i) * C + h * D + d] += p[j] / sum * qkv[(b * T + j) * 3 * C + 2 * C + h * D + d];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The band buffer the stages take: window, globals, one dilation per head. */
    static IntSlice band(int W, int G, IntSlice dilation) {
        return LongformerMixer.Stages.band(W, G, dilation.toArray());
    }

    static IntSlice dilation(int[] perHead) {
        return new IntSlice("dilation", perHead.clone(), 0, perHead.length);
    }

    @ParameterizedTest(name = "W={0} d={1} G={2}")
    @MethodSource("configs")
    void forwardMatchesReferenceAndKeepsMaskedSlotsUntouched(int W, int[] dil, int G) {
        Random r = new Random(41);
        float[] x = gaussian(r, B * T * 3 * C, 1);
        int L = G + W;
        FloatSlice out = padded("out", gaussian(r, B * T * C, 1), B, T, C);   // garbage: forward overwrites
        FloatSlice preatt = padded("preatt", constant(B * H * T * L, Float.NaN), B, H, T, L);
        FloatSlice att = padded("att", constant(B * H * T * L, Float.NaN), B, H, T, L);
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C);
        GraphRunner.run(false, LongformerMixer.Stages.forward("longformer", out, preatt, att, qkv, band(W, G, dilation(dil)), B, T, C, H, DropoutSite.NONE));

        assertClose(reference(toDouble(x), W, dil, G), out.toArray(), FORWARD_RTOL, "longformer out");
        float[] a = att.toArray(), s = preatt.toArray();
        for (int bh = 0; bh < B * H; bh++) {
            int d = dil[bh % H];
            for (int i = 0; i < T; i++) {
                int allowedKeys = 0;
                for (int j = 0; j <= i; j++) {
                    allowedKeys += allowed(i, j, W, d, G) ? 1 : 0;
                }
                int live = Longformer.liveSlots(i, W, d, G);
                assertEquals(allowedKeys, live, "row " + i + " of head " + bh % H + ": every allowed key exactly once");
                double rowSum = 0;
                for (int slot = 0; slot < L; slot++) {
                    int at = (bh * T + i) * L + slot;
                    if (slot < live) {
                        assertTrue(Float.isFinite(a[at]) && Float.isFinite(s[at]), "live slot " + slot + " of row " + i);
                        rowSum += a[at];
                    } else {
                        assertTrue(Float.isNaN(a[at]) && Float.isNaN(s[at]), "masked slot " + slot + " of row " + i + " was written");
                    }
                }
                assertEquals(1.0, rowSum, 1e-5, "probabilities of row (bh=" + bh + ", i=" + i + ") sum to 1");
            }
        }
        assertPaddingIntact(out, preatt, att, qkv);
    }

    /** Dilation 2 with 2 globals (the brief's case), and mixed per-head dilations with globals inside the window. */
    static Stream<Arguments> gradientConfigs() {
        return Stream.of(
                Arguments.of(3, new int[] {2, 2, 2}, 2),
                Arguments.of(3, new int[] {1, 2, 3}, 1),
                Arguments.of(2, new int[] {3, 1, 2}, 0));
    }

    @ParameterizedTest(name = "W={0} d={1} G={2}")
    @MethodSource("gradientConfigs")
    void backwardMatchesFiniteDifferencesAndAccumulates(int W, int[] dil, int G) {
        Random r = new Random(42);
        int L = G + W;
        float[] x = gaussian(r, B * T * 3 * C, 1), dy = gaussian(r, B * T * C, 1);
        FloatSlice out = padded("out", B, T, C);
        FloatSlice preatt = padded("preatt", B, H, T, L), att = padded("att", B, H, T, L);
        FloatSlice dpreatt = padded("dpreatt", B, H, T, L);
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), dout = padded("dout", dy, B, T, C);
        FloatSlice dqkv = padded("dqkv", constant(B * T * 3 * C, PREFILL), B, T, 3 * C);
        IntSlice d = dilation(dil);
        GraphRunner.run(false,
                LongformerMixer.Stages.forward("lf", out, preatt, att, qkv, band(W, G, d), B, T, C, H, DropoutSite.NONE),
                LongformerMixer.Stages.backwardQuery("lf_bq", dqkv, dpreatt, dout, qkv, att, band(W, G, d), B, T, C, H, DropoutSite.NONE),
                LongformerMixer.Stages.backwardKeyValue("lf_bkv", dqkv, dpreatt, dout, qkv, att, band(W, G, d), B, T, C, H, DropoutSite.NONE));

        double[] g = FiniteDifference.gradient(q -> dot(dy, reference(q, W, dil, G)), toDouble(x));
        float[] got = minus(dqkv.toArray(), PREFILL);
        assertQkvClose(g, got, GRAD_RTOL, B * T, C, "longformer");
        assertPaddingIntact(dqkv, dpreatt, qkv, dout, att);
    }

    /** W ≥ T, d = 1, G = 0 is causal attention, summed in the same order: identical floats. */
    @Test
    void fullWindowIsAttentionBitForBit() {
        Random r = new Random(43);
        float[] x = gaussian(r, B * T * 3 * C, 1), dy = gaussian(r, B * T * C, 1);
        int W = T;
        float[][] lf = runBoth(x, dy, true, W);
        float[][] attn = runBoth(x, dy, false, W);
        assertArrayEquals(attn[0], lf[0], "out");
        assertArrayEquals(attn[1], lf[1], "dqkv");
    }

    /** Runs forward and backward of Longformer (W, d = 1, G = 0) or of Attention; returns {out, dqkv}. */
    private static float[][] runBoth(float[] x, float[] dy, boolean longformer, int W) {
        FloatSlice out = FloatSlice.of("out", B, T, C), qkv = FloatSlice.of("qkv", B, T, 3 * C), dout = FloatSlice.of("dout", B, T, C);
        FloatSlice dqkv = FloatSlice.of("dqkv", B, T, 3 * C);
        qkv.copyFrom(x);
        dout.copyFrom(dy);
        int band = longformer ? W : T;
        FloatSlice pre = FloatSlice.of("pre", B, H, T, band), att = FloatSlice.of("att", B, H, T, band);
        FloatSlice dpre = FloatSlice.of("dpre", B, H, T, band);
        if (longformer) {
            IntSlice d = dilation(new int[] {1, 1, 1});
            GraphRunner.run(false,
                    LongformerMixer.Stages.forward("lf", out, pre, att, qkv, band(W, 0, d), B, T, C, H, DropoutSite.NONE),
                    LongformerMixer.Stages.backwardQuery("lf_bq", dqkv, dpre, dout, qkv, att, band(W, 0, d), B, T, C, H, DropoutSite.NONE),
                    LongformerMixer.Stages.backwardKeyValue("lf_bkv", dqkv, dpre, dout, qkv, att, band(W, 0, d), B, T, C, H, DropoutSite.NONE));
        } else {
            GraphRunner.run(false,
                    CoreStages.attentionForward("attn", out, pre, att, qkv, B, T, C, H),
                    CoreStages.attentionBackwardQuery("attn_bq", dqkv, dpre, dout, qkv, att, B, T, C, H),
                    CoreStages.attentionBackwardKeyValue("attn_bkv", dqkv, dpre, dout, qkv, att, B, T, C, H));
        }
        return new float[][] {out.toArray(), dqkv.toArray()};
    }

    @Test
    void stagesRejectWrongBuffersAndOptions() {
        int W = 3, G = 2, L = G + W;
        FloatSlice out = FloatSlice.of("out", B, T, C), qkv = FloatSlice.of("qkv", B, T, 3 * C);
        FloatSlice band = FloatSlice.of("band", B, H, T, L);
        IntSlice d = dilation(new int[] {1, 2, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LongformerMixer.Stages.forward("lf", out,
                FloatSlice.of("square", B, H, T, T), band, qkv, band(W, G, d), B, T, C, H, DropoutSite.NONE));
        assertTrue(e.getMessage().contains("B*H*T*(G+W)") && e.getMessage().contains("square"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LongformerMixer.Stages.forward("lf", out, band, band, qkv,
                band(W, G, dilation(new int[] {1, 2})), B, T, C, H, DropoutSite.NONE));
        assertTrue(e.getMessage().contains("one dilation per head"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LongformerMixer.Stages.backwardQuery("lf", qkv, band, out, qkv, band,
                band(W, G, dilation(new int[] {1, 0, 1})), B, T, C, H, DropoutSite.NONE));
        assertTrue(e.getMessage().contains("dilation of head 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LongformerMixer.Stages.backwardKeyValue("lf", FloatSlice.of("dqkv", B, T, C),
                band, out, qkv, band, band(W, G, d), B, T, C, H, DropoutSite.NONE));
        assertTrue(e.getMessage().contains("dqkv") && e.getMessage().contains("B*T*3C"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LongformerMixer.Stages.forward("lf", out, band, band, qkv, band(0, L, d), B, T, C, H, DropoutSite.NONE));
        assertTrue(e.getMessage().contains("window"), e.getMessage());
    }
}
