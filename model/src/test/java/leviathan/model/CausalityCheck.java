package leviathan.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import leviathan.graph.Backend;
import leviathan.graph.Profiler;
import leviathan.jvm.JvmBackend;

/**
 * Reusable causality check for any mixer (SPEC 1): with the logits graph of the whole model, changing
 * the token at position t (in batch row 0) must leave every logit at positions &lt; t unchanged, within
 * 1e-6 relative (to the larger of the two values and the row's largest magnitude), and leave batch
 * row 1 unchanged entirely; and it must change some logits at position t and at some position &gt; t
 * (so the mixer really mixes: a check that passes because nothing moves is not a check).
 *
 * <p>Parameters are GPT-2-initialised and then moved by N(0, 0.2) noise on every trainable tensor (so
 * e.g. Leviathan's lag weights are no longer the identity); untrained buffers are left as initialised.
 */
public final class CausalityCheck {
    public static final double REL_TOL = 1e-6;
    /** A logit counts as "changed" when it moves by more than this relative amount. */
    public static final double CHANGED = 1e-4;

    private CausalityCheck() {}

    /** Checks on the JVM backend, plain and fast kernels, for t = 0, 1, Tmax/2, Tmax−2, Tmax−1. */
    public static void assertCausal(ModelConfig config) {
        for (boolean fast : new boolean[] {false, true}) {
            try (Backend backend = new JvmBackend(1, fast, new Profiler())) {
                assertCausal(config, backend, 1234);
            }
        }
    }

    public static void assertCausal(ModelConfig config, Backend backend, long seed) {
        Gpt model = TestModels.randomised(config, seed, 0.2f);
        int T = config.contextLength, V = config.vocabSize;
        Workspace ws = model.workspace(2, T, false);
        TestModels.randomBatch(ws, seed + 1);
        Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
        float[] base = logits(backend, logits, ws);
        int[] positions = {0, 1, T / 2, T - 2, T - 1};
        for (int t : positions) {
            if (t < 0 || t >= T) {
                continue;
            }
            int orig = ws.tokens.get(t);
            ws.tokens.set(t, (orig + 1 + V / 2) % V);
            float[] changed = logits(backend, logits, ws);
            ws.tokens.set(t, orig);
            // Row 0, positions < t: unchanged.
            for (int i = 0; i < t; i++) {
                compareRow(ws, base, changed, 0, i, "changing token " + t + " (mixer " + config.mixer + ")");
            }
            // Row 1: a different sequence, untouched entirely.
            for (int i = 0; i < T; i++) {
                compareRow(ws, base, changed, 1, i, "changing token " + t + " of batch row 0 (mixer " + config.mixer + ")");
            }
            assertTrue(maxRelChange(ws, base, changed, 0, t) > CHANGED,
                    "changing token " + t + " did not change the logits at position " + t + " (mixer " + config.mixer + ")");
            if (t + 1 < T) {
                double later = 0;
                for (int i = t + 1; i < T; i++) {
                    later = Math.max(later, maxRelChange(ws, base, changed, 0, i));
                }
                assertTrue(later > CHANGED, "changing token " + t + " changed no logits after position " + t
                        + " (mixer " + config.mixer + " does not mix tokens?)");
            }
        }
        // Restored tokens reproduce the first run exactly (the graph keeps no hidden state between runs).
        float[] again = logits(backend, logits, ws);
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < T; i++) {
                int off = ws.logitsOffset(b, i) - ws.logitsOffset(0, 0);
                for (int v = 0; v < V; v++) {
                    if (Float.compare(base[off + v], again[off + v]) != 0) {
                        fail("the logits graph is not repeatable: (" + b + ", " + i + ", " + v + ") " + base[off + v] + " vs " + again[off + v]);
                    }
                }
            }
        }
    }

    /** The largest change of any logit at positions &lt; t of row 0 when token t changes, relative to the row scale. */
    public static double maxEarlierChange(ModelConfig config, Backend backend, long seed, int t) {
        Gpt model = TestModels.randomised(config, seed, 0.2f);
        Workspace ws = model.workspace(1, config.contextLength, false);
        TestModels.randomBatch(ws, seed + 1);
        Backend.CompiledGraph logits = backend.compile(ws.logitsGraph);
        float[] base = logits(backend, logits, ws);
        ws.tokens.set(t, (ws.tokens.get(t) + 1 + config.vocabSize / 2) % config.vocabSize);
        float[] changed = logits(backend, logits, ws);
        double m = 0;
        for (int i = 0; i < t; i++) {
            m = Math.max(m, maxRelChange(ws, base, changed, 0, i));
        }
        return m;
    }

    /** The logits (B, T, V) of the workspace's current tokens, copied out of the activations. */
    public static float[] logits(Backend backend, Backend.CompiledGraph logits, Workspace ws) {
        backend.syncToDevice(ws.model.params.array(), ws.tokens.array);
        logits.run();
        backend.syncToHost(ws.acts.array());
        int from = ws.logitsOffset(0, 0);
        return java.util.Arrays.copyOfRange(ws.acts.array(), from, from + ws.B * ws.T * ws.model.config.vocabSize);
    }

    private static void compareRow(Workspace ws, float[] a, float[] b, int row, int pos, String what) {
        int V = ws.model.config.vocabSize;
        int off = ws.logitsOffset(row, pos) - ws.logitsOffset(0, 0);
        double scale = 0;
        for (int v = 0; v < V; v++) {
            scale = Math.max(scale, Math.abs(a[off + v]));
        }
        for (int v = 0; v < V; v++) {
            double x = a[off + v], y = b[off + v];
            double tol = REL_TOL * Math.max(scale, Math.max(Math.abs(x), Math.abs(y)));
            if (!(Math.abs(x - y) <= tol)) {
                fail(what + " changed logit " + v + " at row " + row + " position " + pos + ": " + x + " -> " + y
                        + " (|diff| " + Math.abs(x - y) + " > " + tol + ")");
            }
        }
    }

    private static double maxRelChange(Workspace ws, float[] a, float[] b, int row, int pos) {
        return relativeChange(a, b, ws.logitsOffset(row, pos) - ws.logitsOffset(0, 0), ws.model.config.vocabSize);
    }

    /** max |a − b| / max |a| over a[off … off+n−1] and b's same elements: how much one position's logits moved. */
    public static double relativeChange(float[] a, float[] b, int off, int n) {
        double scale = 1e-30, diff = 0;
        for (int v = 0; v < n; v++) {
            scale = Math.max(scale, Math.abs(a[off + v]));
            diff = Math.max(diff, Math.abs(a[off + v] - b[off + v]));
        }
        return diff / scale;
    }
}
