package vecnet.multimodal.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.w3c.dom.NodeList;
import vecnet.engine.Kernels;
import vecnet.multimodal.ImageFormatException;

/**
 * JPEG as Pillow 9.4 (libjpeg-turbo) decodes it, then {@code convert('RGB')}.
 *
 * <p>The entropy decoding, the islow IDCT and the chroma upsampling are ImageIO's (its libjpeg gives
 * the same samples as libjpeg-turbo, except for one upsampling ratio that is redone here: see below). But ImageIO's
 * colour handling differs from Pillow's, so the samples are taken raw ({@link ImageReader#readRaster},
 * no conversion) and converted here the way libjpeg and Pillow do:
 * <ul>
 * <li>The colour space is libjpeg's guess ({@code jdapimin.c}): 1 component is grey; 3 components are
 *     YCbCr if there is a JFIF APP0, else as the Adobe APP14 transform says (0 = RGB, otherwise YCbCr),
 *     else RGB only for component ids 'R','G','B'; 4 components are YCCK if an Adobe APP14 says
 *     transform 2 (or anything but 0), else CMYK.</li>
 * <li>YCbCr → RGB with libjpeg's 16-bit fixed-point tables ({@code jdcolor.c}):
 *     {@code R = Y + round(1.402·(Cr−128))}, {@code B = Y + round(1.772·(Cb−128))},
 *     {@code G = Y + ((−22554·(Cb−128) + 32768 − 46802·(Cr−128)) >> 16)}, each clamped to 0..255.</li>
 * <li>An embedded ICC profile is ignored, as Pillow ignores it (ImageIO would apply it).</li>
 * <li>CMYK: Pillow reads the samples inverted ("Adobe polarity", rawmode {@code CMYK;I}, with or without
 *     an Adobe marker) and {@code convert('RGB')} computes {@code R = nk − nk·C/255} with
 *     {@code nk = 255 − K} in its rounded integer form ({@code Convert.c cmyk2rgb}). YCCK is first
 *     turned into CMYK by libjpeg: Y, Cb, Cr → R, G, B as above, then C = 255 − R ..., K kept.</li>
 * </ul>
 *
 * <p>Checked before ImageIO allocates anything: the marker structure (one frame, 8-bit, Huffman coded,
 * 1, 3 or 4 components), the pixel limit, the number of scans and the decoding work they cause
 * (see {@link Limits#MAX_SCANS}, {@link Limits#MAX_SCAN_WORK}).
 * A file that ends before its EOI marker is refused as truncated (ImageIO would only warn and
 * return a half-grey picture). Arithmetic-coded, lossless, hierarchical and 12-bit JPEGs are
 * refused: ImageIO cannot decode them (Pillow decodes arithmetic coding).
 *
 * <p>Subsampling: a JDK's ImageIO reader is either libjpeg 6b (bundled, e.g. Temurin) or the system's
 * libjpeg-turbo (e.g. Debian's OpenJDK). Both upsample h2v1 (4:2:2) and h2v2 (4:2:0) with the same
 * "fancy" triangle filter, and replicate samples for every other integer ratio (4:1:1, 4:1:0, 3x1, 1x3 ...),
 * as Pillow's libjpeg-turbo does. They differ on h1v2 (4:4:0, or a 2x1 chroma beside a 2x2 luma): only
 * libjpeg-turbo filters it. When this JDK's libjpeg replicates (probed once), the h1v2 components are
 * upsampled again here as libjpeg-turbo does ({@link #upsampleH1v2AsLibjpegTurbo}). Restart markers are
 * handled by ImageIO's decoder. All of these are checked against Pillow by the fixture set.
 */
public final class JpegDecoder {
    /** The colour spaces libjpeg infers. */
    enum Space { GREY, YCC, RGB, CMYK, YCCK }

