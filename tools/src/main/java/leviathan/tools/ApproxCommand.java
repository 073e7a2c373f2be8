package leviathan.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.google.gson.GsonBuilder;

import leviathan.kernels.Performer;
import leviathan.model.AtomicFiles;
import leviathan.model.Rng;
import leviathan.model.mixers.PerformerMixer;

/**
 * {@code leviathan approx}: the study of seed 002 (SPEC 2.3, last bullet). How well do m random
 * features estimate the softmax kernel SM(x, y) = exp(xᵀy)? Two estimators, both unbiased:
 * positive features φ⁺(x) = exp(ω·x − |x|²/2)/√m (the performer's map) and trigonometric features
 * φ_trig(x) = exp(|x|²/2)/√m · [sin(ω·x), cos(ω·x)], with the same m draws ω_r of ω. The features are
 * computed by the kernel bodies {@link Performer#positiveFeatures} and
 * {@link Performer#trigonometricFeatures} (here with x̃ = x, i.e. scale 1).
 *
 * <p>For fixed pairs (x, y) with |x| = |y| = ρ at angle θ, SM = exp(ρ² cos θ); over many
 * independent draws of ω it measures the relative mean squared error E[(ŜM − SM)²]/SM², and
 * prints it beside the closed forms for Gaussian ω (Choromanski et al. 2021, Lemma 2):
 * positive (1/m)(e^{|x+y|²} − 1), trigonometric (1/2m) e^{|x−y|²} (1 − e^{−|x−y|²})². (a) against m
 * for three pairs; (b) against SM as θ sweeps 0 … π for each ρ. Trigonometric features are exact
 * at x = y and bad where SM is small; positive features are exact at y = −x and have a bounded
 * relative error as SM → 0, which is what the renormalised attention needs.
 */
final class ApproxCommand implements Main.Command {
    /** Settings of one study. */
    static final class Settings {
        int dim = 16;
        int[] ms = {8, 16, 32, 64, 128, 256, 512};
        int kernelM = 64;
        int trials = 500;
        double[] norms = {1, 2};
        double pairNorm = 1.5;
        int angles = 13;
        boolean orthogonal;
        long seed = 1;
    }

    /** A pair (x, y) with |x| = |y| = norm at the given angle, and SM(x, y) = exp(x·y) of the stored floats. */
    static final class Pair {
        final double norm;
        final double angle;
        final float[] x;
        final float[] y;
        final double sm;
        final double sumSquaredNorm;   // |x + y|²
        final double diffSquaredNorm;  // |x − y|²

        Pair(double norm, double angle, float[] x, float[] y) {
            this.norm = norm;
            this.angle = angle;
            this.x = x;
            this.y = y;
            double dot = 0, sum = 0, diff = 0;
            for (int d = 0; d < x.length; d++) {
                dot += (double) x[d] * y[d];
                sum += ((double) x[d] + y[d]) * ((double) x[d] + y[d]);
                diff += ((double) x[d] - y[d]) * ((double) x[d] - y[d]);
            }
            this.sm = Math.exp(dot);
            this.sumSquaredNorm = sum;
            this.diffSquaredNorm = diff;
        }

        /** Relative MSE of m positive features with Gaussian ω: (e^{|x+y|²} − 1)/m. */
        double positiveTheory(int m) {
            return Math.expm1(sumSquaredNorm) / m;
        }

        /** Relative MSE of m trigonometric features with Gaussian ω: e^{|x−y|²}(1 − e^{−|x−y|²})²/(2m). */
        double trigonometricTheory(int m) {
            double c = -Math.expm1(-diffSquaredNorm);
            return Math.exp(diffSquaredNorm) * c * c / (2.0 * m);
        }
    }

    /** Relative mean squared errors of both estimators, one per pair. */
    record Errors(double[] positive, double[] trigonometric) {}

