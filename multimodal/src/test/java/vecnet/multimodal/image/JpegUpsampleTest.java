package vecnet.multimodal.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

/**
 * {@link JpegDecoder#upsampleH1v2}, libjpeg-turbo's {@code h1v2_fancy_upsample} redone from rows that
 * libjpeg 6b replicated. The fixture set checks it against Pillow only on a JDK whose ImageIO replicates
 * (e.g. Temurin's bundled libjpeg); these values, worked out by hand from
 * {@code out[2i] = (3·r[i] + r[i−1] + 1) >> 2}, {@code out[2i+1] = (3·r[i] + r[i+1] + 2) >> 2} with the
 * first and last rows repeated past the edges, check it on every JDK.
 */
class JpegUpsampleTest extends LibraryTest {

    /** A 2-pixel-wide, 3-band raster whose band 1 holds {@code rows} each twice (cut to {@code height}), band 0 and 2 a marker. */
    private static WritableRaster replicated(int[][] rows, int height) {
        WritableRaster r = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, 2, height, 3, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < 2; x++) {
                r.setSample(x, y, 0, 7);
                r.setSample(x, y, 1, rows[y / 2][x]);
                r.setSample(x, y, 2, 9);
            }
        }
        return r;
    }

    private static int[] band(WritableRaster r, int band) {
        return r.getSamples(0, 0, r.getWidth(), r.getHeight(), band, (int[]) null);
    }

    @Test
    void oddHeightEndsOnTheTopHalfOfTheLastRow() {
        WritableRaster r = replicated(new int[][] {{0, 255}, {100, 10}, {40, 200}}, 5);
        JpegDecoder.upsampleH1v2(r, 1);
        // column 0 from r = 0, 100, 40; column 1 from r = 255, 10, 200
        assertArrayEquals(new int[] {0, 255, 25, 194, 75, 71, 85, 58, 55, 152}, band(r, 1));
        assertArrayEquals(new int[] {7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, band(r, 0), "other bands untouched");
        assertArrayEquals(new int[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, band(r, 2), "other bands untouched");
    }

    @Test
    void evenHeightRepeatsTheLastRowBelow() {
        WritableRaster r = replicated(new int[][] {{0, 255}, {100, 10}}, 4);
        JpegDecoder.upsampleH1v2(r, 1);
        // last row: (3·100 + 100 + 2) >> 2 = 100 and (3·10 + 10 + 2) >> 2 = 10
        assertArrayEquals(new int[] {0, 255, 25, 194, 75, 71, 100, 10}, band(r, 1));
    }

    @Test
    void oneRowStaysAsItIs() {
        WritableRaster r = replicated(new int[][] {{3, 250}}, 1);
        JpegDecoder.upsampleH1v2(r, 1);
        assertArrayEquals(new int[] {3, 250}, band(r, 1));
    }
}
