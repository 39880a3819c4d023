package vecnet.multimodal;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import vecnet.multimodal.image.ExifOrientation;
import vecnet.multimodal.image.ImageIoGuard;
import vecnet.multimodal.image.JpegDecoder;
import vecnet.multimodal.image.Limits;
import vecnet.multimodal.image.PngDecoder;
import vecnet.multimodal.image.Rgb8;
import vecnet.multimodal.image.RgbRows;
import vecnet.multimodal.image.TiffTags;

/**
 * Decodes an image file into an 8-bit {@link ImageRgb}, giving the same bytes as Pillow 9.4's
 * {@code Image.open(f).convert('RGB')}, checked bit for bit on one file per encoding
 * ({@code weights/fixtures/images}, written by {@code weights/python/make_image_fixtures.py}).
 *
 * <ul>
 * <li><b>PNG</b>: our own decoder ({@link vecnet.multimodal.image.PngDecoder}): every colour type and bit
 *     depth, Adam7; 16-bit grey is clipped to 255 (Pillow's mode I), other 16-bit samples keep their
 *     high byte; alpha and tRNS dropped; gAMA, cHRM, sRGB and iCCP ignored, as Pillow ignores them.</li>
 * <li><b>JPEG</b>: ImageIO's raw samples converted as libjpeg-turbo and Pillow convert them
 *     ({@link vecnet.multimodal.image.JpegDecoder}): an embedded ICC profile is ignored; the Adobe
 *     APP14 transform and JFIF decide between RGB, YCbCr, CMYK and YCCK; CMYK and YCCK go through
 *     Pillow's {@code cmyk2rgb}.</li>
 * <li><b>BMP, GIF (first frame), TIFF</b>: ImageIO, read from the {@link Raster} (never
 *     {@code getRGB}, which colour-converts grey), after {@link vecnet.multimodal.image.ImageIoGuard}
 *     has checked the header; a palette TIFF uses Pillow's {@code v >> 8} of its 16-bit colour map; an
 *     8-bit CMYK TIFF goes through {@code cmyk2rgb}.</li>
 * </ul>
 *
 * <p><b>EXIF orientation is ignored</b>, as {@code Image.open} and the seed's transform ignore it: a
 * photo stored sideways is decoded sideways. {@link #withExifTranspose} turns it upright as
 * {@code ImageOps.exif_transpose} does.
 *
 * <p>Refused with one {@link ImageFormatException} line naming the file: a missing, empty, special or
 * over-1-GiB file; a format other than PNG, JPEG, GIF, BMP and TIFF; a truncated file (for JPEG, one
 * that ends before its EOI marker; for PNG, image data that ends before the last row or a bad chunk
 * CRC); more than {@link #maxPixels()} pixels, checked from the header before anything is allocated
 * and again on what ImageIO decoded; more than 4 samples per pixel or more than 16 bits per sample;
 * a BMP whose {@code biSizeImage} exceeds the file, or that embeds a JPEG or PNG; a JPEG with more
 * than {@value vecnet.multimodal.image.Limits#MAX_SCANS} scans or more than
 * {@value vecnet.multimodal.image.Limits#MAX_SCAN_WORK} units of decoding work
 * ({@link vecnet.multimodal.image.Limits#scanWork}: a progressive scan bomb);
 * arithmetic-coded, lossless, hierarchical and 12-bit JPEGs (ImageIO cannot decode them).
 *
 * <p>Every JPEG chroma subsampling (4:4:0 and other h1v2 ratios are upsampled as libjpeg-turbo does
 * even where the JDK's libjpeg 6b would replicate them) and restart intervals decode as Pillow does.
 *
 * <p>Known differences with Pillow, not detected: a GIF whose
 * first frame is smaller than its logical screen (Pillow pads it to the screen); 16-bit TIFF.
 *
 * <p>Immutable and thread-safe.
 */
public final class ImageDecoder {
    /** The default pixel limit, 100 megapixels (Pillow's own bomb limit is 89.5 megapixels, a warning). */
    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

    private static final System.Logger LOG = System.getLogger("vecnet.multimodal");

    /** ImageIO format names that Pillow also opens; others (WBMP, whose sniffer accepts many non-images) are refused. */
    private static final Set<String> FORMATS = Set.of("png", "jpeg", "jpg", "gif", "bmp", "tif", "tiff");

    /** The largest image file read: {@value} bytes (1 GiB; the file is read into memory). */
    public static final long MAX_FILE_BYTES = 1L << 30;

    private final long maxPixels;
    private final boolean exifTranspose;

    private ImageDecoder(long maxPixels, boolean exifTranspose) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("the pixel limit must be at least 1, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
        this.exifTranspose = exifTranspose;
    }

