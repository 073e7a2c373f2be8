package leviathan.stages;

import static leviathan.graph.StageChecks.expect;
import static leviathan.graph.StageChecks.positive;

import leviathan.graph.FloatSlice;
import leviathan.graph.IntSlice;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.kernels.AdamWKernels;
import leviathan.kernels.AttentionKernels;
import leviathan.kernels.CrossEntropyKernels;
import leviathan.kernels.DropoutKernels;
import leviathan.kernels.EncoderKernels;
import leviathan.kernels.FillKernels;
import leviathan.kernels.GeluKernels;
import leviathan.kernels.GradNormKernels;
import leviathan.kernels.LayerNormKernels;
import leviathan.kernels.MatmulKernels;
import leviathan.kernels.ResidualKernels;
import leviathan.kernels.StepScalars;

/**
 * Declares the core stages (embedding, LayerNorm, matmul, GELU, residual, loss, attention, the
 * optimiser): each factory checks every buffer's length against the sizes given
 * ({@link StageChecks}), so a kernel body never sees a wrong size, states the stage's extent and
 * its FLOPs and bytes moved (for the profile), and builds the stage through the kernel's generated
 * builder, whose arguments follow the body: outputs, inputs, weights, sizes. A mixer declares its
 * own stages the same way, in its mixer class.
 */
public final class CoreStages {
    private CoreStages() {}

    private static final int F = Float.BYTES;

    public static Stage encoderForward(String name, FloatSlice out, IntSlice tokens, FloatSlice wte, FloatSlice wpe,
                                       int B, int T, int C, int V, int Tmax) {
        positive(name, "B", B); positive(name, "T", T); positive(name, "C", C);
        if (T > Tmax) {
            throw new IllegalArgumentException(name + ": sequence length T=" + T + " exceeds the context Tmax=" + Tmax);
        }
        expect(name, out, (long) B * T * C, "B*T*C");
        expect(name, tokens, (long) B * T, "B*T");
        expect(name, wte, (long) V * C, "V*C");
        expect(name, wpe, (long) Tmax * C, "Tmax*C");
        return EncoderKernels.forward(name, new int[] {B * T}, (double) B * T * C, 3.0 * B * T * C * F,
                out, tokens, wte, wpe, T, C);
    }

    public static Stage encoderBackwardTokens(String name, FloatSlice dwte, FloatSlice dout, IntSlice tokens, int BT, int C, int V) {
        expect(name, dwte, (long) V * C, "V*C");
        expect(name, dout, (long) BT * C, "B*T*C");
        expect(name, tokens, BT, "B*T");
        return EncoderKernels.backwardTokens(name, new int[] {V}, (double) BT * C, 2.0 * BT * C * F,
                dwte, dout, tokens, BT, C);
    }

    public static Stage encoderBackwardPositions(String name, FloatSlice dwpe, FloatSlice dout, int B, int T, int C, int Tmax) {
        // The extent is T rows of dwpe: with T > Tmax the body would write past the slice.
        if (T > Tmax) {
            throw new IllegalArgumentException(name + ": sequence length T=" + T + " exceeds the context Tmax=" + Tmax);
        }
        expect(name, dwpe, (long) Tmax * C, "Tmax*C");
        expect(name, dout, (long) B * T * C, "B*T*C");
        return EncoderKernels.backwardPositions(name, new int[] {T}, (double) B * T * C, 2.0 * B * T * C * F,
                dwpe, dout, B, T, C);
    }

    public static Stage layerNormForward(String name, FloatSlice out, FloatSlice mean, FloatSlice rstd,
                                         FloatSlice inp, FloatSlice weight, FloatSlice bias, int N, int C) {
        positive(name, "N", N); positive(name, "C", C);
        expect(name, out, (long) N * C, "N*C");
        expect(name, mean, N, "N");
        expect(name, rstd, N, "N");
        expect(name, inp, (long) N * C, "N*C");
        expect(name, weight, C, "C");
        expect(name, bias, C, "C");
        return LayerNormKernels.forward(name, new int[] {N}, 8.0 * N * C, 2.0 * N * C * F,
                out, mean, rstd, inp, weight, bias, C);
    }

