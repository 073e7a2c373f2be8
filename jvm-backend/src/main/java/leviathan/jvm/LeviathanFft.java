package leviathan.jvm;

import org.jtransforms.fft.DoubleFFT_1D;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.LeviathanKernels;

/**
 * The FFT path of Leviathan's lag correlations (JVM only, JTransforms), for long lag windows.
 * It computes what {@link leviathan.kernels.Leviathan#lagCorrelate},
 * {@link leviathan.kernels.Leviathan#lagCorrelateBackward} and
 * {@link leviathan.kernels.Leviathan#lagWeightBackward} compute, in double precision, and is
 * tested against them (relative 1e-5).
 *
 * <p><b>Method.</b> Along a diagonal δ = i − j of a head's score map, the lag correlation is a
 * causal 1-D convolution of the diagonal with g: {@code S[δ+n, n] = Σ_τ g_τ A[δ+n−τ, n−τ]}.
 * All T diagonals of one (batch, head) are packed end to end into one sequence, diagonal δ
 * (length T−δ) after diagonal δ−1 with L−1 zeros between them, so that no lag τ ≤ L−1 reaches
 * from one diagonal into its neighbour: the convolution of the packed sequence with g <em>is</em> the T diagonal
 * convolutions (length N = T(T+1)/2 + (T−1)(L−1)). The sequence is convolved by overlap-save
 * with real FFT blocks of P points (a power of two of about {@value #BLOCK_PER_LAG}·L), each block
 * giving P − L + 1 outputs: O(N log L) per head instead of the direct O(T²·L). The same packing
 * serves the backward pass: dA is the anti-causal correlation {@code Σ_τ g_τ dS[p+τ]} (the
 * spectrum of g conjugated), and dg_τ = Σ_p dS[p]·A[p−τ] is the cross-correlation of the two
 * packed sequences at lags 0…L−1, accumulated over blocks and batch rows as one spectrum and
 * inverted once per head.
 *
 * <p>Why packing rather than a 2-D FFT of the T×T map with a diagonal kernel: the 2-D transform
 * would cover (T+L)² points to produce T(T+1)/2 useful ones; the packed diagonals cover
 * T(T+1)/2 + (T−1)(L−1), and overlap-save keeps the transforms short (P ≤ 4096 for L ≤ 2048,
 * below JTransforms' own threading threshold, so each block runs on the calling worker and the
 * result does not depend on any thread count).
 *
 * <p>Parallelism: one task per (batch, head) for the correlations, one per head for dg (a
 * fixed-order reduction over batch rows and blocks), all from the backend's worker pool.
 */
public final class LeviathanFft {
    private LeviathanFft() {}

    /** FFT block length per lag: P = next power of two ≥ this·L (8 and 16 ran faster than 4 and 2; see docs/performance.md). */
    static final int BLOCK_PER_LAG = 8;

    /** Smallest block: below it a transform costs more in calls than it saves. */
    static final int MIN_BLOCK = 16;

    /**
     * Largest block unless the lag window itself needs more (P ≥ 2L): JTransforms starts its own
     * threads from 8192 points, and the blocks already run one per worker of the backend's pool.
     */
    static final int MAX_BLOCK = 4096;

    /**
     * Whether the FFT path is expected to beat the direct sum for sequence length T and L lags. The
     * direct sum costs ~T²·L/2 per map and the FFT ~(T²/2 + T·L)·log P, so the FFT wins once L is a
     * few dozen, but only where T is long enough for the packed sequence not to be mostly gap: FFT
     * for T ≥ {@value #CROSSOVER_T} and min(L, T) ≥ {@value #CROSSOVER_LAGS}. The crossover is
     * measured by the JMH benchmark {@code leviathan.benchmarks.LeviathanFftBenchmark} (module
     * benchmarks; the three lag stages of a training step on one thread over 8 score maps, by the
     * plain bodies, by the backend's direct path and by this class, over a grid of T and L):
     * {@code java -jar benchmarks/target/benchmarks.jar LeviathanFft}.
     */
    public static boolean faster(int T, int L) {
        return T >= CROSSOVER_T && effectiveLags(T, L) >= CROSSOVER_LAGS;
    }

    /** Shortest sequence and smallest lag window where the FFT path is taken (see {@link #faster}). */
    static final int CROSSOVER_T = 128;
    static final int CROSSOVER_LAGS = 24;

    /** Lags that can pair entries of a length-T sequence: τ ≤ j ≤ T − 1, so at most T. */
    static int effectiveLags(int T, int L) {
        return Math.min(L, T);
    }

