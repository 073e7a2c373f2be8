package leviathan.model.mixers;

import java.util.Arrays;

import leviathan.graph.BlockLayout;
import leviathan.graph.FloatSlice;
import leviathan.graph.Graph;
import leviathan.graph.IntSlice;
import leviathan.graph.Stage;
import leviathan.graph.StageChecks;
import leviathan.kernels.Longformer;
import leviathan.kernels.LongformerKernels;
import leviathan.model.MixerContext;
import leviathan.model.ModelConfig;
import leviathan.stages.DropoutSite;

/**
 * Longformer attention (SPEC 2.4): causal sliding window of {@code window} keys per query with a
 * per-head {@code dilation}, plus {@code globals} global tokens (the first positions; a global
 * query attends to every earlier position, every query attends to the global ones). GPT-2's
 * c_attn/c_proj and no other tensors.
 *
 * <p>Options: {@code window} W (default 16, at most the context; W ≥ T with dilation 1 and no
 * globals is exact causal attention), {@code dilation} one integer for every head or a comma list
 * with one per head, e.g. "1,1,2,4" (default 1), {@code globals} G (default 0).
 *
 * <p>Scores and probabilities are stored banded, (B, H, T, G+W) — linear in T — with the slot
 * layout described in {@link leviathan.kernels.Longformer}. No buffer for the global rows is
 * needed: a global query i &lt; G attends to j ≤ i &lt; G, all of them global columns.
 */
public final class LongformerMixer extends QkvMixer {
    public static final int DEFAULT_WINDOW = 16;

    private final int window;
    private final int globals;
    /** The kernels' band buffer, [W, G, one dilation per head]; fixed by the config. */
    private final IntSlice band;
    private final int[] dilation;

    public LongformerMixer(ModelConfig config) {
        super(config, "longformer", "window", "dilation", "globals");
        int Tmax = config.contextLength;
        this.window = options.integer("window", Math.min(DEFAULT_WINDOW, Tmax), 1, Tmax);
        this.globals = options.integer("globals", 0, 0, Tmax);
        int[] perHead = parseDilation(options.text("dilation", "1"), config.heads, Tmax);
        this.dilation = perHead;
        this.band = Stages.band(window, globals, perHead);
    }

    /** "d" for every head or "d0,d1,…" with one entry per head; each in [1, Tmax]. */
    static int[] parseDilation(String text, int heads, int Tmax) {
        String[] parts = text.split(",", -1);
        if (parts.length != 1 && parts.length != heads) {
            throw new IllegalArgumentException("mixer option dilation expects one integer or " + heads
                    + " comma-separated integers (one per head), got '" + text + "'");
        }
        int[] perHead = new int[heads];
        for (int h = 0; h < heads; h++) {
            String part = parts[parts.length == 1 ? 0 : h].trim();
            int d;
            try {
                d = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("mixer option dilation expects integers, got '" + text + "'");
            }
            if (d < 1 || d > Tmax) {
                throw new IllegalArgumentException("mixer option dilation=" + d + " is outside [1, " + Tmax + "]");
            }
            perHead[h] = d;
        }
        return perHead;
    }

    public int window() {
        return window;
    }

    public int globals() {
        return globals;
    }

    public int[] dilations() {
        return dilation.clone();
    }

    @Override
    protected void declareMixing(BlockLayout acts, String prefix, int B, int T) {
        int H = config.heads;
        acts.add(prefix + "preatt", B, H, T, globals + window);
        acts.add(prefix + "att", B, H, T, globals + window);
    }

    @Override
    protected void mix(Graph g, MixerContext x) {
        int C = x.C();
        g.add(Stages.forward(x.stage("longformer"), x.act("atty"), x.act("preatt"), x.act("att"), x.act("qkv"),
                band, x.B, x.T, C, x.H(), x.dropout()));
    }

    @Override
    protected void mixBackward(Graph g, MixerContext x) {
        int C = x.C();
        g.add(Stages.backwardQuery(x.stage("longformer.backward_query"), x.dact("qkv"), x.dact("preatt"), x.dact("atty"),
                x.act("qkv"), x.act("att"), band, x.B, x.T, C, x.H(), x.dropout()));
        g.add(Stages.backwardKeyValue(x.stage("longformer.backward_key_value"), x.dact("qkv"), x.dact("preatt"),
                x.dact("atty"), x.act("qkv"), x.act("att"), band, x.B, x.T, C, x.H(), x.dropout()));
    }

    @Override
    public String toString() {
        return "longformer(window=" + window + ", dilation=" + Arrays.toString(dilation) + ", globals=" + globals + ")";
    }

    /**
     * The stages of the Longformer mixer: each factory checks its buffers' sizes ({@link StageChecks}), states
     * the stage's extent, FLOPs and bytes, and builds it through the kernel's generated builder in
     * {@link LongformerKernels}.
     */
    public static final class Stages {
        private Stages() {}

