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
     * At most this many scans in one JPEG. ImageIO decodes a JPEG of several scans (progressive, or
     * one scan per component) in libjpeg's buffered-image mode and runs a whole output pass (IDCT,
     * upsampling, one call back into Java per row) after every scan, so a file of many tiny scans
     * costs scans × the picture (issue 18: 1,300 scans of 100 bytes over 98.6 megapixels took 77 s).
     * Real encoders write 6 to 20 scans; the largest legal script with successive approximation of
     * every bit of every coefficient band is far below this.
     */
    public static final int MAX_SCANS = 400;
    /**
     * At most this much decoding work in one JPEG, in the units of {@link #scanWork}. Measured with
     * ImageIO on JDK 17 (a busy 2-core AMD EPYC, so noisy): about 2.2 to 3 ns a unit for grey,
     * YCbCr and CMYK pictures, 8 × 65,000 strips included, so the limit is about 3 s of decoding
     * (the fuzzer's inputs aimed at it took 2.5 to 3.4 s), plus the colour conversion of the picture.
     * It admits a 100-megapixel colour photo of one scan (baseline) or a 40-megapixel one of
     * libjpeg's usual 10 progressive scans; a 100-megapixel progressive photo is refused (ImageIO would
     * take about 25 s) and must be re-encoded as baseline.
     */
    public static final long MAX_SCAN_WORK = 1_200_000_000L;

    /**
     * The decoding work of a JPEG of {@code scans} scans over {@code width} × {@code height} pixels of
     * {@code components} components: {@code scans × H × (components × W + 256)} with W, H rounded up
     * to whole 8×8 blocks. Each scan costs one output pass over every sample of every component, plus
     * a fixed cost per row (about 0.4 µs, 256 samples' worth: a 8-pixel-wide strip of 65,000 rows
     * and 400 scans took 13 s though it holds only 0.5 megapixels).
     */
    public static long scanWork(long scans, long width, long height, long components) {
        long w = (width + 7) / 8 * 8;
        long h = (height + 7) / 8 * 8;
        return scans * h * (components * w + 256);
    }

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
