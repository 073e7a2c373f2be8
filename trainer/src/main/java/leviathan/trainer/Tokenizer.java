package leviathan.trainer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Character tokenizer: the sorted set of characters (Unicode code points) of the data file (SPEC 3). */
public final class Tokenizer {
    private final List<String> vocab;
    private final Map<Integer, Integer> ids = new HashMap<>();

    public Tokenizer(List<String> vocab) {
        this.vocab = Collections.unmodifiableList(new ArrayList<>(vocab));
        for (int i = 0; i < vocab.size(); i++) {
            String ch = vocab.get(i);
            if (ch.codePointCount(0, ch.length()) != 1) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is not a single character");
            }
            ids.put(ch.codePointAt(0), i);
        }
    }

    public static Tokenizer fromText(String text) {
        TreeSet<Integer> cps = new TreeSet<>();
        text.codePoints().forEach(cps::add);
        List<String> vocab = new ArrayList<>();
        for (int cp : cps) {
            vocab.add(new String(Character.toChars(cp)));
        }
        return new Tokenizer(vocab);
    }

    public List<String> vocab() {
        return vocab;
    }

    public int size() {
        return vocab.size();
    }

    /** Token ids of the text; throws naming the first character outside the vocabulary. */
    public int[] encode(String text) {
        int[] out = new int[text.codePointCount(0, text.length())];
        int i = 0;
        for (int off = 0; off < text.length(); ) {
            int cp = text.codePointAt(off);
            Integer id = ids.get(cp);
            if (id == null) {
                throw new IllegalArgumentException("character " + describe(cp) + " is not in the model's vocabulary of " + vocab.size());
            }
            out[i++] = id;
            off += Character.charCount(cp);
        }
        return out;
    }

    public String decode(int[] tokens, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append(vocab.get(tokens[i]));
        }
        return sb.toString();
    }

    public String decode(int token) {
        return vocab.get(token);
    }

    private static String describe(int cp) {
        if (cp == '\n') {
            return "'\\n'";
        }
        return Character.isISOControl(cp) ? String.format("U+%04X", cp) : "'" + new String(Character.toChars(cp)) + "' (U+" + String.format("%04X", cp) + ")";
    }
}
