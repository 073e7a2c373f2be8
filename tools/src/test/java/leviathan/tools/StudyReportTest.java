package leviathan.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.commons.math3.stat.inference.TTest;
import org.junit.jupiter.api.Test;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The study's table from synthetic cell results: standard errors and Welch p-values where there are
 * enough seeds, and words instead of numbers where there are not (one seed, no spread, a diverged
 * seed, no baseline); the rows in a fixed order; identical losses explained.
 */
class StudyReportTest {
    static CellResult cell(int context, String mixer, long seed, double loss) {
        CellResult r = new CellResult();
        r.context = context;
        r.mixer = mixer;
        r.seed = seed;
        r.outcome = CellResult.COMPLETED;
        r.options = Map.of("batch", Integer.toString(1024 / context));
        r.steps = 2000;
        r.valLoss = loss;
        r.valBpc = loss / Math.log(2);
        r.windows = 100;
        r.parameters = 809_856L;
        r.tokensPerS = 10_000.0;
        r.memoryBytes = 80L << 20;
        r.trainSeconds = 600.0;
        r.evalSeconds = 5.0;
        return r;
    }

    static JsonObject row(StudyReport report, int section, String mixer) {
        for (var e : JsonParser.parseString(report.json()).getAsJsonObject().getAsJsonArray("contexts").get(section).getAsJsonObject()
                .getAsJsonArray("rows")) {
            if (e.getAsJsonObject().get("mixer").getAsString().equals(mixer)) {
                return e.getAsJsonObject();
            }
        }
        throw new AssertionError("no row " + mixer);
    }

    @Test
    void standardErrorsAndWelchTestsWhereThereAreSeedsAndWordsWhereThereAreNot() {
        List<CellResult> cells = new ArrayList<>();
        double[] attention = {1.90, 1.89, 1.91}, performer = {1.95, 1.97, 1.93};
        for (int i = 0; i < 3; i++) {
            cells.add(cell(64, "performer", i + 1, performer[i]));
            cells.add(cell(64, "attention", i + 1, attention[i]));
        }
        cells.add(cell(64, "leviathan", 1, 1.85));
        cells.add(cell(64, "synthesizer", 1, 1.80));
        CellResult diverged = cell(64, "synthesizer", 2, Double.NaN);
        diverged.outcome = CellResult.DIVERGED;
        diverged.valLoss = null;
        cells.add(diverged);
        cells.add(cell(512, "performer", 1, 1.7));
        cells.add(cell(512, "performer", 2, 1.7));
        StudyReport report = new StudyReport(cells, List.of(new StudyGrid.Cell(512, "attention", 2), new StudyGrid.Cell(512, "attention", 1)));

        assertEquals(List.of(64, 512), report.sections.stream().map(s -> s.context).toList());
        assertEquals(List.of("attention", "leviathan", "performer", "synthesizer"), report.sections.get(0).rows.stream().map(r -> r.mixer).toList(),
                "attention first, then the default order");
        JsonObject p = row(report, 0, "performer");
        assertEquals(1.95, p.get("val_loss_mean").getAsDouble(), 1e-12);
        assertEquals(0.02 / Math.sqrt(3), p.get("val_loss_se").getAsDouble(), 1e-12, "sample s.d. 0.02 over √3");
        assertEquals(new TTest().tTest(performer, attention), p.get("p_value").getAsDouble(), 0.0);
        assertEquals(0.05, p.get("diff_to_attention").getAsDouble(), 1e-12);

        JsonObject l = row(report, 0, "leviathan");
        assertTrue(l.get("p_value").isJsonNull(), "one seed: no p-value");
        assertTrue(l.get("val_loss_se").isJsonNull(), "one seed: no standard error");
        assertEquals(-0.05, l.get("diff_to_attention").getAsDouble(), 1e-12);
        String text = report.text();
        assertTrue(text.contains("| leviathan | 809,856 | 1.8500 ± n/a (n=1) |"), text);
        assertTrue(text.contains("- leviathan: t-test not available: needs at least 2 seeds of both (1 and 3)"), text);
        assertTrue(text.contains("| performer | 809,856 | 1.9500 ± 0.0115 (n=3) | 2.813 | +0.0500 | " + StudyReport.pValue(p.get("p_value").getAsDouble())), text);
        assertTrue(text.contains("synthesizer: seed 2 diverged (non-finite loss) and is left out of the mean"), text);
        assertEquals(1, row(report, 0, "synthesizer").get("n").getAsInt());
        assertTrue(text.contains("- performer: t-test not available: no attention cells at this context"), text);
        assertTrue(text.contains("Not finished (no result yet): T=512,mixer=attention,seed=1; T=512,mixer=attention,seed=2"), text);
        assertTrue(text.contains("## context 64: batch 16 × 64 = 1,024 tokens per step, 2000 steps, seeds 1, 2, 3"), text);
    }

    @Test
    void lossesWithoutSpreadGetNoPValue() {
        List<CellResult> cells = new ArrayList<>();
        for (long seed = 1; seed <= 2; seed++) {
            cells.add(cell(64, "attention", seed, 2.0));
            cells.add(cell(64, "leviathan", seed, 2.0));
        }
        StudyReport report = new StudyReport(cells, List.of());
        assertTrue(row(report, 0, "leviathan").get("p_value").isJsonNull());
        String text = report.text();
        assertTrue(text.contains("leviathan: t-test not available: the losses do not vary over seeds"), text);
        assertTrue(text.contains("attention and leviathan have exactly the same validation loss (2.0000)"), text);
        assertTrue(text.contains("lag weights are initialised to (1, 0, …)"), text);
        assertFalse(text.contains("Not finished"), text);
    }

    @Test
    void identicalLossesAreExplainedAndDifferentOnesAreNot() {
        List<String> notes = IdenticalLosses.notes(List.of("attention", "leviathan", "performer"), List.of(2.45671, 2.45674, 2.5), 4);
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("attention and leviathan have the same validation loss to 4 decimals (2.4567) after 4 steps"), notes.get(0));
        assertTrue(notes.get(0).contains("an untrained Leviathan layer computes attention"), notes.get(0));
        List<String> other = IdenticalLosses.notes(List.of("performer", "synthesizer"), List.of(2.5, 2.5), 4);
        assertTrue(other.get(0).contains("performer and synthesizer have exactly the same validation loss"), other.toString());
        assertEquals(List.of(), IdenticalLosses.notes(List.of("attention", "leviathan"), List.of(2.4567, 2.4568), 4));
        assertEquals(List.of(), IdenticalLosses.notes(List.of("attention", "leviathan"), List.of(Double.NaN, Double.NaN), 4));
    }

    @Test
    void compareNotesIdenticalRows() {
        CompareCommand.Row a = new CompareCommand.Row(), b = new CompareCommand.Row();
        a.mixer = "attention";
        b.mixer = "leviathan";
        a.valLoss = b.valLoss = 3.1;
        assertEquals(1, CompareCommand.notes(List.of(a, b), 4).size());
        b.valLoss = 3.0;
        assertEquals(List.of(), CompareCommand.notes(List.of(a, b), 4));
    }
}
