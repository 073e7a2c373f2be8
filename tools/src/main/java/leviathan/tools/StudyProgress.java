package leviathan.tools;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

/**
 * Cells done and to go, and an ETA for the rest of the grid from the times of the finished cells.
 * Cells differ a lot in cost (a Performer cell is slower than an attention one, T = 512 than T = 64),
 * so a remaining cell is estimated from finished cells of its own mixer and context if there are any,
 * else of its context, else from all: rough until every kind of cell has finished once.
 */
final class StudyProgress {
    private final int total;
    /** Seconds (training + evaluation) of each finished cell that has timings. */
    private final Map<StudyGrid.Cell, Double> seconds = new LinkedHashMap<>();
    private int done;

    StudyProgress(int total) {
        this.total = total;
    }

    void finished(CellResult r) {
        done++;
        if (Double.isFinite(r.seconds())) {
            seconds.put(r.cell(), r.seconds());
        }
    }

    int done() {
        return done;
    }

    /** "[3/30 done, 27 to go, ETA ~4h10m]" for the cells still to run. */
    String status(List<StudyGrid.Cell> remaining) {
        double eta = 0;
        for (StudyGrid.Cell c : remaining) {
            eta += estimate(c);
        }
        String when = remaining.isEmpty() ? "" : Double.isNaN(eta) ? ", ETA unknown until a cell finishes"
                : ", ETA ~" + CellRunner.seconds(eta) + " (from " + seconds.size() + " finished cell" + (seconds.size() == 1 ? "" : "s") + ")";
        return "[" + done + "/" + total + " done, " + remaining.size() + " to go" + when + "]";
    }

    /** Seconds a cell should take, from the most similar finished cells; NaN if none has finished. */
    double estimate(StudyGrid.Cell c) {
        double same = mean(d -> d.context() == c.context() && d.mixer().equals(c.mixer()));
        if (!Double.isNaN(same)) {
            return same;
        }
        double context = mean(d -> d.context() == c.context());
        return Double.isNaN(context) ? mean(d -> true) : context;
    }

    private double mean(Predicate<StudyGrid.Cell> which) {
        SummaryStatistics s = new SummaryStatistics();
        seconds.forEach((cell, t) -> {
            if (which.test(cell)) {
                s.addValue(t);
            }
        });
        return s.getN() == 0 ? Double.NaN : s.getMean();
    }
}
