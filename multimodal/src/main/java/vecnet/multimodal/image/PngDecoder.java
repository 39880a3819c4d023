package vecnet.multimodal.image;

import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import vecnet.multimodal.ImageFormatException;

/**
 * PNG decoding on {@link Inflater}, giving what Pillow 9.4's {@code Image.open(f).convert('RGB')} gives.
 *
 * <p>Every colour type and bit depth of the PNG specification, the five row filters and Adam7
 * interlacing. The scanlines are inflated and unfiltered one row at a time, straight into the RGB
 * output, so memory is the output plus two rows whatever the file claims. Conversion to RGB, each rule
 * checked against Pillow (the {@code weights/fixtures/images} set):
 * <ul>
 * <li>grey 1/2/4/8 bit: {@code v·255/(2^bits − 1)} replicated (Pillow's modes 1 and L);</li>
 * <li>grey 16 bit: Pillow opens it as mode {@code I} and {@code convert('RGB')} clips: {@code min(v, 255)};</li>
 * <li>grey+alpha, RGB and RGBA at 16 bits: the high byte of each sample; alpha dropped, never composited;</li>
 * <li>palette: the PLTE colour; an index {@code i} past the end of PLTE gives {@code (i, i, i)}, as Pillow
 *     fills the rest of its palette with a grey ramp;</li>
 * <li>{@code tRNS}, {@code gAMA}, {@code cHRM}, {@code sRGB}, {@code iCCP} and every other ancillary chunk
 *     are ignored, as {@code convert('RGB')} ignores them.</li>
 * </ul>
 *
 * <p>Refused with one {@link ImageFormatException} line: a bad signature or IHDR, a bit depth or colour
 * type the specification does not allow, a palette image without PLTE, a chunk whose CRC does not match
 * (any chunk, also IDAT, which Pillow does not check), a chunk that runs past the end of the file, a
 * zlib stream that is corrupt or ends before the last row (truncated), an unknown filter type, and an
 * image over the pixel limit (checked from IHDR before anything is allocated). Data after the last row
 * and a missing IEND are accepted, as Pillow accepts them.
 */
