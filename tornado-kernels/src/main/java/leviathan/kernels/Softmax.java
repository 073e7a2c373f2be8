package leviathan.kernels;

/**
 * The masked softmax over one score row, shared by every mixer that turns scores into
 * probabilities. Only entries 0..last are live; the rest are masked (probability 0) and untouched.
 * Row helpers, called from kernel bodies (TornadoVM inlines them).
 */
public final class Softmax {
    private Softmax() {}

    /** prob[0..last] = softmax(score[0..last]); {@code max} is the row's maximum score. */
    public static void causalRow(float[] prob, int probOff, float[] score, int scoreOff, float max, int last) {
        float sum = 0f;
        for (int j = 0; j <= last; j++) {
            float e = (float) Math.exp(score[scoreOff + j] - max);
            prob[probOff + j] = e;
            sum += e;
        }
        float inv = sum == 0f ? 0f : 1.0f / sum;
        for (int j = 0; j <= last; j++) {
            prob[probOff + j] = prob[probOff + j] * inv;
        }
    }

    /** In place: grad[j] (holding dL/dprob) becomes dL/dscore = prob[j]·(grad[j] − Σ prob·grad). */
    public static void causalRowBackwardInPlace(float[] grad, int gradOff, float[] prob, int probOff, int last) {
        float dot = 0f;
        for (int j = 0; j <= last; j++) {
            dot += prob[probOff + j] * grad[gradOff + j];
        }
        for (int j = 0; j <= last; j++) {
            grad[gradOff + j] = prob[probOff + j] * (grad[gradOff + j] - dot);
        }
    }
}
