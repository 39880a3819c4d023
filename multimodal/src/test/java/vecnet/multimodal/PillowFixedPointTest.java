package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

/**
 * A resize whose exact value is a half, where Pillow's 22-bit fixed-point coefficients round it
 * down: a double-precision resize that rounds half up gives one level more. Pillow 9.4
 * ({@code Image.frombytes('L', (5, 1), ...).resize((6, 1), Image.BILINEAR)}) gives the row below.
 */
class PillowFixedPointTest extends LibraryTest {

    @Test
    void halfwayValueRoundsDownInFixedPoint() {
        // 5 -> 6, output 3: center 3.5·5/6 = 2.9167, inputs 2 and 3 with weights 7/12 and 5/12:
        //   exact 215·7/12 + 197·5/12 = 2490/12 = 207.5            -> 208 in double, rounding half up
        //   fixed: round(7/12·2^22) = 2446677, round(5/12·2^22) = 1747627,
        //          2^21 + 215·2446677 + 197·1747627 = 872415226 < 207.5·2^22 + 2^21 = 872415232 -> 207
        int[] row = {223, 154, 215, 197, 179};
        int[] pillow = {223, 171, 190, 207, 193, 179};
        check(PillowResize.resize(image(5, 1, row), 6, 1), pillow);
        check(PillowResize.resize(image(1, 5, row), 1, 6), pillow);     // the vertical pass rounds alike
    }

    private static ImageRgb image(int w, int h, int... levels) {
        byte[] px = new byte[3 * w * h];
        for (int i = 0; i < w * h; i++) {
            px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = (byte) levels[i];
        }
        return ImageRgb.of(w, h, px);
    }

    private static void check(ImageRgb img, int[] expected) {
        for (int i = 0; i < expected.length; i++) {
            int y = img.width() == 1 ? i : 0, x = img.width() == 1 ? 0 : i;
            for (int c = 0; c < 3; c++) {
                assertEquals(expected[i], img.get(y, x, c), "pixel " + i + " channel " + c);
            }
        }
    }
}
