package leviathan.compute;

import leviathan.kernels.AdamW;
import leviathan.kernels.Attention;
import leviathan.kernels.CrossEntropy;
import leviathan.kernels.Encoder;
import leviathan.kernels.Fill;
import leviathan.kernels.Gelu;
import leviathan.kernels.GradNorm;
import leviathan.kernels.LayerNorm;
import leviathan.kernels.Matmul;
import leviathan.kernels.Residual;

/**
 * The GPT kernels as the JVM backend runs them: each constant binds a declared stage's arguments
 * (in the order {@link Ops} declares them) to a loop over the plain body. No math here.
 */
public final class CoreKernels {
    private CoreKernels() {}

    static final float[] NONE = new float[1];

    static float[] arr(FloatSlice s) {
        return s == null ? NONE : s.array;
    }

    /** Offset of an optional buffer; −1 tells a body the buffer is absent. */
    static int off(FloatSlice s) {
        return s == null ? -1 : s.offset;
    }

    public static final Kernel ENCODER_FORWARD = new Kernel("encoder_forward", 1, s -> {
        FloatSlice out = s.floats(0), wte = s.floats(2), wpe = s.floats(3);
        IntSlice tok = s.ints(1);
        int T = s.intArg(4), C = s.intArg(5);
        return (from, to) -> {
            for (int bt = from; bt < to; bt++) {
                Encoder.forward(out.array, out.offset, tok.array, tok.offset, wte.array, wte.offset, wpe.array, wpe.offset, T, C, bt);
            }
        };
    });

    public static final Kernel ENCODER_BACKWARD_TOKENS = new Kernel("encoder_backward_tokens", 1, s -> {
        FloatSlice dwte = s.floats(0), dout = s.floats(1);
        IntSlice tok = s.ints(2);
        int BT = s.intArg(3), C = s.intArg(4);
        return (from, to) -> {
            for (int v = from; v < to; v++) {
                Encoder.backwardTokens(dwte.array, dwte.offset, dout.array, dout.offset, tok.array, tok.offset, BT, C, v);
            }
        };
    });

    public static final Kernel ENCODER_BACKWARD_POSITIONS = new Kernel("encoder_backward_positions", 1, s -> {
        FloatSlice dwpe = s.floats(0), dout = s.floats(1);
        int B = s.intArg(2), T = s.intArg(3), C = s.intArg(4);
        return (from, to) -> {
            for (int t = from; t < to; t++) {
                Encoder.backwardPositions(dwpe.array, dwpe.offset, dout.array, dout.offset, B, T, C, t);
            }
        };
    });

    public static final Kernel LAYERNORM_FORWARD = new Kernel("layernorm_forward", 1, s -> {
        FloatSlice out = s.floats(0), mean = s.floats(1), rstd = s.floats(2), inp = s.floats(3), w = s.floats(4), b = s.floats(5);
        int C = s.intArg(6);
        return (from, to) -> {
            for (int r = from; r < to; r++) {
                LayerNorm.forward(out.array, out.offset, mean.array, mean.offset, rstd.array, rstd.offset,
                        inp.array, inp.offset, w.array, w.offset, b.array, b.offset, C, r);
            }
        };
    });

    public static final Kernel LAYERNORM_BACKWARD_INPUT = new Kernel("layernorm_backward_input", 1, s -> {
        FloatSlice dinp = s.floats(0), dout = s.floats(1), inp = s.floats(2), w = s.floats(3), mean = s.floats(4), rstd = s.floats(5);
        int C = s.intArg(6);
        return (from, to) -> {
            for (int r = from; r < to; r++) {
                LayerNorm.backwardInput(dinp.array, dinp.offset, dout.array, dout.offset, inp.array, inp.offset,
                        w.array, w.offset, mean.array, mean.offset, rstd.array, rstd.offset, C, r);
            }
        };
    });

    public static final Kernel LAYERNORM_BACKWARD_PARAMS = new Kernel("layernorm_backward_params", 1, s -> {
        FloatSlice dw = s.floats(0), db = s.floats(1), dout = s.floats(2), inp = s.floats(3), mean = s.floats(4), rstd = s.floats(5);
        int N = s.intArg(6), C = s.intArg(7);
        return (from, to) -> {
            for (int c = from; c < to; c++) {
                LayerNorm.backwardParams(dw.array, dw.offset, db.array, db.offset, dout.array, dout.offset,
                        inp.array, inp.offset, mean.array, mean.offset, rstd.array, rstd.offset, N, C, c);
            }
        };
    });