public final class PngDecoder {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    /** Adam7 passes: x0, y0, dx, dy. */
    private static final int[][] ADAM7 = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4},
        {1, 0, 2, 2}, {0, 1, 1, 2}};

    private final Path file;
    private final byte[] d;
    private int width;
    private int height;
    private int depth;
    private int colorType;
    private int channels;
    private byte[] palette = new byte[0]; // RGB triples
    // the IDAT stream: chunks are fed to the inflater one after another
    private final Inflater inflater = new Inflater();
    private int pos; // the next chunk header
    private boolean idatChecked; // the IDAT at pos has been checked already (its CRC is not computed twice)
    private final CRC32 crc = new CRC32();

    private PngDecoder(Path file, byte[] data) {
        this.file = file;
        this.d = data;
    }

    /** True if {@code data} starts with the PNG signature. */
    public static boolean sniff(byte[] data) {
        if (data.length < SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (data[i] != SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    /** Decodes the PNG file contents {@code data} as {@code Image.open(f).convert('RGB')}. */
    public static Rgb8 decode(Path file, byte[] data, Limits limits) throws ImageFormatException {
        PngDecoder p = new PngDecoder(file, data);
        try {
            return p.run(limits);
        } finally {
            p.inflater.end();
        }
    }

    private Rgb8 run(Limits limits) throws ImageFormatException {
        pos = SIGNATURE.length;
        int type = nextChunk();
        if (type != tag("IHDR") || chunkLength() != 13) {
            throw bad("the first chunk is not a 13-byte IHDR");
        }
        int p = pos + 8;
        long w = be32(p);
        long h = be32(p + 4);
        depth = d[p + 8] & 0xFF;
        colorType = d[p + 9] & 0xFF;
        int compression = d[p + 10] & 0xFF;
        int filter = d[p + 11] & 0xFF;
        int interlace = d[p + 12] & 0xFF;
        channels = switch (colorType) {
            case 0, 3 -> 1;
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> throw bad("colour type " + colorType + " does not exist (0, 2, 3, 4 or 6)");
        };
        boolean depthOk = switch (colorType) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            default -> depth == 8 || depth == 16;
        };
        if (!depthOk) {
            throw bad("bit depth " + depth + " is not allowed for colour type " + colorType);
        }
        if (compression != 0 || filter != 0 || interlace > 1) {
            throw bad("unknown compression, filter or interlace method in IHDR (" + compression + ", " + filter + ", "
                    + interlace + ")");
        }
        limits.checkSize(file, "PNG", w, h);
        width = (int) w;
        height = (int) h;
        skipChunk();
        checkEnoughData(interlace == 1);
        // ancillary chunks and PLTE up to the first IDAT
        while (true) {
            type = nextChunk();
            if (type == tag("IDAT")) {
                idatChecked = true;
                break;
            }
            if (type == tag("IEND")) {
                throw bad("no image data (IEND before any IDAT)");
            }
            if (type == tag("PLTE")) {
                int n = chunkLength();
                if (n % 3 != 0 || n == 0 || n > 768) {
                    throw bad("PLTE of " + n + " bytes (a multiple of 3, at most 768)");
                }
                palette = java.util.Arrays.copyOfRange(d, pos + 8, pos + 8 + n);
            }
            skipChunk();
        }
        if (colorType == 3 && palette.length == 0) {
            throw bad("a palette image without a PLTE chunk");
        }
        byte[] out = new byte[width * height * 3];
        if (interlace == 0) {
            readPass(out, 0, 0, 1, 1, width, height);
        } else {
            for (int[] pass : ADAM7) {
                int pw = width > pass[0] ? (width - pass[0] + pass[2] - 1) / pass[2] : 0;
                int ph = height > pass[1] ? (height - pass[1] + pass[3] - 1) / pass[3] : 0;
                if (pw > 0 && ph > 0) {
                    readPass(out, pass[0], pass[1], pass[2], pass[3], pw, ph);
                }
            }
        }
        return new Rgb8(width, height, out);
    }

    /**
     * Refuses, before the output is allocated, image data too short to inflate to the size IHDR
     * declares: deflate expands at most 1032 to 1 (258-byte matches in 2 bits), so a 69-byte file
     * claiming 100 megapixels is truncated, and costs nothing.
     */
    private void checkEnoughData(boolean interlaced) throws ImageFormatException {
        long idat = 0;
        for (int p = pos; p + 8 <= d.length; ) {
            long n = be32(p);
            int type = (int) be32(p + 4);
            if (type == tag("IDAT")) {
                idat += Math.min(n, d.length - p - 8L);
            } else if (type == tag("IEND")) {
                break;
            }
            p += (int) Math.min(12 + n, d.length);
        }
        long bitsPerPixel = (long) depth * channels;
        long raw = (long) height * (1 + ((long) width * bitsPerPixel + 7) / 8); // Adam7 adds at most a few bytes per row
        if (idat * 1032 + 64 < (interlaced ? raw / 2 : raw)) {
            throw bad("the file is truncated: " + idat + " bytes of image data cannot inflate to the " + raw
                    + " bytes of a " + width + "x" + height + " image");
        }
    }

    /** Inflates, unfilters and converts the {@code pw × ph} pixels of one pass (the whole image if not interlaced). */
    private void readPass(byte[] out, int x0, int y0, int dx, int dy, int pw, int ph) throws ImageFormatException {
        int bitsPerPixel = depth * channels;
        int rowBytes = (int) (((long) pw * bitsPerPixel + 7) / 8);
        int bpp = Math.max(1, bitsPerPixel / 8);
        byte[] prev = new byte[rowBytes];
        byte[] row = new byte[rowBytes];
        byte[] filterByte = new byte[1];
        for (int r = 0; r < ph; r++) {
            inflateFully(filterByte, 1);
            inflateFully(row, rowBytes);
            unfilter(filterByte[0] & 0xFF, row, prev, bpp);
            convertRow(row, out, ((y0 + r * dy) * width + x0) * 3, dx * 3, pw);
            byte[] t = prev;
            prev = row;
            row = t;
        }
    }

    private void unfilter(int type, byte[] row, byte[] prev, int bpp) throws ImageFormatException {
        int n = row.length;
        switch (type) {
            case 0 -> { }
            case 1 -> {
                for (int i = bpp; i < n; i++) {
                    row[i] += row[i - bpp];
                }
            }
            case 2 -> {
                for (int i = 0; i < n; i++) {
                    row[i] += prev[i];
                }
            }
            case 3 -> {
                for (int i = 0; i < bpp; i++) {
                    row[i] += (byte) ((prev[i] & 0xFF) >>> 1);
                }
                for (int i = bpp; i < n; i++) {
                    row[i] += (byte) (((row[i - bpp] & 0xFF) + (prev[i] & 0xFF)) >>> 1);
                }
            }
            case 4 -> {
                for (int i = 0; i < bpp; i++) {
                    row[i] += prev[i]; // a = c = 0: Paeth picks b
                }
                for (int i = bpp; i < n; i++) {
                    int a = row[i - bpp] & 0xFF;
                    int b = prev[i] & 0xFF;
                    int c = prev[i - bpp] & 0xFF;
                    int pa = Math.abs(b - c);
                    int pb = Math.abs(a - c);
                    int pc = Math.abs(a + b - 2 * c);
                    row[i] += (byte) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
            }
            default -> throw bad("unknown row filter type " + type);
        }
    }

    /** One unfiltered row of {@code pw} pixels to RGB at {@code out[o]}, {@code o + step}, ... */
    private void convertRow(byte[] row, byte[] out, int o, int step, int pw) {
        switch (colorType) {
            case 0 -> {
                if (depth == 16) { // Pillow: mode I, convert('RGB') clips at 255
                    for (int x = 0; x < pw; x++, o += step) {
                        int v = ((row[2 * x] & 0xFF) << 8) | (row[2 * x + 1] & 0xFF);
                        out[o] = out[o + 1] = out[o + 2] = (byte) Math.min(v, 255);
                    }
                } else {
                    int scale = 255 / ((1 << depth) - 1);
                    for (int x = 0; x < pw; x++, o += step) {
                        out[o] = out[o + 1] = out[o + 2] = (byte) (sample(row, x, depth) * scale);
                    }
                }
            }
            case 3 -> {
                int entries = palette.length / 3;
                for (int x = 0; x < pw; x++, o += step) {
                    int i = sample(row, x, depth);
                    if (i < entries) {
                        out[o] = palette[3 * i];
                        out[o + 1] = palette[3 * i + 1];
                        out[o + 2] = palette[3 * i + 2];
                    } else { // Pillow's palette starts as the grey ramp (i, i, i); PLTE overwrites its head
                        out[o] = out[o + 1] = out[o + 2] = (byte) i;
                    }
                }
            }
            case 4 -> {
                int stride = depth == 16 ? 4 : 2;
                for (int x = 0, i = 0; x < pw; x++, i += stride, o += step) {
                    out[o] = out[o + 1] = out[o + 2] = row[i];
                }
            }
            default -> { // 2 (RGB) and 6 (RGBA); 16-bit keeps the high byte, which comes first
                int bytes = depth / 8;
                int stride = channels * bytes;
                if (stride == 3 && step == 3) {
                    System.arraycopy(row, 0, out, o, pw * 3);
                    return;
                }
                for (int x = 0, i = 0; x < pw; x++, i += stride, o += step) {
                    out[o] = row[i];
                    out[o + 1] = row[i + bytes];
                    out[o + 2] = row[i + 2 * bytes];
                }
            }
        }
    }

    /** Sample {@code x} of a row packed at {@code bits} (1, 2, 4 or 8) per sample, most significant bits first. */
    private static int sample(byte[] row, int x, int bits) {
        if (bits == 8) {
            return row[x] & 0xFF;
        }
        int bit = x * bits;
        return ((row[bit >>> 3] & 0xFF) >>> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
    }

    /** Fills {@code buf[0, n)} from the zlib stream, moving on to the next IDAT chunk when one is used up. */
    private void inflateFully(byte[] buf, int n) throws ImageFormatException {
        int done = 0;
        while (done < n) {
            int got;
            try {
                got = inflater.inflate(buf, done, n - done);
            } catch (DataFormatException e) {
                throw bad("corrupt image data (zlib: " + e.getMessage() + ")");
            }
            done += got;
            if (done == n) {
                return;
            }
            if (inflater.finished()) {
                throw bad("the image data ends before the last row (truncated or corrupt)");
            }
            if (inflater.needsInput()) {
                feedNextIdat();
            } else if (inflater.needsDictionary()) {
                throw bad("corrupt image data (zlib asks for a preset dictionary)");
            }
        }
    }

    /** Gives the inflater the IDAT chunk at {@code pos} (checked), or the next one; refuses if there is none. */
    private void feedNextIdat() throws ImageFormatException {
        while (true) {
            if (pos >= d.length) {
                throw bad("the file is truncated (it ends inside the image data)");
            }
            int type = idatChecked ? tag("IDAT") : nextChunk();
            idatChecked = false;
            if (type == tag("IDAT")) {
                int n = chunkLength();
                inflater.setInput(d, pos + 8, n);
                skipChunk();
                return;
            }
            if (type == tag("IEND")) {
                throw bad("the image data ends before the last row (IEND reached; truncated?)");
            }
            skipChunk(); // an ancillary chunk between IDATs: ignored
        }
    }

    /** Checks the chunk at {@code pos} (length within the file, CRC) and returns its type; {@code pos} stays on it. */
    private int nextChunk() throws ImageFormatException {
        if (pos + 8 > d.length) {
            throw bad("the file is truncated (it ends at byte " + d.length + ", inside a chunk header)");
        }
        long n = be32(pos);
        if (n > Integer.MAX_VALUE || pos + 12 + n > d.length) {
            throw bad("the file is truncated (the chunk at byte " + pos + " claims " + n + " bytes)");
        }
        crc.reset();
        crc.update(d, pos + 4, 4 + (int) n);
        if ((int) crc.getValue() != (int) be32(pos + 8 + (int) n)) {
            throw bad("bad CRC in the " + typeName(pos + 4) + " chunk at byte " + pos + " (corrupt file)");
        }
        return (int) be32(pos + 4);
    }

    private int chunkLength() {
        return (int) be32(pos);
    }

    private void skipChunk() {
        pos += 12 + chunkLength();
    }

    private String typeName(int p) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            int c = d[p + i] & 0xFF;
            sb.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return sb.toString();
    }

    private long be32(int p) {
        return (d[p] & 0xFFL) << 24 | (d[p + 1] & 0xFFL) << 16 | (d[p + 2] & 0xFFL) << 8 | (d[p + 3] & 0xFFL);
    }

    private static int tag(String s) {
        return s.charAt(0) << 24 | s.charAt(1) << 16 | s.charAt(2) << 8 | s.charAt(3);
    }

    private ImageFormatException bad(String why) {
        return new ImageFormatException(file, "PNG: " + why);
    }
}
