package leviathan.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;

/**
 * Whole-model gradient check (SPEC 1): the backward graph's gradients against central finite
 * differences (L(p+e) − L(p−e)) / 2e of the float32 model's loss, for sampled coordinates of every
 * parameter tensor, for every registered mixer, on the JVM backend with plain and with fast (Vector API) kernels.
 *
 * <p>Parameters are GPT-2-initialised and then moved by N(0, 0.25) noise so that every gradient is
 * clearly non-zero; batch 2×8, fixed seeds. Step e = 5e-3 (the actual float32 step p±e is used in
 * the quotient). Tolerance: |g − fd| ≤ 2e-2·max(|g|, |fd|) + 1e-4, against the quotient over the
 * step, half of it or a quarter; a coordinate whose quotients disagree among themselves sits on a
 * kink (a ReLU switching) and is skipped, at most one in twenty. Float32 rounding of L ≈ 2.5
 * gives fd noise of order 5e-5 and the O(e²) truncation error stays below 0.5% here; the
 * largest observed |g − fd| is about 30% of the tolerance. One worker thread (the result does not
 * depend on it, and the machine is shared).
 */
class GradientCheckTest {
    private static final float EPS = 5e-3f;
    private static final double REL_TOL = 2e-2;
    private static final double ABS_TOL = 1e-4;
    private static final int RANDOM_COORDS = 5;

    /** Every mixer with plain and with fast kernels, and with dropout (the plain bodies; the mask of step 5 held fixed). */
    static Stream<Arguments> mixersAndKernels() {
        return TestModels.allMixers().flatMap(m -> Stream.of(Arguments.of(m, false, 0f), Arguments.of(m, true, 0f), Arguments.of(m, true, 0.1f)));
    }

    @ParameterizedTest(name = "{0}, fast={1}, dropout={2}")
    @MethodSource("mixersAndKernels")
    void gradientsMatchFiniteDifferences(String mixer, boolean fast, float dropout) {
        ModelConfig cfg = TestModels.tiny(mixer);
        Gpt model = TestModels.randomised(cfg, 42, 0.25f);
        Workspace ws = dropout > 0 ? model.trainingWorkspace(2, cfg.contextLength, 99) : model.workspace(2, cfg.contextLength, true);
        ws.setDropout(dropout, 5);
        TestModels.randomBatch(ws, 7);
        try (Backend backend = new JvmBackend(1, fast, new Profiler())) {
            Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
            Backend.CompiledGraph loss = backend.compile(ws.lossGraph);
            Backend.CompiledGraph backward = backend.compile(ws.backwardGraph);

            // Poison the gradients: the backward graph must zero them itself.
            java.util.Arrays.fill(model.grads.array(), 123f);
            float l0 = TestModels.loss(backend, logits, loss, ws);
            assertTrue(Float.isFinite(l0), "loss " + l0);
            backward.run();
            backend.syncToHost(model.grads.array());
            float[] grads = model.grads.array().clone();

            // A second backward over the same activations gives the same gradients (no accumulation across runs).
            backward.run();
            backend.syncToHost(model.grads.array());
            assertArrayEquals(grads, model.grads.array(), "backward must zero the gradients before accumulating");

            float[] p = model.params.array();
            Rng pick = new Rng(99);
            Set<String> checkedPrefixes = new LinkedHashSet<>();
            List<String> failures = new ArrayList<>();
            int checked = 0;
            int kinks = 0;
            for (ParamSpec s : model.specs()) {
                if (!s.trainable) {
                    continue;
                }
                int off = model.layout.offsetOf(s.name);
                int n = s.size();
                double maxFd = 0;
                for (int i : TestModels.sampledCoordinates(grads, off, n, RANDOM_COORDS, pick)) {
                    double fd = TestModels.lossDifference(backend, logits, loss, ws, p, off + i, EPS);
                    double g = grads[off + i];
                    maxFd = Math.max(maxFd, Math.abs(fd));
                    if (!close(g, fd)) {
                        // A kink (a ReLU switching) within the step makes the quotient meaningless there; a smaller step
                        // may miss it. The coordinate passes if a quotient over half or a quarter of the step agrees; it is
                        // skipped as a kink if the quotients disagree among themselves, and fails otherwise.
                        double half = TestModels.lossDifference(backend, logits, loss, ws, p, off + i, EPS / 2);
                        double quarter = TestModels.lossDifference(backend, logits, loss, ws, p, off + i, EPS / 4);
                        if (close(g, half) || close(g, quarter)) {
                            checked++;
                            continue;
                        }
                        if (!close(fd, half) || !close(half, quarter)) {
                            kinks++;
                            continue;
                        }
                        failures.add(String.format("%s[%d]: backward %.6g, finite difference %.6g (|diff| %.3g)", s.name, i, g, fd,
                                Math.abs(g - fd)));
                    }
                    checked++;
                }
                // The check must not be vacuous: every tensor has a clearly non-zero gradient somewhere.
                assertTrue(maxFd > 1e-3, s.name + ": finite differences all ≈ 0 (max " + maxFd + "); the check would be vacuous");
                checkedPrefixes.add(s.name.replaceFirst("^h\\.\\d+\\.", "h.*."));
            }
            // The restored parameters give back the original loss exactly.
            assertEquals(l0, TestModels.loss(backend, logits, loss, ws), 0f);
            assertTrue(kinks <= (checked + kinks) / 20, kinks + " coordinates of " + (checked + kinks) + " sit on a kink: too many to skip");
            if (!failures.isEmpty()) {
                fail(failures.size() + " of " + checked + " coordinates disagree (" + mixer + ", fast=" + fast + ", dropout=" + dropout + "):\n" + String.join("\n", failures));
            }
            for (String name : List.of("wte.weight", "wpe.weight", "h.*.ln_1.weight", "h.*.ln_1.bias", "h.*.attn.c_proj.weight",
                    "h.*.attn.c_proj.bias", "h.*.ln_2.weight", "h.*.ln_2.bias",
                    "h.*.mlp.c_fc.weight", "h.*.mlp.c_fc.bias", "h.*.mlp.c_proj.weight", "h.*.mlp.c_proj.bias", "ln_f.weight", "ln_f.bias")) {
                assertTrue(checkedPrefixes.contains(name), "tensor " + name + " was not checked; checked " + checkedPrefixes);
            }
        }
    }

    private static boolean close(double a, double b) {
        return Math.abs(a - b) <= REL_TOL * Math.max(Math.abs(a), Math.abs(b)) + ABS_TOL;
    }
}
