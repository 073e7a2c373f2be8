package leviathan.jvm;

import org.jtransforms.fft.DoubleFFT_1D;

import leviathan.graph.FloatSlice;
import leviathan.graph.Kernel;
import leviathan.graph.Stage;
import leviathan.kernels.LeviathanNotebook;
import leviathan.kernels.LeviathanNotebookKernels;

/**
 * The FFT path of the notebook's 4-D correlation (JVM only, JTransforms): what
 * {@link LeviathanNotebook#correlateForward} computes, in double precision, tested against it
 * (relative 1e-5). The direct body costs Σ over outputs of the overlapping window on all four
 * axes, about (¾)⁴·(B·H·T·D)² multiply-adds: 5.4·10⁹ per layer at the notebook's (64, 2, 512, 2);
 * the transforms cost T·log T along T instead (docs/notebook.md has the timings).
 *
 * <p><b>Method.</b> Cmat[b,h,·,c] = Σ_{b',h',e} xcorr_T(Q[b+b'−pB, h+h'−pH, ·, c+e−pD], K[b',h',·,e]),
 * the sum running over the b', h', e whose Q index is inside the tensor, and xcorr_T(q, k)[i] =
 * Σ_j q[i + j − pT]·k[j] (p = n/2 per axis, {@link LeviathanNotebook#sameOffset}). Each of the
 * B·H·D query series and B·H·D key series is transformed once, zero-padded to P ≥ 2T − 1 points;
 * an output series is then the inverse transform of Σ Q̂·conj(K̂) over its pairs, read at lags
 * i − pT (mod P). P ≥ 2T − 1 keeps the circular correlation free of wrap-around: every lag in
 * [−pT, T − 1 − pT] pairs only indices inside [0, T) or the zero padding.
 *
 * <p>Parallelism: one task per series for the transforms, then one per output series, each summing
 * its pairs in a fixed order, so the result does not depend on the thread count.
 */
public final class NotebookCorrelationFft {
    private NotebookCorrelationFft() {}

    /** Shortest transform: below it a transform costs more in calls than it saves. */
    static final int MIN_LENGTH = 16;

    /** Transform length for sequence length T: the next power of two ≥ 2T − 1 (at least {@link #MIN_LENGTH}). */
    public static int transformLength(int T) {
        int p = MIN_LENGTH;
        while (p < 2 * T - 1) {
            p <<= 1;
        }
        return p;
    }

    /** Per-thread FFT plan and accumulator for one transform length. */
    private static final class Scratch {
        int P = -1;
        DoubleFFT_1D fft;
        double[] sum;

        void ensure(int P) {
            if (P != this.P) {
                this.P = P;
                fft = new DoubleFFT_1D(P);
                sum = new double[P];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static Scratch scratch(int P) {
        Scratch sc = SCRATCH.get();
        sc.ensure(P);
        return sc;
    }

    /** Stage args as {@code LeviathanSameMixer.Stages.notebookCorrelate} declares them: cqkv, qkv, B, T, C, H. */
    public static JvmFastKernels.JvmStage correlateForward(Stage s) {
        LeviathanNotebookKernels.CorrelateForwardArgs a = LeviathanNotebookKernels.CorrelateForwardArgs.of(s);
        FloatSlice cqkv = a.cqkv(), qkv = a.qkv();
        int B = a.B(), T = a.T(), C = a.C(), H = a.H(), D = C / H;
        int P = transformLength(T), series = B * H * D, row = 3 * C;
        int pB = LeviathanNotebook.sameOffset(B), pH = LeviathanNotebook.sameOffset(H);
        int pT = LeviathanNotebook.sameOffset(T), pD = LeviathanNotebook.sameOffset(D);
        // Spectra of series (part, b, h, d), part 0 = Q and 1 = K, P doubles each; kept with the stage.
        double[] spectra = new double[2 * series * P];
        Kernel.RangeBody transform = (from, to) -> {
            Scratch sc = scratch(P);
            for (int sIdx = from; sIdx < to; sIdx++) {
                int part = sIdx / series, bhd = sIdx % series;
                int b = bhd / (H * D), h = (bhd / D) % H, d = bhd % D;
                int at = sIdx * P, src = qkv.offset + b * T * row + part * C + h * D + d;
                for (int t = 0; t < T; t++) {
                    spectra[at + t] = qkv.array[src + t * row];
                }
                java.util.Arrays.fill(spectra, at + T, at + P, 0.0);
                sc.fft.realForward(spectra, at);
            }
        };
        Kernel.RangeBody output = (from, to) -> {
            Scratch sc = scratch(P);
            double[] sum = sc.sum;
            for (int o = from; o < to; o++) {
                int b = o / (H * D), h = (o / D) % H, c = o % D;
                java.util.Arrays.fill(sum, 0.0);
                for (int b2 = Math.max(0, pB - b); b2 < Math.min(B, B + pB - b); b2++) {
                    for (int h2 = Math.max(0, pH - h); h2 < Math.min(H, H + pH - h); h2++) {
                        for (int e = Math.max(0, pD - c); e < Math.min(D, D + pD - c); e++) {
                            int q = (((b + b2 - pB) * H + h + h2 - pH) * D + c + e - pD) * P;
                            int k = (series + (b2 * H + h2) * D + e) * P;
                            accumulateCorrelation(sum, spectra, q, k, P);
                        }
                    }
                }
                sc.fft.realInverse(sum, true);
                for (int i = 0; i < T; i++) {
                    int lag = i - pT;
                    int at = (b * T + i) * row + h * D + c;
                    cqkv.array[cqkv.offset + at] = (float) sum[lag >= 0 ? lag : lag + P];
                    cqkv.array[cqkv.offset + at + C] = qkv.array[qkv.offset + at + C];
                    cqkv.array[cqkv.offset + at + 2 * C] = qkv.array[qkv.offset + at + 2 * C];
                }
            }
        };
        return pool -> {
            pool.run(2 * series, transform);
            pool.run(series, output);
        };
    }

    /**
     * sum += X·conj(Y) for the spectra at x[xOff…] and x[yOff…] in JTransforms' packed real layout
     * (Re X_0, Re X_{P/2}, then (Re X_k, Im X_k) for 0 &lt; k &lt; P/2): the transform of their correlation.
     */
    static void accumulateCorrelation(double[] sum, double[] x, int xOff, int yOff, int P) {
        sum[0] += x[xOff] * x[yOff];
        sum[1] += x[xOff + 1] * x[yOff + 1];
        for (int k = 2; k < P; k += 2) {
            double ar = x[xOff + k], ai = x[xOff + k + 1];
            double br = x[yOff + k], bi = -x[yOff + k + 1];
            sum[k] += ar * br - ai * bi;
            sum[k + 1] += ar * bi + ai * br;
        }
    }
}