    public static Stage layerNormBackwardInput(String name, FloatSlice dinp, FloatSlice dout, FloatSlice inp,
                                               FloatSlice weight, FloatSlice mean, FloatSlice rstd, int N, int C) {
        expect(name, dinp, (long) N * C, "N*C");
        expect(name, dout, (long) N * C, "N*C");
        expect(name, inp, (long) N * C, "N*C");
        expect(name, weight, C, "C");
        expect(name, mean, N, "N");
        expect(name, rstd, N, "N");
        return LayerNormKernels.backwardInput(name, new int[] {N}, 14.0 * N * C, 4.0 * N * C * F,
                dinp, dout, inp, weight, mean, rstd, C);
    }

    public static Stage layerNormBackwardParams(String name, FloatSlice dweight, FloatSlice dbias, FloatSlice dout,
                                                FloatSlice inp, FloatSlice mean, FloatSlice rstd, int N, int C) {
        expect(name, dweight, C, "C");
        expect(name, dbias, C, "C");
        expect(name, dout, (long) N * C, "N*C");
        expect(name, inp, (long) N * C, "N*C");
        expect(name, mean, N, "N");
        expect(name, rstd, N, "N");
        return LayerNormKernels.backwardParams(name, new int[] {C}, 5.0 * N * C, 2.0 * N * C * F,
                dweight, dbias, dout, inp, mean, rstd, N, C);
    }

    /** out (BT, OC) = inp (BT, C) · weight (OC, C)ᵀ + bias (OC); bias may be null. */
    public static Stage matmulForward(String name, FloatSlice out, FloatSlice inp, FloatSlice weight, FloatSlice bias,
                                      int BT, int C, int OC) {
        positive(name, "BT", BT); positive(name, "C", C); positive(name, "OC", OC);
        expect(name, out, (long) BT * OC, "BT*OC");
        expect(name, inp, (long) BT * C, "BT*C");
        expect(name, weight, (long) OC * C, "OC*C");
        if (bias != null) {
            expect(name, bias, OC, "OC");
        }
        return MatmulKernels.forward(name, new int[] {BT, OC}, 2.0 * BT * C * OC,
                ((double) BT * C + (double) OC * C + (double) BT * OC) * F, out, inp, weight, bias, C, OC);
    }

    /** dinp (BT, C) += dout (BT, OC) · weight (OC, C). */
    public static Stage matmulBackwardInput(String name, FloatSlice dinp, FloatSlice dout, FloatSlice weight, int BT, int C, int OC) {
        return matmulBackwardInput(name, dinp, dout, weight, BT, C, OC, true);
    }

    /** dinp (BT, C) += dout (BT, OC) · weight (OC, C), or = when not accumulating (the gradient's first writer). */
    public static Stage matmulBackwardInput(String name, FloatSlice dinp, FloatSlice dout, FloatSlice weight, int BT, int C, int OC,
                                            boolean accumulate) {
        expect(name, dinp, (long) BT * C, "BT*C");
        expect(name, dout, (long) BT * OC, "BT*OC");
        expect(name, weight, (long) OC * C, "OC*C");
        return MatmulKernels.backwardInput(name, new int[] {BT, C}, 2.0 * BT * C * OC,
                ((double) BT * C * (accumulate ? 2 : 1) + (double) OC * C + (double) BT * OC) * F, dinp, dout, weight, C, OC,
                accumulate ? 1 : 0);
    }

    /** The buffers {@link #asFirstWriter} would overwrite: none for a kernel that cannot. */
    public static FloatSlice[] firstWriterOutputs(Stage s) {
        if (s.kernel == MatmulKernels.BACKWARD_INPUT) {
            return new FloatSlice[] {MatmulKernels.BackwardInputArgs.of(s).dinp()};
        }
        if (s.kernel == GeluKernels.BACKWARD) {
            return new FloatSlice[] {GeluKernels.BackwardArgs.of(s).dinp()};
        }
        if (s.kernel == ResidualKernels.BACKWARD) {
            ResidualKernels.BackwardArgs a = ResidualKernels.BackwardArgs.of(s);
            return new FloatSlice[] {a.da(), a.db()};
        }
        return new FloatSlice[0];
    }