    @Override
    public int run(String[] argv) throws IOException {
        Args args = new Args(argv, Set.of("debug"));
        args.flag("debug");
        Settings s = new Settings();
        s.dim = args.integer("dim", s.dim);
        s.ms = args.integers("m", s.ms);
        s.kernelM = args.integer("kernel-m", s.kernelM);
        s.trials = args.integer("trials", s.trials);
        s.norms = args.numbers("norms", s.norms);
        s.pairNorm = args.number("pair-norm", (float) s.pairNorm);
        s.angles = args.integer("angles", s.angles);
        String omega = args.get("omega", "iid");
        s.seed = args.longValue("seed", s.seed);
        Path out = Paths.get(args.get("out", "runs/approx"));
        Path json = Paths.get(args.get("json", out.resolve("approx.json").toString()));
        Path png = Paths.get(args.get("png", out.resolve("approx.png").toString()));
        args.rejectUnused("approx");
        Cli.checkOutputFile(json.toString(), "--json");
        Cli.checkOutputFile(png.toString(), "--png");
        if (!omega.equals("iid") && !omega.equals("orthogonal")) {
            throw new CliException("--omega must be iid or orthogonal, got '" + omega + "'", 2);
        }
        s.orthogonal = omega.equals("orthogonal");
        validate(s);

        List<Pair> versusM = pairs(s.pairNorm, new double[] {Math.PI / 4, Math.PI / 2, 3 * Math.PI / 4}, s.dim, s.seed);
        List<Pair> versusSm = new ArrayList<>();
        for (double norm : s.norms) {
            double[] angles = new double[s.angles];
            for (int k = 0; k < s.angles; k++) {
                angles[k] = Math.PI * k / (s.angles - 1);
            }
            versusSm.addAll(pairs(norm, angles, s.dim, s.seed));
        }
        Errors[] byM = new Errors[s.ms.length];
        for (int i = 0; i < s.ms.length; i++) {
            byM[i] = estimate(versusM, s.ms[i], s);
        }
        Errors bySm = estimate(versusSm, s.kernelM, s);

        System.out.println(table(s, versusM, byM, versusSm, bySm));
        AtomicFiles.writeString(json, json(s, versusM, byM, versusSm, bySm, png));
        Charts.writePng(png, Charts.figure(620, 460, 2, ApproxCharts.versusM(s, versusM, byM), ApproxCharts.versusSm(s, versusSm, bySm)));
        System.out.println("wrote " + json + " and " + png);
        return 0;
    }

    private static void validate(Settings s) {
        if (s.dim <= 0 || s.kernelM <= 0 || s.trials < 2 || s.angles < 2 || !(s.pairNorm > 0)) {
            throw new CliException("--dim, --kernel-m and --pair-norm must be positive, --trials and --angles at least 2", 2);
        }
        for (int m : s.ms) {
            if (m <= 0) {
                throw new CliException("--m values must be positive, got " + m, 2);
            }
        }
        for (double n : s.norms) {
            if (!(n > 0) || n > 5) {
                throw new CliException("--norms must lie in (0, 5] (exp(|x|²) overflows float32 beyond), got " + n, 2);
            }
        }
    }