    /** What the markers say, read before any decoding. */
    record Structure(int width, int height, int components, int[] ids, int[] hSampling, int[] vSampling,
                     boolean progressive, boolean jfif, int adobeTransform, int scans) {
        Space space() {
            return switch (components) {
                case 1 -> Space.GREY;
                case 3 -> jfif ? Space.YCC
                        : adobeTransform >= 0 ? (adobeTransform == 0 ? Space.RGB : Space.YCC)
                        : ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B' ? Space.RGB : Space.YCC;
                default -> adobeTransform >= 0 && adobeTransform != 0 ? Space.YCCK : Space.CMYK;
            };
        }
    }

    // libjpeg's jdcolor.c tables: SCALEBITS 16, FIX(x) = (int)(x * 65536 + 0.5), ONE_HALF = 1 << 15
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    /** libjpeg's range limit as a table: {@code RANGE[RANGE_ZERO + v] = clamp(v, 0, 255)} for v in [−512, 767]. */
    private static final int RANGE_ZERO = 512;
    private static final byte[] RANGE = new byte[1280];

    /** Reads 8 bytes of a byte array as one long (little-endian), for the scan over the entropy-coded data. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    static {
        for (int v = -RANGE_ZERO; v < RANGE.length - RANGE_ZERO; v++) {
            RANGE[RANGE_ZERO + v] = (byte) clamp(v);
        }
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (91881 * x + 32768) >> 16;   // FIX(1.40200) = 91881
            CB_B[i] = (116130 * x + 32768) >> 16;  // FIX(1.77200) = 116130
            CR_G[i] = -46802 * x;                  // FIX(0.71414) = 46802
            CB_G[i] = -22554 * x + 32768;          // FIX(0.34414) = 22554
        }
    }

    private JpegDecoder() {
    }

    /** True if {@code data} starts with a JPEG SOI marker followed by another marker. */
    public static boolean sniff(byte[] data) {
        return data.length >= 3 && (data[0] & 0xFF) == 0xFF && (data[1] & 0xFF) == 0xD8 && (data[2] & 0xFF) == 0xFF;
    }

    /** Decodes the JPEG file contents {@code data} (the whole file) as {@code Image.open(f).convert('RGB')}. */
    public static Rgb8 decode(Path file, byte[] data, Limits limits) throws IOException {
        Structure s = structure(file, data);
        return new Rgb8(s.width, s.height, toRgb(decodeRaw(file, data, limits, s), s.space()));
    }

    /**
     * The same pixels as {@link #decode}, but for a YCbCr JPEG (the usual photo) without the RGB
     * image: the samples stay as ImageIO decoded them and each strip the resize asks for is converted
     * on the way into its buffer ({@link RgbRows#toStrip}). Other colour spaces are converted whole.
     */
    public static RgbRows decodeRows(Path file, byte[] data, Limits limits) throws IOException {
        Structure s = structure(file, data);
        Raster raster = decodeRaw(file, data, limits, s);
        int packed = packedOffset(raster);
        if (s.space() == Space.YCC && packed >= 0) {
            return new YccRows(s.width, s.height, ((DataBufferByte) raster.getDataBuffer()).getData(), packed);
        }
        return new Rgb8(s.width, s.height, toRgb(raster, s.space()));
    }

    /** The limits checked against the markers, then ImageIO's raw samples, checked against the frame header. */
    private static Raster decodeRaw(Path file, byte[] data, Limits limits, Structure s) throws IOException {
        limits.checkSize(file, "JPEG", s.width, s.height);
        if (s.scans > Limits.MAX_SCANS) {
            throw new ImageFormatException(file, "the JPEG has more than " + Limits.MAX_SCANS + " scans (a scan bomb?)");
        }
        long work = Limits.scanWork(s.scans, s.width, s.height, s.components);
        if (work > Limits.MAX_SCAN_WORK) {
            throw new ImageFormatException(file, "the JPEG has " + s.scans + " scans over " + s.width + "x" + s.height
                    + " pixels of " + s.components + " components: " + work + " units of decoding work, more than the limit"
                    + " of " + Limits.MAX_SCAN_WORK + " (a scan bomb? a large progressive JPEG can be re-encoded as baseline)");
        }
        Raster raster = readRaw(file, data);
        if (raster.getWidth() != s.width || raster.getHeight() != s.height || raster.getNumBands() != s.components) {
            throw new ImageFormatException(file, "ImageIO decoded " + raster.getWidth() + "x" + raster.getHeight() + "x"
                    + raster.getNumBands() + " samples from a JPEG whose frame header says " + s.width + "x" + s.height
                    + "x" + s.components);
        }
        upsampleH1v2AsLibjpegTurbo(raster, s);
        return raster;
    }

