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

import org.junit.jupiter.api.Test;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.model.mixers.PerformerMixer;
import leviathan.testing.FiniteDifference;
import leviathan.testing.GraphRunner;

/**
 * {@link Performer} (SPEC 2.3) through its stages ({@link PerformerMixer.Stages}) on the JVM backend:
 * <ul>
 *   <li>forward: φ(q), φ(k), key constants, numerator rows and output against a double reference
 *       written here (relative 1e-5);</li>
 *   <li>backward: dL/dqkv of L = Σ w·out against central finite differences of the double
 *       reference with ω fixed and the key constant held at its unperturbed value (relative 1e-3,
 *       Q, K and V columns separately), accumulating into a pre-filled dqkv;</li>
 *   <li>causality: later queries, values and keys leave earlier outputs bit-identical, even a later key
 *       that raises the per-sequence key constant (it acts as an exact power of two);</li>
 *   <li>the unstabilised feature maps of the approximation study against the reference, and their
 *       exact cases (trig at x = y, positive at y = −x);</li>
 *   <li>stage validation and bit-identical results on 1 and 2 threads.</li>
 * </ul>
 * ω here is plain Gaussian: the kernels take any ω (the orthogonal draw is the model's business).
 */
class PerformerKernelTest {
    static final int B = 2, T = 6, C = 12, H = 3, D = C / H, M = 7;   // m not a multiple of D on purpose
    static final float PREFILL = 0.25f;

    /** All buffers of one forward and backward, NaN-guarded. */
    static final class Buffers {
        final FloatSlice qkv, omega, phiQ, phiK, keyMax, numerator, state, out;
        final FloatSlice dout, dnumerator, dstate, dphiQ, dphiK, dqkv;

        Buffers(float[] qkvValues, float[] omegaValues, float[] doutValues) {
            qkv = padded("qkv", qkvValues, B, T, 3 * C);
            omega = padded("omega", omegaValues, H, M, D);
            phiQ = padded("phi_q", B, H, T, M);
            phiK = padded("phi_k", B, H, T, M);
            keyMax = padded("key_max", B, H);
            numerator = padded("numerator", B, H, T, D + 1);
            state = padded("scan_state", constant(B * H * M * (D + 1), 7f), B, H, M, D + 1);   // garbage: the scan clears it
            out = padded("out", constant(B * T * C, 3f), B, T, C);
            dout = padded("dout", doutValues == null ? new float[B * T * C] : doutValues, B, T, C);
            dnumerator = padded("dnumerator", B, H, T, D + 1);
            dstate = padded("dscan_state", constant(B * H * M * (D + 1), -5f), B, H, M, D + 1);
            dphiQ = padded("dphi_q", B, H, T, M);
            dphiK = padded("dphi_k", B, H, T, M);
            dqkv = padded("dqkv", constant(B * T * 3 * C, PREFILL), B, T, 3 * C);
        }

        Stage[] forward() {
            return new Stage[] {
                PerformerMixer.Stages.features("features", phiQ, phiK, keyMax, qkv, omega, B, T, C, H, M),
                PerformerMixer.Stages.scan("scan", out, numerator, state, phiQ, phiK, keyMax, qkv, B, T, C, H, M)};
        }

        Stage[] forwardAndBackward() {
            Stage[] f = forward();
            return new Stage[] {f[0], f[1],
                PerformerMixer.Stages.outputGrad("output_grad", dnumerator, dout, out, numerator, B, T, C, H),
                PerformerMixer.Stages.backwardQuery("backward_query", dphiQ, dstate, dnumerator, phiK, qkv, B, T, C, H, M),
                PerformerMixer.Stages.backwardKeyValue("backward_key_value", dqkv, dphiK, dstate, dnumerator, phiQ, phiK, qkv, B, T, C, H, M),
                PerformerMixer.Stages.backwardFeatures("backward_features", dqkv, dphiQ, dphiK, phiQ, phiK, qkv, omega, B, T, C, H, M)};
        }

        /** Buffers for a forward pass only (no dout), after running it with the plain bodies. */
        static Buffers forwardRun(float[] qkvValues, float[] omegaValues) {
            Buffers b = new Buffers(qkvValues, omegaValues, null);
            GraphRunner.run(false, b.forward());
            return b;
        }

