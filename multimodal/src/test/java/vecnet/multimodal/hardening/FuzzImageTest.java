package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.ImageFormatException;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.testing.Fixtures;
import vecnet.testing.FuzzHarness;
import vecnet.testing.LibraryTest;

/**
 * Fuzzes image decoding and the whole torchvision preprocessing ({@link ImagePreprocessor#preprocess(Path)}):
 * byte mutations of the PNG and JPEG fixtures (gray, palette, RGBA, 16-bit, photo, CMYK, truncated),
 * PNGs generated chunk by chunk with correct CRCs but hostile headers (sizes 0, 1×N strips,
 * 2^31−1, bit depths and colour types outside the standard, bad palettes, IDAT streams that are
 * short, long or not zlib), and the JPEG photo with hostile marker segments (SOF0 sizes, component
 * counts and sampling factors, segment lengths, restart intervals, a second SOF0, no EOI). The preprocessor under test has a pixel limit of 2^20 so a case stays
 * small; the 100-megapixel default is tested in {@code BadInputTest}. Property: see
 * {@link FuzzHarness}; the documented refusals are {@link ImageFormatException} and
 * {@link IllegalArgumentException}, with a message.
 */
class FuzzImageTest extends LibraryTest {
    private static final long SEED = FuzzHarness.seed(0x1_3a6eL);
    private static final long MAX_PIXELS = 1 << 20;
    /** 2^20 pixels: at most 8 bytes each in ImageIO's image (16-bit RGBA), 3 in ours, plus the resize. */
    private static final long MAX_ALLOC = 96L << 20;
    private static final ImagePreprocessor PRE = ImagePreprocessor.builder().maxPixels(MAX_PIXELS).build();

    @TempDir
    Path dir;

    private static List<byte[]> seeds;

    @BeforeAll
    static void load() throws IOException {
        seeds = new java.util.ArrayList<>();
        for (String f : List.of("gray.png", "palette.png", "rgba.png", "rgb16.png", "photo.jpg", "cmyk.jpg", "truncated.jpg")) {
            seeds.add(Files.readAllBytes(Fixtures.file(f)));
        }
        // one of each decoder path of the Pillow fixture set (the file name does not matter: content is sniffed)
        for (String f : List.of("png_grey2_adam7.png", "png_palette4_trns_adam7.png", "png_rgba16.png",
                "png_greyalpha16.png", "png_grey16.png", "j420_progressive.jpg", "ycck.jpg", "adobe_rgb.jpg",
                "cmyk_progressive.jpg", "exif_6.jpg", "bmp_palette.bmp", "bmp_rgb.bmp", "tiff_palette.tif",
                "tiff_cmyk.tif", "gif_animated.gif")) {
            seeds.add(Files.readAllBytes(Fixtures.dir().resolve("images").resolve(f)));
        }
    }

    private FuzzHarness.Input preprocess(byte[] bytes, int i, String suffix) throws IOException {
        Path f = dir.resolve("in" + i + suffix);
        Files.write(f, bytes);
        return new FuzzHarness.Input(bytes, () -> {
            try {
                PRE.preprocess(f);
            } finally {
                Files.deleteIfExists(f);
            }
        });
    }

    private static boolean documented(Throwable t) {
        return t instanceof ImageFormatException || t instanceof IllegalArgumentException;
    }

