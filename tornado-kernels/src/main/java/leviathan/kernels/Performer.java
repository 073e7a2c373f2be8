package leviathan.kernels;

import leviathan.kernels.annotation.Index;
import leviathan.kernels.annotation.Kernel;
import leviathan.kernels.annotation.Read;
import leviathan.kernels.annotation.ReadWrite;
import leviathan.kernels.annotation.Write;

/**
 * Performer (FAVOR+) attention with positive random features (SPEC 2.3), causal, in linear time,
 * and the two softmax-kernel feature maps of the approximation study.
 *
 * <p>Feature map of one row x ∈ R^D with x̃ = x·D^{-1/4} (so that q̃·k̃ = q·k/√D) and m rows
 * ω_r of the head's feature matrix (H, m, D):
 * <pre>
 *   φ(x)_r = exp(ω_r·x̃ − |x̃|²/2 − c) / √m            r = 0..m−1
 * </pre>
 * Queries use c = max_r ω_r·q̃ (a per-row constant: it cancels exactly in the ratio below);
 * keys use one c per (batch row, head), the maximum of ω_r·k̃_t over all r and t rounded up to a
 * whole multiple of ln 2 (so that it acts as an exact power of two: see {@link #features}), kept in
 * {@code keyMax} and treated as a constant by the backward pass.
 *
 * <p>With the values augmented by a constant 1, ṽ_j = [v_j, 1] ∈ R^{D+1}, one causal prefix sum
 * S̃_i = Σ_{j≤i} φ(k_j) ṽ_jᵀ (m × (D+1)) gives numerator and denominator together:
 * <pre>
 *   ñ_i = S̃_iᵀ φ(q_i) = [ φ(q_i)ᵀ Σ_{j≤i} φ(k_j) v_jᵀ ,  φ(q_i)ᵀ Σ_{j≤i} φ(k_j) ]
 *   den_i = ñ_i[D] + ε ,   o_i = ñ_i[0..D) / den_i
 * </pre>
 * {@code numerator} (B, H, T, D+1) stores [ñ_i[0..D), den_i]. ε ({@link #EPSILON}) only guards
 * 0/0 when every feature underflowed; see its comment for why it is so small.
 *
 * <p>Backward (exact for this forward with both stabilisers constant): with g_i = dL/do_i,
 * dñ_i = [g_i/den_i, −(g_i·o_i)/den_i] ({@link #outputGrad}); dφ(q_i) = S̃_i dñ_i needs the
 * prefix sums again (a forward scan, {@link #backwardQuery}); the gradients of prefix sums are
 * suffix sums, so with Ũ_j = Σ_{i≥j} φ(q_i) dñ_iᵀ a reverse scan gives dφ(k_j) = Ũ_j ṽ_j and
 * dv_j = Ũ_j[:, 0..D)ᵀ φ(k_j) ({@link #backwardKeyValue}); finally dx = D^{-1/4}·Σ_r φ_r dφ_r (ω_r − x̃)
 * for every query and key row ({@link #backwardFeatures}). Memory per head: the stored φ(q), φ(k)
 * (T × m each), the numerator rows (T × (D+1)) and one running sum (m × (D+1)); never T × T.
 *
 * <p>Parallel indices: the scans run one (b, h) per index, {@code b·H + h}, and own that head's
 * rows of every buffer they write; the row-wise kernels run one (b, h, t) per index,
 * {@code (b·H + h)·T + t}, as in {@link Attention}.
 */
public final class Performer {
    private Performer() {}

