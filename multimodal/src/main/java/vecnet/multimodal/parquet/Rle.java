package vecnet.multimodal.parquet;

/**
 * Parquet's RLE / bit-packing hybrid, the encoding of repetition and definition levels and of
 * dictionary indices.
 *
 * <pre>
 *   runs   = (header run)*          header = unsigned varint
 *   header & 1 == 0: an RLE run of (header >>> 1) copies of one value, stored in ceil(bitWidth / 8) bytes (LE)
 *   header & 1 == 1: (header >>> 1) groups of 8 bit-packed values, bitWidth bytes per group,
 *                    least significant bit first
 * </pre>
 *
 * Errors (a run that ends early, a zero-length run, a value wider than {@code bitWidth}) are
 * {@link IllegalArgumentException}s.
 */
final class Rle {
    private Rle() {
    }

    /** The bits needed for values {@code 0..max}: 0 for 0, 1 for 1, 2 for 2..3, ... */
    static int bitWidth(int max) {
        return 32 - Integer.numberOfLeadingZeros(max);
    }

    /**
     * Decodes {@code out.length} values of {@code bitWidth} bits from {@code in[from, to)};
     * returns the position after the last run read.
     */
    static int decode(byte[] in, int from, int to, int bitWidth, int[] out) {
        if (bitWidth < 0 || bitWidth > 32) {
            throw new IllegalArgumentException("bit width " + bitWidth + " (0..32)");
        }
        int pos = from, i = 0, count = out.length;
        int valueBytes = (bitWidth + 7) / 8;
        long mask = (1L << bitWidth) - 1;
        while (i < count) {
            long header = 0;
            for (int shift = 0; ; shift += 7) {
                if (pos >= to) {
                    throw new IllegalArgumentException("RLE data ends after " + i + " of " + count + " values");
                }
                if (shift > 28) {
                    throw new IllegalArgumentException("RLE run header longer than 5 bytes");
                }
                int b = in[pos++] & 0xff;
                header |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            long n = header >>> 1;
            if (n == 0) {
                throw new IllegalArgumentException("empty RLE run");
            }
            if ((header & 1) == 0) {
                if (to - pos < valueBytes) {
                    throw new IllegalArgumentException("RLE run value cut short");
                }
                long v = 0;
                for (int k = 0; k < valueBytes; k++) {
                    v |= (long) (in[pos++] & 0xff) << (8 * k);
                }
                if ((v & ~mask) != 0) {
                    throw new IllegalArgumentException("RLE value " + v + " wider than " + bitWidth + " bits");
                }
                int take = (int) Math.min(n, count - i);
                java.util.Arrays.fill(out, i, i + take, (int) v);
                i += take;
            } else {
                long values = n * 8;
                int take = (int) Math.min(values, count - i);
                long needBytes = ((long) take * bitWidth + 7) / 8;
                if (needBytes > to - pos) {
                    throw new IllegalArgumentException("bit-packed run cut short");
                }
                long bitPos = (long) pos * 8;
                for (int k = 0; k < take; k++) {
                    long v = 0;
                    for (int b = 0; b < bitWidth; ) {
                        long at = bitPos + (long) k * bitWidth + b;
                        int bit = (int) (at & 7);
                        int chunk = Math.min(8 - bit, bitWidth - b);
                        long bits = ((in[(int) (at >>> 3)] & 0xff) >>> bit) & ((1 << chunk) - 1);
                        v |= bits << b;
                        b += chunk;
                    }
                    out[i + k] = (int) v;
                }
                i += take;
                long runBytes = n * bitWidth;
                pos = (int) Math.min(to, pos + runBytes); // the last group's padding may be left out
            }
        }
        return pos;
    }
}
