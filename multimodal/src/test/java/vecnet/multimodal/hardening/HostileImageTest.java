package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.ImageDecoder;
import vecnet.multimodal.ImageFormatException;
import vecnet.testing.LibraryTest;

/**
 * Issue 18, items 4 and 5: small files that made the decoder spend minutes or gigabytes. Each is built
 * here (a few hundred bytes to a few hundred KB) and must be refused with one {@link ImageFormatException}
 * line, within 10 s, allocating little: the bounds are checked before ImageIO sizes its buffers.
 */
class HostileImageTest extends LibraryTest {
    /** Far below what the bombs asked for (2 to 4 GB), far above what checking a header needs. */
    private static final long MODEST = 64L << 20;

    @TempDir
    Path dir;

    /** Decodes {@code bytes} with the default limits; asserts a refusal whose message holds every part, quickly and cheaply. */
    private void refused(String name, byte[] bytes, String... parts) throws IOException {
        Path f = Files.write(dir.resolve(name), bytes);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        ImageFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(ImageFormatException.class, () -> ImageDecoder.create().decode(f)));
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        String m = e.getMessage();
        assertTrue(m.startsWith(f.toString()) && !m.contains("\n"), m);
        for (String p : parts) {
            assertTrue(m.contains(p), "'" + p + "' missing from: " + m);
        }
        // assertTimeoutPreemptively runs the body in another thread: measure this thread's share and, to be
        // sure, decode once more here
        before = mx.getCurrentThreadAllocatedBytes();
        assertThrows(ImageFormatException.class, () -> ImageDecoder.create().decode(f));
        allocated = Math.max(allocated, mx.getCurrentThreadAllocatedBytes() - before);
        assertTrue(allocated < MODEST + 2L * bytes.length, name + ": refusing it allocated " + (allocated >> 20) + " MB");
    }

    @Test
    void progressiveJpegOfThousandsOfTinyScansIsRefusedBeforeDecoding() throws IOException {
        // 9930 x 9930 = 98.6 megapixels, just under the pixel limit, a first scan with enough bytes for one
        // bit per block, then 1,300 scans of a few bytes each: libjpeg walks every block at every scan
        // (issue 18: a 141 KB file took 77 s)
        refused("scans.jpg", progressiveJpeg(9930, 9930, 1300), "more than 400 scans", "scan bomb");
        // fewer scans, still 30 full passes over 98.6 megapixels
        refused("scans30.jpg", progressiveJpeg(9930, 9930, 30), "30 scans", "scan bomb");
    }

    @Test
    void progressiveJpegsAreBoundedByTheirDecodingWorkNotTheirPixels() throws IOException {
        // FuzzImageStructureTest.progressiveJpegs (its slowest input, 1.8 s for 0.43 megapixels), then measured:
        // ImageIO runs an output pass per scan that costs per sample of every component and per row.
        // 8 x 65,000 pixels (0.5 megapixels) and 400 scans took 13 s; the old limit (scans x pixels
        // = 2.1e8 of 2.4e9) let it through
        refused("strip.jpg", progressiveJpeg(8, 65_000, 400, 3), "400 scans", "8x65000", "decoding work");
        // 24 scans over 98.6 megapixels of YCbCr: exactly the old limit, about 15 s
        refused("colour.jpg", progressiveJpeg(9930, 9930, 24, 3), "24 scans", "3 components", "decoding work");
    }

    @Test
    void tiffForWhichImageIoHasNoPixelLayoutIsRefused() throws IOException {
        // FuzzImageStructureTest.structuredTiffs: 3 palette samples of 3 bits in planes, where ImageIO's
        // getImageTypes gives a null type (a NullPointerException in our guard)
        byte[] t = tiff(7, 31, 3, 3, 3, 2, 16);
        refused("layout.tif", t, "no pixel layout");
    }

    @Test
    void tiffInALayoutImageIoDecodesSlowlyIsHeldToFewerPixels() throws IOException {
        // FuzzImageStructureTest.structuredTiffs (a 2.8-megapixel 4-bit RGB TIFF took 1.3 s), then measured:
        // 25 megapixels of 4-bit RGB (a 1.3 KB file whose strips shared one deflated block; 40 KB without
        // sharing) took 5 to 8 s and 245 MB; 100 megapixels would take about 45 s
        refused("rgb4.tif", deflatedTiff(5000, 5000, 3, 4), "5000x5000", "24 times slower", "4166666 pixels");
        refused("rgb16.tif", deflatedTiff(5000, 5000, 3, 16), "6 times slower");
        // the same files, small enough, are decoded: the refusal above is the layout's limit, not a broken file
        Path small = Files.write(dir.resolve("rgb4-small.tif"), deflatedTiff(400, 300, 3, 4));
        assertTrue(ImageDecoder.create().decode(small).width() == 400);
        Path fast = Files.write(dir.resolve("rgb8.tif"), deflatedTiff(1000, 1000, 3, 8));
        assertTrue(ImageDecoder.create().decode(fast).width() == 1000);
    }

    @Test
    void tiffStripsMustLieInTheFileWithoutSharingData() throws IOException {
        // FuzzImageStructureTest.structuredTiffs: a 2 KB TIFF whose Deflate tile declared 2^31 - 1 bytes made
        // ImageIO allocate that much (OutOfMemoryError: Requested array size exceeds VM limit)
        byte[] t = deflatedTiff(14, 15, 1, 4, 64, false);
        ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN).putInt(stripByteCountsValue(t), 0x7FFF_FFFF);
        refused("count.tif", t, "TIFF strip 0 (2147483647 bytes at offset", "ends past the end of the file");
        // 100 megapixels of grey in 1,563 strips that all point at one deflated block of 640 KB of zeros: 13 KB
        refused("shared.tif", deflatedTiff(10_000, 10_000, 1, 8, 64, true), "strips declare", "may not share data");
        // 70,000 one-row strips (8 bytes of offsets and counts each; ImageIO spends 10 to 70 µs on each)
        refused("strips.tif", deflatedTiff(2, 70_000, 1, 8, 1, false), "70000 strips", "limit of 65536");
        // LZW: ImageIO allocates a 45 KB string table per strip; 65,000 strips (780 KB) allocated 2.8 GB
        byte[] lzw = deflatedTiff(2, 20_000, 1, 8, 1, false);
        ByteBuffer.wrap(lzw).order(ByteOrder.LITTLE_ENDIAN).putShort(10 + 12 * 3 + 8, (short) 5);   // Compression: LZW
        refused("lzw.tif", lzw, "20000 strips", "limit of 16384 for LZW");
    }

    @Test
    void progressiveJpegInsideATiffIsHeldToTheJpegLimits() throws IOException {
        // FuzzImageStructureTest.structuredTiffs: ImageIO decodes a JPEG-compressed TIFF's strips with its JPEG
        // reader, so JpegDecoder's scan limits did not apply (8 x 20,000 pixels and 100 scans took 1.3 s)
        refused("scans.tif", jpegTiff(8, 60_000, progressiveJpeg(8, 60_000, 400, 3)), "60000 pixels", "decoding work");
        refused("many.tif", jpegTiff(64, 64, progressiveJpeg(64, 64, 401, 3)), "more than 400 scans");
        // an ordinary baseline JPEG from ImageIO's writer, in a TIFF strip, is decoded
        java.awt.image.BufferedImage picture = new java.awt.image.BufferedImage(40, 30,
                java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        assertTrue(javax.imageio.ImageIO.write(picture, "jpeg", jpeg));
        Path ok = Files.write(dir.resolve("baseline.tif"), jpegTiff(40, 30, jpeg.toByteArray()));
        assertTrue(ImageDecoder.create().decode(ok).width() == 40);
    }

    /** A little-endian 8-bit RGB TIFF of w x h, JPEG-compressed (7), whose one strip is {@code jpeg}. */
    static byte[] jpegTiff(int w, int h, byte[] jpeg) {
        int entries = 10;
        int ifd = 8;
        int bitsArray = ifd + 2 + 12 * entries + 4;
        int data = bitsArray + 6;
        ByteBuffer b = ByteBuffer.allocate(data + jpeg.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd);
        b.putShort((short) entries);
        entry(b, 256, 4, 1, w);                                        // ImageWidth
        entry(b, 257, 4, 1, h);                                        // ImageLength
        entry(b, 258, 3, 3, bitsArray);                                // BitsPerSample: 8, 8, 8
        entry(b, 259, 3, 1, 7);                                        // Compression: JPEG
        entry(b, 262, 3, 1, 2);                                        // Photometric: RGB
        entry(b, 273, 4, 1, data);                                     // StripOffsets
        entry(b, 277, 3, 1, 3);                                        // SamplesPerPixel
        entry(b, 278, 4, 1, h);                                        // RowsPerStrip
        entry(b, 279, 4, 1, jpeg.length);                              // StripByteCounts
        entry(b, 284, 3, 1, 1);                                        // PlanarConfiguration: chunky
        b.putInt(0);
        b.putShort((short) 8).putShort((short) 8).putShort((short) 8);
        b.put(jpeg);
        return b.array();
    }

    @Test
    void tiffTilesCountAgainstThePixelLimit() throws IOException {
        // FuzzImageStructureTest.structuredTiffs: a 1 x 1,215 picture in tiles of 65,536 x 8 (80 megapixels of
        // tiles) allocated 252 MB; here 1 x 20,000 in tiles of 65,536 x 16: 1.3 gigapixels of tiles
        refused("tiles.tif", tiledTiff(1, 20_000, 65_536, 16), "tiles of 65536x16", "more than the limit");
        // ordinary tiles are decoded
        Path ok = Files.write(dir.resolve("tiles-ok.tif"), tiledTiff(100, 40, 64, 32));
        assertTrue(ImageDecoder.create().decode(ok).height() == 40);
    }

    /** A little-endian 8-bit grey TIFF of w x h, uncompressed, in tiles of tw x th (each its own zero bytes). */
    static byte[] tiledTiff(int w, int h, int tw, int th) {
        int tiles = ((w + tw - 1) / tw) * ((h + th - 1) / th);
        int tileBytes = tw * th <= 4096 ? tw * th : 16;                // big tiles: 16 bytes (refused before reading)
        int entries = 10;
        int ifd = 8;
        int offsets = ifd + 2 + 12 * entries + 4;
        int counts = offsets + 4 * tiles;
        int data = counts + 4 * tiles;
        ByteBuffer b = ByteBuffer.allocate(data + tiles * tileBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd);
        b.putShort((short) entries);
        entry(b, 256, 4, 1, w);                                        // ImageWidth
        entry(b, 257, 4, 1, h);                                        // ImageLength
        entry(b, 258, 3, 1, 8);                                        // BitsPerSample
        entry(b, 259, 3, 1, 1);                                        // Compression: none
        entry(b, 262, 3, 1, 1);                                        // Photometric: min-is-black
        entry(b, 277, 3, 1, 1);                                        // SamplesPerPixel
        entry(b, 322, 4, 1, tw);                                       // TileWidth
        entry(b, 323, 4, 1, th);                                       // TileLength
        entry(b, 324, 4, tiles, tiles == 1 ? data : offsets);          // TileOffsets
        entry(b, 325, 4, tiles, tiles == 1 ? tileBytes : counts);      // TileByteCounts
        b.putInt(0);
        for (int t = 0; t < tiles; t++) {
            b.putInt(data + t * tileBytes);
        }
        for (int t = 0; t < tiles; t++) {
            b.putInt(tileBytes);
        }
        return b.array();
    }

    /** Where the (single, inline) StripByteCounts value of a {@link #deflatedTiff} of one strip is. */
    private static int stripByteCountsValue(byte[] t) {
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        for (int e = 10; e < 10 + 12 * b.getShort(8); e += 12) {
            if (b.getShort(e) == 279) {
                return e + 8;
            }
        }
        throw new AssertionError("no StripByteCounts");
    }

    @Test
    void paletteTiffOf65536ColoursCostsItsPixelsNotItsMetadata() throws IOException {
        // FuzzImageStructureTest.structuredTiffs: a 25 x 30 picture with a 16-bit palette (a 393 KB ColorMap)
        // allocated 91 MB, because the palette was read through ImageIO's metadata tree (~230 bytes a value)
        byte[] t = tiff(25, 30, 1, 16, 3, 1, 25 * 30 * 2);
        Path f = Files.write(dir.resolve("palette16.tif"), t);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        vecnet.multimodal.ImageRgb rgb = ImageDecoder.create().decode(f);
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(rgb.width() == 25 && rgb.height() == 30, rgb.width() + "x" + rgb.height());
        // index 0 everywhere, and entry 0 of the grey ramp is 0
        assertTrue(java.util.Arrays.equals(rgb.toBytes(), new byte[25 * 30 * 3]), "not black");
        assertTrue(allocated < 8L << 20, "decoding it allocated " + (allocated >> 20) + " MB");
    }

    @Test
    void tiffWith256SamplesPerPixelIsRefusedFromItsHeader() throws IOException {
        // 2000 x 2000 pixels of 256 16-bit samples: ImageIO would allocate 2 GB (issue 18: 4.1 GB)
        refused("samples.tif", tiff(2000, 2000, 256, 16), "256 samples per pixel");
        refused("wide.tif", tiff(64, 64, 1, 32), "32-bit samples");
    }

    @Test
    void bmpDeclaringTwoGigabytesOfPixelsIsRefused() throws IOException {
        refused("size.bmp", bmp(1 << 12, 1 << 12, 8, 1, 0x8000_0000L, new byte[64]), "2147483648 bytes of pixels");
    }

    @Test
    void bmpEmbeddingAPngIsRefusedWhateverThePngSays() throws IOException {
        // BI_PNG: the header says 1 x 1, the embedded PNG says 30000 x 30000
        byte[] png = BadInputTest.png(30_000, 30_000, 1000);
        refused("png.bmp", bmp(1, 1, 0, 5, png.length, png), "embedded PNG", "not supported");
        refused("jpeg.bmp", bmp(1, 1, 0, 4, 4, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xD9}),
                "embedded JPEG");
    }

    @Test
    void pngOverThePixelLimitIsRefusedFromItsHeader() throws IOException {
        refused("big.png", BadInputTest.png(20_000, 20_000, 1000), "20000x20000", "more than the limit");
    }

    @Test
    void headersClaimingFarMorePixelsThanTheDataCanHoldAreRefusedBeforeAllocating() throws IOException {
        // 9,000 x 9,000 (81 megapixels, under the limit) with a few hundred bytes of data: the decoder
        // would allocate the 243 MB picture (ImageIO its raster) before finding out
        refused("short.png", BadInputTest.png(9000, 9000, 1000), "truncated", "9000x9000");
        refused("short.jpg", progressiveJpeg(9000, 9000, 3, 1, 100), "truncated", "9000x9000");
    }

    // ------------------------------------------------------------------ builders

    /** {@link #progressiveJpeg(int, int, int, int, int)} of one component whose first scan has one bit per 8x8 block. */
    static byte[] progressiveJpeg(int w, int h, int scans) {
        return progressiveJpeg(w, h, scans, 1);
    }

    /** {@link #progressiveJpeg(int, int, int, int, int)} whose first scan has one bit per 8x8 block of every component. */
    static byte[] progressiveJpeg(int w, int h, int scans, int components) {
        return progressiveJpeg(w, h, scans, components, (int) (components * ((w + 7L) / 8) * ((h + 7L) / 8) / 8 + 1));
    }

    /**
     * A progressive JPEG (SOF2) of w x h with 1 or 3 components, all sampled 1x1: {@code scans}
     * interleaved DC-first scans, the first of {@code firstBytes} zero bytes (a DC difference of 0 per
     * block), the others of 2.
     */
    static byte[] progressiveJpeg(int w, int h, int scans, int components, int firstBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD8});
        byte[] dqt = new byte[65];
        java.util.Arrays.fill(dqt, 1, 65, (byte) 1);
        segment(out, 0xDB, dqt);
        byte[] sof = new byte[6 + 3 * components];
        sof[0] = 8;
        sof[1] = (byte) (h >> 8);
        sof[2] = (byte) h;
        sof[3] = (byte) (w >> 8);
        sof[4] = (byte) w;
        sof[5] = (byte) components;
        byte[] sos = new byte[1 + 2 * components + 3];
        sos[0] = (byte) components;
        for (int c = 0; c < components; c++) {
            sof[6 + 3 * c] = (byte) (c + 1);
            sof[7 + 3 * c] = 0x11;
            sos[1 + 2 * c] = (byte) (c + 1);
        }
        segment(out, 0xC2, sof);
        // DC table 0: one code of length 1 for category 0
        byte[] dht = new byte[1 + 16 + 1];
        dht[1] = 1;
        segment(out, 0xC4, dht);
        for (int s = 0; s < scans; s++) {
            segment(out, 0xDA, sos);
            out.writeBytes(new byte[s == 0 ? firstBytes : 2]);
        }
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD9});
        return out.toByteArray();
    }

    private static void segment(ByteArrayOutputStream out, int marker, byte[] payload) {
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) marker, (byte) ((payload.length + 2) >> 8), (byte) (payload.length + 2)});
        out.writeBytes(payload);
    }

    /** A little-endian baseline TIFF, uncompressed, min-is-black, one strip of 16 bytes whatever the size says. */
    static byte[] tiff(int w, int h, int samples, int bits) {
        return tiff(w, h, samples, bits, 1, 1, 16);
    }

    /**
     * {@link #tiff(int, int, int, int)} with a Photometric interpretation, a PlanarConfiguration and
     * a strip of {@code stripBytes} zero bytes; a palette (photometric 3) gets a grey ColorMap of
     * 2^bits entries.
     */
    static byte[] tiff(int w, int h, int samples, int bits, int photometric, int planar, int stripBytes) {
        boolean palette = photometric == 3;
        int entries = palette ? 11 : 10;
        int ifd = 8;
        int bitsArray = ifd + 2 + 12 * entries + 4;
        int colorMap = bitsArray + 2 * samples;
        int colors = palette ? 1 << bits : 0;
        int strip = colorMap + 2 * 3 * colors;
        ByteBuffer b = ByteBuffer.allocate(strip + stripBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd);
        b.putShort((short) entries);
        entry(b, 256, 4, 1, w);                                        // ImageWidth
        entry(b, 257, 4, 1, h);                                        // ImageLength
        entry(b, 258, 3, samples, samples == 1 ? bits : bitsArray);    // BitsPerSample
        entry(b, 259, 3, 1, 1);                                        // Compression: none
        entry(b, 262, 3, 1, photometric);                              // Photometric (1: min-is-black)
        entry(b, 273, 4, 1, strip);                                    // StripOffsets
        entry(b, 277, 3, 1, samples);                                  // SamplesPerPixel
        entry(b, 278, 4, 1, h);                                        // RowsPerStrip
        entry(b, 279, 4, 1, stripBytes);                               // StripByteCounts
        entry(b, 284, 3, 1, planar);                                   // PlanarConfiguration (1: chunky)
        if (palette) {
            entry(b, 320, 3, 3 * colors, colorMap);                    // ColorMap: R..., G..., B...
        }
        b.putInt(0);
        for (int s = 0; s < samples && samples > 1; s++) {
            b.putShort((short) bits);
        }
        for (int c = 0; c < 3 * colors; c++) {
            b.putShort((short) ((c % colors) * 65535 / Math.max(1, colors - 1)));
        }
        return b.array();
    }

    /**
     * A little-endian RGB (or grey, for one sample) TIFF of w x h, {@code samples} x {@code bits}, in
     * strips of 64 rows of zeros compressed with Deflate, each its own copy.
     */
    static byte[] deflatedTiff(int w, int h, int samples, int bits) {
        return deflatedTiff(w, h, samples, bits, 64, false);
    }

    /**
     * {@link #deflatedTiff(int, int, int, int)} in strips of {@code rows} rows; with {@code shared},
     * every strip points at one block (a TIFF "zip bomb").
     */
    static byte[] deflatedTiff(int w, int h, int samples, int bits, int rows, boolean shared) {
        int strips = (h + rows - 1) / rows;
        byte[] strip = FuzzImageTest.deflate(new byte[(int) (((long) w * samples * bits + 7) / 8 * rows)]);
        int entries = 10;
        int ifd = 8;
        int bitsArray = ifd + 2 + 12 * entries + 4;
        int offsets = bitsArray + 2 * samples;
        int counts = offsets + 4 * strips;
        int data = counts + 4 * strips;
        int copies = shared ? 1 : strips;
        ByteBuffer b = ByteBuffer.allocate(data + copies * strip.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd);
        b.putShort((short) entries);
        entry(b, 256, 4, 1, w);                                        // ImageWidth
        entry(b, 257, 4, 1, h);                                        // ImageLength
        entry(b, 258, 3, samples, samples == 1 ? bits : bitsArray);    // BitsPerSample
        entry(b, 259, 3, 1, 8);                                        // Compression: Deflate
        entry(b, 262, 3, 1, samples >= 3 ? 2 : 1);                     // Photometric: RGB or min-is-black
        entry(b, 273, 4, strips, strips == 1 ? data : offsets);        // StripOffsets
        entry(b, 277, 3, 1, samples);                                  // SamplesPerPixel
        entry(b, 278, 4, 1, rows);                                     // RowsPerStrip
        entry(b, 279, 4, strips, strips == 1 ? strip.length : counts); // StripByteCounts
        entry(b, 284, 3, 1, 1);                                        // PlanarConfiguration: chunky
        b.putInt(0);
        for (int s = 0; s < samples && samples > 1; s++) {
            b.putShort((short) bits);
        }
        b.position(offsets);
        for (int s = 0; s < strips; s++) {
            b.putInt(data + (shared ? 0 : s * strip.length));
        }
        for (int s = 0; s < strips; s++) {
            b.putInt(strip.length);
        }
        for (int c = 0; c < copies; c++) {
            b.put(strip);
        }
        return b.array();
    }

    private static void entry(ByteBuffer b, int tag, int type, int count, int value) {
        b.putShort((short) tag).putShort((short) type).putInt(count);
        if (type == 3 && count == 1) {
            b.putShort((short) value).putShort((short) 0);
        } else {
            b.putInt(value);
        }
    }

    /** A BMP with a BITMAPINFOHEADER: w x h, {@code bpp} bits, {@code compression}, {@code biSizeImage}, then {@code pixels}. */
    static byte[] bmp(int w, int h, int bpp, int compression, long sizeImage, byte[] pixels) {
        int palette = bpp == 8 ? 4 * 256 : 0;
        ByteBuffer b = ByteBuffer.allocate(54 + palette + pixels.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(b.capacity()).putInt(0).putInt(54 + palette);
        b.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) bpp).putInt(compression)
                .putInt((int) sizeImage).putInt(2835).putInt(2835).putInt(bpp == 8 ? 256 : 0).putInt(0);
        b.position(54 + palette);
        b.put(pixels);
        return b.array();
    }
}
