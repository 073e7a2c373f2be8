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
import static leviathan.testing.TestData.paddedInts;
import static leviathan.testing.TestData.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.stages.CoreStages;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;
import leviathan.testing.Reference;

/**
 * {@link Encoder}: x0 = wte[token] + wpe[position] against the reference (relative 1e-5), with
 * T &lt; Tmax; backwardTokens / backwardPositions against finite differences of L = Σ w·x0 (relative
 * 1e-3), accumulating: rows of unused tokens and positions ≥ T keep exactly their pre-fill.
 */
class EncoderTest {
    static final int B = 2, T = 5, C = 12, V = 7, Tmax = 8;
    static final float PREFILL = 0.5f;
    /** Repeated tokens (0, 3) and unused ones (2, 6). */
    static final int[] TOKENS = {0, 3, 3, 1, 5, 4, 0, 0, 3, 1};

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void forwardMatchesReference(boolean fast) {
        Random r = new Random(41);
        float[] te = gaussian(r, V * C, 1), pe = gaussian(r, Tmax * C, 1);
        FloatSlice out = padded("out", B * T, C), wte = padded("wte", te, V, C), wpe = padded("wpe", pe, Tmax, C);
        IntSlice tokens = paddedInts("tokens", TOKENS);
        GraphRunner.run(fast, CoreStages.encoderForward("enc", out, tokens, wte, wpe, B, T, C, V, Tmax));
        assertClose(Reference.encoder(TOKENS, toDouble(te), toDouble(pe), B, T, C), out.toArray(), FORWARD_RTOL, "encoder out");
        assertPaddingIntact(out, wte, wpe);
    }

    @ParameterizedTest(name = "fast={0}")
    @ValueSource(booleans = {false, true})
    void backwardMatchesFiniteDifferencesAndAccumulates(boolean fast) {
        Random r = new Random(42);
        float[] te = gaussian(r, V * C, 1), pe = gaussian(r, Tmax * C, 1), dy = gaussian(r, B * T * C, 1);
        FloatSlice dout = padded("dout", dy, B * T, C);
        FloatSlice dwte = padded("dwte", constant(V * C, PREFILL), V, C);
        FloatSlice dwpe = padded("dwpe", constant(Tmax * C, PREFILL), Tmax, C);
        IntSlice tokens = paddedInts("tokens", TOKENS);
        GraphRunner.run(fast,
                CoreStages.encoderBackwardTokens("enc_bt", dwte, dout, tokens, B * T, C, V),
                CoreStages.encoderBackwardPositions("enc_bp", dwpe, dout, B, T, C, Tmax));
        double[] TE = toDouble(te), PE = toDouble(pe);
        double[] gte = FiniteDifference.gradient(w -> dot(dy, Reference.encoder(TOKENS, w, PE, B, T, C)), TE);
        double[] gpe = FiniteDifference.gradient(w -> dot(dy, Reference.encoder(TOKENS, TE, w, B, T, C)), PE);
        assertClose(gte, minus(dwte.toArray(), PREFILL), GRAD_RTOL, "dwte");
        assertClose(gpe, minus(dwpe.toArray(), PREFILL), GRAD_RTOL, "dwpe");
        // Exact zeros where no position contributes: untouched rows keep the pre-fill bit for bit.
        float[] dte = dwte.toArray(), dpe = dwpe.toArray();
        for (int c = 0; c < C; c++) {
            assertEquals(PREFILL, dte[2 * C + c], "unused token 2");
            assertEquals(PREFILL, dte[6 * C + c], "unused token 6");
            for (int t = T; t < Tmax; t++) {
                assertEquals(PREFILL, dpe[t * C + c], "position " + t + " >= T");
            }
        }
        assertPaddingIntact(dwte, dwpe, dout);
    }
}
