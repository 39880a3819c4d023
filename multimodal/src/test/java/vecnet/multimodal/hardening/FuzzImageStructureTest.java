package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.ImageFormatException;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.image.Limits;
import vecnet.testing.FuzzHarness;
import vecnet.testing.LibraryTest;

/**
 * Structure-aware image fuzzing for issue 18, items 4 and 5: files built field by field from a seed
 * (so every input can be rebuilt), where {@link FuzzImageTest} mutates existing files.
 * <ul>
 * <li>{@link #progressiveJpegs}: progressive JPEGs of 1 to 1,000 scans, with real progression
 *     scripts (spectral selection, successive approximation down to Al = 13) and their hostile
 *     variants (Al = 14, 15; Ah ≠ Al + 1; Se &lt; Ss; Se = 64; AC scans of several components;
 *     repeated bands), around the scan limits ({@code Limits.MAX_SCANS}, {@code MAX_SCAN_WORK}),
 *     with entropy data that decodes, random data, or none.</li>
 * <li>{@link #structuredTiffs}: TIFFs with 1 to 65,535 samples per pixel, odd and mixed
 *     BitsPerSample (1 to 64, 0), ExtraSamples, SampleFormat, planar layouts, strips and tiles whose
 *     declared offsets, byte counts, rows per strip and tile sizes lie, every compression ImageIO
 *     knows (none, LZW, PackBits, Deflate, CCITT, JPEG with an embedded progressive JPEG) and
 *     unknown ones, palettes of the wrong size, IFD loops.</li>
 * </ul>
 * Property: see {@link FuzzHarness}; the documented refusals are {@link ImageFormatException} and
 * {@link IllegalArgumentException}, with a message.
 */
class FuzzImageStructureTest extends LibraryTest {
    private static final long SEED = FuzzHarness.seed(0x1_3a6eL + 10);
    /**
     * 2^24 pixels for the JPEGs: at 400 scans that is past {@code Limits.MAX_SCAN_WORK}, so the
     * work limit is reached, not only the scan count.
     */
    private static final long JPEG_MAX_PIXELS = 1 << 24;
    /** A 2^24-pixel CMYK raster (64 MB) and its RGB picture (48 MB), plus the resize. */
    private static final long JPEG_MAX_ALLOC = 192L << 20;
    private static final long TIFF_MAX_PIXELS = 1 << 22;
    /**
     * 2^22 pixels: at most 8 bytes each in ImageIO's raster (4 samples of 16 bits), 3 in ours, plus the
     * resize: 96 MB; plus ImageIO's buffers for each of the up to 4,096 strips or tiles generated, which
     * it allocates whatever their size (45 KB for LZW's string table; see {@code ImageIoGuard.MAX_TIFF_PIECES}).
     */
    private static final long TIFF_MAX_ALLOC = (96L << 20) + 4096 * (45L << 10);

    @TempDir
    Path dir;

    private FuzzHarness.Input preprocess(ImagePreprocessor pre, byte[] bytes, int i, String suffix) throws IOException {
        Path f = dir.resolve("in" + i + suffix);
        Files.write(f, bytes);
        return new FuzzHarness.Input(bytes, () -> {
            try {
                pre.preprocess(f);
            } finally {
                Files.deleteIfExists(f);
            }
        });
    }

    private static boolean documented(Throwable t) {
        return t instanceof ImageFormatException || t instanceof IllegalArgumentException;
    }