    /**
     * The same stage overwriting its outputs ({@link #firstWriterOutputs}) instead of accumulating
     * into them, for a stage that is the first writer of zero-initialised gradients; null when the
     * stage's kernel cannot.
     */
    public static Stage asFirstWriter(Stage s) {
        if (s.kernel == MatmulKernels.BACKWARD_INPUT) {
            MatmulKernels.BackwardInputArgs a = MatmulKernels.BackwardInputArgs.of(s);
            return a.accumulate() == 0 ? null : matmulBackwardInput(s.name, a.dinp(), a.dout(), a.weight(), s.extent[0], a.C(), a.OC(), false);
        }
        if (s.kernel == GeluKernels.BACKWARD) {
            GeluKernels.BackwardArgs a = GeluKernels.BackwardArgs.of(s);
            return a.accumulate() == 0 ? null : geluBackward(s.name, a.dinp(), a.inp(), a.dout(), s.extent[0], false);
        }
        if (s.kernel == ResidualKernels.BACKWARD) {
            ResidualKernels.BackwardArgs a = ResidualKernels.BackwardArgs.of(s);
            return a.accumulate() == 0 ? null : residualBackward(s.name, a.da(), a.db(), a.dout(), s.extent[0], false);
        }
        return null;
    }

    /** dweight (OC, C) += dout (BT, OC)ᵀ · inp (BT, C). */
    public static Stage matmulBackwardWeight(String name, FloatSlice dweight, FloatSlice dout, FloatSlice inp, int BT, int C, int OC) {
        expect(name, dweight, (long) OC * C, "OC*C");
        expect(name, dout, (long) BT * OC, "BT*OC");
        expect(name, inp, (long) BT * C, "BT*C");
        return MatmulKernels.backwardWeight(name, new int[] {OC, C}, 2.0 * BT * C * OC,
                ((double) BT * C + (double) OC * C * 2 + (double) BT * OC) * F, dweight, dout, inp, BT, C, OC);
    }

    public static Stage matmulBackwardBias(String name, FloatSlice dbias, FloatSlice dout, int BT, int OC) {
        expect(name, dbias, OC, "OC");
        expect(name, dout, (long) BT * OC, "BT*OC");
        return MatmulKernels.backwardBias(name, new int[] {OC}, (double) BT * OC, (double) BT * OC * F,
                dbias, dout, BT, OC);
    }

    public static Stage geluForward(String name, FloatSlice out, FloatSlice inp, int N) {
        expect(name, out, N, "N");
        expect(name, inp, N, "N");
        return GeluKernels.forward(name, new int[] {N}, 12.0 * N, 2.0 * N * F, out, inp);
    }

    public static Stage geluBackward(String name, FloatSlice dinp, FloatSlice inp, FloatSlice dout, int N) {
        return geluBackward(name, dinp, inp, dout, N, true);
    }

    /** dinp (N) += gelu'(inp)·dout, or = when not accumulating (the gradient's first writer). */
    public static Stage geluBackward(String name, FloatSlice dinp, FloatSlice inp, FloatSlice dout, int N, boolean accumulate) {
        expect(name, dinp, N, "N");
        expect(name, inp, N, "N");
        expect(name, dout, N, "N");
        return GeluKernels.backward(name, new int[] {N}, 20.0 * N, (accumulate ? 4.0 : 3.0) * N * F, dinp, inp, dout,
                accumulate ? 1 : 0);
    }

    public static Stage residualForward(String name, FloatSlice out, FloatSlice a, FloatSlice b, int N) {
        expect(name, out, N, "N");
        expect(name, a, N, "N");
        expect(name, b, N, "N");
        return ResidualKernels.forward(name, new int[] {N}, N, 3.0 * N * F, out, a, b);
    }

    public static Stage residualBackward(String name, FloatSlice da, FloatSlice db, FloatSlice dout, int N) {
        return residualBackward(name, da, db, dout, N, true);
    }

