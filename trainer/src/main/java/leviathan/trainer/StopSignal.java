package leviathan.trainer;

/**
 * Ctrl-C during training: the first one asks the loop to finish its step and save; a second one
 * exits at once (checkpoint writes are atomic, so nothing saved is torn).
 */
public final class StopSignal {
    private static volatile boolean requested;
    private static volatile boolean installed;

    private StopSignal() {}

    @SuppressWarnings("removal")
    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> {
                if (requested) {
                    Runtime.getRuntime().halt(130);
                }
                requested = true;
                System.err.println("\ninterrupt: finishing this step and saving a checkpoint (Ctrl-C again to quit now)");
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // No SIGINT on this platform: training just runs to the end.
        }
    }

    public static boolean requested() {
        return requested;
    }

    /** For tests and embedders: ask the loop to stop after the current step. */
    public static void request() {
        requested = true;
    }

    public static void clear() {
        requested = false;
    }
}