    @Test
    void progressiveJpegs() {
        ImagePreprocessor pre = ImagePreprocessor.builder().maxPixels(JPEG_MAX_PIXELS).build();
        int n = FuzzHarness.iterations(400);
        FuzzHarness.Stats s = FuzzHarness.run("image-progressive-jpeg", SEED, n, Duration.ofSeconds(60 + n / 5),
                JPEG_MAX_ALLOC, FuzzImageStructureTest::documented,
                (i, rnd, label) -> preprocess(pre, progressiveJpeg(rnd, label), i, ".jpg"));
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > n / 20 && s.refused > n / 10, s.toString());
    }

    @Test
    void structuredTiffs() {
        ImagePreprocessor pre = ImagePreprocessor.builder().maxPixels(TIFF_MAX_PIXELS).build();
        int n = FuzzHarness.iterations(400);
        FuzzHarness.Stats s = FuzzHarness.run("image-tiff", SEED + 1, n, Duration.ofSeconds(60 + n / 5),
                TIFF_MAX_ALLOC, FuzzImageStructureTest::documented,
                (i, rnd, label) -> preprocess(pre, tiff(rnd, label), i, ".tif"));
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > n / 20 && s.refused > n / 10, s.toString());
    }

    // ------------------------------------------------------------------ progressive JPEGs

    /** One scan: its components (indices into the frame), spectral selection Ss..Se, successive approximation Ah, Al. */
    record Scan(int[] comps, int ss, int se, int ah, int al) {
    }

    /** A frame: size, components' sampling factors (h, v) and ids. */
    record Frame(int w, int h, int[] hs, int[] vs) {
        int hMax() {
            return Arrays.stream(hs).max().orElse(1);
        }

        int vMax() {
            return Arrays.stream(vs).max().orElse(1);
        }

        /** The 8x8 blocks a scan of these components walks (libjpeg's MCU arithmetic). */
        long blocks(int[] comps) {
            int hm = Math.max(1, hMax()), vm = Math.max(1, vMax());
            if (comps.length == 1) {
                int c = comps[0];
                long cw = ((long) w * Math.max(1, hs[c]) + hm - 1) / hm, ch = ((long) h * Math.max(1, vs[c]) + vm - 1) / vm;
                return ((cw + 7) / 8) * ((ch + 7) / 8);
            }
            long mcus = ((w + 8L * hm - 1) / (8L * hm)) * ((h + 8L * vm - 1) / (8L * vm));
            long per = 0;
            for (int c : comps) {
                per += (long) Math.max(1, hs[c]) * Math.max(1, vs[c]);
            }
            return mcus * per;
        }
    }

    /**
     * A JPEG built marker by marker: SOF2 (sometimes SOF0/SOF1 with many scans), 1, 3 or 4 components
     * (sometimes 0, 2, 5 or 255) with sampling factors 1 to 4 (sometimes 0 or 5), tables that make
     * zero bits decode (DC difference 0, end of band) or random valid or oversubscribed Huffman
     * tables, then a scan script: a real progression, successive approximation from Al = 13 (or 14,
     * 15) down to 0, hundreds of repeated bands, or scans with random fields; each scan followed by
     * zero bits (one per block, so it decodes), random bits, or almost nothing.
     */
    static byte[] progressiveJpeg(Random rnd, StringBuilder label) {
        boolean big = rnd.nextInt(500) == 0;
        int nc = rnd.nextInt(12) == 0 ? pick(rnd, 0, 2, 5, 255) : pick(rnd, 1, 3, 3, 4);
        int w;
        int h;
        if (big) { // at the pixel limit of this test, or a long strip, with scans to reach the work limit
            switch (rnd.nextInt(3)) {
                case 0 -> { w = 1 + rnd.nextInt(16); h = 30_000 + rnd.nextInt(35_501); }
                case 1 -> { h = 1 + rnd.nextInt(16); w = 30_000 + rnd.nextInt(35_501); }
                default -> { w = 2048 + rnd.nextInt(2049); h = (int) Math.min(65_500, JPEG_MAX_PIXELS / w - rnd.nextInt(64)); }
            }
        } else {
            switch (rnd.nextInt(16)) {
                case 0 -> { w = 1; h = 1 + rnd.nextInt(4096); }
                case 1 -> { h = 1; w = 1 + rnd.nextInt(4096); }
                case 2 -> { w = pick(rnd, 0, 1, 8, 65535, 1 + rnd.nextInt(65535)); h = pick(rnd, 0, 1, 8, 65535, 1 + rnd.nextInt(65535)); }
                case 3 -> { w = 64 + rnd.nextInt(700); h = 64 + rnd.nextInt(700); }
                default -> { w = 1 + rnd.nextInt(64); h = 1 + rnd.nextInt(64); }
            }
        }
        int[] hs = new int[nc];
        int[] vs = new int[nc];
        int samplingKind = rnd.nextInt(6);
        for (int c = 0; c < nc; c++) {
            if (samplingKind == 0) {             // random factors, sometimes invalid
                hs[c] = rnd.nextInt(20) == 0 ? pick(rnd, 0, 5, 15) : 1 + rnd.nextInt(4);
                vs[c] = rnd.nextInt(20) == 0 ? pick(rnd, 0, 5, 15) : 1 + rnd.nextInt(4);
            } else if (samplingKind == 1 && c == 0) { // 4:2:0 or 4:2:2
                hs[c] = 2;
                vs[c] = rnd.nextBoolean() ? 2 : 1;
            } else {
                hs[c] = 1;
                vs[c] = 1;
            }
        }
        Frame frame = new Frame(w, h, hs, vs);
        boolean simpleTables = rnd.nextInt(4) != 0;
        int sof = rnd.nextInt(8) == 0 ? pick(rnd, 0xC0, 0xC1) : 0xC2;

        List<Scan> script = script(rnd, nc, big ? (int) Math.max(1, Math.round(Limits.MAX_SCAN_WORK / (double) Limits.scanWork(1, w, h, Math.max(nc, 1))
                * (0.9 + 0.2 * rnd.nextDouble()))) : -1);
        label.append(Integer.toHexString(sof)).append(' ').append(w).append('x').append(h).append('x').append(nc)
                .append(" sampling ").append(Arrays.toString(hs)).append(Arrays.toString(vs)).append(", ")
                .append(script.size()).append(" scans, ").append(simpleTables ? "zero-decoding" : "random").append(" tables");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD8});
        if (rnd.nextInt(3) == 0) {
            segment(out, 0xE0, new byte[] {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0});
        }
        if (rnd.nextInt(6) == 0) {
            segment(out, 0xEE, new byte[] {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) pick(rnd, 0, 1, 2, 7)});
        }
        for (int t = 0; t < 2; t++) { // quantization tables 0 and 1
            boolean wide = rnd.nextInt(20) == 0;
            byte[] q = new byte[1 + 64 * (wide ? 2 : 1)];
            q[0] = (byte) ((wide ? 0x10 : 0) | t);
            for (int k = 1; k < q.length; k++) {
                q[k] = (byte) (rnd.nextInt(10) == 0 ? rnd.nextInt(256) : 1);
            }
            segment(out, 0xDB, q);
        }
        byte[] sofPayload = new byte[6 + 3 * nc];
        sofPayload[0] = (byte) (rnd.nextInt(30) == 0 ? pick(rnd, 12, 16, 0) : 8);
        sofPayload[1] = (byte) (h >> 8);
        sofPayload[2] = (byte) h;
        sofPayload[3] = (byte) (w >> 8);
        sofPayload[4] = (byte) w;
        sofPayload[5] = (byte) nc;
        for (int c = 0; c < nc; c++) {
            sofPayload[6 + 3 * c] = (byte) (c + 1);
            sofPayload[7 + 3 * c] = (byte) ((hs[c] << 4) | (vs[c] & 0x0F));
            sofPayload[8 + 3 * c] = (byte) (rnd.nextInt(40) == 0 ? 3 : c == 0 ? 0 : 1);
        }
        segment(out, sof, sofPayload);
        for (int t = 0; t < 2; t++) {
            segment(out, 0xC4, huffman(rnd, 0x00 | t, simpleTables, 12));   // DC tables 0, 1
            segment(out, 0xC4, huffman(rnd, 0x10 | t, simpleTables, 256));  // AC tables 0, 1
        }
        if (rnd.nextInt(20) == 0) {
            int interval = pick(rnd, 0, 1, 7, 65535);
            segment(out, 0xDD, new byte[] {(byte) (interval >> 8), (byte) interval});
            label.append(", restart interval ").append(interval);
        }
        int dataKind = rnd.nextInt(6); // 0..3 zeros, 4 random, 5 almost none (the scan bomb)
        long budget = 8L << 20;        // bytes of entropy data in one file, at most
        for (int s = 0; s < script.size(); s++) {
            Scan sc = script.get(s);
            byte[] sos = new byte[1 + 2 * sc.comps.length + 3];
            sos[0] = (byte) sc.comps.length;
            for (int k = 0; k < sc.comps.length; k++) {
                int c = sc.comps[k];
                sos[1 + 2 * k] = (byte) (c + 1);
                int table = c == 0 ? 0 : 1;
                sos[2 + 2 * k] = (byte) (rnd.nextInt(60) == 0 ? rnd.nextInt(256) : (table << 4) | table);
            }
            sos[1 + 2 * sc.comps.length] = (byte) sc.ss;
            sos[2 + 2 * sc.comps.length] = (byte) sc.se;
            sos[3 + 2 * sc.comps.length] = (byte) ((sc.ah << 4) | (sc.al & 0x0F));
            segment(out, 0xDA, sos);
            long bits = nc == 0 ? 8 : frame.blocks(validComps(sc.comps, nc));
            int bytes = (int) Math.min(budget, bits / 8 + 2);
            if (dataKind == 5 && !(s == 0)) {
                bytes = rnd.nextInt(3);
            } else if (big && s > 0 && dataKind != 0) {
                bytes = 2;
            }
            budget -= bytes;
            byte[] data = new byte[bytes];
            if (dataKind == 4) {
                for (int k = 0; k < bytes; k++) {
                    data[k] = (byte) rnd.nextInt(255); // never 0xFF: no marker inside the data
                }
            }
            out.writeBytes(data);
        }
        if (rnd.nextInt(30) != 0) {
            out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD9});
        } else {
            label.append(", no EOI");
        }
        return out.toByteArray();
    }

    private static int[] validComps(int[] comps, int nc) {
        return Arrays.stream(comps).map(c -> Math.floorMod(c, nc)).toArray();
    }

    /**
     * A scan script for {@code nc} components: a real progression (libjpeg's simple one, or
     * successive approximation from Al = k down to 0), {@code count} scans aimed at the limits,
     * or scans with random fields.
     */
    static List<Scan> script(Random rnd, int nc, int count) {
        int[] all = new int[Math.max(nc, 1)];
        Arrays.setAll(all, c -> c);
        List<Scan> s = new ArrayList<>();
        int kind = count > 0 ? 2 : rnd.nextInt(6);
        switch (kind) {
            case 0 -> { // libjpeg's jpeg_simple_progression
                s.add(new Scan(all, 0, 0, 0, 1));
                s.add(new Scan(new int[] {0}, 1, 5, 0, 2));
                for (int c = 1; c < nc; c++) {
                    s.add(new Scan(new int[] {c}, 1, 63, 0, 1));
                }
                s.add(new Scan(new int[] {0}, 6, 63, 0, 2));
                s.add(new Scan(new int[] {0}, 1, 63, 2, 1));
                s.add(new Scan(all, 0, 0, 1, 0));
                for (int c = 0; c < nc; c++) {
                    s.add(new Scan(new int[] {c}, 1, 63, 1, 0));
                }
            }
            case 1 -> { // successive approximation of every bit: Al = top .. 0 (13 is the limit; 14, 15 past it)
                int top = rnd.nextInt(4) == 0 ? pick(rnd, 13, 14, 15) : rnd.nextInt(14);
                s.add(new Scan(all, 0, 0, 0, top));
                for (int c = 0; c < nc; c++) {
                    s.add(new Scan(new int[] {c}, 1, 63, 0, top));
                }
                for (int al = top - 1; al >= 0; al--) {
                    s.add(new Scan(all, 0, 0, al + 1, al));
                    for (int c = 0; c < nc; c++) {
                        int ss = 1 + rnd.nextInt(63);
                        s.add(new Scan(new int[] {c}, 1, 63, al + 1, al));
                        if (rnd.nextInt(8) == 0) { // a refinement of a band that was not sent first: bogus progression
                            s.add(new Scan(new int[] {c}, ss, 63, al + 1, al));
                        }
                    }
                }
            }
            case 2, 3 -> { // many scans: one DC scan, then repeated narrow AC bands (libjpeg warns and goes on)
                int n = count > 0 ? count : switch (rnd.nextInt(4)) {
                    case 0 -> 12 + rnd.nextInt(190);
                    case 1, 2 -> 395 + rnd.nextInt(11);   // around Limits.MAX_SCANS = 400
                    default -> 405 + rnd.nextInt(600);
                };
                s.add(new Scan(all, 0, 0, 0, 0));
                for (int k = 1; k < n; k++) {
                    if (rnd.nextInt(10) == 0) {        // an interleaved DC scan again: every component, every block
                        s.add(new Scan(all, 0, 0, 0, 0));
                    } else {
                        int ss = 1 + rnd.nextInt(63);
                        s.add(new Scan(new int[] {rnd.nextInt(Math.max(nc, 1))}, ss, ss + rnd.nextInt(64 - ss), 0, 0));
                    }
                }
            }
            default -> { // random fields, mostly near the legal ranges
                int n = 1 + rnd.nextInt(12);
                for (int k = 0; k < n; k++) {
                    int ns = rnd.nextInt(10) == 0 ? pick(rnd, 0, 5) : 1 + rnd.nextInt(Math.max(nc, 1));
                    int[] comps = new int[ns];
                    for (int j = 0; j < ns; j++) {
                        comps[j] = rnd.nextInt(15) == 0 ? 199 : rnd.nextInt(Math.max(nc, 1));
                    }
                    int ss = pick(rnd, 0, 0, 1, 1 + rnd.nextInt(63), 63, 64, 255);
                    int se = pick(rnd, 0, ss, ss + rnd.nextInt(8), 63, 64, Math.max(0, ss - 1));
                    int al = rnd.nextInt(5) == 0 ? pick(rnd, 13, 14, 15) : rnd.nextInt(4);
                    int ah = pick(rnd, 0, al + 1, rnd.nextInt(16));
                    s.add(new Scan(comps, ss, Math.min(se, 255), Math.min(ah, 15), al));
                }
            }
        }
        return s;
    }

    /**
     * A DHT payload for table {@code classAndId}: one code of length 1 for symbol 0 (zero bits then
     * decode as "DC difference 0" or "end of band"), or random code lengths (valid, or
     * oversubscribed one time in ten) for random symbols below {@code symbols}.
     */
    static byte[] huffman(Random rnd, int classAndId, boolean simple, int symbols) {
        int[] counts = new int[16];
        List<Integer> values = new ArrayList<>();
        if (simple) {
            counts[0] = 1;
            values.add(0);
        } else {
            boolean oversubscribed = rnd.nextInt(10) == 0;
            long space = 1L << 16; // code space left, in units of 2^-16
            int n = 1 + rnd.nextInt(Math.min(symbols, 40));
            for (int k = 0; k < n; k++) {
                int len = 2 + rnd.nextInt(10);
                long cost = 1L << (16 - len);
                if (!oversubscribed && cost >= space) { // keep one code free: libjpeg refuses an all-ones code
                    break;
                }
                space -= cost;
                counts[len - 1]++;
                values.add(rnd.nextInt(20) == 0 ? rnd.nextInt(256) : rnd.nextInt(symbols));
            }
        }
        byte[] p = new byte[17 + values.size()];
        p[0] = (byte) classAndId;
        for (int i = 0; i < 16; i++) {
            p[1 + i] = (byte) counts[i];
        }
        for (int i = 0; i < values.size(); i++) {
            p[17 + i] = (byte) (int) values.get(i);
        }
        return p;
    }

    private static void segment(ByteArrayOutputStream out, int marker, byte[] payload) {
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) marker, (byte) ((payload.length + 2) >> 8), (byte) (payload.length + 2)});
        out.writeBytes(payload);
    }

    // ------------------------------------------------------------------ TIFFs

    private static final int BYTE = 1, SHORT = 3, LONG = 4, UNDEFINED = 7;

    /**
     * A TIFF built tag by tag (class comment). The pixel data is generated for the declared layout
     * (random or zero samples, then compressed as declared) up to 16 KiB per strip or tile and 512 KiB
     * per file, and
     * the offsets and byte counts written for it are then, sometimes, replaced by lies.
     */
    static byte[] tiff(Random rnd, StringBuilder label) {
        ByteOrder order = rnd.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        long w;
        long h;
        switch (rnd.nextInt(14)) {
            case 0 -> { w = 1; h = 1 + rnd.nextInt(4096); }
            case 1 -> { h = 1; w = 1 + rnd.nextInt(4096); }
            case 2 -> { w = pickL(rnd, 0, 2000, 65_536, 1L << 31, 0xFFFF_FFFFL); h = pickL(rnd, 0, 1, 2000, 65_536, 1L << 31); }
            case 3 -> { w = 512 + rnd.nextInt(1537); h = 512 + rnd.nextInt(1537); }  // up to the 2^22 limit, data short
            default -> { w = 1 + rnd.nextInt(48); h = 1 + rnd.nextInt(48); }
        }
        int spp = rnd.nextInt(10) == 0 ? pick(rnd, 5, 8, 16, 256, 65_535, 0) : pick(rnd, 1, 1, 2, 3, 3, 4);
        int baseBits = rnd.nextInt(6) == 0 ? pick(rnd, 0, 3, 5, 6, 7, 12, 24, 32, 64) : pick(rnd, 8, 8, 8, 1, 2, 4, 16);
        int bitsCount = rnd.nextInt(15) == 0 ? Math.max(0, spp + pick(rnd, -1, 1, 2)) : spp;
        long[] bits = new long[Math.min(bitsCount, 70_000)];
        boolean mixed = rnd.nextInt(8) == 0;
        for (int i = 0; i < bits.length; i++) {
            bits[i] = mixed ? pick(rnd, 1, 2, 4, 5, 8, 12, 16, 32) : baseBits;
        }
        int photometric = switch (rnd.nextInt(12)) {
            case 0 -> pick(rnd, 4, 8, 9, 10, 32844, 32845, 65535);
            case 1 -> 3;
            case 2 -> 6;
            default -> spp >= 4 ? pick(rnd, 5, 2) : spp >= 3 ? 2 : pick(rnd, 0, 1);
        };
        int colorChannels = photometric == 2 || photometric == 6 || photometric == 8 ? 3 : photometric == 5 ? 4 : 1;
        long[] extra = null;
        if (spp > colorChannels || rnd.nextInt(12) == 0) {
            int count = rnd.nextInt(8) == 0 ? rnd.nextInt(5) : Math.max(0, spp - colorChannels);
            extra = new long[Math.min(count, 70_000)];
            for (int i = 0; i < extra.length; i++) {
                extra[i] = rnd.nextInt(10) == 0 ? pick(rnd, 3, 255, 65535) : rnd.nextInt(3);
            }
        }
        int planar = rnd.nextInt(5) == 0 ? pick(rnd, 2, 2, 0, 3) : 1;
        int compression = switch (rnd.nextInt(16)) {
            case 0, 1 -> 5;                      // LZW
            case 2, 3 -> pick(rnd, 8, 32946);    // Deflate
            case 4 -> 32773;                     // PackBits
            case 5 -> pick(rnd, 2, 3, 4);        // CCITT (1-bit only)
            case 6, 7 -> 7;                      // JPEG: the strip holds a JPEG
            case 8 -> pick(rnd, 6, 9, 34712, 65535, 0);
            default -> 1;
        };
        int predictor = (compression == 5 || compression == 8 || compression == 32946) && rnd.nextInt(3) == 0
                ? pick(rnd, 2, 2, 3, 4) : 1;
        int sampleFormat = rnd.nextInt(8) == 0 ? pick(rnd, 2, 3, 3, 4, 0) : 1;
        boolean tiled = rnd.nextInt(5) == 0;
        long tw = tiled ? pickL(rnd, 16, 32, 64, 256, 8, 17, 65_536, 1L << 31) : w;
        long th = tiled ? pickL(rnd, 16, 32, 64, 256, 8, 17, 65_536, 1L << 31)
                : pickL(rnd, h, h, h, 1, 1 + rnd.nextInt((int) Math.min(h, 64) + 1), 0, 0xFFFF_FFFFL);
        label.append(order == ByteOrder.LITTLE_ENDIAN ? "II " : "MM ").append(w).append('x').append(h)
                .append(" spp ").append(spp).append(" bits ").append(bits.length > 6 ? bits.length + " values" : Arrays.toString(bits))
                .append(" photometric ").append(photometric).append(" compression ").append(compression)
                .append(" planar ").append(planar).append(tiled ? " tiles " : " rows per strip ").append(tiled ? tw + "x" + th : th);
        if (extra != null) {
            label.append(" extra ").append(extra.length > 6 ? extra.length + " values" : Arrays.toString(extra));
        }

        // the strips (or tiles) the layout needs, each holding what it should, compressed
        long across = Math.max(1, tiled ? ceilDiv(w, Math.max(1, tw)) : 1);
        long down = Math.max(1, ceilDiv(h, Math.max(1, th)));
        int planes = planar == 2 ? Math.max(1, spp) : 1;
        long pieces = across * down * planes;
        int count = (int) Math.min(pieces, rnd.nextInt(10) == 0 ? rnd.nextInt(3) : compression == 7 ? 16 : 4096);
        long bitsPerPixel = planar == 2 ? Math.max(1, baseBits) : Math.max(1, (long) Math.max(spp, 1) * Math.max(1, baseBits));
        long pieceW = tiled ? tw : w;
        long pieceH = Math.min(th, h);
        long rawBytes = Math.min(ceilDiv(Math.max(pieceW, 0) * Math.min(bitsPerPixel, 1 << 24), 8), 1 << 24)
                * Math.min(Math.max(pieceH, 0), 1 << 24);   // clamped: no overflow, and far above the cap below
        int rawCap = (int) Math.min(1 << 14, (512 << 10) / Math.max(count, 1));  // at most 512 KiB of samples in a file
        List<byte[]> pieceData = new ArrayList<>();
        boolean zeros = rnd.nextBoolean();
        byte[] stripJpeg = null;
        for (int p = 0; p < count; p++) {
            byte[] raw = new byte[(int) Math.min(rawBytes, rawCap)];
            if (!zeros) {
                rnd.nextBytes(raw);
            }
            if (compression == 7 && stripJpeg == null) {            // one JPEG, repeated in every strip
                StringBuilder what = new StringBuilder();
                stripJpeg = progressiveJpeg(rnd, what);
                label.append(" [each strip: ").append(what).append(']');
            }
            pieceData.add(switch (compression) {
                case 5 -> lzw(raw);
                case 8, 32946 -> FuzzImageTest.deflate(raw);
                case 32773 -> packBits(raw);
                case 7 -> p == 0 || stripJpeg.length < (1 << 20) ? stripJpeg : raw;
                default -> raw;
            });
        }

        TreeMap<Integer, long[]> tags = new TreeMap<>();
        TreeMap<Integer, Integer> types = new TreeMap<>();
        tags.put(256, new long[] {w});
        tags.put(257, new long[] {h});
        tags.put(258, bits);
        tags.put(259, new long[] {compression});
        tags.put(262, new long[] {photometric});
        tags.put(277, new long[] {spp});
        if (planar != 1 || rnd.nextInt(3) == 0) {
            tags.put(284, new long[] {planar});
        }
        if (predictor != 1) {
            tags.put(317, new long[] {predictor});
        }
        if (extra != null) {
            tags.put(338, extra);
        }
        if (sampleFormat != 1) {
            long[] sf = new long[Math.max(1, Math.min(spp, 70_000))];
            Arrays.fill(sf, sampleFormat);
            tags.put(339, sf);
        }
        if (photometric == 3 || rnd.nextInt(20) == 0) {
            int entries = rnd.nextInt(5) == 0 ? rnd.nextInt(300) : 1 << (int) Math.min(16, Math.max(1, baseBits));
            long[] map = new long[3 * entries + (rnd.nextInt(10) == 0 ? 1 : 0)];
            for (int i = 0; i < map.length; i++) {
                map[i] = rnd.nextInt(65536);
            }
            tags.put(320, map);
            types.put(320, SHORT);
        }
        if (photometric == 6 && rnd.nextBoolean()) {
            tags.put(530, new long[] {pick(rnd, 1, 2, 4, 3), pick(rnd, 1, 2, 4, 0)});   // YCbCrSubSampling
        }
        if (compression == 7 && rnd.nextInt(3) == 0) { // JPEGTables: an abbreviated stream of tables only
            byte[] tables = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xD9};
            long[] t = new long[tables.length];
            for (int i = 0; i < t.length; i++) {
                t[i] = tables[i] & 0xFF;
            }
            tags.put(347, t);
            types.put(347, UNDEFINED);
        }
        int offsetsTag = tiled ? 324 : 273;
        int countsTag = tiled ? 325 : 279;
        if (tiled) {
            tags.put(322, new long[] {tw});
            tags.put(323, new long[] {th});
        } else if (th != h || rnd.nextBoolean()) {
            tags.put(278, new long[] {th});
        }
        long[] offsets = new long[count];
        long[] counts = new long[count];
        tags.put(offsetsTag, offsets);
        tags.put(countsTag, counts);
        types.put(offsetsTag, LONG);
        types.put(countsTag, LONG);

        // layout: header, IFD, values that do not fit in 4 bytes, then the pieces
        int ifdSize = 2 + 12 * tags.size() + 4;
        long valuesSize = 0;
        for (var e : tags.entrySet()) {
            long size = (long) e.getValue().length * typeSize(type(e.getKey(), e.getValue(), types));
            if (size > 4) {
                valuesSize += size + (size & 1);
            }
        }
        long dataStart = 8 + ifdSize + valuesSize;
        long at = dataStart;
        for (int p = 0; p < count; p++) {
            offsets[p] = at;
            counts[p] = pieceData.get(p).length;
            at += counts[p];
        }
        long fileSize = at;
        int lies = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0;
        for (int k = 0; k < lies && count > 0; k++) {
            int p = rnd.nextInt(count);
            if (rnd.nextBoolean()) {
                counts[p] = pickL(rnd, 0, counts[p] + 1, counts[p] * 2, fileSize + 1, 1L << 20, 0x7FFF_FFFFL, 0xFFFF_FFFFL,
                        counts[p] / 2);
                label.append("; byte count ").append(p).append(" = ").append(counts[p]);
            } else {
                offsets[p] = pickL(rnd, 0, 8, fileSize, fileSize - 1, 0x7FFF_FFFFL, 0xFFFF_FFFFL, dataStart);
                label.append("; offset ").append(p).append(" = ").append(offsets[p]);
            }
        }
        long nextIfd = rnd.nextInt(25) == 0 ? pickL(rnd, 8, fileSize, 0xFFFF_FFFFL) : 0;   // 8: a loop to itself
        if (fileSize > 64L << 20) {
            throw new IllegalStateException("generated TIFF too large: " + fileSize);
        }
        ByteBuffer b = ByteBuffer.allocate((int) fileSize).order(order);
        b.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M').put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
        b.putShort((short) 42).putInt(8);
        b.putShort((short) tags.size());
        long valueAt = 8 + ifdSize;
        List<Runnable> outOfLine = new ArrayList<>();
        for (var e : tags.entrySet()) {
            long[] v = e.getValue();
            int type = type(e.getKey(), v, types);
            b.putShort((short) (int) e.getKey()).putShort((short) type).putInt(v.length);
            long size = (long) v.length * typeSize(type);
            if (size <= 4) {
                int start = b.position();
                for (long x : v) {
                    put(b, type, x);
                }
                b.position(start + 4);
            } else {
                long where = valueAt;
                b.putInt((int) where);
                outOfLine.add(() -> {
                    b.position((int) where);
                    for (long x : v) {
                        put(b, type, x);
                    }
                });
                valueAt += size + (size & 1);
            }
        }
        b.putInt((int) nextIfd);
        outOfLine.forEach(Runnable::run);
        b.position((int) dataStart);
        for (byte[] piece : pieceData) {
            b.put(piece);
        }
        return b.array();
    }

    private static int type(int tag, long[] v, TreeMap<Integer, Integer> types) {
        Integer t = types.get(tag);
        if (t != null) {
            return t;
        }
        return Arrays.stream(v).allMatch(x -> x >= 0 && x <= 0xFFFF) ? SHORT : LONG;
    }

    private static int typeSize(int type) {
        return type == SHORT ? 2 : type == LONG ? 4 : 1;
    }

    private static void put(ByteBuffer b, int type, long x) {
        switch (type) {
            case SHORT -> b.putShort((short) x);
            case LONG -> b.putInt((int) x);
            default -> b.put((byte) x);
        }
    }

    /** TIFF LZW (MSB first) of literal codes only, with a Clear code every 200 literals so codes stay 9 bits. */
    static byte[] lzw(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long acc = 0;
        int nbits = 0;
        int[] codes = new int[raw.length + raw.length / 200 + 3];
        int n = 0;
        codes[n++] = 256;
        for (int i = 0; i < raw.length; i++) {
            if (i > 0 && i % 200 == 0) {
                codes[n++] = 256;
            }
            codes[n++] = raw[i] & 0xFF;
        }
        codes[n++] = 257;
        for (int k = 0; k < n; k++) {
            acc = (acc << 9) | codes[k];
            nbits += 9;
            while (nbits >= 8) {
                out.write((int) (acc >>> (nbits - 8)) & 0xFF);
                nbits -= 8;
            }
        }
        if (nbits > 0) {
            out.write((int) (acc << (8 - nbits)) & 0xFF);
        }
        return out.toByteArray();
    }

    /** PackBits of literal runs only (a header byte n − 1, then n bytes). */
    static byte[] packBits(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < raw.length; i += 128) {
            int n = Math.min(128, raw.length - i);
            out.write(n - 1);
            out.write(raw, i, n);
        }
        return out.toByteArray();
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static int pick(Random rnd, int... v) {
        return v[rnd.nextInt(v.length)];
    }

    private static long pickL(Random rnd, long... v) {
        return v[rnd.nextInt(v.length)];
    }
}
