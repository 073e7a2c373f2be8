package leviathan.trainer;

import java.io.IOException;

/** A checkpoint that cannot be used (missing, damaged, from another run), in the project's own words. */
public final class CheckpointException extends IOException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