    /**
     * libjpeg-turbo's {@code h1v2_fancy_upsample} ({@code jdsample.c}) for every component sampled at
     * the full horizontal and half the vertical rate (4:4:0 chroma, or Cr at 2x1 beside 2x2 luma), if
     * this JDK's libjpeg replicated its rows instead. libjpeg 6b (bundled in most JDK builds, e.g.
     * Temurin) has fancy upsampling for h2v1 and h2v2 only and replicates every other ratio; libjpeg-turbo
     * (Pillow's, and a JDK built against the system library, e.g. Debian's) also upsamples h1v2 with the
     * triangle filter. ImageIO gives no downsampled samples, but replicated rows hold them exactly: input
     * row {@code i} is raster row {@code 2i}. From those rows {@code r}, libjpeg-turbo computes
     * {@code out[2i] = (3·r[i] + r[i−1] + 1) >> 2} and {@code out[2i+1] = (3·r[i] + r[i+1] + 2) >> 2},
     * with {@code r[−1] = r[0]} and the last real row repeated below the image (as {@code jdmainct.c}
     * supplies the context rows). Other ratios (4:1:1, 4:1:0, 3x1, 1x3 ...) are replicated by both
     * libraries, h2v1 and h2v2 are fancy in both.
     */
    private static void upsampleH1v2AsLibjpegTurbo(Raster raster, Structure s) {
        int hMax = 0;
        int vMax = 0;
        for (int c = 0; c < s.components; c++) {
            hMax = Math.max(hMax, s.hSampling[c]);
            vMax = Math.max(vMax, s.vSampling[c]);
        }
        for (int c = 0; c < s.components; c++) {
            if (s.hSampling[c] == hMax && 2 * s.vSampling[c] == vMax && JdkLibjpeg.REPLICATES_H1V2) {
                if (!(raster instanceof WritableRaster writable)) {
                    throw new IllegalStateException("ImageIO returned a read-only JPEG raster");
                }
                upsampleH1v2(writable, c);
            }
        }
    }