    /**
     * The ε added to the denominator. Its only job is to keep o = 0/ε = 0 (not NaN) when every
     * feature of a row underflowed. It must stay far below real denominators: the query's
     * |q̃|²/2 term is not removed by the stabiliser, so a denominator of 1e-11 is an ordinary value
     * for a query with |q̃|² ≈ 50, and a larger ε (performer-pytorch uses 1e-6) would pull such
     * rows towards 0 and let the per-sequence key constant (which later keys can raise) leak into
     * earlier outputs. At 1e-20 it changes no bit of a denominator above ~1e-13 (float32 keeps
     * 24 bits), and 1/ε keeps the backward intermediates (≲ T·|v|·|g|/ε) finite in float32.
     */
    public static final float EPSILON = 1e-20f;

    /** The scale D^{-1/4} that turns x into x̃. */
    public static float inputScale(int D) {
        return (float) (1.0 / Math.sqrt(Math.sqrt(D)));
    }

    // ---------------------------------------------------------------- row helpers (the feature map)

    /** phi[r] = ω_r · (scale·x) for r < m; returns the largest of them. */
    public static float project(float[] phi, int phiOff,          // (m)
                                float[] x, int xOff,              // (D)
                                float[] omega, int omegaOff,      // (m, D)
                                int m, int D, float scale) {
        float max = -Float.MAX_VALUE;
        for (int r = 0; r < m; r++) {
            int w = omegaOff + r * D;
            float acc = 0f;
            for (int d = 0; d < D; d++) {
                acc += omega[w + d] * x[xOff + d];
            }
            float p = acc * scale;
            phi[phiOff + r] = p;
            max = Math.max(max, p);
        }
        return max;
    }

    /** |scale·x|² / 2. */
    public static float halfSquaredNorm(float[] x, int xOff, int D, float scale) {
        float acc = 0f;
        for (int d = 0; d < D; d++) {
            acc += x[xOff + d] * x[xOff + d];
        }
        return 0.5f * acc * scale * scale;
    }

    /** In place: phi[r] = exp(phi[r] − shift) / √m (shift = |x̃|²/2 + c). */
    public static void exponentiate(float[] phi, int phiOff, int m, float shift) {
        float norm = (float) (1.0 / Math.sqrt(m));
        for (int r = 0; r < m; r++) {
            phi[phiOff + r] = (float) Math.exp(phi[phiOff + r] - shift) * norm;
        }
    }

    /** S̃[r, 0..D) += phi[r]·v and S̃[r, D] += phi[r]: one step of the prefix sum over ṽ = [v, 1]. */
    public static void addAugmentedOuter(float[] state, int stateOff,    // (m, D+1)
                                         float[] phi, int phiOff,        // (m)
                                         float[] v, int vOff,            // (D)
                                         int m, int D) {
        int E = D + 1;
        for (int r = 0; r < m; r++) {
            float f = phi[phiOff + r];
            int s = stateOff + r * E;
            for (int d = 0; d < D; d++) {
                state[s + d] += f * v[vOff + d];
            }
            state[s + D] += f;
        }
    }

    /** Sets the m × (D+1) running sum to zero. */
    public static void clearState(float[] state, int stateOff, int m, int D) {
        int n = m * (D + 1);
        for (int i = 0; i < n; i++) {
            state[stateOff + i] = 0f;
        }
    }

    /**
     * Backward of one feature row through φ_r = exp(ω_r·x̃ − |x̃|²/2 − c)/√m with c constant:
     * dx += scale·(Σ_r φ_r dφ_r ω_r − x̃ Σ_r φ_r dφ_r).
     */
    public static void featureRowBackward(float[] dx, int dxOff,           // (D)
                                          float[] dphi, int dphiOff,       // (m)
                                          float[] phi, int phiOff,         // (m)
                                          float[] x, int xOff,             // (D)
                                          float[] omega, int omegaOff,     // (m, D)
                                          int m, int D, float scale) {
        // Row by row of ω (contiguous, so the inner loop vectorises), straight into dx.
        float total = 0f;
        for (int r = 0; r < m; r++) {
            float g = phi[phiOff + r] * dphi[dphiOff + r];
            total += g;
            float along = scale * g;
            int w = omegaOff + r * D;
            for (int d = 0; d < D; d++) {
                dx[dxOff + d] += along * omega[w + d];
            }
        }
        float norm = scale * scale * total;   // from −|x̃|²/2
        for (int d = 0; d < D; d++) {
            dx[dxOff + d] -= norm * x[xOff + d];
        }
    }

