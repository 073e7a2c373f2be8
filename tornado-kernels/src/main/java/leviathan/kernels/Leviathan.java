package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * Leviathan's correlation score (SPEC 2.2), causal form:
 * <pre>
 *   A_ij = q_i·k_j / √D                                  (the attention score map, j ≤ i)
 *   S_ij = Σ_{τ=0}^{min(L−1, j)} g_{h,τ} · A_{i−τ, j−τ}   (j ≤ i; terms with j−τ &lt; 0 are 0)
 *   P    = softmax_j(S),  o_i = Σ_{j≤i} P_ij v_j
 * </pre>
 * Every pair (i−τ, j−τ) with j−τ ≥ 0 is itself a causal pair of A, so S is a causal 1-D
 * correlation of A with g along each diagonal (offset i−j fixed).
 *
 * <p>Buffers: the fused {@code qkv} (B, T, 3C) as in {@link Attention}; the score maps
 * {@code base} (A), {@code preatt} (S) and {@code att} (P), each (B, H, T, T), of which only the
 * causal entries j ≤ i are written or read; {@code lag} (H, L), the lag weights g.
 *
 * <p>Parallel index of the row kernels: one (b, h, i) row, flattened as {@code ((b·H)+h)·T + i}
 * (see {@link Attention#batchOf}). The lag-weight gradient is a reduction over b, i, j and has
 * its own kernel indexed by (h, τ), summing in a fixed order, so it is deterministic.
 */
public final class Leviathan {
    private Leviathan() {}

    /** Row i of the base map: A[i, j] = q_i·k_j/√D for j ≤ i (the same arithmetic as {@link Attention#forward}). */
    @Kernel("leviathan_base_scores")
    public static void baseScores(@Write float[] base, int baseOff,   // (B, H, T, T)
                                  @Read float[] qkv, int qkvOff,     // (B, T, 3C)
                                  int T, int C, int H, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int D = C / H;
        float scale = 1.0f / (float) Math.sqrt(D);
        int q = qkvOff + (b * T + i) * 3 * C + h * D;
        int row = baseOff + index * T;
        for (int j = 0; j <= i; j++) {
            int k = qkvOff + (b * T + j) * 3 * C + C + h * D;
            float s = 0f;
            for (int d = 0; d < D; d++) {
                s += qkv[q + d] * qkv[k + d];
            }
            base[row + j] = s * scale;
        }
    }

    /**
     * Row i of the correlated scores: S[i, j] = Σ_{τ ≤ min(L−1, j)} g[h, τ]·A[i−τ, j−τ] for j ≤ i.
     * The sum starts from g_0·A_ij, so with g = (1, 0, …, 0) S equals A bit for bit.
     */
    @Kernel("leviathan_lag_correlate")
    public static void lagCorrelate(@Write float[] preatt, int preOff,   // (B, H, T, T)
                                    @Read float[] base, int baseOff,    // (B, H, T, T)
                                    @Read float[] lag, int lagOff,      // (H, L)
                                    int T, int H, int L, @Index int index) {
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int g = lagOff + h * L;
        int row = index * T;
        for (int j = 0; j <= i; j++) {
            float s = lag[g] * base[baseOff + row + j];
            int taus = Math.min(L - 1, j);
            for (int tau = 1; tau <= taus; tau++) {
                s += lag[g + tau] * base[baseOff + row - tau * (T + 1) + j];
            }
            preatt[preOff + row + j] = s;
        }
    }

    /** Row i: P[i, :] = masked softmax of S[i, :], and o_i = Σ_j P_ij v_j into head h's columns of {@code out}. */
    @Kernel("leviathan_softmax_values")
    public static void softmaxValues(@Write float[] out, int outOff,       // (B, T, C)
                                     @Write float[] att, int attOff,       // (B, H, T, T)
                                     @Read float[] preatt, int preOff,    // (B, H, T, T)
                                     @Read float[] qkv, int qkvOff,       // (B, T, 3C)
                                     @Read float[] dropout, int dropoutOff,   // (Dropout.SIZE): rate and step
                                     int T, int C, int H, int dropoutKey, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int D = C / H;
        int row = index * T;
        float max = -Float.MAX_VALUE;
        for (int j = 0; j <= i; j++) {
            max = Math.max(max, preatt[preOff + row + j]);
        }
        Softmax.causalRow(att, attOff + row, preatt, preOff + row, max, i);
        WeightedSum.forwardRow(out, outOff + (b * T + i) * C + h * D,
                att, attOff + row, qkv, qkvOff + b * T * 3 * C + 2 * C + h * D, 3 * C, D, i,
                dropoutKey, Dropout.step(dropout, dropoutOff), row, Dropout.rate(dropout, dropoutOff));
    }

    /**
     * Row i: dS[i, :] = softmax-backward(dout_i·vᵀ). Writes (=) the scratch {@code dpreatt}.
     */
    @Kernel("leviathan_scores_backward")
    public static void scoresBackward(@Write float[] dpreatt, int dpreOff,   // (B, H, T, T)
                                      @Read float[] dout, int doutOff,      // (B, T, C)
                                      @Read float[] qkv, int qkvOff,        // (B, T, 3C)
                                      @Read float[] att, int attOff,        // (B, H, T, T)
                                      @Read float[] dropout, int dropoutOff,   // (Dropout.SIZE): rate and step
                                      int T, int C, int H, int dropoutKey, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int D = C / H;
        int row = index * T;
        WeightedSum.backwardWeights(dpreatt, dpreOff + row, dout, doutOff + (b * T + i) * C + h * D,
                qkv, qkvOff + b * T * 3 * C + 2 * C + h * D, 3 * C, D, i,
                dropoutKey, Dropout.step(dropout, dropoutOff), row, Dropout.rate(dropout, dropoutOff));
        Softmax.causalRowBackwardInPlace(dpreatt, dpreOff + row, att, attOff + row, i);
    }

    /**
     * Row a of the base-map gradient: dA[a, c] = Σ_{τ < L, a+τ < T} g[h, τ]·dS[a+τ, c+τ] for c ≤ a
     * (the adjoint of {@link #lagCorrelate}: an anti-causal correlation along each diagonal).
     * Writes (=) the scratch {@code dbase}.
     */
    @Kernel("leviathan_lag_correlate_backward")
    public static void lagCorrelateBackward(@Write float[] dbase, int dbaseOff,   // (B, H, T, T)
                                            @Read float[] dpreatt, int dpreOff,  // (B, H, T, T)
                                            @Read float[] lag, int lagOff,       // (H, L)
                                            int T, int H, int L, @Index int index) {
        int h = Attention.headOf(index, H, T);
        int a = Attention.timeOf(index, T);
        int g = lagOff + h * L;
        int row = index * T;
        int taus = Math.min(L - 1, T - 1 - a);
        for (int c = 0; c <= a; c++) {
            float s = lag[g] * dpreatt[dpreOff + row + c];
            for (int tau = 1; tau <= taus; tau++) {
                s += lag[g + tau] * dpreatt[dpreOff + row + tau * (T + 1) + c];
            }
            dbase[dbaseOff + row + c] = s;
        }
    }

    /**
     * Lag-weight gradient, index h·L + τ: dg[h, τ] += Σ_b Σ_{i ≥ τ} Σ_{τ ≤ j ≤ i} dS[b,h,i,j]·A[b,h,i−τ,j−τ],
     * summed in the fixed order b, i, j.
     */
    @Kernel("leviathan_lag_weight_backward")
    public static void lagWeightBackward(@ReadWrite float[] dlag, int dlagOff,       // (H, L)
                                         @Read float[] dpreatt, int dpreOff,    // (B, H, T, T)
                                         @Read float[] base, int baseOff,       // (B, H, T, T)
                                         int B, int T, int H, int L, @Index int index) {
        int h = index / L;
        int tau = index % L;
        int shift = tau * (T + 1);
        float acc = 0f;
        for (int b = 0; b < B; b++) {
            int head = (b * H + h) * T * T;
            for (int i = tau; i < T; i++) {
                int row = head + i * T;
                for (int j = tau; j <= i; j++) {
                    acc += dpreatt[dpreOff + row + j] * base[baseOff + row - shift + j];
                }
            }
        }
        dlag[dlagOff + index] += acc;
    }

    /** Row i: dq_i += Σ_{j ≤ i} dA[i, j]·k_j/√D (the query half of the attention backward, from dA). */
    @Kernel("leviathan_query_backward")
    public static void queryBackward(@ReadWrite float[] dqkv, int dqkvOff,     // (B, T, 3C)
                                     @Read float[] dbase, int dbaseOff,   // (B, H, T, T)
                                     @Read float[] qkv, int qkvOff,       // (B, T, 3C)
                                     int T, int C, int H, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int i = Attention.timeOf(index, T);
        int D = C / H;
        float scale = 1.0f / (float) Math.sqrt(D);
        int row = dbaseOff + index * T;
        int dq = dqkvOff + (b * T + i) * 3 * C + h * D;
        for (int d = 0; d < D; d++) {
            float acc = 0f;
            for (int j = 0; j <= i; j++) {
                acc += dbase[row + j] * qkv[qkvOff + (b * T + j) * 3 * C + C + h * D + d];
            }
            dqkv[dq + d] += acc * scale;
        }
    }
}
