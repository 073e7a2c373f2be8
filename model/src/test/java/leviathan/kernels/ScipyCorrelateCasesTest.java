package leviathan.kernels;

import static leviathan.testing.Check.FORWARD_RTOL;
import static leviathan.testing.Check.assertClose;
import static leviathan.testing.Check.relErr;
import static leviathan.testing.TestData.assertPaddingIntact;
import static leviathan.testing.TestData.padded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.FloatSlice;
import leviathan.model.mixers.LeviathanSameMixer;
import leviathan.testing.GraphRunner;

/**
 * Both 'same' correlations against SciPy's own numbers: {@code scipy-correlate-cases.json} (test
 * resources, a copy of /work/shared/data's) holds inputs and outputs of
 * {@code scipy.signal.correlate2d} (2-D) and {@code scipy.signal.correlate} (2-D and 4-D
 * (batch, head, T, D), as the notebook calls it), mode 'same', odd and even sizes, from SciPy 1.17.1.
 * <ul>
 *   <li>every correlate2d case through {@link LeviathanSame} (the default {@code leviathan-same}) and
 *       every correlate case through {@link LeviathanNotebook} ({@code --notebook=true}) and its JVM
 *       FFT path ({@link leviathan.jvm.NotebookCorrelationFft}), relative 1e-5;</li>
 *   <li>the windows' claim, checked on SciPy's numbers: correlate2d's 'same' block (start ⌊n/2⌋)
 *       and correlate's (start ⌊(n−1)/2⌋) agree when every size is odd and differ otherwise — so each
 *       kernel passes only with its own window;</li>
 *   <li>the file holds what the tests rely on (both functions, odd and even sizes, 4-D cases).</li>
 * </ul>
 */
class ScipyCorrelateCasesTest {
    static final String RESOURCE = "/scipy-correlate-cases.json";
    static final String CORRELATE2D = "scipy.signal.correlate2d";
    static final String CORRELATE = "scipy.signal.correlate";

    /** One case of the file, arrays flattened in C order; shape is (T, D) or (B, H, T, D). */
    record Case(int number, String function, int[] shape, double[] in1, double[] in2, double[] out) {
        int B() { return shape.length == 4 ? shape[0] : 1; }
        int H() { return shape.length == 4 ? shape[1] : 1; }
        int T() { return shape[shape.length - 2]; }
        int D() { return shape[shape.length - 1]; }

        boolean allOdd() {
            return Arrays.stream(shape).allMatch(n -> n % 2 == 1);
        }

        @Override
        public String toString() {
            return "#" + number + " " + function + " " + Arrays.toString(shape);
        }
    }

