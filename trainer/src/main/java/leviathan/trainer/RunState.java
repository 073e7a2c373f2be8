package leviathan.trainer;

import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;

/**
 * Where a run stands at a committed checkpoint, beside the tensors ({@code state.json} of a set):
 * the step, the data generator's state, the training config, how far {@code metrics.jsonl} had got,
 * the training time so far, and the latest losses. Resume restores the first four exactly; the rest
 * is for {@code info}, plots and "best".
 *
 * @param metricsBytes bytes of metrics.jsonl at the commit: a resume drops what a crashed run logged after it
 * @param elapsedSeconds seconds of training (wall clock, summed over resumed sessions)
 * @param lastValLoss the validation loss of the latest evaluation
 * @param lastValStep its step (−1 if none yet)
 * @param savedAt when the set was committed, ISO-8601 UTC
 */
public record RunState(int step, long rngState, Map<String, Object> trainConfig, long metricsBytes, double elapsedSeconds,
                       long tokensSeen, double lastTrainLoss, double lastValLoss, int lastValStep, String savedAt) {
    public static final String FILE = "state.json";
    static final String FORMAT = "leviathan-1-run-state";

    /** Whether this set's validation loss was measured at its own step (a candidate for "best"). */
    public boolean evaluatedHere() {
        return lastValStep == step && Double.isFinite(lastValLoss);
    }

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().setPrettyPrinting().create();

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("step", step);
        m.put("rng_state", Long.toString(rngState)); // as text: a long does not survive a JSON double
        m.put("train_config", trainConfig);
        m.put("metrics_bytes", metricsBytes);
        m.put("elapsed_s", elapsedSeconds);
        m.put("tokens_seen", tokensSeen);
        m.put("last_train_loss", lastTrainLoss);
        m.put("last_val_loss", lastValLoss);
        m.put("last_val_step", lastValStep);
        m.put("saved_at", savedAt);
        return GSON.toJson(m) + "\n";
    }

    /** Parses a state file; {@code where} names it in the message of a malformed one. */
    public static RunState fromJson(String json, String where) throws CheckpointException {
        try {
            Type type = new TypeToken<Map<String, Object>>() {}.getType();
            Map<String, Object> m = GSON.fromJson(json, type);
            if (m == null || !FORMAT.equals(m.get("format"))) {
                throw new CheckpointException(where + " is not a Leviathan run state");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> cfg = (Map<String, Object>) m.get("train_config");
            if (cfg == null) {
                throw new CheckpointException(where + " has no training config");
            }
            return new RunState(integer(m, "step"), Long.parseLong((String) m.get("rng_state")), cfg, (long) number(m, "metrics_bytes"),
                    number(m, "elapsed_s"), (long) number(m, "tokens_seen"), number(m, "last_train_loss"), number(m, "last_val_loss"),
                    integer(m, "last_val_step"), String.valueOf(m.get("saved_at")));
        } catch (JsonParseException | ClassCastException | NumberFormatException | NullPointerException e) {
            throw new CheckpointException(where + " is damaged (not the run state this version writes)", e);
        }
    }

    private static double number(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof String text) { // NaN and infinities are written bare and read back as text
            return Double.parseDouble(text);
        }
        return v == null ? Double.NaN : ((Number) v).doubleValue();
    }

    private static int integer(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }
}
