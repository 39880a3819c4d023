package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

/** fp16 → fp32 by hand: worked cases, then all 65536 halves against an independent formula (and the JDK's, when it has one). */
class Float16Test extends LibraryTest {
    private static void bits(int half, float expected) {
        float got = Float16.toFloat(half);
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got),
                String.format("half 0x%04x: expected %s, got %s", half, expected, got));
    }

    private static void nanBits(int half, int expectedBits) {
        int got = Float.floatToRawIntBits(Float16.toFloat(half));
        assertEquals(expectedBits, got, String.format("half 0x%04x: expected bits 0x%08x, got 0x%08x", half, expectedBits, got));
    }

    @Test
    void workedCases() {
        bits(0x3c00, 1f);
        bits(0xc000, -2f);
        bits(0x3555, 0.333251953125f);       // 1/3 rounded: (1 + 341/1024) · 2^-2
        bits(0x7bff, 65504f);                // largest finite: (2 - 2^-10) · 2^15
        bits(0x0400, 0x1p-14f);              // smallest normal
        bits(0x03ff, 1023 * 0x1p-24f);       // largest subnormal
        bits(0x0001, 0x1p-24f);              // smallest subnormal
        bits(0x8001, -0x1p-24f);
        bits(0x0000, 0f);
        bits(0x8000, -0f);
        bits(0x7c00, Float.POSITIVE_INFINITY);
        bits(0xfc00, Float.NEGATIVE_INFINITY);
        // NaN keeps its sign and payload (the 10 mantissa bits, widened to the top of float's 23)
        nanBits(0x7e00, 0x7fc0_0000);        // the quiet NaN torch writes
        nanBits(0x7c01, 0x7f80_2000);        // a signalling NaN with payload 1
        nanBits(0xfe00, 0xffc0_0000);        // negative quiet NaN
        nanBits(0x7d55, 0x7faa_a000);        // payload 0x155
    }

    @Test
    void allHalvesMatchTheDefinition() {
        for (int h = 0; h < 0x10000; h++) {
            int sign = h >>> 15, exp = (h >>> 10) & 31, mant = h & 1023;
            double v;
            if (exp == 31) {
                v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (exp == 0) {
                v = Math.scalb((double) mant, -24);
            } else {
                v = Math.scalb(1.0 + mant / 1024.0, exp - 15);
            }
            v = sign == 1 ? -v : v;
            float got = Float16.toFloat(h);
            if (Double.isNaN(v)) {
                int expected = sign << 31 | 0x7f80_0000 | mant << 13;     // payload kept, as the javadoc says
                assertEquals(expected, Float.floatToRawIntBits(got), "NaN half 0x" + Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToIntBits((float) v), Float.floatToIntBits(got), "half 0x" + Integer.toHexString(h));
            }
        }
    }

    /**
     * Float.float16ToFloat exists from JDK 20: this comparison runs only in the JDK 25 run and is
     * skipped on the default JDK 17 (the definition test above covers every half there).
     */
    @Test
    void onJdk20AndLaterOnlyAllHalvesMatchFloat16ToFloat() throws Exception {
        Method jdk;
        try {
            jdk = Float.class.getMethod("float16ToFloat", short.class);
        } catch (NoSuchMethodException java17) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "Float.float16ToFloat needs Java 20+; running on "
                    + Runtime.version());
            return;
        }
        for (int h = 0; h < 0x10000; h++) {
            float expected = (Float) jdk.invoke(null, (short) h);
            float got = Float16.toFloat(h);
            if (Float.isNaN(expected)) {
                // sign and payload must agree; the quiet bit may differ (the JDK's x86 intrinsic quiets signalling NaNs)
                int quiet = 0x0040_0000;
                assertEquals(Float.floatToRawIntBits(expected) | quiet, Float.floatToRawIntBits(got) | quiet,
                        "NaN half 0x" + Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got), "half 0x" + Integer.toHexString(h));
            }
        }
    }
}
