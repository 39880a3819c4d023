package vecnet.multimodal.parquet;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A Parquet file that vecnet refuses to read: not Parquet, corrupt or truncated, a declared size
 * beyond the reader's limits, or a feature this small reader does not implement (an encoding or
 * codec other than those {@link ParquetFile} lists). The message names the file and the reason.
 */
public class ParquetFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public ParquetFormatException(Path file, String reason) {
        super((file == null ? "<bytes>" : file.toString()) + ": " + reason);
        this.file = file;
    }

    /** The file that was refused, or null when it came from memory. */
    public Path file() {
        return file;
    }
}
