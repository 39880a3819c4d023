package vecnet.weights;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A weights file that vecnet refuses to read: wrong format, corrupt or truncated data, or content
 * outside what a state_dict may hold (for example a pickle global that is not on the allowlist).
 * The message always names the file and the reason.
 */
public class WeightsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public WeightsFormatException(Path file, String reason) {
        super((file == null ? "<stream>" : file.toString()) + ": " + reason);
        this.file = file;
    }

    public WeightsFormatException(Path file, String reason, Throwable cause) {
        super((file == null ? "<stream>" : file.toString()) + ": " + reason, cause);
        this.file = file;
    }

    /** The file that was refused, or null when it came from a stream. */
    public Path file() {
        return file;
    }
}