        private static final int F = Float.BYTES;

        /** The band buffer the kernels read: [W, G, one dilation per head]. */
        public static IntSlice band(int W, int G, int[] dilation) {
            int[] b = new int[2 + dilation.length];
            b[0] = W;
            b[1] = G;
            System.arraycopy(dilation, 0, b, 2, dilation.length);
            return new IntSlice("longformer.band", b, 0, b.length);
        }

        /** out (B,T,C), preatt/att (B,H,T,G+W), qkv (B,T,3C), band (2+H). */
        public static Stage forward(String name, FloatSlice out, FloatSlice preatt, FloatSlice att, FloatSlice qkv,
                                    IntSlice band, int B, int T, int C, int H, DropoutSite drop) {
            checkBuffers(name, out, preatt, att, qkv, band, B, T, C, H);
            double pairs = livePairs(band, B, T, H);
            return LongformerKernels.forward(name, new int[] {B * H * T}, pairs * (4.0 * C / H + 5),
                    ((double) B * T * 4 * C + 2 * pairs) * F, out, preatt, att, qkv, band, drop.scalars(), T, C, H, drop.key());
        }

        /** dqkv's Q columns += ..., dpreatt (scratch) = dL/dscores; reads dout (B,T,C), qkv and att. */
        public static Stage backwardQuery(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout, FloatSlice qkv,
                                          FloatSlice att, IntSlice band, int B, int T, int C, int H, DropoutSite drop) {
            checkBuffers(name, dout, dpreatt, att, qkv, band, B, T, C, H);
            StageChecks.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
            double pairs = livePairs(band, B, T, H);
            return LongformerKernels.backwardQuery(name, new int[] {B * H * T}, pairs * (4.0 * C / H + 4),
                    ((double) B * T * 4 * C + 3 * pairs) * F, dqkv, dpreatt, dout, qkv, att, band, drop.scalars(), T, C, H, drop.key());
        }

        /** dqkv's K and V columns += ...; reads dpreatt from {@link #backwardQuery}, dout, qkv and att. */
        public static Stage backwardKeyValue(String name, FloatSlice dqkv, FloatSlice dpreatt, FloatSlice dout, FloatSlice qkv,
                                             FloatSlice att, IntSlice band, int B, int T, int C, int H, DropoutSite drop) {
            checkBuffers(name, dout, dpreatt, att, qkv, band, B, T, C, H);
            StageChecks.expect(name, dqkv, (long) B * T * 3 * C, "B*T*3C");
            double pairs = livePairs(band, B, T, H);
            return LongformerKernels.backwardKeyValue(name, new int[] {B * H * T}, pairs * 4.0 * C / H,
                    ((double) B * T * 4 * C + 2 * pairs) * F, dqkv, dpreatt, dout, qkv, att, band, drop.scalars(), T, C, H, drop.key());
        }

        /** Checks the sizes and the band buffer, then the (B,T,C) row buffer, the two banded (B,H,T,G+W) buffers and qkv. */
        private static void checkBuffers(String name, FloatSlice rows, FloatSlice band1, FloatSlice band2, FloatSlice qkv,
                                         IntSlice band, int B, int T, int C, int H) {
            StageChecks.positive(name, "H", H);
            StageChecks.expect(name, band, 2 + H, "2 + H (window, globals, one dilation per head)");
            int W = band.get(0), G = band.get(1);
            checkShape(name, band, B, T, C, H, W, G);
            long banded = (long) B * H * T * (G + W);
            StageChecks.expect(name, rows, (long) B * T * C, "B*T*C");
            StageChecks.expect(name, band1, banded, "B*H*T*(G+W)");
            StageChecks.expect(name, band2, banded, "B*H*T*(G+W)");
            StageChecks.expect(name, qkv, (long) B * T * 3 * C, "B*T*3C");
        }

        private static void checkShape(String name, IntSlice band, int B, int T, int C, int H, int W, int G) {
            StageChecks.positive(name, "B", B);
            StageChecks.positive(name, "T", T);
            StageChecks.positive(name, "window W", W);
            StageChecks.heads(name, C, H);
            if (G < 0) {
                throw new IllegalArgumentException(name + ": the number of global tokens G must not be negative, got " + G);
            }
            for (int h = 0; h < H; h++) {
                if (band.get(2 + h) < 1) {
                    throw new IllegalArgumentException(name + ": dilation of head " + h + " must be at least 1, got " + band.get(2 + h));
                }
            }
        }

        /** Number of (query, key) pairs scored: the live slots of every row, for the profile's FLOPs. */
        static double livePairs(IntSlice band, int B, int T, int H) {
            int W = band.get(0), G = band.get(1);
            double pairs = 0;
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < T; i++) {
                    pairs += Longformer.liveSlots(i, W, band.get(2 + h), G);
                }
            }
            return pairs * B;
        }
    }
}
