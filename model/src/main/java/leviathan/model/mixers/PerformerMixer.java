package leviathan.model.mixers;

import java.util.List;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

import leviathan.compute.BlockLayout;
import leviathan.compute.FloatSlice;
import leviathan.compute.Graph;
import leviathan.compute.mixers.PerformerOps;
import leviathan.model.Layers;
import leviathan.model.Mixer;
import leviathan.model.MixerContext;
import leviathan.model.MixerOptions;
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
public final class PerformerMixer implements Mixer {
    public static final int DEFAULT_REDRAW = 1000;

    private final ModelConfig config;
    private final int features;
    private final int redraw;

    public PerformerMixer(ModelConfig config) {
        this.config = config;
        MixerOptions options = MixerOptions.of(config).allowOnly("features", "redraw");
        this.features = options.integer("features", 2 * config.headSize(), 1, 1 << 16);
        this.redraw = options.integer("redraw", DEFAULT_REDRAW, 0, Integer.MAX_VALUE);
    }

    @Override
    public String name() {
        return "performer";
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
    public List<ParamSpec> parameters(String prefix) {
        int H = config.heads, D = config.headSize(), m = features;
        List<ParamSpec> specs = new java.util.ArrayList<>(Layers.qkvAndProjection(prefix, config));
        specs.addAll(List.of(ParamSpec.buffer(prefix + "features", new int[] {H, m, D},
                        (data, offset, length, rng) -> drawOrthogonalFeatures(data, offset, H, m, D, rng))));
        return specs;
    }

    @Override
    public void declareActivations(BlockLayout acts, String prefix, int B, int T) {
        int C = config.width, H = config.heads, D = config.headSize(), m = features;
        acts.add(prefix + "qkv", B, T, 3 * C);
        acts.add(prefix + "phi_q", B, H, T, m);
        acts.add(prefix + "phi_k", B, H, T, m);
        acts.add(prefix + "key_max", B, H);
        acts.add(prefix + "numerator", B, H, T, D + 1);
        // The running prefix sum of the forward scan; its mirror in the activation gradients is the
        // running sum (scratch) of the two backward scans, which run one after the other.
        acts.add(prefix + "scan_state", B, H, m, D + 1);
        acts.add(prefix + "atty", B, T, C);
    }

    @Override
    public void forward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H(), m = features;
        Layers.linearForward(g, x.stage("qkv"), x.act("qkv"), x.u(), x.param("c_attn.weight"), x.param("c_attn.bias"), B * T, C, 3 * C);
        g.add(PerformerOps.features(x.stage("features"), x.act("phi_q"), x.act("phi_k"), x.act("key_max"), x.act("qkv"),
                x.param("features"), B, T, C, H, m));
        g.add(PerformerOps.scan(x.stage("scan"), x.act("atty"), x.act("numerator"), x.act("scan_state"), x.act("phi_q"),
                x.act("phi_k"), x.act("key_max"), x.act("qkv"), B, T, C, H, m));
        Layers.linearForward(g, x.stage("proj"), x.y(), x.act("atty"), x.param("c_proj.weight"), x.param("c_proj.bias"), B * T, C, C);
    }

    @Override
    public void backward(Graph g, MixerContext x) {
        int B = x.B, T = x.T, C = x.C(), H = x.H(), m = features;
        Layers.linearBackward(g, x.stage("proj.backward"), x.dact("atty"), x.grad("c_proj.weight"), x.grad("c_proj.bias"),
                x.dy(), x.act("atty"), x.param("c_proj.weight"), B * T, C, C);
        g.add(PerformerOps.outputGrad(x.stage("output_grad"), x.dact("numerator"), x.dact("atty"), x.act("atty"), x.act("numerator"),
                B, T, C, H));
        g.add(PerformerOps.backwardQuery(x.stage("backward_query"), x.dact("phi_q"), x.dact("scan_state"), x.dact("numerator"),
                x.act("phi_k"), x.act("qkv"), B, T, C, H, m));
        g.add(PerformerOps.backwardKeyValue(x.stage("backward_key_value"), x.dact("qkv"), x.dact("phi_k"), x.dact("scan_state"),
                x.dact("numerator"), x.act("phi_q"), x.act("phi_k"), x.act("qkv"), B, T, C, H, m));
        g.add(PerformerOps.backwardFeatures(x.stage("backward_features"), x.dact("qkv"), x.dact("phi_q"), x.dact("phi_k"),
                x.act("phi_q"), x.act("phi_k"), x.act("qkv"), x.param("features"), B, T, C, H, m));
        Layers.linearBackward(g, x.stage("qkv.backward"), x.du(), x.grad("c_attn.weight"), x.grad("c_attn.bias"),
                x.dact("qkv"), x.u(), x.param("c_attn.weight"), B * T, C, 3 * C);
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
}
