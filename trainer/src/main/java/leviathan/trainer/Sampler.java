package leviathan.trainer;

import leviathan.graph.Backend;
import leviathan.model.Gpt;
import leviathan.model.Rng;
import leviathan.model.Workspace;

/**
 * Autoregressive generation with temperature and top-k. Runs the logits graph of a B=1, T=Tmax
 * workspace over the last Tmax tokens (positions after the prompt hold padding, which a causal
 * model never looks at) and samples the next character from the row of the last real position.
 */
public final class Sampler {
    private final Gpt model;
    private final Workspace ws;
    private final Backend backend;
    private final Backend.CompiledGraph logits;
    private final float[] row;
    private final int[] order;
    private final double[] weights;

    public Sampler(Gpt model, Backend backend) {
        this.model = model;
        this.backend = backend;
        this.ws = model.workspace(1, model.config.contextLength, false);
        this.logits = backend.compile(ws.logitsGraph);
        this.row = new float[model.config.vocabSize];
        this.order = new int[model.config.vocabSize];
        this.weights = new double[model.config.vocabSize];
    }

    /** Continues {@code prompt} by {@code n} tokens; returns prompt + continuation. */
    public int[] generate(int[] prompt, int n, float temperature, int topK, Rng rng) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one character");
        }
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must not be negative, got " + temperature);
        }
        int Tmax = model.config.contextLength, V = model.config.vocabSize;
        int[] out = java.util.Arrays.copyOf(prompt, prompt.length + n);
        int len = prompt.length;
        for (int i = 0; i < n; i++) {
            int start = Math.max(0, len - Tmax);
            int used = len - start;
            for (int t = 0; t < Tmax; t++) {
                ws.tokens.set(t, t < used ? out[start + t] : 0);
            }
            backend.syncToDevice(ws.tokens.array);
            logits.run();
            backend.syncToHost(ws.acts.array());
            System.arraycopy(ws.acts.array(), ws.logitsOffset(0, used - 1), row, 0, V);
            out[len++] = pick(row, temperature, topK, rng);
        }
        return out;
    }

    /** Argmax for temperature 0; otherwise softmax(logits/temperature) over the top k, sampled. */
    int pick(float[] logits, float temperature, int topK, Rng rng) {
        int V = logits.length;
        if (temperature == 0f) {
            int best = 0;
            for (int v = 1; v < V; v++) {
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            return best;
        }
        int k = topK <= 0 || topK > V ? V : topK;
        for (int v = 0; v < V; v++) {
            order[v] = v;
        }
        // Partial selection sort: the k largest logits first (V is small: a character vocabulary).
        for (int i = 0; i < k; i++) {
            int best = i;
            for (int j = i + 1; j < V; j++) {
                if (logits[order[j]] > logits[order[best]]) {
                    best = j;
                }
            }
            int tmp = order[i];
            order[i] = order[best];
            order[best] = tmp;
        }
        double max = logits[order[0]] / temperature;
        double sum = 0;
        double[] p = weights;
        for (int i = 0; i < k; i++) {
            p[i] = Math.exp(logits[order[i]] / temperature - max);
            sum += p[i];
        }
        double u = rng.nextDouble() * sum;
        for (int i = 0; i < k; i++) {
            u -= p[i];
            if (u <= 0) {
                return order[i];
            }
        }
        return order[k - 1];
    }
}
