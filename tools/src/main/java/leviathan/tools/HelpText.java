package leviathan.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The commands' help, kept as text in {@code help/<command>.txt} beside this class: the first line
 * is the one-line summary {@code leviathan --help} lists, the rest (after a blank line) is what
 * {@code leviathan <command> --help} prints. A {@code {{key}}} in the text is a value the command
 * states in code (a default, a list of presets), so the text never repeats a fact the code could change.
 */
final class HelpText {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z_]+)}}");

    private HelpText() {}

    static String summary(String command) {
        String text = raw(command);
        return text.substring(0, text.indexOf('\n'));
    }

    /** The help of {@code command} with its placeholders filled from {@code values}; an unknown one is a bug, so it throws. */
    static String help(String command, Map<String, ?> values) {
        String text = raw(command);
        String body = text.substring(text.indexOf("\n\n") + 2).stripTrailing();
        Matcher m = PLACEHOLDER.matcher(body);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Object v = values.get(m.group(1));
            if (v == null) {
                throw new IllegalStateException("help/" + command + ".txt names {{" + m.group(1) + "}}, which the command does not give");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v.toString()));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String raw(String command) {
        try (InputStream in = HelpText.class.getResourceAsStream("help/" + command + ".txt")) {
            if (in == null) {
                throw new IllegalStateException("no help text for command " + command + " (help/" + command + ".txt)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