    /** da, db (N) += dout, or = when not accumulating (the first writer of both). */
    public static Stage residualBackward(String name, FloatSlice da, FloatSlice db, FloatSlice dout, int N, boolean accumulate) {
        expect(name, da, N, "N");
        expect(name, db, N, "N");
        expect(name, dout, N, "N");
        return ResidualKernels.backward(name, new int[] {N}, 2.0 * N, (accumulate ? 5.0 : 3.0) * N * F, da, db, dout,
                accumulate ? 1 : 0);
    }

    public static Stage crossEntropyForward(String name, FloatSlice losses, FloatSlice probs, FloatSlice logits,
                                            IntSlice targets, int BT, int V) {
        expect(name, losses, BT, "BT");
        expect(name, probs, (long) BT * V, "BT*V");
        expect(name, logits, (long) BT * V, "BT*V");
        expect(name, targets, BT, "BT");
        return CrossEntropyKernels.forward(name, new int[] {BT}, 5.0 * BT * V, 2.0 * BT * V * F,
                losses, probs, logits, targets, V);
    }

    public static Stage crossEntropyBackward(String name, FloatSlice dlogits, FloatSlice probs, IntSlice targets, int BT, int V) {
        expect(name, dlogits, (long) BT * V, "BT*V");
        expect(name, probs, (long) BT * V, "BT*V");
        expect(name, targets, BT, "BT");
        return CrossEntropyKernels.backward(name, new int[] {BT}, 2.0 * BT * V, 3.0 * BT * V * F,
                dlogits, probs, targets, BT, V);
    }

    public static Stage meanLoss(String name, FloatSlice out, FloatSlice losses, int n) {
        expect(name, out, 1, "1");
        expect(name, losses, n, "n");
        return CrossEntropyKernels.mean(name, new int[] {1}, n, (double) n * F, out, losses, n);
    }

    /** Causal softmax attention: out (B,T,C), preatt/att (B,H,T,T), qkv (B,T,3C). */
    public static Stage attentionForward(String name, FloatSlice out, FloatSlice preatt, FloatSlice att, FloatSlice qkv,
                                         int B, int T, int C, int H) {
        return attentionForward(name, out, preatt, att, qkv, B, T, C, H, DropoutSite.NONE);
    }

    public static Stage attentionForward(String name, FloatSlice out, FloatSlice preatt, FloatSlice att, FloatSlice qkv,
                                         int B, int T, int C, int H, DropoutSite drop) {
        StageChecks.heads(name, C, H);
        expect(name, out, (long) B * T * C, "B*T*C");
        expect(name, preatt, (long) B * H * T * T, "B*H*T*T");
        expect(name, att, (long) B * H * T * T, "B*H*T*T");
        expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        double pairs = (double) B * H * T * (T + 1) / 2;
        return AttentionKernels.forward(name, new int[] {B * H * T}, pairs * (4.0 * C / H + 5),
                ((double) B * T * 4 * C + 2 * pairs) * F, out, preatt, att, qkv, drop.scalars(), T, C, H, drop.key());
    }

    public static Stage attentionBackwardQuery(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout,
                                               FloatSlice qkv, FloatSlice att, int B, int T, int C, int H) {
        return attentionBackwardQuery(name, dqkv, dpreatt, dout, qkv, att, B, T, C, H, DropoutSite.NONE);
    }

    public static Stage attentionBackwardQuery(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout,
                                               FloatSlice qkv, FloatSlice att, int B, int T, int C, int H, DropoutSite drop) {
        StageChecks.heads(name, C, H);
        expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
        expect(name, dpreatt, (long) B * H * T * T, "B*H*T*T");
        expect(name, dout, (long) B * T * C, "B*T*C");
        expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        expect(name, att, (long) B * H * T * T, "B*H*T*T");
        double pairs = (double) B * H * T * (T + 1) / 2;
        return AttentionKernels.backwardQuery(name, new int[] {B * H * T}, pairs * (4.0 * C / H + 4),
                ((double) B * T * 4 * C + 3 * pairs) * F, dqkv, dpreatt, dout, qkv, att, drop.scalars(), T, C, H, drop.key());
    }

