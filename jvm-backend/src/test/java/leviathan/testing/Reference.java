package leviathan.testing;

/**
 * Straightforward double-precision implementations of the math in SPEC §1 and §3, written
 * independently of the kernel bodies (no shared index helpers, no float arithmetic). Layouts:
 * row-major; a matmul weight is (OC, C) as in the kernels ({@code y = x·Wᵀ + b}); qkv rows are
 * [Q | K | V], head h owning columns h·D … h·D+D−1 of each.
 */
public final class Reference {
    private Reference() {}

    public static final double LN_EPS = 1e-5;

    /** x0[b,t,:] = wte[token[b,t],:] + wpe[t,:]. */
    public static double[] encoder(int[] tokens, double[] wte, double[] wpe, int B, int T, int C) {
        double[] out = new double[B * T * C];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                int tok = tokens[b * T + t];
                for (int c = 0; c < C; c++) {
                    out[(b * T + t) * C + c] = wte[tok * C + c] + wpe[t * C + c];
                }
            }
        }
        return out;
    }

    public static double[] rowMeans(double[] x, int N, int C) {
        double[] m = new double[N];
        for (int n = 0; n < N; n++) {
            double s = 0;
            for (int c = 0; c < C; c++) {
                s += x[n * C + c];
            }
            m[n] = s / C;
        }
        return m;
    }

    /** 1/sqrt(var + ε) per row, with the biased (population) variance as in PyTorch. */
    public static double[] rowRstd(double[] x, int N, int C) {
        double[] m = rowMeans(x, N, C);
        double[] r = new double[N];
        for (int n = 0; n < N; n++) {
            double v = 0;
            for (int c = 0; c < C; c++) {
                double d = x[n * C + c] - m[n];
                v += d * d;
            }
            r[n] = 1.0 / Math.sqrt(v / C + LN_EPS);
        }
        return r;
    }

    public static double[] layerNorm(double[] x, double[] w, double[] b, int N, int C) {
        double[] m = rowMeans(x, N, C);
        double[] r = rowRstd(x, N, C);
        double[] out = new double[N * C];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                out[n * C + c] = (x[n * C + c] - m[n]) * r[n] * w[c] + b[c];
            }
        }
        return out;
    }

    /** y (BT, OC) = x (BT, C) · wᵀ + bias, w stored (OC, C); bias may be null. */
    public static double[] matmul(double[] x, double[] w, double[] bias, int BT, int C, int OC) {
        double[] y = new double[BT * OC];
        for (int r = 0; r < BT; r++) {
            for (int o = 0; o < OC; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int c = 0; c < C; c++) {
                    s += x[r * C + c] * w[o * C + c];
                }
                y[r * OC + o] = s;
            }
        }
        return y;
    }

    /** dx (BT, C) = dy (BT, OC) · w (OC, C): the forward product with wᵀ (C, OC) as the weight. */
    public static double[] matmulBackwardInput(double[] dy, double[] w, int BT, int C, int OC) {
        return matmul(dy, transpose(w, OC, C), null, BT, OC, C);
    }

    /** dw (OC, C) = dyᵀ · x: the forward product of dyᵀ (OC, BT) with xᵀ (C, BT) as the weight. */
    public static double[] matmulBackwardWeight(double[] dy, double[] x, int BT, int C, int OC) {
        return matmul(transpose(dy, BT, OC), transpose(x, BT, C), null, OC, BT, C);
    }

    /** aᵀ (cols, rows) of a row-major a (rows, cols). */
    public static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    /** GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    public static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    public static double[] gelu(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = gelu(x[i]);
        }
        return y;
    }

    public static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    /** Row-wise softmax of (BT, V) logits. */
    public static double[] softmax(double[] logits, int BT, int V) {
        double[] p = new double[BT * V];
        for (int r = 0; r < BT; r++) {
            double[] shift = shiftAndNormaliser(logits, r * V, V);
            for (int v = 0; v < V; v++) {
                p[r * V + v] = Math.exp(logits[r * V + v] - shift[0]) / shift[1];
            }
        }
        return p;
    }

    /** −log softmax(logits[r])[target[r]] per row, natural log, via log-sum-exp. */
    public static double[] crossEntropy(double[] logits, int[] targets, int BT, int V) {
        double[] loss = new double[BT];
        for (int r = 0; r < BT; r++) {
            double[] shift = shiftAndNormaliser(logits, r * V, V);
            loss[r] = shift[0] + Math.log(shift[1]) - logits[r * V + targets[r]];
        }
        return loss;
    }

    /** {max, Σ exp(x − max)} over x[off … off+n−1]: the shift and the normaliser of a stable softmax. */
    private static double[] shiftAndNormaliser(double[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            max = Math.max(max, x[off + k]);
        }
        double s = 0;
        for (int k = 0; k < n; k++) {
            s += Math.exp(x[off + k] - max);
        }
        return new double[] {max, s};
    }

    public static double mean(double[] a) {
        double s = 0;
        for (double x : a) {
            s += x;
        }
        return s / a.length;
    }

    /**
     * Causal attention (SPEC 2.1) over qkv (B, T, 3C). Returns {out (B,T,C), probabilities
     * (B,H,T,T) with masked entries 0, scores (B,H,T,T) with masked entries 0}.
     */
    public static double[][] attention(double[] qkv, int B, int T, int C, int H) {
        double scale = 1.0 / Math.sqrt(C / H);
        return causalAttention(qkv, B, T, C, H, (b, h, i, j) -> qk(qkv, b, h, i, j, T, C, H) * scale);
    }

    /** The score S_ij of head h in sequence b, for j ≤ i. */
    public interface Score {
        double of(int b, int h, int i, int j);
    }

    /**
     * Causal attention with any score, for the mixers that only score differently: S (B, H, T, T)
     * from {@code score} for j ≤ i, P its row-wise softmax over j ≤ i, out (B, T, C) = Σ_j P_ij·v_j
     * with v_j head h's part of the V columns of qkv (B, T, 3C). Returns {out, P, S}, masked entries 0.
     */
    public static double[][] causalAttention(double[] qkv, int B, int T, int C, int H, Score score) {
        int D = C / H;
        double[] out = new double[B * T * C], probs = new double[B * H * T * T], scores = new double[B * H * T * T];
        for (int bh = 0; bh < B * H; bh++) {
            int b = bh / H, h = bh % H;
            for (int i = 0; i < T; i++) {
                int row = (bh * T + i) * T;
                for (int j = 0; j <= i; j++) {
                    scores[row + j] = score.of(b, h, i, j);
                }
                double[] shift = shiftAndNormaliser(scores, row, i + 1);
                for (int j = 0; j <= i; j++) {
                    probs[row + j] = Math.exp(scores[row + j] - shift[0]) / shift[1];
                    for (int d = 0; d < D; d++) {
                        out[(b * T + i) * C + h * D + d] += probs[row + j] * qkv[(b * T + j) * 3 * C + 2 * C + h * D + d];
                    }
                }
            }
        }
        return new double[][] {out, probs, scores};
    }

    /** q_i·k_j of head h in sequence b, over qkv (B, T, 3C). */
    public static double qk(double[] qkv, int b, int h, int i, int j, int T, int C, int H) {
        int D = C / H;
        double dot = 0;
        for (int d = 0; d < D; d++) {
            dot += qkv[(b * T + i) * 3 * C + h * D + d] * qkv[(b * T + j) * 3 * C + C + h * D + d];
        }
        return dot;
    }

    public static double l2norm(double[] g) {
        double s = 0;
        for (double x : g) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    /** Clipping by global norm as PyTorch's clip_grad_norm_: maxNorm / (norm + 1e-6) when norm > maxNorm. */
    public static double clipScale(double norm, double maxNorm) {
        return norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
    }

    /**
     * One AdamW step in place (decoupled weight decay, as torch.optim.AdamW):
     * g ← g·scale; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
     * p ← p − lr·( (m/bc1) / (sqrt(v/bc2) + ε) + wd·p ).
     */
    public static void adamw(double[] p, double[] g, double[] m, double[] v, double lr, double beta1, double beta2,
                             double eps, double bc1, double bc2, double gradScale, double wd) {
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] * gradScale;
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            double mHat = m[i] / bc1;
            double vHat = v[i] / bc2;
            p[i] = p[i] - lr * (mHat / (Math.sqrt(vHat) + eps) + wd * p[i]);
        }
    }
}
