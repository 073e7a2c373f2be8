package leviathan.trainer;

/**
 * Ctrl-C (SIGINT), SIGTERM (what schedulers send before they kill a job) and SIGHUP during
 * training: the first asks the loop to finish its step, save and exit with 128 + the signal's
 * number (130, 143, 129). A second one quits at once, except while a checkpoint is being committed:
 * then it waits for the commit, so a signal never tears a save (a commit is atomic anyway; this
 * keeps the newest step too).
 */
public final class StopSignal {
    private static volatile String requested;
    private static volatile boolean saving;
    private static volatile boolean quitAfterSave;
    private static boolean installed;

    private StopSignal() {}

    @SuppressWarnings("removal")
    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> onSignal(name));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // not on this platform (or claimed by the JVM): that signal just ends the process
            }
        }
    }

    private static void onSignal(String name) {
        if (requested != null) {
            if (saving) {
                quitAfterSave = true;
                System.err.println("\n" + name + ": a checkpoint is being committed; quitting as soon as it is");
                return;
            }
            Runtime.getRuntime().halt(exitCode(name));
        }
        requested = name;
        System.err.println("\n" + name + ": finishing this step and saving a checkpoint (again to quit now)");
    }

    /** 128 + the signal number, as a shell reports a process ended by it. */
    public static int exitCode(String signal) {
        switch (signal) {
            case "HUP": return 129;
            case "TERM": return 143;
            default: return 130;
        }
    }

    public static boolean requested() {
        return requested != null;
    }

    /** The signal that asked to stop ("INT", "TERM", "HUP"), or null. */
    public static String signal() {
        return requested;
    }

    /** Runs a commit with a second signal deferred until it is done. */
    public static <E extends Exception> void whileSaving(ThrowingRunnable<E> commit) throws E {
        saving = true;
        try {
            commit.run();
        } finally {
            saving = false;
            if (quitAfterSave) {
                Runtime.getRuntime().halt(exitCode(requested == null ? "INT" : requested));
            }
        }
    }

    @FunctionalInterface
    public interface ThrowingRunnable<E extends Exception> {
        void run() throws E;
    }

    /** For tests and embedders: ask the loop to stop after the current step. */
    public static void request() {
        requested = "INT";
    }

    public static void clear() {
        requested = null;
        quitAfterSave = false;
    }
}
