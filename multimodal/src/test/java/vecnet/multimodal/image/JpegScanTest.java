package vecnet.multimodal.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

/**
 * The scan over entropy-coded data ({@link JpegDecoder#skipEntropyData}), which skips 8 bytes at a time,
 * against the byte-by-byte rule it must keep: the first 0xFF followed by neither 0x00 (a stuffed byte)
 * nor a restart marker RST0-7 is the next marker; none before the end gives the length.
 */
class JpegScanTest extends LibraryTest {

    @Test
    void findsTheMarkerAtEveryAlignmentPastStuffedBytesAndRestarts() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int trial = 0; trial < 2000; trial++) {
            byte[] d = new byte[rnd.nextInt(1, 80)];
            for (int i = 0; i < d.length; i++) {
                int kind = rnd.nextInt(10);
                d[i] = (byte) (kind == 0 ? 0xFF : rnd.nextInt(0, 0xFF)); // a few 0xFF, the rest anything else
                if (kind == 0 && i + 1 < d.length) {
                    int next = rnd.nextInt(4);
                    d[++i] = (byte) (next == 0 ? 0x00 : next == 1 ? 0xD0 + rnd.nextInt(8) : next == 2 ? 0xFF : rnd.nextInt(0xC0, 0xFF));
                }
            }
            int start = rnd.nextInt(d.length);
            assertEquals(byteByByte(d, start), JpegDecoder.skipEntropyData(d, start), "trial " + trial);
        }
    }

    @Test
    void noMarkerGivesTheLength() {
        byte[] d = new byte[37];
        d[36] = (byte) 0xFF; // a lone 0xFF in the last byte has no second byte: not a marker
        assertEquals(37, JpegDecoder.skipEntropyData(d, 0));
    }

    private static int byteByByte(byte[] d, int pos) {
        while (pos + 1 < d.length) {
            if ((d[pos] & 0xFF) == 0xFF) {
                int next = d[pos + 1] & 0xFF;
                if (next != 0x00 && (next < 0xD0 || next > 0xD7)) {
                    return pos;
                }
                pos += 2;
            } else {
                pos++;
            }
        }
        return d.length;
    }
}
