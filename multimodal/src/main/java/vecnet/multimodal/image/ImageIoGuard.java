package vecnet.multimodal.image;

import java.awt.image.SampleModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import vecnet.multimodal.ImageFormatException;

/**
 * What must hold before ImageIO is allowed to decode a BMP, GIF or TIFF: ImageIO sizes its buffers
 * from the header, so a tiny file can make it allocate gigabytes (issue 18: a 698-byte TIFF with 256
 * samples of 16 bits per pixel, a 123-byte BMP whose {@code biSizeImage} is 2^31). Checked here:
 * <ul>
 * <li>width × height against the pixel limit;</li>
 * <li>at most 4 samples per pixel and at most 16 bits per sample (so the decoded raster holds at
 *     most 8 bytes per pixel);</li>
 * <li>BMP: a {@code biSizeImage} larger than the file, and BMPs that embed a JPEG or PNG
 *     ({@code BI_JPEG}, {@code BI_PNG}: the embedded image's own size is not the header's, and
 *     Pillow refuses them too), are refused.</li>
 * </ul>
 * The caller checks the decoded image's size against the limit again.
 */
public final class ImageIoGuard {
    private ImageIoGuard() {
    }

    /** Throws {@link ImageFormatException} unless {@code reader} (positioned on {@code data}) may decode image 0. */
    public static void check(Path file, byte[] data, String format, ImageReader reader, Limits limits) throws IOException {
        if (format.equals("bmp")) {
            checkBmp(file, data);
        }
        int width;
        int height;
        try {
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw new ImageFormatException(file, "cannot read the " + format + " header: " + e.getMessage(), e);
        }
        limits.checkSize(file, format, width, height);
        ImageTypeSpecifier type;
        try {
            Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
            // a TIFF whose samples fit no layout ImageIO knows (3-bit palette samples in planes...) gives a null type
            type = types == null || !types.hasNext() ? null : types.next();
        } catch (IOException | RuntimeException e) {
            throw new ImageFormatException(file, "cannot read the " + format + " header: " + e.getMessage(), e);
        }
        if (type == null) {
            throw new ImageFormatException(file, "ImageIO gives no pixel layout for this " + format + " image");
        }
        SampleModel sm = type.getSampleModel();
        int bands = sm.getNumBands();
        if (bands > 4) {
            throw new ImageFormatException(file, "the " + format + " image has " + bands + " samples per pixel; at most 4"
                    + " (RGBA, CMYK) are supported");
        }
        for (int b = 0; b < bands; b++) {
            if (sm.getSampleSize(b) > 16) {
                throw new ImageFormatException(file, "the " + format + " image has " + sm.getSampleSize(b)
                        + "-bit samples; at most 16 bits are supported");
            }
        }
    }

    /** BITMAPINFOHEADER checks: compression (offset 30) and biSizeImage (offset 34). */
    private static void checkBmp(Path file, byte[] d) throws ImageFormatException {
        if (d.length < 26) {
            throw new ImageFormatException(file, "the BMP file is truncated (" + d.length + " bytes)");
        }
        long headerSize = le32(d, 14);
        if (headerSize < 40) {
            return; // OS/2 BITMAPCOREHEADER: no compression field
        }
        if (d.length < 38) {
            throw new ImageFormatException(file, "the BMP file is truncated (" + d.length + " bytes)");
        }
        long compression = le32(d, 30);
        long sizeImage = le32(d, 34);
        if (compression == 4 || compression == 5) {
            throw new ImageFormatException(file, "a BMP holding an embedded " + (compression == 4 ? "JPEG" : "PNG")
                    + " is not supported (Pillow does not open it either)");
        }
        if (sizeImage > d.length) {
            throw new ImageFormatException(file, "the BMP header declares " + sizeImage + " bytes of pixels, but the file"
                    + " has " + d.length + " bytes");
        }
    }

    private static long le32(byte[] d, int p) {
        return (d[p] & 0xFFL) | (d[p + 1] & 0xFFL) << 8 | (d[p + 2] & 0xFFL) << 16 | (d[p + 3] & 0xFFL) << 24;
    }
}
