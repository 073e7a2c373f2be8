package leviathan.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Profiler;
import leviathan.stages.CoreStages;

/** The fast JVM attention (VectorAttention) equals the plain bodies of leviathan.kernels.Attention. */
class VectorAttentionTest {
    private static final double TOL = 1e-5;

    private static FloatSlice random(Random r, String name, int n) {
        FloatSlice s = FloatSlice.of(name, n);
        for (int i = 0; i < n; i++) {
            s.array[i] = (float) r.nextGaussian();
        }
        return s;
    }

    /** max |a − b| / max(1e-6, max |a|) over the whole buffers. */
    private static double relErr(float[] a, float[] b) {
        double diff = 0, scale = 1e-6;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
        }
        return diff / scale;
    }

    @ParameterizedTest(name = "B={0} T={1} C={2} H={3}")
    @CsvSource({"2,5,12,3", "2,64,128,4", "1,37,34,2", "3,17,48,1", "1,1,16,2"})
    void fastForwardAndBackwardEqualPlainBodies(int B, int T, int C, int H) {
        Random r = new Random(42 + T);
        FloatSlice qkv = random(r, "qkv", B * T * 3 * C);
        FloatSlice dout = random(r, "dout", B * T * C);
        float[][] results = new float[2][];
        float[][] pres = new float[2][];
        float[][] atts = new float[2][];
        float[][] dpres = new float[2][];
        float[][] dqkvs = new float[2][];
        for (int fast = 0; fast < 2; fast++) {
            FloatSlice out = FloatSlice.of("out", B * T * C);
            FloatSlice pre = FloatSlice.of("pre", B * H * T * T);
            FloatSlice att = FloatSlice.of("att", B * H * T * T);
            FloatSlice dpre = FloatSlice.of("dpre", B * H * T * T);
            FloatSlice dqkv = FloatSlice.of("dqkv", B * T * 3 * C);
            dqkv.fill(0.5f); // backward accumulates
            Graph g = new Graph("attention")
                    .add(CoreStages.attentionForward("fwd", out, pre, att, qkv, B, T, C, H))
                    .add(CoreStages.attentionBackwardQuery("bq", dqkv, dpre, dout, qkv, att, B, T, C, H))
                    .add(CoreStages.attentionBackwardKeyValue("bkv", dqkv, dpre, dout, qkv, att, B, T, C, H));
            try (JvmBackend backend = new JvmBackend(2, fast == 1, new Profiler())) {
                backend.compile(g).run();
            }
            results[fast] = out.array;
            pres[fast] = pre.array;
            atts[fast] = att.array;
            dpres[fast] = dpre.array;
            dqkvs[fast] = dqkv.array;
        }
        assertTrue(relErr(results[0], results[1]) <= TOL, "out " + relErr(results[0], results[1]));
        assertTrue(relErr(pres[0], pres[1]) <= TOL, "preatt " + relErr(pres[0], pres[1]));
        assertTrue(relErr(atts[0], atts[1]) <= TOL, "att " + relErr(atts[0], atts[1]));
        assertTrue(relErr(dpres[0], dpres[1]) <= TOL, "dpreatt " + relErr(dpres[0], dpres[1]));
        assertTrue(relErr(dqkvs[0], dqkvs[1]) <= TOL, "dqkv " + relErr(dqkvs[0], dqkvs[1]));
    }
}