    /** Length of the packed diagonal sequence of one head. */
    static int packedLength(int T, int L) {
        long n = (long) T * (T + 1) / 2 + (long) (T - 1) * (L - 1);
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("leviathan FFT: T=" + T + ", L=" + L + " is too large to pack");
        }
        return (int) n;
    }

    /** FFT block length for T, L: about BLOCK_PER_LAG·L, or one block holding everything if that is shorter. */
    static int blockLength(int T, int L) {
        long whole = (long) packedLength(T, L) + L - 1;
        long target = Math.min(whole, Math.min((long) BLOCK_PER_LAG * L, Math.max(MAX_BLOCK, 2L * L)));
        return (int) nextPowerOfTwo(Math.max(MIN_BLOCK, target));
    }

    private static long nextPowerOfTwo(long n) {
        long p = 1;
        while (p < n) {
            p <<= 1;
        }
        return p;
    }

    /** Per-thread buffers and FFT plan for one (T, lags), rebuilt when the shape changes. */
    private static final class Scratch {
        int T = -1;
        int lags = -1;   // the effective lag window: gap length + 1, taps of the convolution
        int N;
        int P;
        DoubleFFT_1D fft;
        double[] x;       // (N) packed input
        double[] x2;      // (N) second packed input (dg)
        double[] y;       // (N) packed output
        double[] block;   // (P)
        double[] block2;  // (P)
        double[] lagSpectrum;  // (P)
        double[] sum;     // (P)

        void ensure(int T, int lags) {
            if (T == this.T && lags == this.lags) {
                return;
            }
            this.T = T;
            this.lags = lags;
            N = packedLength(T, lags);
            int P2 = blockLength(T, lags);
            if (fft == null || P2 != P) {
                P = P2;
                fft = new DoubleFFT_1D(P);
                block = new double[P];
                block2 = new double[P];
                lagSpectrum = new double[P];
                sum = new double[P];
            }
            if (x == null || x.length < N) {
                x = new double[N];
                x2 = new double[N];
                y = new double[N];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static Scratch scratch(int T, int lags) {
        Scratch sc = SCRATCH.get();
        sc.ensure(T, lags);
        return sc;
    }

    /** Stage args as {@code LeviathanMixer.Stages.lagCorrelate} declares them: preatt, base, lag, T, H, L. */
    public static JvmFastKernels.JvmStage lagCorrelate(Stage s) {
        LeviathanKernels.LagCorrelateArgs a = LeviathanKernels.LagCorrelateArgs.of(s);
        return correlateRows(a.preatt(), a.base(), a.lag(), a.T(), a.H(), a.L(), s.extent[0], false);
    }

    /** Args as {@code LeviathanMixer.Stages.lagCorrelateBackward}: dbase, dpreatt, lag, T, H, L. */
    public static JvmFastKernels.JvmStage lagCorrelateBackward(Stage s) {
        LeviathanKernels.LagCorrelateBackwardArgs a = LeviathanKernels.LagCorrelateBackwardArgs.of(s);
        return correlateRows(a.dbase(), a.dpreatt(), a.lag(), a.T(), a.H(), a.L(), s.extent[0], true);
    }

    /** out[(b,h)] = the lag correlation of in[(b,h)] with head h's lag weights, or its adjoint; one task per (b, h). */
    private static JvmFastKernels.JvmStage correlateRows(FloatSlice out, FloatSlice in, FloatSlice lag, int T, int H, int L,
                                                         int rows, boolean adjoint) {
        int heads = rows / T;
        int lags = effectiveLags(T, L);
        Kernel.RangeBody body = (from, to) -> {
            Scratch sc = scratch(T, lags);
            for (int bh = from; bh < to; bh++) {
                int head = bh * T * T;
                pack(sc.x, in.array, in.offset + head, T, lags);
                lagSpectrum(sc, lag, (bh % H) * L);
                correlate(sc, sc.y, sc.x, adjoint);
                unpack(out.array, out.offset + head, sc.y, T, lags);
            }
        };
        return pool -> pool.run(heads, body);
    }

    /** Args as {@code LeviathanMixer.Stages.lagWeightBackward}: dlag, dpreatt, base, B, T, H, L. One task per head. */
    public static JvmFastKernels.JvmStage lagWeightBackward(Stage s) {
        LeviathanKernels.LagWeightBackwardArgs a = LeviathanKernels.LagWeightBackwardArgs.of(s);
        FloatSlice dlag = a.dlag(), dpreatt = a.dpreatt(), base = a.base();
        int B = a.B(), T = a.T(), H = a.H(), L = a.L();
        int lags = effectiveLags(T, L);
        Kernel.RangeBody body = (from, to) -> {
            Scratch sc = scratch(T, lags);
            for (int h = from; h < to; h++) {
                java.util.Arrays.fill(sc.sum, 0.0);
                for (int b = 0; b < B; b++) {
                    int head = (b * H + h) * T * T;
                    pack(sc.x, base.array, base.offset + head, T, lags);
                    pack(sc.x2, dpreatt.array, dpreatt.offset + head, T, lags);
                    accumulateCrossSpectrum(sc);
                }
                sc.fft.realInverse(sc.sum, true);
                // Lags τ ≥ T pair no entries (j − τ < 0 for every j < T): their gradient is 0.
                for (int tau = 0; tau < lags; tau++) {
                    dlag.array[dlag.offset + h * L + tau] += (float) sc.sum[tau];
                }
            }
        };
        return pool -> pool.run(H, body);
    }

    /** x ← the causal diagonals of one head's (T, T) map at m[off…], diagonal δ = i − j after δ−1, L−1 zeros between. */
    static void pack(double[] x, float[] m, int off, int T, int L) {
        int p = 0;
        for (int delta = 0; delta < T; delta++) {
            int at = off + delta * T;
            for (int n = 0; n < T - delta; n++) {
                x[p++] = m[at + n * (T + 1)];
            }
            if (delta < T - 1) {
                for (int z = 0; z < L - 1; z++) {
                    x[p++] = 0.0;
                }
            }
        }
    }

    /** The inverse of {@link #pack}: writes the causal entries of the head's map from y; the masked ones stay untouched. */
    static void unpack(float[] m, int off, double[] y, int T, int L) {
        int p = 0;
        for (int delta = 0; delta < T; delta++) {
            int at = off + delta * T;
            for (int n = 0; n < T - delta; n++) {
                m[at + n * (T + 1)] = (float) y[p++];
            }
            p += L - 1;
        }
    }

    /** sc.lagSpectrum ← FFT of the first sc.lags lags of the head whose row of the (H, L) lag tensor starts at {@code row}, zero-padded to P. */
    private static void lagSpectrum(Scratch sc, FloatSlice lag, int row) {
        java.util.Arrays.fill(sc.lagSpectrum, 0.0);
        for (int tau = 0; tau < sc.lags; tau++) {
            sc.lagSpectrum[tau] = lag.array[lag.offset + row + tau];
        }
        sc.fft.realForward(sc.lagSpectrum);
    }

    /**
     * Overlap-save: y[p] = Σ_{τ<L} g_τ·x[p−τ] (causal) or Σ_{τ<L} g_τ·x[p+τ] (anti-causal), x zero outside
     * [0, N). Block k reads P inputs and keeps the P−L+1 outputs that no circular wrap-around touched.
     */
    private static void correlate(Scratch sc, double[] y, double[] x, boolean antiCausal) {
        int N = sc.N, P = sc.P, L = sc.lags, S = P - L + 1;
        double[] block = sc.block;
        for (int start = 0; start < N; start += S) {
            int from = antiCausal ? start : start - (L - 1);
            load(block, x, from, 0, N);
            sc.fft.realForward(block);
            multiply(block, sc.lagSpectrum, antiCausal);
            sc.fft.realInverse(block, true);
            System.arraycopy(block, antiCausal ? 0 : L - 1, y, start, Math.min(S, N - start));
        }
    }

    /** sc.sum += Σ_blocks FFT(dS block)·conj(FFT(A block)): dS block = packed dS at [start, start+S) placed after L−1 zeros. */
    private static void accumulateCrossSpectrum(Scratch sc) {
        int N = sc.N, P = sc.P, L = sc.lags, S = P - L + 1;
        for (int start = 0; start < N; start += S) {
            int from = start - (L - 1);
            load(sc.block, sc.x, from, 0, N);
            load(sc.block2, sc.x2, from, L - 1, N);
            sc.fft.realForward(sc.block);
            sc.fft.realForward(sc.block2);
            multiplyAccumulate(sc.sum, sc.block2, sc.block);
        }
    }

    /** block[q] = x[from + q] for q ≥ skip and from + q in [0, n); 0 elsewhere. */
    private static void load(double[] block, double[] x, int from, int skip, int n) {
        int P = block.length;
        for (int q = 0; q < P; q++) {
            int p = from + q;
            block[q] = q >= skip && p >= 0 && p < n ? x[p] : 0.0;
        }
    }

    /**
     * a ← a·b (or a·conj(b)) for spectra in JTransforms' packed real layout of even length P:
     * a[0] = Re X_0, a[1] = Re X_{P/2}, then (Re X_k, Im X_k) at (2k, 2k+1) for 0 &lt; k &lt; P/2.
     */
    static void multiply(double[] a, double[] b, boolean conjugateB) {
        a[0] *= b[0];
        a[1] *= b[1];
        for (int k = 2; k < a.length; k += 2) {
            double ar = a[k], ai = a[k + 1];
            double br = b[k], bi = conjugateB ? -b[k + 1] : b[k + 1];
            a[k] = ar * br - ai * bi;
            a[k + 1] = ar * bi + ai * br;
        }
    }

    /** sum += a·conj(b), same packed layout. */
    static void multiplyAccumulate(double[] sum, double[] a, double[] b) {
        sum[0] += a[0] * b[0];
        sum[1] += a[1] * b[1];
        for (int k = 2; k < sum.length; k += 2) {
            double ar = a[k], ai = a[k + 1];
            double br = b[k], bi = -b[k + 1];
            sum[k] += ar * br - ai * bi;
            sum[k + 1] += ar * bi + ai * br;
        }
    }
}
