package vecnet.multimodal.image;

import java.util.HashMap;
import java.util.Map;

/**
 * The fields of a classic TIFF's first IFD (the one ImageIO decodes as image 0), read from the
 * file's bytes: what {@link ImageIoGuard} checks before ImageIO allocates, and the palette that
 * {@code ImageDecoder} hands to Pillow's rule. Not through ImageIO's {@code getImageMetadata}, which
 * turns every value of every field into a DOM node with string attributes: about 230 bytes a value,
 * so 91 MB for a 400 KB file of 65,536 palette entries ({@code FuzzImageStructureTest.structuredTiffs}).
 */
public final class TiffTags {
    private static final int SHORT = 3;
    private static final int LONG = 4;

    private final byte[] d;
    private final boolean littleEndian;
    /** tag → {type, count, where its values start}. */
    private final Map<Integer, long[]> fields = new HashMap<>();

    private TiffTags(byte[] d, boolean littleEndian) {
        this.d = d;
        this.littleEndian = littleEndian;
    }

    /** The first IFD of {@code data}, or null if it is not a classic TIFF or its IFD is not inside the file. */
    public static TiffTags read(byte[] data) {
        if (data.length < 8 || data[0] != data[1] || (data[0] != 'I' && data[0] != 'M')) {
            return null;
        }
        TiffTags t = new TiffTags(data, data[0] == 'I');
        long ifd = t.unsigned(4, 4);
        if (t.unsigned(2, 2) != 42 || ifd + 2 > data.length) {
            return null;
        }
        long entries = t.unsigned((int) ifd, 2);
        for (long e = ifd + 2; e < ifd + 2 + 12 * entries && e + 12 <= data.length; e += 12) {
            int tag = (int) t.unsigned((int) e, 2);
            long type = t.unsigned((int) e + 2, 2);
            long count = t.unsigned((int) e + 4, 4);
            long size = type == SHORT ? 2 : type == LONG ? 4 : 1;
            long where = count * size <= 4 ? e + 8 : t.unsigned((int) e + 8, 4);
            t.fields.putIfAbsent(tag, new long[] {type, count, where});
        }
        return t;
    }

    /** Whether the IFD has {@code tag}. */
    public boolean has(int tag) {
        return fields.containsKey(tag);
    }

    /** How many values {@code tag} declares (0 if absent). */
    public long count(int tag) {
        long[] f = fields.get(tag);
        return f == null ? 0 : f[1];
    }

    /**
     * The values of a SHORT or LONG field, or null if it is absent, of another type, declares more
     * than {@code maxCount} values, or does not fit in the file.
     */
    public long[] values(int tag, long maxCount) {
        long[] f = fields.get(tag);
        if (f == null || (f[0] != SHORT && f[0] != LONG) || f[1] > maxCount) {
            return null;
        }
        int size = f[0] == SHORT ? 2 : 4;
        if (f[2] + f[1] * size > d.length) {
            return null;
        }
        long[] v = new long[(int) f[1]];
        for (int i = 0; i < v.length; i++) {
            v[i] = unsigned((int) f[2] + size * i, size);
        }
        return v;
    }

    /** The unsigned {@code bytes}-byte integer at {@code p}, in the file's byte order. */
    private long unsigned(int p, int bytes) {
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= (d[p + i] & 0xFFL) << (8 * (littleEndian ? i : bytes - 1 - i));
        }
        return v;
    }
}
