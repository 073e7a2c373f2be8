package leviathan.tools;

/** A failure to report as one line and an exit code (2 usage, 1 bad input or I/O, 3 diverged). */
final class CliException extends RuntimeException {
    final int exitCode;

    CliException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }
}
