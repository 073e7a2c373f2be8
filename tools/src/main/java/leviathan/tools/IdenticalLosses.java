package leviathan.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Two rows of a comparison with the same loss look like a bug in the tool. The usual reason is that
 * the mixers compute the same function: Leviathan's lag weights start at (1, 0, …), so an untrained
 * Leviathan layer is attention, and after a few steps their losses agree to the printed digits.
 * These notes say so under the table, rather than leaving the reader to guess.
 */
final class IdenticalLosses {
    private IdenticalLosses() {}

    /** One note per pair of rows whose losses print the same (to 4 decimals); NaN losses are not compared. */
    static List<String> notes(List<String> mixers, List<Double> losses, int steps) {
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < mixers.size(); i++) {
            for (int j = i + 1; j < mixers.size(); j++) {
                double a = losses.get(i), b = losses.get(j);
                if (Double.isNaN(a) || Double.isNaN(b) || !printed(a).equals(printed(b))) {
                    continue;
                }
                String pair = mixers.get(i) + " and " + mixers.get(j);
                String same = a == b ? "exactly the same validation loss (" + printed(a) + ")"
                        : "the same validation loss to 4 decimals (" + printed(a) + ")";
                if (isPair(mixers.get(i), mixers.get(j), "attention", "leviathan")) {
                    notes.add(pair + " have " + same + " after " + steps + " steps. This is expected early in training: Leviathan's"
                            + " lag weights are initialised to (1, 0, …), so an untrained Leviathan layer computes attention, and "
                            + steps + " steps have not moved the weights far enough to change the loss; train longer to tell them apart.");
                } else {
                    notes.add(pair + " have " + same + " after " + steps + " steps: they compute the same function so far, or differ"
                            + " by less than the table shows.");
                }
            }
        }
        return notes;
    }

    private static boolean isPair(String a, String b, String x, String y) {
        return a.equals(x) && b.equals(y) || a.equals(y) && b.equals(x);
    }

    private static String printed(double loss) {
        return String.format(Locale.ROOT, "%.4f", loss);
    }
}