    public static Stage attentionBackwardKeyValue(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout,
                                                  FloatSlice qkv, FloatSlice att, int B, int T, int C, int H) {
        return attentionBackwardKeyValue(name, dqkv, dpreatt, dout, qkv, att, B, T, C, H, DropoutSite.NONE);
    }

    public static Stage attentionBackwardKeyValue(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout,
                                                  FloatSlice qkv, FloatSlice att, int B, int T, int C, int H, DropoutSite drop) {
        StageChecks.heads(name, C, H);
        expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
        expect(name, dpreatt, (long) B * H * T * T, "B*H*T*T");
        expect(name, dout, (long) B * T * C, "B*T*C");
        expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        expect(name, att, (long) B * H * T * T, "B*H*T*T");
        double pairs = (double) B * H * T * (T + 1) / 2;
        return AttentionKernels.backwardKeyValue(name, new int[] {B * H * T}, pairs * 4.0 * C / H,
                ((double) B * T * 4 * C + 2 * pairs) * F, dqkv, dpreatt, dout, qkv, att, drop.scalars(), T, C, H, drop.key());
    }

    /** x (N) ·= the dropout mask of its site, in place (the embedding sum, a residual branch's output). */
    public static Stage dropoutForward(String name, FloatSlice x, int N, DropoutSite drop) {
        expect(name, x, N, "N");
        return DropoutKernels.forward(name, new int[] {N}, 4.0 * N, 2.0 * N * F, x, drop.scalars(), drop.key());
    }

    /** dx (N) ·= the same mask, in place. */
    public static Stage dropoutBackward(String name, FloatSlice dx, int N, DropoutSite drop) {
        expect(name, dx, N, "N");
        return DropoutKernels.backward(name, new int[] {N}, 4.0 * N, 2.0 * N * F, dx, drop.scalars(), drop.key());
    }

    /** AdamW over one group of the parameter block; params, grads, m and v share one layout. */
    public static Stage adamw(String name, FloatSlice params, FloatSlice grads, FloatSlice m, FloatSlice v,
                              FloatSlice scalars, float weightDecay) {
        expect(name, grads, params.length, "params length");
        expect(name, m, params.length, "params length");
        expect(name, v, params.length, "params length");
        expect(name, scalars, StepScalars.SIZE, "StepScalars.SIZE");
        // The four are views of blocks with one layout: equal offsets catch the grads of one tensor
        // paired with the parameters of another of the same size.
        if (grads.offset != params.offset || m.offset != params.offset || v.offset != params.offset) {
            throw new IllegalArgumentException(name + ": params, grads and moments must share one layout (same offsets)");
        }
        return AdamWKernels.update(name, new int[] {params.length}, 14.0 * params.length,
                7.0 * params.length * F, params, grads, m, v, scalars, weightDecay);
    }

    /** Elements per block of the gradient-norm reduction: fixed, so the sum's order never changes. */
    public static final int GRADNORM_BLOCK = 4096;

    public static int gradNormBlocks(int n) {
        return (n + GRADNORM_BLOCK - 1) / GRADNORM_BLOCK;
    }

    public static Stage gradNormPartial(String name, FloatSlice partials, FloatSlice grads) {
        expect(name, partials, gradNormBlocks(grads.length), "ceil(n / GRADNORM_BLOCK)");
        return GradNormKernels.partialSquares(name, new int[] {partials.length}, 2.0 * grads.length,
                (double) grads.length * F, partials, grads, grads.length, GRADNORM_BLOCK);
    }

    public static Stage gradNormClip(String name, FloatSlice scalars, FloatSlice partials, float maxNorm) {
        expect(name, scalars, StepScalars.SIZE, "StepScalars.SIZE");
        return GradNormKernels.clipScale(name, new int[] {1}, partials.length, (double) partials.length * F,
                scalars, partials, partials.length, maxNorm);
    }

    public static Stage fill(String name, FloatSlice buf, float value) {
        return FillKernels.fill(name, new int[] {buf.length}, 0, (double) buf.length * F, buf, value);
    }
}
