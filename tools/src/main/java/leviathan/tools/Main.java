package leviathan.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code leviathan} command: one entry point, a subcommand each, {@code --help} on each. */
public final class Main {
    private Main() {}

    /**
     * A subcommand. Its name is its class name without "Command", in lower case ({@code TrainCommand}
     * is {@code train}); its summary and help are the text {@code help/<name>.txt} ({@link HelpText}).
     */
    interface Command {
        int run(String[] args) throws IOException;

        /** The values the help text names as {@code {{key}}}. */
        default Map<String, ?> helpValues() {
            return Map.of();
        }
    }

    /** The commands, in the order {@code leviathan --help} lists them. */
    static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        Command[] all = {new TrainCommand(), new SampleCommand(), new EvalCommand(), new InfoCommand(), new BenchCommand(),
            new DevicesCommand(), new ApproxCommand(), new CompareCommand(), new ScaleCommand(), new PlotCommand(),
            new ExportCommand(), new StudyCommand()};
        for (Command c : all) {
            COMMANDS.put(c.getClass().getSimpleName().replace("Command", "").toLowerCase(java.util.Locale.ROOT), c);
        }
    }

    static String help(String name) {
        return HelpText.help(name, COMMANDS.get(name).helpValues());
    }

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    /** Runs a command line and returns the exit code (tests call this). */
    public static int run(String[] argv) {
        boolean debug = java.util.Arrays.asList(argv).contains("--debug");
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            System.out.println(usage());
            return argv.length == 0 ? 2 : 0;
        }
        Command cmd = COMMANDS.get(argv[0]);
        if (cmd == null) {
            System.err.println("error: unknown command '" + argv[0] + "'\n" + usage());
            return 2;
        }
        String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
        if (java.util.Arrays.asList(rest).contains("--help") || java.util.Arrays.asList(rest).contains("-h")) {
            System.out.println(help(argv[0]));
            return 0;
        }
        try {
            return cmd.run(rest);
        } catch (CliException e) {
            return fail(e.getMessage(), e.exitCode, e, debug);
        } catch (IllegalArgumentException e) {
            return fail(e.getMessage(), 2, e, debug);
        } catch (IOException | UncheckedIOException e) {
            return fail(e.getMessage(), 1, e, debug);
        } catch (OutOfMemoryError e) {
            return fail("out of memory: use a smaller batch or model, or give the JVM more (JAVA_OPTS=-Xmx8g)", 1, e, debug);
        } catch (RuntimeException e) {
            return fail("internal error: " + e, 1, e, true);
        }
    }

    private static int fail(String message, int code, Throwable t, boolean debug) {
        System.err.println("error: " + message);
        if (debug) {
            t.printStackTrace();
        }
        return code;
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("usage: leviathan <command> [--options]   (leviathan <command> --help for details)\n\ncommands:\n");
        COMMANDS.forEach((k, v) -> sb.append(String.format("  %-8s %s%n", k, HelpText.summary(k))));
        sb.append("\ncommon options: --debug (stack traces), --threads N (JVM backend threads; default all cores)");
        return sb.toString();
    }
}
