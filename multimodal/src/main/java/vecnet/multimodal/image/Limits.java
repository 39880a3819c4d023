package vecnet.multimodal.image;

import java.nio.file.Path;
import vecnet.multimodal.ImageFormatException;

/**
 * The bounds every decoder of this package checks before it allocates or decodes: the pixel limit
 * (width × height, from the header and again on what was decoded) and the work limit of a
 * progressive JPEG.
 *
 * @param maxPixels the largest width × height accepted
 */
public record Limits(long maxPixels) {
    /**
     * At most this many scans in one JPEG. libjpeg re-reads the whole coefficient buffer at every
     * scan of a progressive file, so a file of many tiny scans costs scans × pixels (issue 18: 1,300
     * scans of 100 bytes over 98.6 megapixels took 77 s). Real encoders write 6 to 20 scans; the
     * largest legal script with successive approximation of every bit of every coefficient band is
     * far below this.
     */
    public static final int MAX_SCANS = 400;
    /** At most this many pixel-scans (scans × width × height): 24 full passes over a 100-megapixel image, about 2 s. */
    public static final long MAX_SCAN_PIXELS = 2_400_000_000L;

    public Limits {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("the pixel limit must be at least 1, got " + maxPixels);
        }
    }

    /** Refuses a width × height that is empty or over the limit; {@code what} names the format for the message. */
    public void checkSize(Path file, String what, long width, long height) throws ImageFormatException {
        if (width < 1 || height < 1) {
            throw new ImageFormatException(file, "the " + what + " header gives an empty image " + width + "x" + height);
        }
        if (width * height > maxPixels) {
            throw new ImageFormatException(file, "the image is " + width + "x" + height + " = " + width * height
                    + " pixels, more than the limit of " + maxPixels + " (ImageDecoder.withMaxPixels raises it)");
        }
        if (width * height * 3 > Integer.MAX_VALUE - 8) {
            throw new ImageFormatException(file, "a " + width + "x" + height + " RGB image does not fit in one Java array");
        }
    }
}
