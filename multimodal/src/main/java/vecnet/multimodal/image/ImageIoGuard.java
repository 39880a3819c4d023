package vecnet.multimodal.image;

import java.awt.image.DataBuffer;
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
 * <li>TIFF: the pixel limit divided by how much slower than 8-bit samples ImageIO decodes the
 *     layout ({@link #tiffSlowdown}: 6 for 16-bit samples, 24 for sub-byte samples packed several to
 *     a pixel), so that no layout takes more than a few seconds;</li>
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
        if (format.startsWith("tif")) {
            int slowdown = tiffSlowdown(sm);
            if ((long) width * height * slowdown > limits.maxPixels()) {
                throw new ImageFormatException(file, "the tif image is " + width + "x" + height + " pixels of " + bands
                        + " samples of " + sm.getSampleSize(0) + " bits, a layout ImageIO decodes " + slowdown + " times"
                        + " slower than 8-bit samples: more than the limit of " + limits.maxPixels() / slowdown
                        + " pixels for it");
            }
        }
    }

    /**
     * How much slower than 8-bit samples ImageIO's TIFF reader decodes this layout, rounded up: the
     * pixel limit is divided by it. Measured with ImageIO on JDK 17 (a busy 2-core AMD EPYC, so
     * noisy), 4-megapixel Deflate TIFFs: 8-bit grey, RGB and CMYK 10 to 45 ns a pixel, one packed
     * band of 1 to 4 bits 20 to 30 (factor 1); 16-bit (and 12-bit, which ImageIO widens to 16)
     * samples 50 ns a pixel for grey, 170 to 220 for RGB and CMYK (factor 6); several samples of
     * fewer than 8 bits packed in a pixel, 480 ns (factor 24). Found by
     * {@code FuzzImageStructureTest.structuredTiffs}: a 600-byte TIFF (every strip pointing at one
     * deflated block) of 100 megapixels of 4-bit RGB would take about 45 s.
     */
    static int tiffSlowdown(SampleModel sm) {
        if (sm.getDataType() == DataBuffer.TYPE_BYTE && (sm.getNumBands() == 1 || allSamplesAre(sm, 8))) {
            return 1;
        }
        if (sm.getDataType() == DataBuffer.TYPE_USHORT && allSamplesAre(sm, 16)) {
            return 6;
        }
        return 24;
    }

    private static boolean allSamplesAre(SampleModel sm, int bits) {
        for (int b = 0; b < sm.getNumBands(); b++) {
            if (sm.getSampleSize(b) != bits) {
                return false;
            }
        }
        return true;
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