    @Test
    void mutatedFixtures() {
        int n = FuzzHarness.iterations(700);
        FuzzHarness.Stats s = FuzzHarness.run("image-bytes", SEED, n, Duration.ofSeconds(60 + n / 10), MAX_ALLOC,
                FuzzImageTest::documented, (i, rnd, label) -> {
                    int which = rnd.nextInt(seeds.size());
                    label.append("seed file ").append(which).append(": ");
                    return preprocess(FuzzHarness.mutate(seeds.get(which), rnd, label), i, which < 4 ? ".png" : ".jpg");
                });
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > 0 && s.refused > 0, s.toString());
    }

    @Test
    void generatedPngs() {
        int n = FuzzHarness.iterations(700);
        FuzzHarness.Stats s = FuzzHarness.run("image-png", SEED + 1, n, Duration.ofSeconds(60 + n / 10), MAX_ALLOC,
                FuzzImageTest::documented, (i, rnd, label) -> preprocess(png(rnd, label), i, ".png"));
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > n / 10 && s.refused > n / 10, s.toString());
    }

    @Test
    void generatedJpegs() {
        byte[] photo = seeds.get(4);
        int n = FuzzHarness.iterations(700);
        FuzzHarness.Stats s = FuzzHarness.run("image-jpeg", SEED + 2, n, Duration.ofSeconds(60 + n / 10), MAX_ALLOC,
                FuzzImageTest::documented, (i, rnd, label) -> preprocess(jpeg(photo, rnd, label), i, ".jpg"));
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > 0 && s.refused > n / 10, s.toString());
    }

    /**
     * The photo with one marker segment's fields set to hostile values: SOF0 height, width, component
     * count and sampling factors; DQT/DHT/SOS/APP0 segment lengths; a DRI restart interval inserted;
     * the EOI marker removed; a second SOF0 inserted.
     */
    static byte[] jpeg(byte[] photo, Random rnd, StringBuilder label) {
        byte[] b = photo.clone();
        java.util.List<Integer> segments = new java.util.ArrayList<>();    // offsets of FF xx markers with a length
        for (int p = 2; p + 4 < b.length; ) {
            if ((b[p] & 0xff) != 0xff) {
                break;
            }
            int marker = b[p + 1] & 0xff;
            segments.add(p);
            if (marker == 0xda) {                                           // SOS: entropy-coded data follows
                break;
            }
            p += 2 + (((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff));
        }
        int seg = segments.get(rnd.nextInt(segments.size()));
        int marker = b[seg + 1] & 0xff;
        label.append("marker ").append(Integer.toHexString(marker)).append(" at ").append(seg).append(": ");
        int[] values = {0, 1, 2, 3, 4, 5, 0x11, 0x22, 0x44, 0xff, 0x7fff, 0xffff, 20_000, 16_385};
        int v = values[rnd.nextInt(values.length)];
        if (marker == 0xc0 && rnd.nextInt(4) != 0) {
            // SOF0: length(2) precision(1) height(2) width(2) components(1) then 3 bytes per component
            int[] fields = {5, 7, 9, 11, 12, 4};
            int field = fields[rnd.nextInt(fields.length)];
            if (field == 5 || field == 7) {
                b[seg + field] = (byte) (v >>> 8);
                b[seg + field + 1] = (byte) v;
            } else {
                b[seg + field] = (byte) v;
            }
            label.append("SOF0 field +").append(field).append(" = ").append(v);
            return b;
        }
        switch (rnd.nextInt(4)) {
            case 0: { // segment length
                b[seg + 2] = (byte) (v >>> 8);
                b[seg + 3] = (byte) v;
                label.append("length = ").append(v);
                return b;
            }
            case 1: { // insert a DRI restart interval before this segment
                byte[] dri = {(byte) 0xff, (byte) 0xdd, 0, 4, (byte) (v >>> 8), (byte) v};
                label.append("DRI ").append(v);
                return insert(b, seg, dri);
            }
            case 2: { // insert a second SOF0 claiming another size
                byte[] sof = {(byte) 0xff, (byte) 0xc0, 0, 11, 8, (byte) (v >>> 8), (byte) v, (byte) (v >>> 8), (byte) v, 1, 1,
                    0x11, 0};
                label.append("second SOF0 ").append(v);
                return insert(b, seg, sof);
            }
            default: // remove the end-of-image marker and some data before it
                label.append("no EOI");
                return java.util.Arrays.copyOf(b, b.length - 2 - rnd.nextInt(200));
        }
    }

    private static byte[] insert(byte[] b, int at, byte[] what) {
        byte[] out = new byte[b.length + what.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(b, at, out, at + what.length, b.length - at);
        return out;
    }

    private static final int[][] DEPTHS = {{1, 2, 4, 8, 16}, {}, {8, 16}, {1, 2, 4, 8}, {8, 16}, {}, {8, 16}};

    /** A PNG with correct chunk CRCs whose header and data are drawn at random, mostly plausible. */
    static byte[] png(Random rnd, StringBuilder label) {
        int w = 1 + rnd.nextInt(40), h = 1 + rnd.nextInt(40);
        switch (rnd.nextInt(10)) {
            case 0: w = 1; h = 1 + rnd.nextInt(5000); break;                          // a strip: resize makes it huge
            case 1: h = 1; w = 1 + rnd.nextInt(5000); break;
            case 2: w = (int) pick(rnd, 0, 1, 20_000, 65_536, Integer.MAX_VALUE, 1 << 31, -1); break;
            case 3: h = (int) pick(rnd, 0, 1, 20_000, 65_536, Integer.MAX_VALUE, 1 << 31, -1); break;
            default: break;
        }
        int colorType = rnd.nextInt(8) == 0 ? rnd.nextInt(256) : new int[] {0, 2, 3, 4, 6}[rnd.nextInt(5)];
        int[] allowed = colorType < DEPTHS.length ? DEPTHS[colorType] : new int[0];
        int depth = rnd.nextInt(8) == 0 || allowed.length == 0 ? rnd.nextInt(33) : allowed[rnd.nextInt(allowed.length)];
        int interlace = rnd.nextInt(6) == 0 ? 1 : rnd.nextInt(30) == 0 ? 2 : 0;
        label.append(w).append('x').append(h).append(" type ").append(colorType).append(" depth ").append(depth)
                .append(" interlace ").append(interlace);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) depth).put((byte) colorType)
                .put((byte) 0).put((byte) (rnd.nextInt(20) == 0 ? 1 : 0)).put((byte) interlace).array());
        if (colorType == 3 || rnd.nextInt(20) == 0) {
            int entries = rnd.nextInt(5) == 0 ? rnd.nextInt(300) : 1 << Math.min(8, Math.max(1, depth));
            byte[] pal = new byte[entries * 3 + (rnd.nextInt(10) == 0 ? 1 : 0)];
            rnd.nextBytes(pal);
            chunk(out, "PLTE", pal);
        }
        if (rnd.nextInt(8) == 0) {
            byte[] trns = new byte[rnd.nextInt(10)];
            rnd.nextBytes(trns);
            chunk(out, "tRNS", trns);
        }
        // raw scanlines for a plausible size (bounded), deflated; sometimes wrong length or not zlib at all
        int channels = colorType == 2 ? 3 : colorType == 4 ? 2 : colorType == 6 ? 4 : 1;
        long rowBytes = 1 + ((long) Math.max(w, 0) * channels * Math.max(depth, 1) + 7) / 8;
        long raw = Math.min(rowBytes * Math.max(h, 0), 1 << 16);
        if (rnd.nextInt(5) == 0) {
            raw = rnd.nextInt((int) raw + 1);
        }
        byte[] rows = new byte[(int) raw];
        if (rnd.nextBoolean()) {
            for (int k = 0; k < rows.length; k++) {
                rows[k] = (byte) (rnd.nextInt(16) == 0 ? rnd.nextInt(6) : rnd.nextInt(256));   // filter bytes 0..5 included
            }
        }
        byte[] idat = rnd.nextInt(15) == 0 ? randomBytes(rnd, rnd.nextInt(200)) : deflate(rows);
        int split = rnd.nextInt(4) == 0 ? rnd.nextInt(idat.length + 1) : idat.length;
        chunk(out, "IDAT", java.util.Arrays.copyOf(idat, split));
        if (split < idat.length) {
            chunk(out, "IDAT", java.util.Arrays.copyOfRange(idat, split, idat.length));
        }
        if (rnd.nextInt(10) != 0) {
            chunk(out, "IEND", new byte[0]);
        }
        return out.toByteArray();
    }

    private static long pick(Random rnd, long... v) {
        return v[rnd.nextInt(v.length)];
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater(Deflater.BEST_SPEED);
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