    /** A decoder with the default limit of {@value #DEFAULT_MAX_PIXELS} pixels. */
    public static ImageDecoder create() {
        return new ImageDecoder(DEFAULT_MAX_PIXELS, false);
    }

    /** A decoder that refuses images with more than {@code maxPixels} pixels (width × height). */
    public static ImageDecoder withMaxPixels(long maxPixels) {
        return new ImageDecoder(maxPixels, false);
    }

    /**
     * This decoder, but turning the pixels upright as the file's EXIF Orientation tag says, like
     * Pillow's {@code ImageOps.exif_transpose(Image.open(f)).convert('RGB')} (JPEG APP1, PNG eXIf, TIFF).
     * Off by default, because {@code Image.open} and the seed's transform ignore the tag: a model
     * trained on such input saw the stored pixels, sideways or not.
     */
    public ImageDecoder withExifTranspose(boolean on) {
        return new ImageDecoder(maxPixels, on);
    }

    /** Whether {@link #withExifTranspose} is on. */
    public boolean exifTranspose() {
        return exifTranspose;
    }

    /** The largest width × height this decoder accepts. */
    public long maxPixels() {
        return maxPixels;
    }

    /**
     * Reads {@code file} as {@code Image.open(file).convert('RGB')} would.
     *
     * @throws NoSuchFileException if the file does not exist
     * @throws ImageFormatException if the file is refused (see the class comment); the message names the file
     * @throws IOException on a read error
     */
    public ImageRgb decode(Path file) throws IOException {
        return decode(file, readFile(file));
    }

    /**
     * The same pixels as {@link #decode(Path)}, for the resize to read strip by strip: a YCbCr JPEG
     * stays in ImageIO's samples and is converted strip by strip ({@link JpegDecoder#decodeRows});
     * anything else is decoded whole.
     */
    RgbRows decodeRows(Path file) throws IOException {
        byte[] data = readFile(file);
        if (!exifTranspose && JpegDecoder.sniff(data)) {
            return JpegDecoder.decodeRows(file, data, new Limits(maxPixels));
        }
        ImageRgb img = decode(file, data);
        return new Rgb8(img.width(), img.height(), img.pixels());
    }

