package leviathan.kernels;

import static leviathan.kernels.LeviathanVectorTest.run;
import static leviathan.testing.Check.FAST_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.constant;
import static leviathan.testing.TestData.gaussian;
import static leviathan.testing.TestData.padded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.Stage;
import leviathan.jvm.JvmFastKernels;
import leviathan.jvm.PerformerScanVector;
import leviathan.jvm.PerformerVector;
import leviathan.model.mixers.PerformerMixer.Stages;
import leviathan.testing.GraphRunner;

/**
 * The Vector API variants of the Performer's kernels ({@link PerformerVector}, {@link PerformerScanVector})
 * against the plain bodies of {@link Performer}, stage by stage on identical inputs (realistic ones: the
 * plain forward and output gradient of random qkv and ω): the feature map within relative 1e-5 (its
 * exponential is the vector exp) with the key constants bit for bit, the three scans and the feature
 * backward bit for bit; buffer padding never written; the same bits on 1 and 3 threads. Head sizes and
 * feature counts are not multiples of the vector width (D = 4, 17, 40; m = 7, 37, 50) besides the baby
 * model's (D = 32, m = 64); inputs scaled by 6 make features underflow in the body, which the variant
 * must reproduce.
 */
class PerformerVectorTest {

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(2, 5, 12, 3, 7, 1f),     // D = 4
                Arguments.of(1, 37, 34, 2, 37, 1f),   // D = 17, m = 37
                Arguments.of(2, 64, 128, 4, 64, 1f),  // the baby model: D = 32, m = 2D
                Arguments.of(1, 19, 40, 1, 50, 1f),   // one head, D = 40, m = 50
                Arguments.of(1, 1, 16, 2, 3, 1f),     // a single position
                Arguments.of(1, 9, 34, 2, 70, 1f),    // m = 70: four vectors of features and a tail
                Arguments.of(2, 23, 34, 2, 40, 6f));  // |x̃|²/2 beyond exp's range: features underflow
    }

    /** Plain body (variant 0) or the fast variant on 1 thread (1) or 3 threads (2). */
    static Function<Stage, JvmFastKernels.JvmStage> binding(int variant, Function<Stage, JvmFastKernels.JvmStage> fast) {
        return variant == 0 ? JvmFastKernels::plain : fast;
    }

    static int threads(int variant) {
        return variant == 2 ? 3 : 1;
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} H={3} m={4} x{5}")
    @MethodSource("shapes")
    void fastVariantsEqualPlainBodies(int B, int T, int C, int H, int m, float size) {
        int D = C / H, E = D + 1;
        Random rnd = new Random(B * 7919 + T * 131 + C * 17 + H * 3 + m);
        FloatSlice qkv = padded("qkv", gaussian(rnd, B * T * 3 * C, size), B, T, 3 * C);
        FloatSlice omega = padded("omega", gaussian(rnd, H * m * D, 1), H, m, D);
        FloatSlice dout = padded("dout", gaussian(rnd, B * T * C, 1), B, T, C);
        float[] priorQkv = gaussian(rnd, B * T * 3 * C, 1), priorPhi = gaussian(rnd, B * H * T * m, 1);
        // Realistic inputs for the later stages: the plain forward and output gradient.
        FloatSlice phiQ = FloatSlice.of("phi_q", B, H, T, m), phiK = FloatSlice.of("phi_k", B, H, T, m);
        FloatSlice keyMax = FloatSlice.of("key_max", B, H), num = FloatSlice.of("numerator", B, H, T, E);
        FloatSlice out = FloatSlice.of("out", B, T, C), dnum = FloatSlice.of("dnumerator", B, H, T, E);
        GraphRunner.run(false,
                Stages.features("features", phiQ, phiK, keyMax, qkv, omega, B, T, C, H, m),
                Stages.scan("scan", out, num, FloatSlice.of("state", B, H, m, E), phiQ, phiK, keyMax, qkv, B, T, C, H, m),
                Stages.outputGrad("output_grad", dnum, dout, out, num, B, T, C, H));
        if (size > 1f) {
            assertTrue(hasZero(phiQ.toArray()) || hasZero(phiK.toArray()), "the large inputs make some features underflow");
        }
        String shape = " B=" + B + " T=" + T + " C=" + C + " H=" + H + " m=" + m + " x" + size;

        String[] what = {"phi_q", "phi_k", "key_max", "out", "numerator", "scan state", "dphi_q (query scan)",
            "dscan state (query scan)", "dqkv (key/value scan)", "dphi_k", "dscan state (key/value scan)", "dqkv (features)"};
        float[][][] res = new float[3][][];
        for (int v = 0; v < 3; v++) {
            int th = threads(v);
            FloatSlice pq = padded("phi_q", constant(B * H * T * m, 9f), B, H, T, m);   // garbage: overwritten
            FloatSlice pk = padded("phi_k", constant(B * H * T * m, 9f), B, H, T, m);
            FloatSlice km = padded("key_max", constant(B * H, 9f), B, H);
            run(Stages.features("features", pq, pk, km, qkv, omega, B, T, C, H, m), binding(v, PerformerVector::features), th);

            FloatSlice pqIn = padded("phi_q_in", phiQ.toArray(), B, H, T, m), pkIn = padded("phi_k_in", phiK.toArray(), B, H, T, m);
            FloatSlice kmIn = padded("key_max_in", keyMax.toArray(), B, H);
            FloatSlice o = padded("out", constant(B * T * C, 3f), B, T, C), n = padded("numerator", constant(B * H * T * E, 3f), B, H, T, E);
            FloatSlice st = padded("state", constant(B * H * m * E, 7f), B, H, m, E);
            run(Stages.scan("scan", o, n, st, pqIn, pkIn, kmIn, qkv, B, T, C, H, m), binding(v, PerformerScanVector::scan), th);

            FloatSlice dnIn = padded("dnumerator_in", dnum.toArray(), B, H, T, E);
            FloatSlice dpq = padded("dphi_q", priorPhi.clone(), B, H, T, m);
            FloatSlice dsq = padded("dstate_q", constant(B * H * m * E, -5f), B, H, m, E);
            run(Stages.backwardQuery("backward_query", dpq, dsq, dnIn, pkIn, qkv, B, T, C, H, m),
                    binding(v, PerformerScanVector::backwardQuery), th);

            FloatSlice dqkvKv = padded("dqkv_kv", priorQkv.clone(), B, T, 3 * C);
            FloatSlice dpk = padded("dphi_k", priorPhi.clone(), B, H, T, m);
            FloatSlice dskv = padded("dstate_kv", constant(B * H * m * E, -5f), B, H, m, E);
            run(Stages.backwardKeyValue("backward_key_value", dqkvKv, dpk, dskv, dnIn, pqIn, pkIn, qkv, B, T, C, H, m),
                    binding(v, PerformerScanVector::backwardKeyValue), th);

            // dφ inputs of the feature backward: the prior values (any rows will do), in separate buffers.
            FloatSlice dpqIn = padded("dphi_q_in", priorPhi.clone(), B, H, T, m);
            FloatSlice dpkIn = padded("dphi_k_in", gaussian(new Random(m), B * H * T * m, 1), B, H, T, m);
            FloatSlice dqkvF = padded("dqkv_f", priorQkv.clone(), B, T, 3 * C);
            run(Stages.backwardFeatures("backward_features", dqkvF, dpqIn, dpkIn, pqIn, pkIn, qkv, omega, B, T, C, H, m),
                    binding(v, PerformerVector::backwardFeatures), th);

            assertPaddingIntact(qkv, omega, pq, pk, km, pqIn, pkIn, kmIn, o, n, st, dnIn, dpq, dsq, dqkvKv, dpk, dskv, dpqIn, dpkIn, dqkvF);
            res[v] = new float[][] {pq.toArray(), pk.toArray(), km.toArray(), o.toArray(), n.toArray(), st.toArray(), dpq.toArray(),
                dsq.toArray(), dqkvKv.toArray(), dpk.toArray(), dskv.toArray(), dqkvF.toArray()};
        }
        for (int k = 0; k < what.length; k++) {
            if (k < 2) {
                assertClose(res[0][k], res[1][k], FAST_RTOL, what[k] + " fast vs plain" + shape);
            } else {
                assertArrayEquals(res[0][k], res[1][k], what[k] + ": bit for bit" + shape);
            }
            // One head (or row) per task on one thread: the thread count changes nothing.
            assertArrayEquals(res[1][k], res[2][k], what[k] + ": 1 vs 3 threads" + shape);
        }
    }

    private static boolean hasZero(float[] a) {
        for (float x : a) {
            if (x == 0f) {
                return true;
            }
        }
        return false;
    }
}
