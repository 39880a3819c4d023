package vecnet.multimodal.parquet;

/**
 * A decompressor of raw Snappy blocks (no framing), Parquet's {@code SNAPPY} codec, written from
 * the format description (google/snappy, {@code format_description.txt}).
 *
 * <pre>
 *   block   = varint(uncompressed length) element*
 *   element = tag byte; tag & 3:
 *     0 literal: length-1 = tag >> 2, or (tag >> 2) - 59 little-endian bytes of length-1 when tag >> 2 ≥ 60; the bytes follow
 *     1 copy, 1-byte offset: length = 4 + ((tag >> 2) & 7), offset = (tag >> 5) << 8 | next byte
 *     2 copy, 2-byte offset: length = (tag >> 2) + 1, offset = next 2 bytes (LE)
 *     3 copy, 4-byte offset: length = (tag >> 2) + 1, offset = next 4 bytes (LE)
 *   a copy repeats `length` bytes starting `offset` back (it may overlap what it writes)
 * </pre>
 *
 * <p>Strict: the uncompressed length must be the one the caller expects (Parquet's page header
 * states it), every offset must point inside what is already written, and the elements must fill
 * the output exactly. Errors are {@link IllegalArgumentException}s.
 */
final class Snappy {
    /** No element expands more: a 3-byte copy writes at most 64 bytes. */
    static final long MAX_RATIO = 22;

    private Snappy() {
    }

    /** Decompresses {@code in[from, to)}, which must expand to exactly {@code expected} bytes. */
    static byte[] decompress(byte[] in, int from, int to, int expected) {
        int pos = from;
        long length = 0;
        for (int shift = 0; ; shift += 7) {
            if (shift > 28 || pos >= to) {
                throw new IllegalArgumentException("snappy: bad length preamble");
            }
            int b = in[pos++] & 0xff;
            length |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (length != expected) {
            throw new IllegalArgumentException("snappy: the block holds " + length + " bytes, the page header says "
                    + expected);
        }
        if (expected > MAX_RATIO * (to - pos)) {
            throw new IllegalArgumentException("snappy: " + (to - pos) + " bytes cannot expand to " + expected);
        }
        byte[] out = new byte[expected];
        int o = 0;
        while (pos < to) {
            int tag = in[pos++] & 0xff;
            int kind = tag & 3;
            if (kind == 0) {
                long n = tag >>> 2;
                if (n >= 60) {
                    int bytes = (int) n - 59;
                    if (to - pos < bytes) {
                        throw new IllegalArgumentException("snappy: truncated literal length");
                    }
                    n = 0;
                    for (int i = 0; i < bytes; i++) {
                        n |= (long) (in[pos++] & 0xff) << (8 * i);
                    }
                }
                n += 1;
                if (n > to - pos || n > out.length - o) {
                    throw new IllegalArgumentException("snappy: a literal of " + n + " bytes runs past the "
                            + (n > to - pos ? "input" : "output"));
                }
                System.arraycopy(in, pos, out, o, (int) n);
                pos += (int) n;
                o += (int) n;
                continue;
            }
            int n, offset;
            if (kind == 1) {
                if (pos >= to) {
                    throw new IllegalArgumentException("snappy: truncated copy");
                }
                n = 4 + ((tag >>> 2) & 7);
                offset = (tag >>> 5) << 8 | (in[pos++] & 0xff);
            } else {
                int bytes = kind == 2 ? 2 : 4;
                if (to - pos < bytes) {
                    throw new IllegalArgumentException("snappy: truncated copy");
                }
                n = (tag >>> 2) + 1;
                long off = 0;
                for (int i = 0; i < bytes; i++) {
                    off |= (long) (in[pos++] & 0xff) << (8 * i);
                }
                if (off > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("snappy: copy offset " + off + " out of range");
                }
                offset = (int) off;
            }
            if (offset == 0 || offset > o) {
                throw new IllegalArgumentException("snappy: copy offset " + offset + " at output byte " + o);
            }
            if (n > out.length - o) {
                throw new IllegalArgumentException("snappy: a copy of " + n + " bytes runs past the output");
            }
            for (int i = 0; i < n; i++, o++) {
                out[o] = out[o - offset]; // byte by byte: the source may overlap what is being written
            }
        }
        if (o != out.length) {
            throw new IllegalArgumentException("snappy: the block ends after " + o + " of " + out.length + " bytes");
        }
        return out;
    }
}