    // ---------------------------------------------------------------- mixer forward

    /**
     * Query and key features of one (b, h): phiQ rows with their own row-max stabiliser, then phiK
     * rows with the (b, h) key constant (the max over t and r of ω_r·k̃_t rounded up to a multiple of
     * ln 2, written to keyMax).
     * Two passes over the keys: projections first (written into phiK), then exponentiation in place.
     */
    @Kernel("performer_features")
    public static void features(@Write float[] phiQ, int phiQOff,          // (B, H, T, m)
                                @Write float[] phiK, int phiKOff,          // (B, H, T, m)
                                @Write float[] keyMax, int keyMaxOff,      // (B, H)
                                @Read float[] qkv, int qkvOff,            // (B, T, 3C)
                                @Read float[] omega, int omegaOff,        // (H, m, D)
                                int T, int C, int H, int m, @Index int index) {
        int b = index / H;
        int h = index % H;
        int D = C / H;
        float scale = inputScale(D);
        int w = omegaOff + h * m * D;
        for (int t = 0; t < T; t++) {
            int q = qkvOff + (b * T + t) * 3 * C + h * D;
            int row = phiQOff + (index * T + t) * m;
            float rowMax = project(phiQ, row, qkv, q, omega, w, m, D, scale);
            exponentiate(phiQ, row, m, halfSquaredNorm(qkv, q, D, scale) + rowMax);
        }
        // The key constant c = n·ln 2 with n = max over t of n_t = ⌈max_r ω_r·k̃_t / ln 2⌉: each row is
        // exponentiated with its own n_t (a value of row t alone) and then scaled by 2^(n_t − n), which is
        // exact in floating point. A later key that raises n scales every earlier φ(k) by the same power
        // of two, the prefix sums and both halves of the ratio scale exactly, and earlier outputs keep
        // every bit: causality holds exactly, not just up to rounding.
        float n = -Float.MAX_VALUE;
        for (int t = 0; t < T; t++) {
            int k = qkvOff + (b * T + t) * 3 * C + C + h * D;
            float rowMax = project(phiK, phiKOff + (index * T + t) * m, qkv, k, omega, w, m, D, scale);
            n = Math.max(n, powerOfTwoExponent(rowMax));
        }
        keyMax[keyMaxOff + index] = n * LN2;
        for (int t = 0; t < T; t++) {
            int k = qkvOff + (b * T + t) * 3 * C + C + h * D;
            int row = phiKOff + (index * T + t) * m;
            float rowMax = phiK[row];
            for (int r = 1; r < m; r++) {
                rowMax = Math.max(rowMax, phiK[row + r]);
            }
            float nt = powerOfTwoExponent(rowMax);
            exponentiate(phiK, row, m, halfSquaredNorm(qkv, k, D, scale) + nt * LN2);
            float factor = (float) Math.pow(2.0, nt - n);
            for (int r = 0; r < m; r++) {
                phiK[row + r] = phiK[row + r] * factor;
            }
        }
    }

    /** ln 2 in float: the unit of the key constant. */
    public static final float LN2 = 0.6931471805599453f;

    /**
     * ⌈x / ln 2⌉: the smallest whole number of factors of two whose exponent covers x. Written with an
     * int cast because TornadoVM's OpenCL backend cannot compile Math.ceil / floor / rint (their JDK
     * code reads a double's raw bits); equal to Math.ceil for every finite x in int range.
     */
    public static float powerOfTwoExponent(float x) {
        float q = x / LN2;
        int k = (int) q; // truncates toward zero
        return k < q ? k + 1 : k;
    }