    /** Pairs at the given angles with |x| = |y| = norm, in a plane spanned by two random orthonormal vectors. */
    static List<Pair> pairs(double norm, double[] angles, int dim, long seed) {
        Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + 11);
        double[] u = unit(gaussian(dim, rng));
        double[] w = gaussian(dim, rng);
        double along = 0;
        for (int d = 0; d < dim; d++) {
            along += w[d] * u[d];
        }
        for (int d = 0; d < dim; d++) {
            w[d] -= along * u[d];
        }
        w = unit(w);
        List<Pair> out = new ArrayList<>();
        for (double a : angles) {
            float[] x = new float[dim], y = new float[dim];
            for (int d = 0; d < dim; d++) {
                x[d] = (float) (norm * u[d]);
                y[d] = (float) (norm * (Math.cos(a) * u[d] + Math.sin(a) * w[d]));
            }
            out.add(new Pair(norm, a, x, y));
        }
        return out;
    }

    private static double[] gaussian(int n, Rng rng) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian();
        }
        return v;
    }

    private static double[] unit(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        double inv = 1 / Math.sqrt(s);
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    /**
     * Relative MSE of both estimators for every pair, over {@code trials} independent draws of m
     * feature vectors ω (seeded by the study seed and m, so each m's estimate is reproducible alone).
     */
    static Errors estimate(List<Pair> pairs, int m, Settings s) {
        int D = s.dim, n = 2 * pairs.size();
        float[] points = new float[n * D];
        for (int p = 0; p < pairs.size(); p++) {
            System.arraycopy(pairs.get(p).x, 0, points, 2 * p * D, D);
            System.arraycopy(pairs.get(p).y, 0, points, (2 * p + 1) * D, D);
        }
        float[] omega = new float[m * D];
        float[] positive = new float[n * m];
        float[] trig = new float[n * 2 * m];
        double[] sqPositive = new double[pairs.size()], sqTrig = new double[pairs.size()];
        Rng rng = new Rng(s.seed * 0xBF58476D1CE4E5B9L + m);
        for (int trial = 0; trial < s.trials; trial++) {
            drawOmega(omega, m, D, s.orthogonal, rng);
            for (int i = 0; i < n; i++) {
                Performer.positiveFeatures(positive, 0, points, 0, omega, 0, m, D, 1f, i);
                Performer.trigonometricFeatures(trig, 0, points, 0, omega, 0, m, D, 1f, i);
            }
            for (int p = 0; p < pairs.size(); p++) {
                double sm = pairs.get(p).sm;
                double ep = dot(positive, 2 * p * m, (2 * p + 1) * m, m) - sm;
                double et = dot(trig, 2 * p * 2 * m, (2 * p + 1) * 2 * m, 2 * m) - sm;
                sqPositive[p] += ep * ep;
                sqTrig[p] += et * et;
            }
        }
        double[] relPositive = new double[pairs.size()], relTrig = new double[pairs.size()];
        for (int p = 0; p < pairs.size(); p++) {
            double sm2 = pairs.get(p).sm * pairs.get(p).sm;
            relPositive[p] = sqPositive[p] / s.trials / sm2;
            relTrig[p] = sqTrig[p] / s.trials / sm2;
        }
        return new Errors(relPositive, relTrig);
    }

    private static void drawOmega(float[] omega, int m, int D, boolean orthogonal, Rng rng) {
        if (orthogonal) {
            PerformerMixer.drawOrthogonalFeatures(omega, 0, 1, m, D, rng);
            return;
        }
        for (int i = 0; i < m * D; i++) {
            omega[i] = (float) rng.nextGaussian();
        }
    }

    private static double dot(float[] a, int i, int j, int n) {
        double s = 0;
        for (int k = 0; k < n; k++) {
            s += (double) a[i + k] * a[j + k];
        }
        return s;
    }

    // ------------------------------------------------------------------ report

    private static String table(Settings s, List<Pair> versusM, Errors[] byM, List<Pair> versusSm, Errors bySm) {
        StringBuilder sb = new StringBuilder();
        sb.append(fmt("approx: SM(x, y) = exp(x·y) estimated with m random features, D = %d, %d draws of ω (%s), seed %d%n",
                s.dim, s.trials, s.orthogonal ? "orthogonal" : "iid Gaussian", s.seed));
        sb.append("relative MSE = mean (estimate − SM)² / SM²; 'theory' is the closed form for iid Gaussian ω\n\n");
        sb.append(fmt("(a) against m, |x| = |y| = %s%n", num(s.pairNorm)));
        sb.append(fmt("%6s", "m"));
        for (Pair p : versusM) {
            sb.append(fmt(" | %-31s", fmt("θ=%.0f° SM=%.3g: φ⁺, trig", Math.toDegrees(p.angle), p.sm)));
        }
        sb.append('\n');
        for (int i = 0; i < s.ms.length; i++) {
            sb.append(fmt("%6d", s.ms[i]));
            for (int p = 0; p < versusM.size(); p++) {
                sb.append(fmt(" | %15.4g %15.4g", byM[i].positive()[p], byM[i].trigonometric()[p]));
            }
            sb.append('\n');
        }
        sb.append(fmt("%n(b) against SM(x, y), m = %d%n", s.kernelM));
        sb.append(fmt("%7s %6s %11s | %11s %11s | %11s %11s | %s%n", "|x|=|y|", "θ", "SM", "φ⁺", "theory", "trig", "theory", "more accurate"));
        for (int p = 0; p < versusSm.size(); p++) {
            Pair pair = versusSm.get(p);
            double pos = bySm.positive()[p], trig = bySm.trigonometric()[p];
            sb.append(fmt("%7s %5.0f° %11.4g | %11.4g %11.4g | %11.4g %11.4g | %s%n", num(pair.norm), Math.toDegrees(pair.angle), pair.sm,
                    pos, pair.positiveTheory(s.kernelM), trig, pair.trigonometricTheory(s.kernelM),
                    pos < trig ? "positive" : trig < pos ? "trigonometric" : "tie"));
        }
        return sb.toString();
    }

    static String json(Settings s, List<Pair> versusM, Errors[] byM, List<Pair> versusSm, Errors bySm, Path png) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("study", "softmax kernel SM(x,y)=exp(x.y): positive vs trigonometric random features (seed 002, SPEC 2.3)");
        root.put("dim", s.dim);
        root.put("trials", s.trials);
        root.put("omega", s.orthogonal ? "orthogonal" : "iid");
        root.put("seed", s.seed);
        root.put("error", "relative mean squared error: mean over draws of (estimate - SM)^2 / SM^2");

        Map<String, Object> a = new LinkedHashMap<>();
        a.put("norm", s.pairNorm);
        a.put("m", s.ms);
        List<Object> aPairs = new ArrayList<>();
        for (int p = 0; p < versusM.size(); p++) {
            Pair pair = versusM.get(p);
            double[] pos = new double[s.ms.length], trig = new double[s.ms.length];
            double[] posTheory = new double[s.ms.length], trigTheory = new double[s.ms.length];
            for (int i = 0; i < s.ms.length; i++) {
                pos[i] = byM[i].positive()[p];
                trig[i] = byM[i].trigonometric()[p];
                posTheory[i] = pair.positiveTheory(s.ms[i]);
                trigTheory[i] = pair.trigonometricTheory(s.ms[i]);
            }
            Map<String, Object> e = pairHeader(pair);
            e.put("positive", estimator(pos, posTheory));
            e.put("trigonometric", estimator(trig, trigTheory));
            aPairs.add(e);
        }
        a.put("pairs", aPairs);
        root.put("versus_m", a);

        Map<String, Object> b = new LinkedHashMap<>();
        b.put("m", s.kernelM);
        List<Object> points = new ArrayList<>();
        for (int p = 0; p < versusSm.size(); p++) {
            Pair pair = versusSm.get(p);
            Map<String, Object> e = pairHeader(pair);
            e.put("positive", estimator(bySm.positive()[p], pair.positiveTheory(s.kernelM)));
            e.put("trigonometric", estimator(bySm.trigonometric()[p], pair.trigonometricTheory(s.kernelM)));
            points.add(e);
        }
        b.put("points", points);
        root.put("versus_sm", b);
        root.put("png", png.toString());
        return new GsonBuilder().setPrettyPrinting().create().toJson(root) + "\n";
    }

    private static Map<String, Object> pairHeader(Pair pair) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("norm", pair.norm);
        e.put("angle_degrees", Math.toDegrees(pair.angle));
        e.put("sm", pair.sm);
        return e;
    }

    private static Map<String, Object> estimator(Object relativeMse, Object theory) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("relative_mse", relativeMse);
        e.put("theory_relative_mse", theory);
        return e;
    }

    static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
