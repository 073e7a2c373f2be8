package leviathan.model.mixers;

import java.util.List;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.kernels.Performer;
import leviathan.kernels.PerformerKernels;
import leviathan.model.MixerContext;
import leviathan.model.MixerState;
import leviathan.model.ModelConfig;
import leviathan.model.ParamSpec;
import leviathan.model.Rng;

/**
 * Performer: causal linear-time attention with FAVOR+ positive orthogonal random features
 * (SPEC 2.3; kernels in {@link leviathan.kernels.Performer}). GPT-2's c_attn/c_proj around it,
 * and the current feature matrix ω as the untrained tensor {@code h.{l}.attn.features} [H, m, D],
 * saved in checkpoints so that a resumed run continues bit for bit.
 *
 * <p>Options: {@code features} m (default 2D), {@code redraw} R (default 1000; 0 = never). The
 * initial ω of every layer is drawn from the model's initialisation generator; before step s with
 * s > 0 and s mod R = 0 the trainer's call of {@link #beforeStep} redraws layer l's ω from a
 * generator seeded by (run seed, l, s / R) alone, so a run resumed from any checkpoint redraws
 * exactly what the uninterrupted run drew.
 */
public final class PerformerMixer extends QkvMixer {
    public static final int DEFAULT_REDRAW = 1000;

    private final int features;
    private final int redraw;

    public PerformerMixer(ModelConfig config) {
        super(config, "performer", "features", "redraw");
        this.features = options.integer("features", 2 * config.headSize(), 1, 1 << 16);
        this.redraw = options.integer("redraw", DEFAULT_REDRAW, 0, Integer.MAX_VALUE);
    }

    /** m, the number of random features per head. */
    public int features() {
        return features;
    }

    /** Steps between redraws of ω (0: never). */
    public int redraw() {
        return redraw;
    }

    /** The checkpoint name of layer l's feature matrix. */
    public static String featuresTensor(int layer) {
        return "h." + layer + ".attn.features";
    }

    @Override
    protected List<ParamSpec> extraParameters(String prefix) {
        int H = config.heads, D = config.headSize(), m = features;
        List<ParamSpec> specs = new java.util.ArrayList<>();
        specs.addAll(List.of(ParamSpec.buffer(prefix + "features", new int[] {H, m, D},
                        (data, offset, length, rng) -> drawOrthogonalFeatures(data, offset, H, m, D, rng))));
        return specs;
    }

    @Override
    protected void declareMixing(BlockLayout acts, String prefix, int B, int T) {
        int H = config.heads, D = config.headSize(), m = features;
        acts.add(prefix + "phi_q", B, H, T, m);
        acts.add(prefix + "phi_k", B, H, T, m);
        acts.add(prefix + "key_max", B, H);
        acts.add(prefix + "numerator", B, H, T, D + 1);
        // The running prefix sum of the forward scan; its mirror in the activation gradients is the
        // running sum (scratch) of the two backward scans, which run one after the other.
        acts.add(prefix + "scan_state", B, H, m, D + 1);
    }

    @Override
    protected void mix(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H(), m = features;
        g.add(Stages.features(x.stage("features"), x.act("phi_q"), x.act("phi_k"), x.act("key_max"), x.act("qkv"),
                x.param("features"), B, T, C, H, m));
        g.add(Stages.scan(x.stage("scan"), x.act("atty"), x.act("numerator"), x.act("scan_state"), x.act("phi_q"),
                x.act("phi_k"), x.act("key_max"), x.act("qkv"), B, T, C, H, m));
    }