    public static final Kernel MATMUL_FORWARD = new Kernel("matmul_forward", 2, s -> {
        FloatSlice out = s.floats(0), inp = s.floats(1), w = s.floats(2), b = s.floats(3);
        int C = s.intArg(4), OC = s.intArg(5);
        float[] bArr = arr(b);
        int bOff = off(b);
        return (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int o = 0; o < OC; o++) {
                    Matmul.forward(out.array, out.offset, inp.array, inp.offset, w.array, w.offset, bArr, bOff, C, OC, r, o);
                }
            }
        };
    });

    public static final Kernel MATMUL_BACKWARD_INPUT = new Kernel("matmul_backward_input", 2, s -> {
        FloatSlice dinp = s.floats(0), dout = s.floats(1), w = s.floats(2);
        int C = s.intArg(3), OC = s.intArg(4), accumulate = s.intArg(5);
        return (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int c = 0; c < C; c++) {
                    Matmul.backwardInput(dinp.array, dinp.offset, dout.array, dout.offset, w.array, w.offset, C, OC, accumulate, r, c);
                }
            }
        };
    });

    public static final Kernel MATMUL_BACKWARD_WEIGHT = new Kernel("matmul_backward_weight", 2, s -> {
        FloatSlice dw = s.floats(0), dout = s.floats(1), inp = s.floats(2);
        int BT = s.intArg(3), C = s.intArg(4), OC = s.intArg(5);
        return (from, to) -> {
            for (int o = from; o < to; o++) {
                for (int c = 0; c < C; c++) {
                    Matmul.backwardWeight(dw.array, dw.offset, dout.array, dout.offset, inp.array, inp.offset, BT, C, OC, o, c);
                }
            }
        };
    });

    public static final Kernel MATMUL_BACKWARD_BIAS = new Kernel("matmul_backward_bias", 1, s -> {
        FloatSlice db = s.floats(0), dout = s.floats(1);
        int BT = s.intArg(2), OC = s.intArg(3);
        return (from, to) -> {
            for (int o = from; o < to; o++) {
                Matmul.backwardBias(db.array, db.offset, dout.array, dout.offset, BT, OC, o);
            }
        };
    });

    public static final Kernel GELU_FORWARD = new Kernel("gelu_forward", 1, s -> {
        FloatSlice out = s.floats(0), inp = s.floats(1);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Gelu.forward(out.array, out.offset, inp.array, inp.offset, i);
            }
        };
    });

    public static final Kernel GELU_BACKWARD = new Kernel("gelu_backward", 1, s -> {
        FloatSlice dinp = s.floats(0), inp = s.floats(1), dout = s.floats(2);
        int accumulate = s.intArg(3);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Gelu.backward(dinp.array, dinp.offset, inp.array, inp.offset, dout.array, dout.offset, accumulate, i);
            }
        };
    });

    public static final Kernel RESIDUAL_FORWARD = new Kernel("residual_forward", 1, s -> {
        FloatSlice out = s.floats(0), a = s.floats(1), b = s.floats(2);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Residual.forward(out.array, out.offset, a.array, a.offset, b.array, b.offset, i);
            }
        };
    });

    public static final Kernel RESIDUAL_BACKWARD = new Kernel("residual_backward", 1, s -> {
        FloatSlice da = s.floats(0), db = s.floats(1), dout = s.floats(2);
        int accumulate = s.intArg(3);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Residual.backward(da.array, da.offset, db.array, db.offset, dout.array, dout.offset, accumulate, i);
            }
        };
    });

    public static final Kernel CROSSENTROPY_FORWARD = new Kernel("crossentropy_forward", 1, s -> {
        FloatSlice losses = s.floats(0), probs = s.floats(1), logits = s.floats(2);
        IntSlice tgt = s.ints(3);
        int V = s.intArg(4);
        return (from, to) -> {
            for (int r = from; r < to; r++) {
                CrossEntropy.forward(losses.array, losses.offset, probs.array, probs.offset, logits.array, logits.offset,
                        tgt.array, tgt.offset, V, r);
            }
        };
    });

    public static final Kernel CROSSENTROPY_BACKWARD = new Kernel("crossentropy_backward", 1, s -> {
        FloatSlice dlogits = s.floats(0), probs = s.floats(1);
        IntSlice tgt = s.ints(2);
        int BT = s.intArg(3), V = s.intArg(4);
        return (from, to) -> {
            for (int r = from; r < to; r++) {
                CrossEntropy.backward(dlogits.array, dlogits.offset, probs.array, probs.offset, tgt.array, tgt.offset, BT, V, r);
            }
        };
    });

    public static final Kernel MEAN_LOSS = new Kernel("mean_loss", 1, s -> {
        FloatSlice out = s.floats(0), losses = s.floats(1);
        int n = s.intArg(2);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                CrossEntropy.mean(out.array, out.offset, losses.array, losses.offset, n, i);
            }
        };
    });

    public static final Kernel ATTENTION_FORWARD = new Kernel("attention_forward", 1, s -> {
        FloatSlice out = s.floats(0), pre = s.floats(1), att = s.floats(2), qkv = s.floats(3);
        int T = s.intArg(4), C = s.intArg(5), H = s.intArg(6);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Attention.forward(out.array, out.offset, pre.array, pre.offset, att.array, att.offset, qkv.array, qkv.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel ATTENTION_BACKWARD_QUERY = new Kernel("attention_backward_query", 1, s -> {
        FloatSlice dqkv = s.floats(0), dpre = s.floats(1), dout = s.floats(2), qkv = s.floats(3), att = s.floats(4);
        int T = s.intArg(5), C = s.intArg(6), H = s.intArg(7);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Attention.backwardQuery(dqkv.array, dqkv.offset, dpre.array, dpre.offset, dout.array, dout.offset,
                        qkv.array, qkv.offset, att.array, att.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel ATTENTION_BACKWARD_KEY_VALUE = new Kernel("attention_backward_key_value", 1, s -> {
        FloatSlice dqkv = s.floats(0), dpre = s.floats(1), dout = s.floats(2), qkv = s.floats(3), att = s.floats(4);
        int T = s.intArg(5), C = s.intArg(6), H = s.intArg(7);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Attention.backwardKeyValue(dqkv.array, dqkv.offset, dpre.array, dpre.offset, dout.array, dout.offset,
                        qkv.array, qkv.offset, att.array, att.offset, T, C, H, i);
            }
        };
    });

    public static final Kernel ADAMW_UPDATE = new Kernel("adamw_update", 1, s -> {
        FloatSlice p = s.floats(0), g = s.floats(1), m = s.floats(2), v = s.floats(3), scalars = s.floats(4);
        float wd = s.floatArg(5);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                AdamW.update(p.array, p.offset, g.array, g.offset, m.array, m.offset, v.array, v.offset, scalars.array, scalars.offset, wd, i);
            }
        };
    });

    public static final Kernel GRADNORM_PARTIAL = new Kernel("gradnorm_partial", 1, s -> {
        FloatSlice partials = s.floats(0), grads = s.floats(1);
        int n = s.intArg(2), blockSize = s.intArg(3);
        return (from, to) -> {
            for (int b = from; b < to; b++) {
                GradNorm.partialSquares(partials.array, partials.offset, grads.array, grads.offset, n, blockSize, b);
            }
        };
    });

    public static final Kernel GRADNORM_CLIP = new Kernel("gradnorm_clip", 1, s -> {
        FloatSlice scalars = s.floats(0), partials = s.floats(1);
        int nBlocks = s.intArg(2);
        float maxNorm = s.floatArg(3);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                GradNorm.clipScale(scalars.array, scalars.offset, partials.array, partials.offset, nBlocks, maxNorm, i);
            }
        };
    });

    public static final Kernel FILL = new Kernel("fill", 1, s -> {
        FloatSlice buf = s.floats(0);
        float value = s.floatArg(1);
        return (from, to) -> {
            for (int i = from; i < to; i++) {
                Fill.fill(buf.array, buf.offset, value, i);
            }
        };
    });
}