    /**
     * The causal scan of one (b, h): S̃ += φ(k_t) ṽ_tᵀ, ñ_t = S̃ᵀ φ(q_t), den_t = ñ_t[D] + ε·e^{−c},
     * o_t = ñ_t[0..D) / den_t. Writes (=) the numerator rows [ñ_t[0..D), den_t], the head's columns
     * of out, and the running sum (scratch, left holding the totals).
     */
    @Kernel("performer_scan")
    public static void scan(@Write float[] out, int outOff,                // (B, T, C)
                            @Write float[] numerator, int numOff,          // (B, H, T, D+1)
                            @Write float[] state, int stateOff,            // (B, H, m, D+1)
                            @Read float[] phiQ, int phiQOff,              // (B, H, T, m)
                            @Read float[] phiK, int phiKOff,              // (B, H, T, m)
                            @Read float[] keyMax, int keyMaxOff,          // (B, H)
                            @Read float[] qkv, int qkvOff,                // (B, T, 3C)
                            int T, int C, int H, int m, @Index int index) {
        int b = index / H;
        int h = index % H;
        int D = C / H;
        int E = D + 1;
        int st = stateOff + index * m * E;
        float epsilon = scaledEpsilon(keyMax[keyMaxOff + index]);
        clearState(state, st, m, D);
        for (int t = 0; t < T; t++) {
            int row = (index * T + t) * m;
            addAugmentedOuter(state, st, phiK, phiKOff + row, qkv, qkvOff + (b * T + t) * 3 * C + 2 * C + h * D, m, D);
            int n = numOff + (index * T + t) * E;
            for (int e = 0; e < E; e++) {
                numerator[n + e] = 0f;
            }
            for (int r = 0; r < m; r++) {
                float p = phiQ[phiQOff + row + r];
                int s = st + r * E;
                for (int e = 0; e < E; e++) {
                    numerator[n + e] += p * state[s + e];
                }
            }
            float den = numerator[n + D] + epsilon;
            numerator[n + D] = den;
            int o = outOff + (b * T + t) * C + h * D;
            for (int d = 0; d < D; d++) {
                out[o + d] = den == 0f ? 0f : numerator[n + d] / den;
            }
        }
    }

    /**
     * ε·e^{−c} = ε·2^{−n} for the key constant c = n·ln 2: ε in the units of the rescaled features, so
     * that a later key raising c scales numerator and denominator, ε included, by the same exact power
     * of two (see {@link #features}). Should it underflow, 0/0 is still caught in {@link #scan}.
     */
    public static float scaledEpsilon(float keyConstant) {
        // keyConstant is a whole multiple of ln 2, so q is within rounding of an integer; round to it
        // (half away from zero, an int cast: see powerOfTwoExponent for why not Math.rint).
        double q = keyConstant / LN2;
        double n = (long) (q >= 0 ? q + 0.5 : q - 0.5);
        return (float) (EPSILON * Math.pow(2.0, -n));
    }

    // ---------------------------------------------------------------- mixer backward

    /** For one (b, h, t) row: dñ[0..D) += g/den, dñ[D] += −(g·o)/den, with g = dout and o = out. */
    @Kernel("performer_output_grad")
    public static void outputGrad(@ReadWrite float[] dnumerator, int dnumOff,   // (B, H, T, D+1)
                                  @Read float[] dout, int doutOff,         // (B, T, C)
                                  @Read float[] out, int outOff,           // (B, T, C)
                                  @Read float[] numerator, int numOff,     // (B, H, T, D+1)
                                  int T, int C, int H, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int t = Attention.timeOf(index, T);
        int D = C / H;
        int n = index * (D + 1);
        float den = numerator[numOff + n + D];
        int row = (b * T + t) * C + h * D;
        float dot = 0f;
        for (int d = 0; d < D; d++) {
            dot += dout[doutOff + row + d] * out[outOff + row + d];
        }
        for (int d = 0; d < D; d++) {
            dnumerator[dnumOff + n + d] += dout[doutOff + row + d] / den;
        }
        dnumerator[dnumOff + n + D] += -dot / den;
    }