    static List<Case> cases() {
        try (InputStream in = ScipyCorrelateCasesTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " is missing from the test resources");
            JsonObject root = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
            List<Case> cases = new ArrayList<>();
            for (JsonElement e : root.getAsJsonArray("cases")) {
                JsonObject c = e.getAsJsonObject();
                assertEquals("same", c.get("mode").getAsString(), "every case is mode 'same'");
                List<Integer> shape = new ArrayList<>();
                double[] in1 = flatten(c.get("in1"), shape);
                double[] in2 = flatten(c.get("in2"), new ArrayList<>());
                double[] out = flatten(c.get("out"), new ArrayList<>());
                int[] dims = shape.stream().mapToInt(Integer::intValue).toArray();
                assertEquals(in1.length, in2.length, "in1 and in2 have one shape");
                assertEquals(in1.length, out.length, "'same' keeps in1's shape");
                cases.add(new Case(cases.size(), c.get("function").getAsString(), dims, in1, in2, out));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Nested JSON arrays in C order; {@code shape} receives the extents along the first elements. */
    private static double[] flatten(JsonElement e, List<Integer> shape) {
        List<Double> values = new ArrayList<>();
        JsonElement first = e;
        while (first.isJsonArray()) {
            shape.add(first.getAsJsonArray().size());
            first = first.getAsJsonArray().get(0);
        }
        collect(e, values);
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void collect(JsonElement e, List<Double> values) {
        if (e.isJsonArray()) {
            for (JsonElement x : (JsonArray) e) {
                collect(x, values);
            }
        } else {
            values.add(e.getAsDouble());
        }
    }

    static Stream<Case> allCases() {
        return cases().stream();
    }

    static Stream<Case> correlateCases() {
        return cases().stream().filter(c -> c.function.equals(CORRELATE));
    }

    static Stream<Case> twoDimensionalCorrelateCases() {
        return cases().stream().filter(c -> c.function.equals(CORRELATE) && c.shape.length == 2);
    }

    /**
     * Runs in1 as Q and in2 as K of a qkv buffer with (B, H, T, D) = the case's shape (B = H = 1 for
     * a 2-D case) through one of the two correlation stages; returns Cmat in (B, H, T, D) order.
     */
    static float[] kernelCmat(Case c, boolean notebook) {
        return kernelCmat(c, notebook, false);
    }

    /** As above; {@code fast} runs the JVM fast variant where there is one (the notebook's FFT path). */
    static float[] kernelCmat(Case c, boolean notebook, boolean fast) {
        int B = c.B(), H = c.H(), T = c.T(), D = c.D(), C = H * D;
        float[] x = new float[B * T * 3 * C];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    for (int d = 0; d < D; d++) {
                        int src = ((b * H + h) * T + t) * D + d, dst = (b * T + t) * 3 * C + h * D + d;
                        x[dst] = (float) c.in1[src];
                        x[dst + C] = (float) c.in2[src];
                        x[dst + 2 * C] = 0.5f;   // V, carried over
                    }
                }
            }
        }
        FloatSlice qkv = padded("qkv", x, B, T, 3 * C), cqkv = padded("cqkv", B, T, 3 * C);
        GraphRunner.run(fast, notebook
                ? LeviathanSameMixer.Stages.notebookCorrelate("notebook_correlate", cqkv, qkv, B, T, C, H)
                : LeviathanSameMixer.Stages.correlate("correlate2d", cqkv, qkv, B, T, C, H));
        assertPaddingIntact(qkv, cqkv);
        float[] got = cqkv.toArray(), cmat = new float[c.in1.length];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    for (int d = 0; d < D; d++) {
                        cmat[((b * H + h) * T + t) * D + d] = got[(b * T + t) * 3 * C + h * D + d];
                    }
                }
            }
        }
        return cmat;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void kernelReproducesScipy(Case c) {
        boolean notebook = c.function.equals(CORRELATE);
        assertTrue(notebook || c.function.equals(CORRELATE2D), "unknown function " + c.function);
        assertClose(c.out, kernelCmat(c, notebook), FORWARD_RTOL,
                (notebook ? "LeviathanNotebook" : "LeviathanSame") + " on " + c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("correlateCases")
    void fftPathReproducesScipy(Case c) {
        assertClose(c.out, kernelCmat(c, true, true), FORWARD_RTOL, "NotebookCorrelationFft on " + c);
    }

    /**
     * correlate2d's window starts at ⌊n/2⌋, correlate's at ⌊(n−1)/2⌋: equal for odd n, one apart for
     * even n. On SciPy's numbers: the correlate2d kernel reproduces correlate's output exactly when
     * every size is odd, and misses it by far when a size is even — and the file's correlate2d case
     * on the same inputs says the same.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("twoDimensionalCorrelateCases")
    void theTwoWindowsAgreeOnlyWhenEverySizeIsOdd(Case c) {
        double viaCorrelate2d = relErr(c.out, kernelCmat(c, false));
        Case twin = cases().stream()
                .filter(o -> o.function.equals(CORRELATE2D) && Arrays.equals(o.in1, c.in1) && Arrays.equals(o.in2, c.in2))
                .findFirst().orElseThrow(() -> new AssertionError("no correlate2d case on the inputs of " + c));
        double scipyGap = relErr(c.out, toFloat(twin.out));   // float rounding of the file's values: ~1e-7
        if (c.allOdd()) {
            assertTrue(viaCorrelate2d <= FORWARD_RTOL, c + ": odd sizes, the windows coincide, yet the error is " + viaCorrelate2d);
            assertTrue(scipyGap <= 1e-6, c + ": SciPy's two functions should agree for odd sizes, differ by " + scipyGap);
        } else {
            assertTrue(viaCorrelate2d > 0.1, c + ": an even size shifts the window, yet correlate2d's is within " + viaCorrelate2d);
            assertTrue(scipyGap > 0.1, c + ": SciPy's two functions should differ for even sizes, differ by " + scipyGap);
        }
    }

    @Test
    void casesCoverBothFunctionsOddAndEvenSizesAndFourDimensions() {
        List<Case> all = cases();
        long c2d = all.stream().filter(c -> c.function.equals(CORRELATE2D)).count();
        long c2 = twoDimensionalCorrelateCases().count();
        long c4 = all.stream().filter(c -> c.shape.length == 4).count();
        assertTrue(c2d >= 4 && c2 >= 4 && c4 >= 3, "correlate2d " + c2d + ", 2-D correlate " + c2 + ", 4-D correlate " + c4);
        assertTrue(all.stream().anyMatch(Case::allOdd), "no case with every size odd");
        assertTrue(all.stream().filter(c -> c.shape.length == 4).anyMatch(c -> c.T() % 2 == 0 && c.B() % 2 == 0),
                "no 4-D case with even batch and length");
        assertTrue(all.stream().filter(c -> c.shape.length == 4).anyMatch(c -> c.B() % 2 == 1 && c.T() % 2 == 1),
                "no 4-D case with odd batch and length");
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
