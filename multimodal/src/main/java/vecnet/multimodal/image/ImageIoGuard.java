package vecnet.multimodal.image;

import java.awt.image.DataBuffer;
import java.awt.image.SampleModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
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
 * <li>TIFF: the area of its tiles (ImageIO decodes whole tiles) within the pixel limit;</li>
 * <li>TIFF: at most {@link #MAX_TIFF_PIECES} strips or tiles (a quarter of it for LZW or YCbCr), each inside the file, whose byte
 *     counts add up to no more than the file;</li>
 * <li>TIFF with JPEG compression: each embedded JPEG stream within the scan limits of
 *     {@link JpegDecoder}, and all of them within its work limit;</li>
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
        if (format.startsWith("tif")) {
            checkTiffData(file, data, limits);
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
     * {@code FuzzImageStructureTest.structuredTiffs}: 25 megapixels of 4-bit RGB (a 40 KB file of
     * deflated zeros) took 5 to 8 s; 100 megapixels would take about 45 s.
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

    /**
     * At most this many strips or tiles in a TIFF (planes counted); a quarter of it for LZW or YCbCr.
     * ImageIO spends 10 to 70 µs on each (YCbCr the most) whatever its size, and allocates buffers
     * for each (45 KB for LZW's string table, 19 KB for Deflated YCbCr), while each costs only 8 bytes
     * of the file: 20,000 one-row YCbCr strips took 1.4 s, and a 780 KB TIFF of 65,000 LZW strips
     * allocated 2.8 GB (RSS 1.26 GB; 16,384 strips: 708 MB), measured on JDK 17, a busy 2-core machine.
     * Real files have one strip per row at most (libtiff's default for rows over 8 KB), or tiles of
     * 256×256 or more.
     */
    public static final int MAX_TIFF_PIECES = 65_536;

    /**
     * The strips (or tiles) of a TIFF's first IFD: at most {@link #MAX_TIFF_PIECES}, each inside the
     * file, and their byte counts add up to no more than the file (strips may not share data).
     * ImageIO allocates a strip's declared byte count before reading it ({@code new byte[2^31 − 1]}:
     * an {@code OutOfMemoryError} from a 2 KB file, found by {@code FuzzImageStructureTest.structuredTiffs}),
     * and strips that all point at one deflated block let a 600-byte file expand to any size.
     */
    private static void checkTiffData(Path file, byte[] d, Limits limits) throws ImageFormatException {
        TiffTags tags = TiffTags.read(d);
        if (tags == null) {
            return; // not a classic TIFF: ImageIO refuses it
        }
        checkTiles(file, tags, limits);
        String[] kinds = {"strip", "tile"};
        int[][] pairs = {{273, 279}, {324, 325}}; // StripOffsets, StripByteCounts; TileOffsets, TileByteCounts
        long[] compression = tags.values(259, 1);
        long[] photometric = tags.values(262, 1);
        boolean heavy = compression != null && compression[0] == 5 || photometric != null && photometric[0] == 6;
        int maxPieces = heavy ? MAX_TIFF_PIECES / 4 : MAX_TIFF_PIECES;
        for (int k = 0; k < 2; k++) {
            int offsetsTag = pairs[k][0];
            int countsTag = pairs[k][1];
            long pieces = Math.max(tags.count(offsetsTag), tags.count(countsTag));
            if (pieces > maxPieces) {
                throw new ImageFormatException(file, "the TIFF has " + pieces + " " + kinds[k] + "s, more than the limit of "
                        + maxPieces + (heavy ? " for LZW or YCbCr" : ""));
            }
            if (!tags.has(countsTag) || !tags.has(offsetsTag)) {
                continue;
            }
            long[] offsets = tags.values(offsetsTag, MAX_TIFF_PIECES);
            long[] counts = tags.values(countsTag, MAX_TIFF_PIECES);
            if (offsets == null || counts == null) {
                throw new ImageFormatException(file, "the TIFF's " + kinds[k] + " offsets or byte counts are not"
                        + " SHORT or LONG values inside the file");
            }
            long total = 0;
            for (int i = 0; i < Math.min(offsets.length, counts.length); i++) {
                if (offsets[i] + counts[i] > d.length) {
                    throw new ImageFormatException(file, "TIFF " + kinds[k] + " " + i + " (" + counts[i] + " bytes at offset "
                            + offsets[i] + ") ends past the end of the file (" + d.length + " bytes): truncated or corrupt");
                }
                total += counts[i];
            }
            if (total > d.length) {
                throw new ImageFormatException(file, "the TIFF's " + kinds[k] + "s declare " + total + " bytes in all, more"
                        + " than the file's " + d.length + " (" + kinds[k] + "s may not share data)");
            }
        }
        if (compression != null && (compression[0] == 6 || compression[0] == 7)) {
            checkTiffJpeg(file, d, tags);
        }
    }

    /**
     * ImageIO decodes every tile whole, into a buffer of the tile's size, so the tiles' area counts
     * against the pixel limit, not only the picture's: a 1 x 1,215 TIFF in tiles of 65,536 x 8 made
     * it allocate 252 MB ({@code FuzzImageStructureTest.structuredTiffs}).
     */
    private static void checkTiles(Path file, TiffTags tags, Limits limits) throws ImageFormatException {
        long[] w = tags.values(256, 1);
        long[] h = tags.values(257, 1);
        long[] tw = tags.values(322, 1);
        long[] th = tags.values(323, 1);
        if (w == null || h == null || tw == null || th == null || tw[0] == 0 || th[0] == 0) {
            return; // no tiles, or ImageIO refuses the header
        }
        long across = (w[0] + tw[0] - 1) / tw[0];
        long down = (h[0] + th[0] - 1) / th[0];
        double area = (double) across * tw[0] * down * th[0]; // up to 2^66: a double, not a long
        if (area > limits.maxPixels()) {
            throw new ImageFormatException(file, "the TIFF's " + across * down + " tiles of " + tw[0] + "x" + th[0]
                    + " cover " + (long) Math.min(area, Long.MAX_VALUE) + " pixels, more than the limit of " + limits.maxPixels()
                    + " (ImageIO decodes whole tiles)");
        }
    }

    /**
     * A JPEG-compressed TIFF holds a JPEG stream in each strip or tile (or one at JPEGInterchangeFormat),
     * which ImageIO decodes with the same JPEG reader: the scan limits of {@link JpegDecoder} hold for
     * each stream, and the work limit ({@link Limits#scanWork}) for all of them together. Found by
     * {@code FuzzImageStructureTest.structuredTiffs}: an 8 x 20,000 TIFF whose strip is a progressive
     * JPEG of 100 scans took 1.3 s, and nothing bounded the scans. Streams that do not start with SOI
     * (old-style JPEG's bare scan data) are left to ImageIO.
     */
    private static void checkTiffJpeg(Path file, byte[] d, TiffTags tags) throws ImageFormatException {
        int[][] pairs = {{273, 279}, {324, 325}, {513, 514}}; // strips, tiles, JPEGInterchangeFormat
        long work = 0;
        for (int[] pair : pairs) {
            long[] offsets = tags.values(pair[0], MAX_TIFF_PIECES);
            long[] counts = tags.values(pair[1], MAX_TIFF_PIECES);
            if (offsets == null || counts == null) {
                continue;
            }
            for (int i = 0; i < Math.min(offsets.length, counts.length); i++) {
                long at = offsets[i];
                long end = at + counts[i];
                if (counts[i] < 2 || end > d.length || d[(int) at] != (byte) 0xFF || d[(int) at + 1] != (byte) 0xD8) {
                    continue;
                }
                JpegDecoder.Structure s = JpegDecoder.structure(file, Arrays.copyOfRange(d, (int) at, (int) end));
                if (s.scans() > Limits.MAX_SCANS) {
                    throw new ImageFormatException(file, "a JPEG in the TIFF has more than " + Limits.MAX_SCANS
                            + " scans (a scan bomb?)");
                }
                work += Limits.scanWork(s.scans(), s.width(), s.height(), s.components());
                if (work > Limits.MAX_SCAN_WORK) {
                    throw new ImageFormatException(file, "the JPEG data in the TIFF (" + s.scans() + " scans over "
                            + s.width() + "x" + s.height() + " pixels in one of its streams) needs more decoding work than the"
                            + " limit of " + Limits.MAX_SCAN_WORK + " (a scan bomb?)");
                }
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
