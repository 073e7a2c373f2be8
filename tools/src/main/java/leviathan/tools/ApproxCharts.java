package leviathan.tools;

import static leviathan.tools.ApproxCommand.fmt;
import static leviathan.tools.ApproxCommand.num;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;

import org.jfree.chart.JFreeChart;

import leviathan.tools.ApproxCommand.Errors;
import leviathan.tools.ApproxCommand.Pair;
import leviathan.tools.ApproxCommand.Settings;

/** The two log-log charts of {@code leviathan approx} (see {@link ApproxCommand}). */
final class ApproxCharts {
    private ApproxCharts() {}

    /** (a): the relative error of both estimators against m, one colour per pair, trigonometric dashed. */
    static JFreeChart versusM(Settings s, List<Pair> pairs, Errors[] byM) {
        JFreeChart plot = Charts.lines(fmt("(a) error against m (|x| = |y| = %s)", num(s.pairNorm)),
                "number of random features m", "relative MSE of exp(x·y)", true, true);
        double[] ms = new double[s.ms.length];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = s.ms[i];
        }
        for (int p = 0; p < pairs.size(); p++) {
            double[] pos = new double[ms.length], trig = new double[ms.length];
            for (int i = 0; i < ms.length; i++) {
                pos[i] = byM[i].positive()[p];
                trig[i] = byM[i].trigonometric()[p];
            }
            Color c = Charts.PALETTE[p % Charts.PALETTE.length];
            String sm = fmt("SM=%.3g", pairs.get(p).sm);
            Charts.line(plot, "positive, " + sm, ms, pos, c, Charts.Style.SOLID);
            Charts.line(plot, "trig, " + sm, ms, trig, c, Charts.Style.DASHED);
        }
        return plot;
    }

    /** (b): the relative error against SM(x, y) as θ sweeps 0 … π, one colour per norm, trigonometric dashed. */
    static JFreeChart versusSm(Settings s, List<Pair> pairs, Errors bySm) {
        JFreeChart plot = Charts.lines(fmt("(b) error against SM(x, y) (m = %d)", s.kernelM),
                "SM(x, y) = exp(x·y)   (θ from 180° on the left to 0° on the right)", "relative MSE", true, true);
        double lowest = Double.POSITIVE_INFINITY, highest = 0;
        for (int k = 0; k < s.norms.length; k++) {
            double norm = s.norms[k];
            List<Double> sm = new ArrayList<>(), pos = new ArrayList<>(), trig = new ArrayList<>();
            for (int p = 0; p < pairs.size(); p++) {
                if (pairs.get(p).norm == norm) {
                    sm.add(pairs.get(p).sm);
                    pos.add(bySm.positive()[p]);
                    trig.add(bySm.trigonometric()[p]);
                    highest = Math.max(highest, Math.max(bySm.positive()[p], bySm.trigonometric()[p]));
                    if (!isExactCase(pairs.get(p))) {
                        lowest = Math.min(lowest, Math.min(bySm.positive()[p], bySm.trigonometric()[p]));
                    }
                }
            }
            Color c = Charts.PALETTE[k % Charts.PALETTE.length];
            Charts.line(plot, "positive, |x|=|y|=" + num(norm), array(sm), array(pos), c, Charts.Style.SOLID);
            Charts.line(plot, "trig, |x|=|y|=" + num(norm), array(sm), array(trig), c, Charts.Style.DASHED);
        }
        // The exact cases (trig at θ = 0, positive at θ = 180°) have errors of float rounding, ~1e-14:
        // start the axis a decade below the smallest error of the other angles, so that they drop off it.
        double floor = Math.pow(10, Math.floor(Math.log10(lowest)) - 1);
        if (lowest > 0 && Double.isFinite(lowest) && highest > floor) {
            plot.getXYPlot().getRangeAxis().setRange(floor, Math.pow(10, Math.ceil(Math.log10(highest))));
        }
        return plot;
    }

    /** θ = 0 (x = y, where trig features are exact) or θ = 180° (y = −x, where positive features are exact). */
    private static boolean isExactCase(Pair pair) {
        return pair.angle < 1e-9 || pair.angle > Math.PI - 1e-9;
    }

    private static double[] array(List<Double> xs) {
        double[] a = new double[xs.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = xs.get(i);
        }
        return a;
    }
}
