package vecnet.multimodal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An image file that vecnet refuses to decode: empty, not an image, truncated, too large, or in a
 * colour model whose conversion to RGB would not match Pillow's {@code convert('RGB')} (CMYK).
 * The message always names the file and the reason.
 */
public class ImageFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public ImageFormatException(Path file, String reason) {
        super(name(file) + ": " + reason);
        this.file = file;
    }

    public ImageFormatException(Path file, String reason, Throwable cause) {
        super(name(file) + ": " + reason, cause);
        this.file = file;
    }

    /** The file that was refused, or null when the image came from a stream. */
    public Path file() {
        return file;
    }

    private static String name(Path file) {
        return file == null ? "<stream>" : file.toString();
    }
}