    @Override
    protected void mixBackward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H(), m = features;
        g.add(Stages.outputGrad(x.stage("output_grad"), x.dact("numerator"), x.dact("atty"), x.act("atty"), x.act("numerator"),
                B, T, C, H));
        g.add(Stages.backwardQuery(x.stage("backward_query"), x.dact("phi_q"), x.dact("scan_state"), x.dact("numerator"),
                x.act("phi_k"), x.act("qkv"), B, T, C, H, m));
        g.add(Stages.backwardKeyValue(x.stage("backward_key_value"), x.dact("qkv"), x.dact("phi_k"), x.dact("scan_state"),
                x.dact("numerator"), x.act("phi_q"), x.act("phi_k"), x.act("qkv"), B, T, C, H, m));
        g.add(Stages.backwardFeatures(x.stage("backward_features"), x.dact("qkv"), x.dact("phi_q"), x.dact("phi_k"),
                x.act("phi_q"), x.act("phi_k"), x.act("qkv"), x.param("features"), B, T, C, H, m));
    }

    /** Redraws every layer's ω before step s when s > 0 and s is a multiple of {@code redraw}. */
    @Override
    public void beforeStep(long step, MixerState state) {
        if (redraw == 0 || step <= 0 || step % redraw != 0) {
            return;
        }
        long index = step / redraw;
        for (int l = 0; l < config.layers; l++) {
            FloatSlice omega = state.tensor(featuresTensor(l));
            drawOrthogonalFeatures(omega.array, omega.offset, config.heads, features, config.headSize(),
                    new Rng(redrawSeed(state.seed(), l, index)));
            state.changed(omega);
        }
    }

    /** The seed of layer {@code layer}'s redraw number {@code index} (≥ 1) in a run seeded {@code seed}. */
    public static long redrawSeed(long seed, int layer, long index) {
        long h = mix(seed ^ 0x5045_5246_4F52_4D45L);   // "PERFORME": keeps these streams apart from the run's others
        h = mix(h + 0x9E3779B97F4A7C15L * (layer + 1L));
        return mix(h + 0x9E3779B97F4A7C15L * (index + 1L));
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Fills {@code out[offset ..]} with H feature matrices of m rows in R^D, (H, m, D): per head,
     * ⌈m/D⌉ blocks, each the D orthonormal columns of Q from the QR decomposition of a D × D
     * standard Gaussian matrix (signs fixed by diag(R) so that Q is Haar-distributed; the last
     * block keeps its first m mod D rows), then every row rescaled to the norm of an independent
     * Gaussian D-vector, so row norms follow the chi distribution with D degrees of freedom.
     * Deterministic in the generator's state.
     */
    public static void drawOrthogonalFeatures(float[] out, int offset, int H, int m, int D, Rng rng) {
        for (int h = 0; h < H; h++) {
            int head = offset + h * m * D;
            for (int first = 0; first < m; first += D) {
                double[][] block = orthonormalRows(D, rng);
                int rows = Math.min(D, m - first);
                for (int r = 0; r < rows; r++) {
                    for (int d = 0; d < D; d++) {
                        out[head + (first + r) * D + d] = (float) block[r][d];
                    }
                }
            }
            for (int r = 0; r < m; r++) {
                double norm = Math.sqrt(squaredNormOfGaussian(D, rng));
                for (int d = 0; d < D; d++) {
                    int i = head + r * D + d;
                    out[i] = (float) (out[i] * norm);
                }
            }
        }
    }

    /** D orthonormal rows: the columns of Q·diag(sign(diag R)) for a D × D standard Gaussian matrix. */
    private static double[][] orthonormalRows(int D, Rng rng) {
        double[][] gaussian = new double[D][D];
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < D; j++) {
                gaussian[i][j] = rng.nextGaussian();
            }
        }
        QRDecomposition qr = new QRDecomposition(new Array2DRowRealMatrix(gaussian, false));
        RealMatrix q = qr.getQ();
        RealMatrix r = qr.getR();
        double[][] rows = new double[D][D];
        for (int j = 0; j < D; j++) {
            double sign = r.getEntry(j, j) < 0 ? -1.0 : 1.0;
            for (int i = 0; i < D; i++) {
                rows[j][i] = sign * q.getEntry(i, j);
            }
        }
        return rows;
    }

    private static double squaredNormOfGaussian(int D, Rng rng) {
        double s = 0;
        for (int d = 0; d < D; d++) {
            double g = rng.nextGaussian();
            s += g * g;
        }
        return s;
    }

    /**
     * The stages of the Performer mixer: each factory checks its buffers' sizes ({@link StageChecks}), states
     * the stage's extent, FLOPs and bytes, and builds it through the kernel's generated builder in
     * {@link PerformerKernels}.
     */
    public static final class Stages {
        private Stages() {}

        private static final int F = Float.BYTES;

        /** φ(q), φ(k) and the key constants from qkv and ω. */
        public static Stage features(String name, FloatSlice phiQ, FloatSlice phiK, FloatSlice keyMax, FloatSlice qkv, FloatSlice omega,
                                     int B, int T, int C, int H, int m) {
            checkSizes(name, B, T, C, H, m);
            int D = C / H;
            expectFeatureRows(name, B, T, H, m, phiQ, phiK);
            StageChecks.expect(name, keyMax, (long) B * H, "B*H");
            expectQkv(name, qkv, B, T, C);
            StageChecks.expect(name, omega, (long) H * m * D, "H*m*D");
            double rows = 2.0 * B * H * T;
            return PerformerKernels.features(name, new int[] {B * H}, rows * m * (2.0 * D + 3) + rows * 2 * D,
                    ((double) B * T * 2 * C + rows * m + (double) H * m * D) * F, phiQ, phiK, keyMax, qkv, omega, T, C, H, m);
        }

        /** out (B,T,C) = ñ/den, the numerator rows, and the running sums (scratch) from φ(q), φ(k) and v. */
        public static Stage scan(String name, FloatSlice out, FloatSlice numerator, FloatSlice state, FloatSlice phiQ, FloatSlice phiK,
                                 FloatSlice keyMax, FloatSlice qkv, int B, int T, int C, int H, int m) {
            checkSizes(name, B, T, C, H, m);
            int D = C / H;
            StageChecks.expect(name, out, (long) B * T * C, "B*T*C");
            expectNumerator(name, numerator, B, T, H, D);
            expectState(name, state, B, H, m, D);
            expectFeatureRows(name, B, T, H, m, phiQ, phiK);
            StageChecks.expect(name, keyMax, (long) B * H, "B*H");
            expectQkv(name, qkv, B, T, C);
            double steps = (double) B * H * T;
            return PerformerKernels.scan(name, new int[] {B * H}, steps * (4.0 * m * (D + 1) + D),
                    (steps * (2.0 * m + 2 * D + 1) + (double) B * T * C) * F, out, numerator, state, phiQ, phiK, keyMax, qkv, T, C, H, m);
        }

        /** dnumerator (B,H,T,D+1) += [g/den, −(g·o)/den] with g = dout, o = out. */
        public static Stage outputGrad(String name, FloatSlice dnumerator, FloatSlice dout, FloatSlice out, FloatSlice numerator,
                                       int B, int T, int C, int H) {
            checkSizes(name, B, T, C, H, 1);
            int D = C / H;
            expectNumerator(name, dnumerator, B, T, H, D);
            StageChecks.expect(name, dout, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, out, (long) B * T * C, "B*T*C");
            expectNumerator(name, numerator, B, T, H, D);
            double rows = (double) B * H * T;
            return PerformerKernels.outputGrad(name, new int[] {B * H * T}, rows * 3.0 * D,
                    rows * (4.0 * D + 3) * F, dnumerator, dout, out, numerator, T, C, H);
        }

        /** dφ(q) (B,H,T,m) += S̃_t dñ_t; state (B,H,m,D+1) is scratch. */
        public static Stage backwardQuery(String name, FloatSlice dphiQ, FloatSlice state, FloatSlice dnumerator, FloatSlice phiK,
                                          FloatSlice qkv, int B, int T, int C, int H, int m) {
            checkSizes(name, B, T, C, H, m);
            int D = C / H;
            expectFeatureRows(name, B, T, H, m, dphiQ);
            expectState(name, state, B, H, m, D);
            expectNumerator(name, dnumerator, B, T, H, D);
            expectFeatureRows(name, B, T, H, m, phiK);
            expectQkv(name, qkv, B, T, C);
            double steps = (double) B * H * T;
            return PerformerKernels.backwardQuery(name, new int[] {B * H}, steps * 4.0 * m * (D + 1),
                    steps * (2.0 * m + 2 * D + 1) * F, dphiQ, state, dnumerator, phiK, qkv, T, C, H, m);
        }

        /** dv (V columns of dqkv) and dφ(k) (B,H,T,m) += by the reverse scan; state (B,H,m,D+1) is scratch. */
        public static Stage backwardKeyValue(String name, FloatSlice dqkv, FloatSlice dphiK, FloatSlice state, FloatSlice dnumerator,
                                             FloatSlice phiQ, FloatSlice phiK, FloatSlice qkv, int B, int T, int C, int H, int m) {
            checkSizes(name, B, T, C, H, m);
            int D = C / H;
            expectQkv(name, dqkv, B, T, C);
            expectFeatureRows(name, B, T, H, m, dphiK);
            expectState(name, state, B, H, m, D);
            expectNumerator(name, dnumerator, B, T, H, D);
            expectFeatureRows(name, B, T, H, m, phiQ, phiK);
            expectQkv(name, qkv, B, T, C);
            double steps = (double) B * H * T;
            return PerformerKernels.backwardKeyValue(name, new int[] {B * H}, steps * 6.0 * m * (D + 1),
                    steps * (3.0 * m + 3 * D + 1) * F, dqkv, dphiK, state, dnumerator, phiQ, phiK, qkv, T, C, H, m);
        }

        /** dq and dk (Q and K columns of dqkv) += through the feature map, from dφ(q), dφ(k). */
        public static Stage backwardFeatures(String name, FloatSlice dqkv, FloatSlice dphiQ, FloatSlice dphiK, FloatSlice phiQ,
                                             FloatSlice phiK, FloatSlice qkv, FloatSlice omega, int B, int T, int C, int H, int m) {
            checkSizes(name, B, T, C, H, m);
            int D = C / H;
            expectQkv(name, dqkv, B, T, C);
            expectFeatureRows(name, B, T, H, m, dphiQ, dphiK, phiQ, phiK);
            expectQkv(name, qkv, B, T, C);
            StageChecks.expect(name, omega, (long) H * m * D, "H*m*D");
            double rows = 2.0 * B * H * T;
            return PerformerKernels.backwardFeatures(name, new int[] {B * H * T}, rows * m * (3.0 * D + 2),
                    (rows * (2.0 * m + 2 * D) + (double) H * m * D) * F, dqkv, dphiQ, dphiK, phiQ, phiK, qkv, omega, T, C, H, m);
        }

        private static void checkSizes(String name, int B, int T, int C, int H, int m) {
            StageChecks.positive(name, "B", B);
            StageChecks.positive(name, "T", T);
            StageChecks.positive(name, "C", C);
            StageChecks.positive(name, "H", H);
            StageChecks.positive(name, "m (features)", m);
            StageChecks.heads(name, C, H);
        }

        private static void expectQkv(String name, FloatSlice qkv, int B, int T, int C) {
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        }

        /** Checks (B,H,T,m) feature-row buffers, in order. */
        private static void expectFeatureRows(String name, int B, int T, int H, int m, FloatSlice... phis) {
            for (FloatSlice phi : phis) {
                StageChecks.expect(name, phi, (long) B * H * T * m, "B*H*T*m");
            }
        }

        private static void expectNumerator(String name, FloatSlice numerator, int B, int T, int H, int D) {
            StageChecks.expect(name, numerator, (long) B * H * T * (D + 1), "B*H*T*(D+1)");
        }

        private static void expectState(String name, FloatSlice state, int B, int H, int m, int D) {
            StageChecks.expect(name, state, (long) B * H * m * (D + 1), "B*H*m*(D+1)");
        }
    }
}