    /**
     * Forward scan of one (b, h) for the queries: dφ(q_t) += S̃_t dñ_t, recomputing the prefix sums
     * S̃_t in {@code state} (scratch, written with =).
     */
    @Kernel("performer_backward_query")
    public static void backwardQuery(@ReadWrite float[] dphiQ, int dphiQOff,          // (B, H, T, m)
                                     @Write float[] state, int stateOff,          // (B, H, m, D+1)
                                     @Read float[] dnumerator, int dnumOff,      // (B, H, T, D+1)
                                     @Read float[] phiK, int phiKOff,            // (B, H, T, m)
                                     @Read float[] qkv, int qkvOff,              // (B, T, 3C)
                                     int T, int C, int H, int m, @Index int index) {
        int b = index / H;
        int h = index % H;
        int D = C / H;
        int E = D + 1;
        int st = stateOff + index * m * E;
        clearState(state, st, m, D);
        for (int t = 0; t < T; t++) {
            int row = (index * T + t) * m;
            addAugmentedOuter(state, st, phiK, phiKOff + row, qkv, qkvOff + (b * T + t) * 3 * C + 2 * C + h * D, m, D);
            int n = dnumOff + (index * T + t) * E;
            for (int r = 0; r < m; r++) {
                int s = st + r * E;
                float acc = 0f;
                for (int e = 0; e < E; e++) {
                    acc += state[s + e] * dnumerator[n + e];
                }
                dphiQ[dphiQOff + row + r] += acc;
            }
        }
    }

    /**
     * Reverse scan of one (b, h) for keys and values: Ũ += φ(q_t) dñ_tᵀ (suffix sum, in
     * {@code state}, scratch), then dφ(k_t) += Ũ ṽ_t and dv_t += Ũ[:, 0..D)ᵀ φ(k_t).
     */
    @Kernel("performer_backward_key_value")
    public static void backwardKeyValue(@ReadWrite float[] dqkv, int dqkvOff,             // (B, T, 3C)
                                        @ReadWrite float[] dphiK, int dphiKOff,           // (B, H, T, m)
                                        @Write float[] state, int stateOff,           // (B, H, m, D+1)
                                        @Read float[] dnumerator, int dnumOff,       // (B, H, T, D+1)
                                        @Read float[] phiQ, int phiQOff,             // (B, H, T, m)
                                        @Read float[] phiK, int phiKOff,             // (B, H, T, m)
                                        @Read float[] qkv, int qkvOff,               // (B, T, 3C)
                                        int T, int C, int H, int m, @Index int index) {
        int b = index / H;
        int h = index % H;
        int D = C / H;
        int E = D + 1;
        int st = stateOff + index * m * E;
        clearState(state, st, m, D);
        for (int t = T - 1; t >= 0; t--) {
            int row = (index * T + t) * m;
            int n = dnumOff + (index * T + t) * E;
            for (int r = 0; r < m; r++) {
                float p = phiQ[phiQOff + row + r];
                int s = st + r * E;
                for (int e = 0; e < E; e++) {
                    state[s + e] += p * dnumerator[n + e];
                }
            }
            int v = qkvOff + (b * T + t) * 3 * C + 2 * C + h * D;
            for (int r = 0; r < m; r++) {
                int s = st + r * E;
                float acc = state[s + D];
                for (int d = 0; d < D; d++) {
                    acc += state[s + d] * qkv[v + d];
                }
                dphiK[dphiKOff + row + r] += acc;
            }
            int dv = dqkvOff + (b * T + t) * 3 * C + 2 * C + h * D;
            for (int r = 0; r < m; r++) {
                float f = phiK[phiKOff + row + r];
                int s = st + r * E;
                for (int d = 0; d < D; d++) {
                    dqkv[dv + d] += f * state[s + d];
                }
            }
        }
    }

