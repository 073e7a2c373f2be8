package leviathan.jvm;

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
 * The column-reduction variants ({@link VectorColumns}) give bit-identical results to the plain
 * bodies (same row order, same operations), accumulating into pre-filled gradients, on widths that
 * are not multiples of the vector width, split across 3 threads.
 */
class VectorColumnsTest {

    @ParameterizedTest(name = "rows={0} cols={1}")
    @CsvSource({"1,1", "7,17", "37,65", "768,128", "5,300", "9,1100"})
    void matmulBiasGradientIsBitIdentical(int BT, int OC) {
        Random r = new Random(BT + 31L * OC);
        float[] dy = uniform(r, BT * OC, -1, 1), prior = uniform(r, OC, -1, 1);
        float[][] res = new float[2][];
        for (int variant = 0; variant < 2; variant++) {
            FloatSlice db = padded("dbias", prior.clone(), OC), dout = padded("dout", dy, BT, OC);
            GraphRunner.run(variant == 1 ? 3 : 1, variant == 1, CoreStages.matmulBackwardBias("db", db, dout, BT, OC));
            assertPaddingIntact(db, dout);
            res[variant] = db.toArray();
        }
        assertArrayEquals(res[0], res[1]);
    }

    @ParameterizedTest(name = "rows={0} cols={1}")
    @CsvSource({"1,1", "7,17", "37,65", "768,128", "5,300", "9,1100"})
    void layerNormParameterGradientsAreBitIdentical(int N, int C) {
        Random r = new Random(N * 7L + C);
        float[] dy = uniform(r, N * C, -1, 1), x = uniform(r, N * C, -3, 3);
        float[] mu = uniform(r, N, -1, 1), rs = uniform(r, N, 0.2, 2), pw = uniform(r, C, -1, 1), pb = uniform(r, C, -1, 1);
        float[][] w = new float[2][], b = new float[2][];
        for (int variant = 0; variant < 2; variant++) {
            FloatSlice dw = padded("dweight", pw.clone(), C), db = padded("dbias", pb.clone(), C);
            FloatSlice dout = padded("dout", dy, N, C), inp = padded("inp", x, N, C), mean = padded("mean", mu, N), rstd = padded("rstd", rs, N);
            GraphRunner.run(variant == 1 ? 3 : 1, variant == 1, CoreStages.layerNormBackwardParams("ln", dw, db, dout, inp, mean, rstd, N, C));
            assertPaddingIntact(dw, db, dout, inp, mean, rstd);
            w[variant] = dw.toArray();
            b[variant] = db.toArray();
        }
        assertArrayEquals(w[0], w[1]);
        assertArrayEquals(b[0], b[1]);
    }
}
