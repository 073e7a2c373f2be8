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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.stages.CoreStages;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;

/**
 * {@link Attention} (SPEC 2.1): forward output, scores and probabilities against the double
 * reference (relative 1e-5), masked entries never written; backwardQuery + backwardKeyValue give
 * dL/dqkv matching finite differences of L = Σ w·attention(qkv) (relative 1e-3, checked separately
 * for the Q, K and V columns), accumulating into a pre-filled dqkv.
 */
class AttentionTest {
    static final int B = 2, T = 5, C = 12, H = 3;
    static final float PREFILL = 0.25f;

    static float[] qkvInput(Random r) {
        return gaussian(r, B * T * 3 * C, 1);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void forwardMatchesReference(boolean fast) {
        Random r = new Random(31);
        float[] x = qkvInput(r);
        FloatSlice out = padded("out", gaussian(r, B * T * C, 1), B, T, C);   // garbage: forward overwrites
        // NaN inside the window too: entries above the diagonal (masked) must never be written.
        FloatSlice preatt = padded("preatt", constant(B * H * T * T, Float.NaN), B, H, T, T);
        FloatSlice att = padded("att", constant(B * H * T * T, Float.NaN), B, H, T, T);
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C);
        GraphRunner.run(fast, CoreStages.attentionForward("attn", out, preatt, att, qkv, B, T, C, H));

        double[][] ref = Reference.attention(toDouble(x), B, T, C, H);
        assertClose(ref[0], out.toArray(), FORWARD_RTOL, "attention out");
        float[] a = att.toArray(), s = preatt.toArray();
        float[] aLive = new float[a.length], sLive = new float[s.length];
        for (int bh = 0; bh < B * H; bh++) {
            for (int i = 0; i < T; i++) {
                double rowSum = 0;
                for (int j = 0; j < T; j++) {
                    int at = (bh * T + i) * T + j;
                    if (j > i) {
                        assertTrue(Float.isNaN(a[at]) && Float.isNaN(s[at]),
                                "masked entry (bh=" + bh + ", i=" + i + ", j=" + j + ") was written");
                    } else {
                        aLive[at] = a[at];
                        sLive[at] = s[at];
                        rowSum += a[at];
                    }
                }
                assertEquals(1.0, rowSum, 1e-5, "probabilities of row (bh=" + bh + ", i=" + i + ") sum to 1");
            }
        }
        assertClose(ref[1], aLive, FORWARD_RTOL, "attention probabilities");
        assertClose(ref[2], sLive, FORWARD_RTOL, "attention scores");
        assertPaddingIntact(out, preatt, att, qkv);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void backwardMatchesFiniteDifferencesAndAccumulates(boolean fast) {
        Random r = new Random(32);
        float[] x = qkvInput(r), dy = gaussian(r, B * T * C, 1);
        FloatSlice out = padded("out", B, T, C);
        FloatSlice preatt = padded("preatt", B, H, T, T), att = padded("att", B, H, T, T);
        FloatSlice dpreatt = padded("dpreatt", B, H, T, T);
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), dout = padded("dout", dy, B, T, C);
        FloatSlice dqkv = padded("dqkv", constant(B * T * 3 * C, PREFILL), B, T, 3 * C);
        GraphRunner.run(fast,
                CoreStages.attentionForward("attn", out, preatt, att, qkv, B, T, C, H),
                CoreStages.attentionBackwardQuery("attn_bq", dqkv, dpreatt, dout, qkv, att, B, T, C, H),
                CoreStages.attentionBackwardKeyValue("attn_bkv", dqkv, dpreatt, dout, qkv, att, B, T, C, H));

        double[] g = FiniteDifference.gradient(q -> dot(dy, Reference.attention(q, B, T, C, H)[0]), toDouble(x));
        float[] got = minus(dqkv.toArray(), PREFILL);
        assertQkvClose(g, got, GRAD_RTOL, B * T, C, "attention");
        assertPaddingIntact(dqkv, dpreatt, qkv, dout, att);
    }
}