    /** For one (b, h, t): dq_t and dk_t from dφ(q_t) and dφ(k_t) through the feature map (c constant). */
    @Kernel("performer_backward_features")
    public static void backwardFeatures(@ReadWrite float[] dqkv, int dqkvOff,          // (B, T, 3C)
                                        @Read float[] dphiQ, int dphiQOff,        // (B, H, T, m)
                                        @Read float[] dphiK, int dphiKOff,        // (B, H, T, m)
                                        @Read float[] phiQ, int phiQOff,          // (B, H, T, m)
                                        @Read float[] phiK, int phiKOff,          // (B, H, T, m)
                                        @Read float[] qkv, int qkvOff,            // (B, T, 3C)
                                        @Read float[] omega, int omegaOff,        // (H, m, D)
                                        int T, int C, int H, int m, @Index int index) {
        int b = Attention.batchOf(index, H, T);
        int h = Attention.headOf(index, H, T);
        int t = Attention.timeOf(index, T);
        int D = C / H;
        float scale = inputScale(D);
        int w = omegaOff + h * m * D;
        int row = index * m;
        int q = (b * T + t) * 3 * C + h * D;
        int k = q + C;
        featureRowBackward(dqkv, dqkvOff + q, dphiQ, dphiQOff + row, phiQ, phiQOff + row, qkv, qkvOff + q, omega, w, m, D, scale);
        featureRowBackward(dqkv, dqkvOff + k, dphiK, dphiKOff + row, phiK, phiKOff + row, qkv, qkvOff + k, omega, w, m, D, scale);
    }

    // ---------------------------------------------------------------- softmax-kernel estimators (SPEC 2.3, tools approx)

    /**
     * Positive random features without a stabiliser, φ⁺(x)_r = exp(ω_r·x̃ − |x̃|²/2)/√m, for row
     * {@code index} of x (n, D): E[φ⁺(x)·φ⁺(y)] = exp(x̃·ỹ) for ω_r ~ N(0, I). The same helpers
     * as the mixer's feature map, with c = 0.
     */
    public static void positiveFeatures(float[] phi, int phiOff,          // (n, m)
                                        float[] x, int xOff,              // (n, D)
                                        float[] omega, int omegaOff,      // (m, D)
                                        int m, int D, float scale, int index) {
        int row = phiOff + index * m;
        int xr = xOff + index * D;
        project(phi, row, x, xr, omega, omegaOff, m, D, scale);
        exponentiate(phi, row, m, halfSquaredNorm(x, xr, D, scale));
    }

    /**
     * Trigonometric random features, φ_trig(x) = exp(|x̃|²/2)/√m · [sin(ω·x̃), cos(ω·x̃)] (2m values:
     * sines first), for row {@code index} of x (n, D): φ_trig(x)·φ_trig(y) = exp((|x̃|²+|ỹ|²)/2)
     * · (1/m) Σ_r cos(ω_r·(x̃ − ỹ)), whose mean is exp(x̃·ỹ).
     */
    public static void trigonometricFeatures(float[] phi, int phiOff,          // (n, 2m)
                                             float[] x, int xOff,              // (n, D)
                                             float[] omega, int omegaOff,      // (m, D)
                                             int m, int D, float scale, int index) {
        int row = phiOff + index * 2 * m;
        int xr = xOff + index * D;
        project(phi, row, x, xr, omega, omegaOff, m, D, scale);
        float amplitude = (float) (Math.exp(halfSquaredNorm(x, xr, D, scale)) / Math.sqrt(m));
        for (int r = 0; r < m; r++) {
            float p = phi[row + r];
            phi[row + r] = amplitude * (float) Math.sin(p);
            phi[row + m + r] = amplitude * (float) Math.cos(p);
        }
    }
}
