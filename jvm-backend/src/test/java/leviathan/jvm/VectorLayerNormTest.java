package leviathan.jvm;

import static leviathan.testing.Check.FAST_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.padded;
import static leviathan.testing.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import leviathan.graph.FloatSlice;
import leviathan.stages.CoreStages;
import leviathan.testing.GraphRunner;

/**
 * LayerNorm's vector row passes ({@link VectorLayerNorm}) equal the plain bodies within relative
 * 1e-5 (the row sums are rounded in another order), accumulating into a pre-filled gradient, on
 * widths that are not multiples of the vector width, split across 3 threads; and give the same bits
 * for 1 and 3 threads.
 */
class VectorLayerNormTest {

    @ParameterizedTest(name = "rows={0} C={1}")
    @CsvSource({"1,1", "7,17", "37,65", "768,128", "5,300", "3,16"})
    void forwardAndBackwardInputEqualPlainBodies(int N, int C) {
        Random r = new Random(N * 13L + C);
        float[] x = uniform(r, N * C, -3, 3), dy = uniform(r, N * C, -1, 1), prior = uniform(r, N * C, -1, 1);
        float[] w = uniform(r, C, 0.5, 1.5), b = uniform(r, C, -1, 1);
        float[][][] res = new float[3][][];
        int[][] runs = {{1, 0}, {3, 1}, {1, 1}};   // {threads, fast}
        for (int v = 0; v < runs.length; v++) {
            FloatSlice out = padded("out", N, C), mean = padded("mean", N), rstd = padded("rstd", N);
            FloatSlice inp = padded("inp", x, N, C), weight = padded("weight", w, C), bias = padded("bias", b, C);
            FloatSlice dout = padded("dout", dy, N, C), dinp = padded("dinp", prior.clone(), N, C);
            GraphRunner.run(runs[v][0], runs[v][1] == 1,
                    CoreStages.layerNormForward("ln", out, mean, rstd, inp, weight, bias, N, C),
                    CoreStages.layerNormBackwardInput("ln_bwd", dinp, dout, inp, weight, mean, rstd, N, C));
            assertPaddingIntact(out, mean, rstd, inp, weight, bias, dout, dinp);
            res[v] = new float[][] {out.toArray(), mean.toArray(), rstd.toArray(), dinp.toArray()};
        }
        String[] names = {"out", "mean", "rstd", "dinp"};
        for (int i = 0; i < names.length; i++) {
            assertClose(res[0][i], res[1][i], FAST_RTOL, "layernorm " + names[i] + " N=" + N + " C=" + C);
            assertArrayEquals(res[1][i], res[2][i], "layernorm " + names[i] + ": 1 and 3 threads differ");
        }
    }
}