        void assertGuardsIntact() {
            assertPaddingIntact(qkv, omega, phiQ, phiK, keyMax, numerator, state, out, dout, dnumerator, dstate, dphiQ, dphiK, dqkv);
        }
    }

    /** What the double reference computes: out (B,T,C), φ(q), φ(k) (B,H,T,m), key constants (B,H), numerator rows (B,H,T,D+1). */
    static final class Ref {
        final double[] out = new double[B * T * C];
        final double[] phiQ = new double[B * H * T * M];
        final double[] phiK = new double[B * H * T * M];
        final double[] keyMax = new double[B * H];
        final double[] numerator = new double[B * H * T * (D + 1)];
    }

    /**
     * SPEC 2.3 in double precision, straight from the formulas. {@code fixedKeyMax} (B,H) holds the
     * key constants fixed (for finite differences); null computes them as max_{t,r} ω_r·k̃_t rounded up
     * to a multiple of ln 2.
     */
    static Ref reference(double[] qkv, double[] omega, double[] fixedKeyMax) {
        Ref ref = new Ref();
        double scale = Math.pow(D, -0.25);
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                int bh = b * H + h;
                double[][] proj = new double[T][M];
                double[][] projK = new double[T][M];
                double keyMax = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < T; t++) {
                    for (int r = 0; r < M; r++) {
                        double pq = 0, pk = 0;
                        for (int d = 0; d < D; d++) {
                            pq += omega[(h * M + r) * D + d] * scale * qkv[(b * T + t) * 3 * C + h * D + d];
                            pk += omega[(h * M + r) * D + d] * scale * qkv[(b * T + t) * 3 * C + C + h * D + d];
                        }
                        proj[t][r] = pq;
                        projK[t][r] = pk;
                        keyMax = Math.max(keyMax, pk);
                    }
                }
                // The kernel rounds the key constant up to a whole multiple of ln 2 (an exact power of two).
                keyMax = Math.ceil((float) keyMax / (float) Math.log(2)) * Math.log(2);
                if (fixedKeyMax != null) {
                    keyMax = fixedKeyMax[bh];
                }
                ref.keyMax[bh] = keyMax;
                for (int t = 0; t < T; t++) {
                    double rowMax = Double.NEGATIVE_INFINITY;
                    for (int r = 0; r < M; r++) {
                        rowMax = Math.max(rowMax, proj[t][r]);
                    }
                    double qq = 0, kk = 0;
                    for (int d = 0; d < D; d++) {
                        double q = scale * qkv[(b * T + t) * 3 * C + h * D + d];
                        double k = scale * qkv[(b * T + t) * 3 * C + C + h * D + d];
                        qq += q * q;
                        kk += k * k;
                    }
                    for (int r = 0; r < M; r++) {
                        ref.phiQ[(bh * T + t) * M + r] = Math.exp(proj[t][r] - qq / 2 - rowMax) / Math.sqrt(M);
                        ref.phiK[(bh * T + t) * M + r] = Math.exp(projK[t][r] - kk / 2 - keyMax) / Math.sqrt(M);
                    }
                }
                for (int i = 0; i < T; i++) {
                    double den = 0;
                    double[] num = new double[D];
                    for (int j = 0; j <= i; j++) {
                        double kernel = 0;
                        for (int r = 0; r < M; r++) {
                            kernel += ref.phiQ[(bh * T + i) * M + r] * ref.phiK[(bh * T + j) * M + r];
                        }
                        den += kernel;
                        for (int d = 0; d < D; d++) {
                            num[d] += kernel * qkv[(b * T + j) * 3 * C + 2 * C + h * D + d];
                        }
                    }
                    den += Performer.EPSILON * Math.exp(-keyMax);   // ε in the units of the rescaled key features
                    for (int d = 0; d < D; d++) {
                        ref.numerator[(bh * T + i) * (D + 1) + d] = num[d];
                        ref.out[(b * T + i) * C + h * D + d] = num[d] / den;
                    }
                    ref.numerator[(bh * T + i) * (D + 1) + D] = den;
                }
            }
        }
        return ref;
    }

    static float[] omegaValues(Random r) {
        return gaussian(r, H * M * D, 1);
    }

    @Test
    void forwardMatchesReference() {
        Random r = new Random(41);
        float[] x = gaussian(r, B * T * 3 * C, 1), w = omegaValues(r);
        Buffers buf = Buffers.forwardRun(x, w);

        Ref ref = reference(toDouble(x), toDouble(w), null);
        assertClose(ref.out, buf.out.toArray(), FORWARD_RTOL, "performer out");
        assertClose(ref.phiQ, buf.phiQ.toArray(), FORWARD_RTOL, "phi_q");
        assertClose(ref.phiK, buf.phiK.toArray(), FORWARD_RTOL, "phi_k");
        assertClose(ref.keyMax, buf.keyMax.toArray(), FORWARD_RTOL, "key_max");
        assertClose(ref.numerator, buf.numerator.toArray(), FORWARD_RTOL, "numerator rows [n, den]");
        buf.assertGuardsIntact();
    }

    @Test
    void backwardMatchesFiniteDifferencesAndAccumulates() {
        Random r = new Random(42);
        float[] x = gaussian(r, B * T * 3 * C, 1), w = omegaValues(r), dy = gaussian(r, B * T * C, 1);
        Buffers buf = new Buffers(x, w, dy);
        GraphRunner.run(false, buf.forwardAndBackward());

        double[] omega = toDouble(w);
        double[] keyMax = reference(toDouble(x), omega, null).keyMax;   // held constant, as the backward pass treats it
        double[] g = FiniteDifference.gradient(q -> dot(dy, reference(q, omega, keyMax).out), toDouble(x));
        float[] got = minus(buf.dqkv.toArray(), PREFILL);
        assertQkvClose(g, got, GRAD_RTOL, B * T, C, "performer");
        buf.assertGuardsIntact();
    }

    @Test
    void laterTokensDoNotChangeEarlierOutputs() {
        Random r = new Random(43);
        float[] x = gaussian(r, B * T * 3 * C, 1), w = omegaValues(r);
        Buffers base = Buffers.forwardRun(x, w);
        float[] before = base.out.toArray();
        int cut = 3;

        // Later queries and values: no path to earlier rows at all.
        float[] qv = x.clone();
        for (int b = 0; b < B; b++) {
            for (int t = cut; t < T; t++) {
                for (int c = 0; c < C; c++) {
                    qv[(b * T + t) * 3 * C + c] += 5f;
                    qv[(b * T + t) * 3 * C + 2 * C + c] -= 9f;
                }
            }
        }
        Buffers changedQv = Buffers.forwardRun(qv, w);
        assertEarlierRowsEqual(before, changedQv.out.toArray(), cut, 0.0, "later queries and values");

        // Later keys, scaled up so that they raise the per-sequence key constant a lot.
        float[] k = x.clone();
        for (int b = 0; b < B; b++) {
            for (int t = cut; t < T; t++) {
                for (int c = 0; c < C; c++) {
                    k[(b * T + t) * 3 * C + C + c] *= 4f;
                }
            }
        }
        Buffers changedK = Buffers.forwardRun(k, w);
        for (int bh = 0; bh < B * H; bh++) {
            assertTrue(changedK.keyMax.get(bh) > base.keyMax.get(bh) + 1f, "the later keys must raise the key constant of (b,h) " + bh);
        }
        assertEarlierRowsEqual(before, changedK.out.toArray(), cut, 0, "later keys");
    }

    private static void assertEarlierRowsEqual(float[] expected, float[] actual, int cut, double rtol, String what) {
        double maxRef = 0, maxDiff = 0;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < cut; t++) {
                for (int c = 0; c < C; c++) {
                    int i = (b * T + t) * C + c;
                    maxRef = Math.max(maxRef, Math.abs(expected[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
                }
            }
        }
        assertTrue(maxDiff <= rtol * maxRef, what + " changed earlier outputs by " + maxDiff + " (max |out| " + maxRef + ")");
    }

    @Test
    void approximationFeatureMapsMatchTheirFormulasAndExactCases() {
        Random r = new Random(44);
        int n = 3, m = 5, d = 4;
        float scale = 0.8f;
        float[] x = gaussian(r, n * d, 1), w = gaussian(r, m * d, 1);
        float[] pos = new float[n * m], trig = new float[n * 2 * m];
        for (int i = 0; i < n; i++) {
            Performer.positiveFeatures(pos, 0, x, 0, w, 0, m, d, scale, i);
            Performer.trigonometricFeatures(trig, 0, x, 0, w, 0, m, d, scale, i);
        }
        double[] refPos = new double[n * m], refTrig = new double[n * 2 * m];
        for (int i = 0; i < n; i++) {
            double xx = 0;
            for (int k = 0; k < d; k++) {
                xx += scale * x[i * d + k] * scale * x[i * d + k];
            }
            for (int j = 0; j < m; j++) {
                double p = 0;
                for (int k = 0; k < d; k++) {
                    p += w[j * d + k] * scale * x[i * d + k];
                }
                refPos[i * m + j] = Math.exp(p - xx / 2) / Math.sqrt(m);
                refTrig[i * 2 * m + j] = Math.exp(xx / 2) / Math.sqrt(m) * Math.sin(p);
                refTrig[i * 2 * m + m + j] = Math.exp(xx / 2) / Math.sqrt(m) * Math.cos(p);
            }
        }
        assertClose(refPos, pos, FORWARD_RTOL, "positive features");
        assertClose(refTrig, trig, FORWARD_RTOL, "trigonometric features");

        // Exact cases: trig estimates SM(x, x) = e^{|x̃|²} exactly, positive estimates SM(x, −x) = e^{−|x̃|²} exactly.
        float[] pair = new float[2 * d];
        for (int k = 0; k < d; k++) {
            pair[k] = x[k];
            pair[d + k] = -x[k];
        }
        float[] pp = new float[2 * m], tt = new float[2 * 2 * m];
        for (int i = 0; i < 2; i++) {
            Performer.positiveFeatures(pp, 0, pair, 0, w, 0, m, d, scale, i);
            Performer.trigonometricFeatures(tt, 0, pair, 0, w, 0, m, d, scale, i);
        }
        double xx = 0, positiveEstimate = 0, trigEstimate = 0;
        for (int k = 0; k < d; k++) {
            xx += (double) scale * x[k] * scale * x[k];
        }
        for (int j = 0; j < m; j++) {
            positiveEstimate += (double) pp[j] * pp[m + j];
        }
        for (int j = 0; j < 2 * m; j++) {
            trigEstimate += (double) tt[j] * tt[j];
        }
        assertEquals(Math.exp(-xx), positiveEstimate, 1e-5 * Math.exp(-xx), "positive features at y = −x");
        assertEquals(Math.exp(xx), trigEstimate, 1e-5 * Math.exp(xx), "trigonometric features at y = x");
    }

    @Test
    void stagesRejectWrongShapes() {
        FloatSlice qkv = FloatSlice.of("qkv", B, T, 3 * C), omega = FloatSlice.of("omega", H, M, D);
        FloatSlice phi = FloatSlice.of("phi", B, H, T, M), keyMax = FloatSlice.of("key_max", B, H);
        FloatSlice wrongOmega = FloatSlice.of("omega_wrong", H, M + 1, D);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PerformerMixer.Stages.features("feat", phi, phi, keyMax, qkv, wrongOmega, B, T, C, H, M));
        assertTrue(e.getMessage().contains("omega_wrong") && e.getMessage().contains("H*m*D"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PerformerMixer.Stages.features("feat", phi, phi, keyMax, qkv, omega, B, T, C, 5, M));
        assertTrue(e.getMessage().contains("not divisible"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PerformerMixer.Stages.scan("scan", FloatSlice.of("out", B, T, C), FloatSlice.of("num", B, H, T, D),
                        FloatSlice.of("state", B, H, M, D + 1), phi, phi, keyMax, qkv, B, T, C, H, M));
        assertTrue(e.getMessage().contains("num") && e.getMessage().contains("B*H*T*(D+1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PerformerMixer.Stages.features("feat", phi, phi, keyMax, qkv, omega, B, T, C, H, 0));
        assertTrue(e.getMessage().contains("m (features)"), e.getMessage());
    }

    @Test
    void oneAndTwoThreadsAreBitIdentical() {
        Random r = new Random(45);
        float[] x = gaussian(r, B * T * 3 * C, 1), w = omegaValues(r), dy = gaussian(r, B * T * C, 1);
        Buffers one = new Buffers(x, w, dy), two = new Buffers(x, w, dy);
        GraphRunner.run(1, false, one.forwardAndBackward());
        GraphRunner.run(2, false, two.forwardAndBackward());
        assertArrayEquals(one.out.toArray(), two.out.toArray(), "out");
        assertArrayEquals(one.dqkv.toArray(), two.dqkv.toArray(), "dqkv");
    }
}