    /** The whole file, after the checks of the class comment (exists, regular, not empty, not over 1 GiB). */
    private static byte[] readFile(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "image file not found");
        }
        if (Files.isDirectory(file)) {
            throw new ImageFormatException(file, "is a directory, not an image file");
        }
        if (!Files.isRegularFile(file)) {
            throw new ImageFormatException(file, "is not a regular file (a pipe or a device?)");
        }
        long size = Files.size(file);
        if (size == 0) {
            throw new ImageFormatException(file, "the file is empty (0 bytes)");
        }
        if (size > MAX_FILE_BYTES) {
            throw new ImageFormatException(file, "the file is " + size + " bytes, more than the limit of "
                    + MAX_FILE_BYTES + " for an image");
        }
        return Files.readAllBytes(file);
    }

    /** Decodes the contents of an image file; {@code file} only names it in messages. */
    ImageRgb decode(Path file, byte[] data) throws IOException {
        Limits limits = new Limits(maxPixels);
        Rgb8 rgb;
        if (PngDecoder.sniff(data)) {
            rgb = PngDecoder.decode(file, data, limits);
        } else if (JpegDecoder.sniff(data)) {
            rgb = JpegDecoder.decode(file, data, limits);
        } else {
            ImageRgb img = decodeWithImageIo(file, data, limits);
            rgb = new Rgb8(img.width(), img.height(), img.pixels());
        }
        if (exifTranspose) {
            rgb = ExifOrientation.transpose(rgb, ExifOrientation.read(data));
        }
        return ImageRgb.wrap(rgb.width(), rgb.height(), rgb.rgb());
    }

    /** BMP, GIF and TIFF, through ImageIO once their headers have passed {@link ImageIoGuard}. */
    private ImageRgb decodeWithImageIo(Path file, byte[] data, Limits limits) throws IOException {
        byte[] head = Arrays.copyOf(data, Math.min(data.length, 32));
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageFormatException(file, "not an image format ImageIO can read (it starts with "
                        + describeHead(head) + ")");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toLowerCase(Locale.ROOT);
            if (!FORMATS.contains(format)) {
                reader.dispose();
                throw new ImageFormatException(file, "the " + format + " format is not supported (Pillow does not read it"
                        + " the same way); use PNG, JPEG, BMP, GIF or TIFF");
            }
            try {
                reader.setInput(in, true, true);
                ImageIoGuard.check(file, data, format, reader, limits);
                ImageRgb rgb = read(file, data, reader);
                limits.checkSize(file, format, rgb.width(), rgb.height());
                return rgb;
            } finally {
                reader.dispose();
            }
        }
    }

    private ImageRgb read(Path file, byte[] data, ImageReader reader) throws IOException {
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        int width;
        int height;
        try {
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw new ImageFormatException(file, "cannot read the " + format + " header: " + e.getMessage(), e);
        }
        new Limits(maxPixels).checkSize(file, format, width, height);

        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        BufferedImage image;
        try {
            image = reader.read(0);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ImageFormatException(file, "cannot decode the " + format + " data (truncated or corrupt?): " + why, e);
        }
        for (String w : warnings) {
            if (w.toLowerCase(Locale.ROOT).contains("premature end")) {
                throw new ImageFormatException(file, "the " + format + " data is truncated (ImageIO: \"" + w
                        + "\"); refusing a half-decoded image");
            }
        }
        if (!warnings.isEmpty()) {
            LOG.log(Level.DEBUG, () -> file + ": ImageIO warnings while decoding: " + warnings);
        }
        if (format.startsWith("tif") && image.getColorModel() instanceof IndexColorModel icm) {
            image = withTiffPalette(data, image, icm);
        }
        return toRgb(file, image);
    }

    /**
     * A palette TIFF with the palette Pillow uses: the 16-bit ColorMap entries shifted right by 8
     * (ImageIO scales them to 8 bits with rounding, one level off for most entries).
     */
    private static BufferedImage withTiffPalette(byte[] data, BufferedImage image, IndexColorModel icm) {
        TiffTags tags = TiffTags.read(data);
        long[] map = tags == null ? null : tags.values(320, 3 * 65_536);   // ColorMap: R..., G..., B...
        int n = icm.getMapSize();
        if (map == null || map.length != 3 * n) {
            return image;
        }
        byte[][] rgb = new byte[3][n];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < n; i++) {
                rgb[c][i] = (byte) (map[c * n + i] >> 8);
            }
        }
        IndexColorModel pillow = new IndexColorModel(icm.getPixelSize(), n, rgb[0], rgb[1], rgb[2]);
        return new BufferedImage(pillow, image.getRaster(), false, null);
    }

    /**
     * An image already in memory (e.g. from {@code ImageIO.read} or drawn with Java2D) as RGB uint8,
     * read from its raster with the rules of the class comment (16-bit gray is clipped as Pillow
     * does with a 16-bit grayscale PNG). Gray, palette and RGB colour models are accepted.
     *
     * @throws ImageFormatException for other colour models (CMYK...) or an image too large for one array
     */
    public static ImageRgb toRgb(BufferedImage image) throws ImageFormatException {
        return toRgb(null, image);
    }

    /** Converts a decoded image to RGB uint8 following Pillow's {@code convert('RGB')} (class comment). */
    static ImageRgb toRgb(Path file, BufferedImage image) throws ImageFormatException {
        int w = image.getWidth();
        int h = image.getHeight();
        if ((long) w * h * 3 > Integer.MAX_VALUE - 8) {
            throw new ImageFormatException(file, "a " + w + "x" + h + " RGB image does not fit in one Java array");
        }
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        byte[] out = new byte[w * h * 3];

        if (cm instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            byte[] r = new byte[n];
            byte[] g = new byte[n];
            byte[] b = new byte[n];
            icm.getReds(r);
            icm.getGreens(g);
            icm.getBlues(b);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
                int o = y * w * 3;
                for (int x = 0; x < w; x++, o += 3) {
                    int i = row[x];
                    if (i < n) { // an index past the palette's end reads as black, as in Pillow
                        out[o] = r[i];
                        out[o + 1] = g[i];
                        out[o + 2] = b[i];
                    }
                }
            }
            return ImageRgb.wrap(w, h, out);
        }

        int csType = cm.getColorSpace().getType();
        int bands = raster.getNumBands();
        int[] src; // which raster band feeds R, G, B
        if (csType == ColorSpace.TYPE_GRAY && bands >= 1) {
            src = new int[] {0, 0, 0};
        } else if (csType == ColorSpace.TYPE_RGB && bands >= 3) {
            src = new int[] {0, 1, 2};
        } else if (csType == ColorSpace.TYPE_CMYK && bands == 4 && raster.getSampleModel().getSampleSize(0) == 8) {
            return cmykToRgb(raster, w, h, out);
        } else {
            throw new ImageFormatException(file, "colour space with " + cm.getNumColorComponents()
                    + " components (type " + csType + ", " + bands + " bands) is not supported; only gray,"
                    + " palette and RGB images are");
        }
        SampleModel sm = raster.getSampleModel();
        int dataType = sm.getDataType();
        if (dataType == DataBuffer.TYPE_FLOAT || dataType == DataBuffer.TYPE_DOUBLE) {
            throw new ImageFormatException(file, "floating-point samples are not supported; only 1 to 16-bit integer images are");
        }
        int[] bits = {sm.getSampleSize(src[0]), sm.getSampleSize(src[1]), sm.getSampleSize(src[2])};
        for (int b : bits) {
            if (b < 1 || b > 16) {
                throw new ImageFormatException(file, b + "-bit samples are not supported; only 1 to 16-bit integer images are");
            }
        }
        if (bits[0] == 8 && bits[1] == 8 && bits[2] == 8 && fastCopy8(raster, src, w, h, out)) {
            return ImageRgb.wrap(w, h, out);
        }
        // Pillow reads 16-bit grayscale (no alpha) as mode I, and I -> RGB clips at 255; every other
        // 16-bit layout keeps the high byte.
        boolean clip16 = csType == ColorSpace.TYPE_GRAY && !cm.hasAlpha();
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            int o = y * w * 3;
            for (int x = 0; x < w; x++) {
                int base = x * bands;
                for (int c = 0; c < 3; c++) {
                    out[o++] = (byte) toU8(row[base + src[c]], bits[c], clip16);
                }
            }
        }
        return ImageRgb.wrap(w, h, out);
    }

    /** An 8-bit CMYK raster (a TIFF; Pillow reads its samples as they are, mode CMYK) through Pillow's {@code cmyk2rgb}. */
    private static ImageRgb cmykToRgb(Raster raster, int w, int h, byte[] out) {
        int[] row = new int[w * 4];
        for (int y = 0, o = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++, o += 3) {
                int nk = 255 - row[4 * x + 3];
                out[o] = (byte) JpegDecoder.cmykChannel(row[4 * x], nk);
                out[o + 1] = (byte) JpegDecoder.cmykChannel(row[4 * x + 1], nk);
                out[o + 2] = (byte) JpegDecoder.cmykChannel(row[4 * x + 2], nk);
            }
        }
        return ImageRgb.wrap(w, h, out);
    }

    /** One sample of {@code bits} bits to 0..255. */
    private static int toU8(int v, int bits, boolean clip16) {
        if (bits == 8) {
            return v;
        }
        if (bits == 16) {
            return clip16 ? Math.min(v, 255) : v >>> 8;
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        // 1..7 bits: scale to 0..255 (exact for the 1/2/4-bit grayscale Pillow unpacks as v*255, v*85, v*17;
        // 5/6-bit BMP channels are not checked against Pillow)
        return v * 255 / ((1 << bits) - 1);
    }

    /** Copies 8-bit interleaved bytes (e.g. {@code TYPE_3BYTE_BGR}, {@code TYPE_4BYTE_ABGR}) straight from the buffer. */
    private static boolean fastCopy8(Raster raster, int[] src, int w, int h, byte[] out) {
        if (!(raster.getSampleModel() instanceof ComponentSampleModel csm)
                || !(raster.getDataBuffer() instanceof DataBufferByte db)
                || db.getNumBanks() != 1 || raster.getMinX() != 0 || raster.getMinY() != 0
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0
                || csm.getDataType() != DataBuffer.TYPE_BYTE) {
            return false;
        }
        for (int bank : csm.getBankIndices()) {
            if (bank != 0) {
                return false;
            }
        }
        byte[] data = db.getData();
        int[] bandOffsets = csm.getBandOffsets();
        int pixelStride = csm.getPixelStride();
        int scanline = csm.getScanlineStride();
        int r = bandOffsets[src[0]] + db.getOffset();
        int g = bandOffsets[src[1]] + db.getOffset();
        int b = bandOffsets[src[2]] + db.getOffset();
        int o = 0;
        for (int y = 0; y < h; y++) {
            int p = y * scanline;
            for (int x = 0; x < w; x++, p += pixelStride) {
                out[o++] = data[p + r];
                out[o++] = data[p + g];
                out[o++] = data[p + b];
            }
        }
        return true;
    }

    private static String describeHead(byte[] head) {
        boolean text = true;
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < head.length; i++) {
            int b = head[i] & 0xFF;
            if (i < 8) {
                hex.append(i > 0 ? " " : "").append(String.format(Locale.ROOT, "%02x", b));
            }
            text &= b == '\t' || b == '\n' || b == '\r' || (b >= 0x20 && b != 0x7F);
        }
        return "bytes " + hex + (text ? ", which look like text" : "");
    }
}
