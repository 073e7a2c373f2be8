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

    /** dx (BT, C) = dy (BT, OC) · w (OC, C). */
    public static double[] matmulBackwardInput(double[] dy, double[] w, int BT, int C, int OC) {
        double[] dx = new double[BT * C];
        for (int r = 0; r < BT; r++) {
            for (int o = 0; o < OC; o++) {
                for (int c = 0; c < C; c++) {
                    dx[r * C + c] += dy[r * OC + o] * w[o * C + c];
                }
            }
        }
        return dx;
    }

    /** dw (OC, C) = dyᵀ · x. */
    public static double[] matmulBackwardWeight(double[] dy, double[] x, int BT, int C, int OC) {
        double[] dw = new double[OC * C];
        for (int r = 0; r < BT; r++) {
            for (int o = 0; o < OC; o++) {
                for (int c = 0; c < C; c++) {
                    dw[o * C + c] += dy[r * OC + o] * x[r * C + c];
                }
            }
        }
        return dw;
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
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < V; v++) {
                max = Math.max(max, logits[r * V + v]);
            }
            double s = 0;
            for (int v = 0; v < V; v++) {
                s += Math.exp(logits[r * V + v] - max);
            }
            for (int v = 0; v < V; v++) {
                p[r * V + v] = Math.exp(logits[r * V + v] - max) / s;
            }
        }
        return p;
    }

    /** −log softmax(logits[r])[target[r]] per row, natural log, via log-sum-exp. */
    public static double[] crossEntropy(double[] logits, int[] targets, int BT, int V) {
        double[] loss = new double[BT];
        for (int r = 0; r < BT; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < V; v++) {
                max = Math.max(max, logits[r * V + v]);
            }
            double s = 0;
            for (int v = 0; v < V; v++) {
                s += Math.exp(logits[r * V + v] - max);
            }
            loss[r] = max + Math.log(s) - logits[r * V + targets[r]];
        }
        return loss;
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
        int D = C / H;
        double scale = 1.0 / Math.sqrt(D);
        double[] out = new double[B * T * C];
        double[] probs = new double[B * H * T * T];
        double[] scores = new double[B * H * T * T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < T; i++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int d = 0; d < D; d++) {
                            double q = qkv[(b * T + i) * 3 * C + h * D + d];
                            double k = qkv[(b * T + j) * 3 * C + C + h * D + d];
                            dot += q * k;
                        }
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        z += Math.exp(s[j] - max);
                    }
                    for (int j = 0; j <= i; j++) {
                        double p = Math.exp(s[j] - max) / z;
                        int at = ((b * H + h) * T + i) * T + j;
                        probs[at] = p;
                        scores[at] = s[j];
                        for (int d = 0; d < D; d++) {
                            out[(b * T + i) * C + h * D + d] += p * qkv[(b * T + j) * 3 * C + 2 * C + h * D + d];
                        }
                    }
                }
            }
        }
        return new double[][] {out, probs, scores};
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