    /** Band {@code band} of {@code raster}, whose rows come in replicated pairs, upsampled as {@code h1v2_fancy_upsample}. */
    static void upsampleH1v2(WritableRaster raster, int band) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int x0 = raster.getMinX();
        int y0 = raster.getMinY();
        int n = (h + 1) / 2; // the component's downsampled height
        int[] above = raster.getSamples(x0, y0, w, 1, band, (int[]) null);
        int[] here = above.clone();
        int[] below = new int[w];
        int[] out = new int[w];
        for (int i = 0; i < n; i++) {
            if (i + 1 < n) {
                raster.getSamples(x0, y0 + 2 * i + 2, w, 1, band, below);
            } else {
                System.arraycopy(here, 0, below, 0, w);
            }
            for (int x = 0; x < w; x++) {
                out[x] = (3 * here[x] + above[x] + 1) >> 2;
            }
            raster.setSamples(x0, y0 + 2 * i, w, 1, band, out);
            if (2 * i + 1 < h) {
                for (int x = 0; x < w; x++) {
                    out[x] = (3 * here[x] + below[x] + 2) >> 2;
                }
                raster.setSamples(x0, y0 + 2 * i + 1, w, 1, band, out);
            }
            int[] t = above;
            above = here;
            here = below;
            below = t;
        }
    }

    /** What this JDK's ImageIO JPEG reader does, probed once. */
    private static final class JdkLibjpeg {
        /**
         * True if ImageIO's libjpeg upsamples a 4:4:0 component by replicating rows (libjpeg 6b), false if
         * it filters them (libjpeg-turbo). Probed by writing an 8x16 picture, red above blue, as 4:4:0 with
         * ImageIO's own writer and reading its Cb rows back: replicated rows come in equal pairs.
         */
        static final boolean REPLICATES_H1V2 = probe();

        private static boolean probe() {
            try {
                BufferedImage img = new BufferedImage(8, 16, BufferedImage.TYPE_3BYTE_BGR);
                for (int y = 0; y < 16; y++) {
                    for (int x = 0; x < 8; x++) {
                        img.setRGB(x, y, y < 8 ? 0xFF0000 : 0x0000FF);
                    }
                }
                ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
                    ImageWriteParam param = writer.getDefaultWriteParam();
                    IIOMetadata meta = writer.getDefaultImageMetadata(new ImageTypeSpecifier(img), param);
                    String format = "javax_imageio_jpeg_image_1.0";
                    IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
                    NodeList specs = root.getElementsByTagName("componentSpec");
                    for (int c = 0; c < specs.getLength(); c++) {
                        IIOMetadataNode spec = (IIOMetadataNode) specs.item(c);
                        spec.setAttribute("HsamplingFactor", "1");
                        spec.setAttribute("VsamplingFactor", c == 0 ? "2" : "1");
                    }
                    meta.setFromTree(format, root);
                    writer.setOutput(out);
                    writer.write(null, new IIOImage(img, null, meta), param);
                } finally {
                    writer.dispose();
                }
                byte[] jpeg = bytes.toByteArray();
                Structure s = structure(Path.of("probe"), jpeg);
                if (s.vSampling[0] != 2 || s.vSampling[1] != 1) {
                    throw new IllegalStateException("ImageIO's JPEG writer ignored the sampling factors 1x2,1x1,1x1");
                }
                Raster raster = readRaw(Path.of("probe"), jpeg);
                for (int y = 0; y < 16; y += 2) {
                    for (int x = 0; x < 8; x++) {
                        if (raster.getSample(x, y, 1) != raster.getSample(x, y + 1, 1)) {
                            return false;
                        }
                    }
                }
                return true;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot probe ImageIO's JPEG upsampling", e);
            }
        }
    }

    /**
     * Interleaved YCbCr samples {@code (H, W, 3)} at {@code ycc[offset...]}, converted to RGB strip by
     * strip: copied into the strip's planes, then {@link Kernels#ycbcrToRgb} (libjpeg's formula, the
     * same bytes as the tables of {@link #convert}, vectorized).
     */
    private record YccRows(int width, int height, byte[] ycc, int offset) implements RgbRows {
        @Override
        public void toStrip(int y0, int rows, int[] strip, int stripRows, Kernels kernels) {
            Rgb8.toPlanes(ycc, offset, width, y0, rows, strip, stripRows);
            int plane = width * stripRows;
            kernels.ycbcrToRgb(strip, 0, plane, 2 * plane, plane);
        }
    }

    /** Walks the markers up to EOI: the frame header, JFIF, Adobe and the number of scans (entropy data skipped). */
    static Structure structure(Path file, byte[] d) throws ImageFormatException {
        int n = d.length;
        int width = -1;
        int height = -1;
        int components = 0;
        int[] ids = null;
        int[] hs = null;
        int[] vs = null;
        boolean progressive = false;
        boolean jfif = false;
        int adobe = -1;
        int scans = 0;
        long entropyBytes = 0;
        int h0 = 1;
        int v0 = 1;
        int hMax = 1;
        int vMax = 1;
        int pos = 2;
        while (true) {
            if (pos + 1 >= n) {
                throw new ImageFormatException(file, "the JPEG data is truncated (it ends before the EOI marker)");
            }
            if ((d[pos] & 0xFF) != 0xFF) {
                throw new ImageFormatException(file, "corrupt JPEG: no marker at byte " + pos);
            }
            int m = d[pos + 1] & 0xFF;
            if (m == 0xFF) { // fill byte
                pos++;
                continue;
            }
            if (m == 0xD9) {
                break;
            }
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { // TEM, RSTn: no length
                pos += 2;
                continue;
            }
            if (m == 0xD8 || m == 0x00) {
                throw new ImageFormatException(file, "corrupt JPEG: unexpected marker 0x" + Integer.toHexString(m)
                        + " at byte " + pos);
            }
            if (pos + 3 >= n) {
                throw new ImageFormatException(file, "the JPEG data is truncated (in the marker at byte " + pos + ")");
            }
            int len = ((d[pos + 2] & 0xFF) << 8) | (d[pos + 3] & 0xFF);
            int p = pos + 4;
            int end = pos + 2 + len;
            if (len < 2 || end > n) {
                throw new ImageFormatException(file, "the JPEG data is truncated (segment 0x" + Integer.toHexString(m)
                        + " at byte " + pos + " claims " + len + " bytes)");
            }
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
                if (m != 0xC0 && m != 0xC1 && m != 0xC2) {
                    throw new ImageFormatException(file, "JPEG " + sofName(m) + " is not supported (only baseline,"
                            + " extended and progressive Huffman-coded JPEG)");
                }
                if (ids != null) {
                    throw new ImageFormatException(file, "corrupt JPEG: a second frame header (SOF) at byte " + pos);
                }
                if (len < 8) {
                    throw new ImageFormatException(file, "corrupt JPEG: frame header of " + len + " bytes");
                }
                int precision = d[p] & 0xFF;
                height = ((d[p + 1] & 0xFF) << 8) | (d[p + 2] & 0xFF);
                width = ((d[p + 3] & 0xFF) << 8) | (d[p + 4] & 0xFF);
                components = d[p + 5] & 0xFF;
                if (precision != 8) {
                    throw new ImageFormatException(file, precision + "-bit JPEG is not supported (only 8-bit samples)");
                }
                if (height == 0) {
                    throw new ImageFormatException(file, "JPEG with the height in a DNL marker is not supported");
                }
                if (components != 1 && components != 3 && components != 4) {
                    throw new ImageFormatException(file, "JPEG with " + components + " colour components is not supported"
                            + " (only 1, 3 or 4)");
                }
                if (len != 8 + 3 * components) {
                    throw new ImageFormatException(file, "corrupt JPEG: frame header of " + len + " bytes for "
                            + components + " components");
                }
                ids = new int[components];
                hs = new int[components];
                vs = new int[components];
                for (int c = 0; c < components; c++) {
                    ids[c] = d[p + 6 + 3 * c] & 0xFF;
                    int h = (d[p + 7 + 3 * c] & 0xFF) >> 4;
                    int v = d[p + 7 + 3 * c] & 0x0F;
                    if (h < 1 || h > 4 || v < 1 || v > 4) {
                        throw new ImageFormatException(file, "corrupt JPEG: sampling factors " + h + "x" + v);
                    }
                    hs[c] = h;
                    vs[c] = v;
                    if (c == 0) {
                        h0 = h;
                        v0 = v;
                    }
                    hMax = Math.max(hMax, h);
                    vMax = Math.max(vMax, v);
                }
                progressive = m == 0xC2;
            } else if (m == 0xE0 && len >= 16 && d[p] == 'J' && d[p + 1] == 'F' && d[p + 2] == 'I' && d[p + 3] == 'F'
                    && d[p + 4] == 0) {
                jfif = true;
            } else if (m == 0xEE && len >= 14 && d[p] == 'A' && d[p + 1] == 'd' && d[p + 2] == 'o' && d[p + 3] == 'b'
                    && d[p + 4] == 'e') {
                adobe = d[p + 11] & 0xFF;
            } else if (m == 0xDA) {
                if (ids == null) {
                    throw new ImageFormatException(file, "corrupt JPEG: a scan before the frame header");
                }
                scans++;
                if (scans > Limits.MAX_SCANS) {
                    break; // refused by the caller; no need to walk the rest
                }
                int next = skipEntropyData(d, end);
                entropyBytes += next - end;
                pos = next;
                continue;
            }
            pos = end;
        }
        if (ids == null || scans == 0) {
            throw new ImageFormatException(file, "corrupt JPEG: no " + (ids == null ? "frame header" : "scan"));
        }
        // Every 8x8 block of the first component needs at least one bit (its DC code) in some scan: fewer
        // entropy-coded bytes than that is a truncated file, refused before ImageIO allocates the raster.
        long w0 = (width * (long) h0 + hMax - 1) / hMax;
        long h0rows = (height * (long) v0 + vMax - 1) / vMax;
        long blocks = ((w0 + 7) / 8) * ((h0rows + 7) / 8);
        if (scans <= Limits.MAX_SCANS && entropyBytes * 8 < blocks) {
            throw new ImageFormatException(file, "the JPEG data is truncated: " + entropyBytes + " bytes of coded data"
                    + " cannot hold the " + width + "x" + height + " pixels its header declares");
        }
        return new Structure(width, height, components, ids, hs, vs, progressive, jfif, adobe, scans);
    }

    /** The position of the first marker after entropy-coded data starting at {@code pos} (0xFF00 and RSTn are data). */
    static int skipEntropyData(byte[] d, int pos) {
        int n = d.length;
        while (pos + 1 < n) {
            // 8 bytes at a time while none is 0xFF: x = ~bytes has a zero byte exactly when some byte was 0xFF
            while (pos + 9 < n) { // and afterwards still pos + 1 < n
                long x = ~(long) LONGS.get(d, pos);
                if (((x - 0x0101010101010101L) & ~x & 0x8080808080808080L) != 0) {
                    break;
                }
                pos += 8;
            }
            if (d[pos] == (byte) 0xFF) {
                int next = d[pos + 1] & 0xFF;
                if (next != 0x00 && (next < 0xD0 || next > 0xD7)) {
                    return pos;
                }
                pos += 2;
            } else {
                pos++;
            }
        }
        return n;
    }

    private static String sofName(int m) {
        return switch (m) {
            case 0xC3 -> "lossless (SOF3)";
            case 0xC5, 0xC6, 0xC7 -> "hierarchical (SOF" + (m - 0xC0) + ")";
            default -> "arithmetic-coded (SOF" + (m - 0xC0) + ")";
        };
    }

    /** ImageIO's decoded samples with no colour conversion: one band per component, upsampled to full size. */
    private static Raster readRaw(Path file, byte[] data) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        if (!readers.hasNext()) {
            throw new IllegalStateException("this JDK has no ImageIO JPEG reader");
        }
        ImageReader reader = readers.next();
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            Raster raster;
            try {
                raster = reader.readRaster(0, null);
            } catch (IOException | RuntimeException e) {
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                throw new ImageFormatException(file, "cannot decode the JPEG data (corrupt?): " + why, e);
            }
            for (String w : warnings) {
                if (w.toLowerCase(Locale.ROOT).contains("premature end")) {
                    throw new ImageFormatException(file, "the JPEG data is truncated (ImageIO: \"" + w
                            + "\"); refusing a half-decoded image");
                }
            }
            return raster;
        } finally {
            reader.dispose();
        }
    }

    /** The raw samples converted as libjpeg then Pillow's {@code convert('RGB')} do (class comment). */
    static byte[] toRgb(Raster raster, Space space) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int bands = raster.getNumBands();
        byte[] out = new byte[w * h * 3];
        int packed = packedOffset(raster);
        if (packed >= 0) { // the usual case: one interleaved byte array, rows back to back
            convert(((DataBufferByte) raster.getDataBuffer()).getData(), packed, out, 0, w * h, space);
            return out;
        }
        byte[] row = new byte[w * bands];
        int[] samples = null;
        for (int y = 0; y < h; y++) {
            samples = raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, samples);
            for (int i = 0; i < row.length; i++) {
                row[i] = (byte) samples[i];
            }
            convert(row, 0, out, y * w * 3, w, space);
        }
        return out;
    }

    /** Where the samples start if the raster is one byte array of interleaved pixels with no row padding, else −1. */
    private static int packedOffset(Raster raster) {
        int bands = raster.getNumBands();
        if (!(raster.getSampleModel() instanceof ComponentSampleModel csm) || !(raster.getDataBuffer() instanceof DataBufferByte db)
                || db.getNumBanks() != 1 || csm.getPixelStride() != bands || csm.getScanlineStride() != bands * raster.getWidth()
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0) {
            return -1;
        }
        int[] offsets = csm.getBandOffsets();
        for (int b = 0; b < offsets.length; b++) {
            if (offsets[b] != b || csm.getBankIndices()[b] != 0) {
                return -1;
            }
        }
        return db.getOffset();
    }

    /** {@code n} pixels of raw samples from {@code in[i]} to RGB at {@code out[o]}. */
    private static void convert(byte[] in, int i, byte[] out, int o, int n, Space space) {
        switch (space) {
            case GREY -> {
                for (int x = 0; x < n; x++, o += 3) {
                    out[o] = out[o + 1] = out[o + 2] = in[i + x];
                }
            }
            case RGB -> System.arraycopy(in, i, out, o, n * 3);
            case YCC -> {
                byte[] range = RANGE;
                for (int end = o + 3 * n; o < end; i += 3, o += 3) {
                    int yy = (in[i] & 0xFF) + RANGE_ZERO;
                    int cb = in[i + 1] & 0xFF;
                    int cr = in[i + 2] & 0xFF;
                    out[o] = range[yy + CR_R[cr]];
                    out[o + 1] = range[yy + ((CB_G[cb] + CR_G[cr]) >> 16)];
                    out[o + 2] = range[yy + CB_B[cb]];
                }
            }
            case CMYK, YCCK -> {
                for (int x = 0; x < n; x++, i += 4, o += 3) {
                    int c;
                    int m;
                    int ye;
                    if (space == Space.YCCK) { // libjpeg's YCCK -> CMYK, then Pillow's inversion: C' = R ...
                        int yy = in[i] & 0xFF;
                        int cb = in[i + 1] & 0xFF;
                        int cr = in[i + 2] & 0xFF;
                        c = clamp(yy + CR_R[cr]);
                        m = clamp(yy + ((CB_G[cb] + CR_G[cr]) >> 16));
                        ye = clamp(yy + CB_B[cb]);
                    } else { // Pillow's CMYK;I: every sample inverted
                        c = 255 - (in[i] & 0xFF);
                        m = 255 - (in[i + 1] & 0xFF);
                        ye = 255 - (in[i + 2] & 0xFF);
                    }
                    int nk = in[i + 3] & 0xFF; // 255 − K' where K' = 255 − K
                    out[o] = (byte) cmykChannel(c, nk);
                    out[o + 1] = (byte) cmykChannel(m, nk);
                    out[o + 2] = (byte) cmykChannel(ye, nk);
                }
            }
            default -> throw new AssertionError(space);
        }
    }

    /**
     * Pillow's {@code cmyk2rgb} for one channel ({@code Convert.c}): {@code clip(nk − MULDIV255(v, nk))} with
     * {@code nk = 255 − K}, MULDIV255 rounding {@code v·nk/255}. v is C, M or Y as Pillow holds it.
     */
    public static int cmykChannel(int v, int nk) {
        int t = v * nk + 128;
        return clamp(nk - (((t >> 8) + t) >> 8));
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
