package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.testing.LibraryTest;
import vecnet.testing.SteadyState;

/**
 * The two integer kernels of image preprocessing, {@link Kernels#fixedPointTaps} (Pillow's resize) and
 * {@link Kernels#ycbcrToRgb} (libjpeg's colour conversion): worked cases by hand, the Vector API
 * version identical to its scalar twin over awkward lengths (and over every YCbCr triple), no
 * allocation once compiled.
 */
class ImageKernelsTest extends LibraryTest {
    static final Kernels VECTOR = VectorKernels.create();
    static final Kernels SCALAR = Kernels.scalar();
    static final int[] SIZES = {1, 3, 4, 7, 8, 9, 13, 16, 17, 31, 48, 207, 1365, 4099};

    @Test
    void fixedPointTapsByHand() {
        for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
            // two rows, 3 lanes: (2^21 + 2^21·(10 + 20)) >> 22 = 15.5 -> 15; a negative sum clamps to 0; over 255 clamps to 255
            int[] x = {10, 0, 255, 20, 1, 255};
            int[] w = {1 << 21, 1 << 21};
            int[] out = new int[3];
            k.fixedPointTaps(x, 0, 3, 2, w, 0, 22, out, 0, 3);
            assertArrayEquals(new int[] {15, 1, 255}, out, k.name());
            k.fixedPointTaps(x, 0, 3, 2, new int[] {-(1 << 22), 0}, 0, 22, out, 0, 3);
            assertArrayEquals(new int[] {0, 0, 0}, out, k.name() + ": negative sums clamp to 0");
            k.fixedPointTaps(x, 0, 3, 2, new int[] {2 << 22, 0}, 0, 22, out, 0, 3);
            assertArrayEquals(new int[] {20, 0, 255}, out, k.name() + ": sums over 255 << 22 clamp to 255");
            // offsets: only out[1..3) written, rows read from x[1] and x[4] (stride 3)
            int[] out2 = {-7, -7, -7, -7};
            k.fixedPointTaps(x, 1, 3, 2, new int[] {9, 1 << 22, 0}, 1, 22, out2, 1, 2);
            assertArrayEquals(new int[] {-7, 0, 255, -7}, out2, k.name() + ": offsets");
        }
    }

    @Test
    void fixedPointTapsIsIdenticalToTheScalarTwin() {
        SplittableRandom rnd = new SplittableRandom(31);
        for (int len : SIZES) {
            for (int taps : new int[] {1, 2, 5, 9, 25}) {
                int stride = len + rnd.nextInt(3);
                int xOff = rnd.nextInt(5);
                int[] x = new int[xOff + taps * stride + len];
                for (int i = 0; i < x.length; i++) {
                    x[i] = rnd.nextInt(256);
                }
                int[] w = new int[taps + 2];
                for (int t = 0; t < w.length; t++) {
                    w[t] = rnd.nextInt(-(1 << 22), 1 << 23); // negative and large: exercises both clamps
                }
                int[] a = new int[len + 3];
                int[] b = new int[len + 3];
                SCALAR.fixedPointTaps(x, xOff, stride, taps, w, 1, 22, a, 2, len);
                VECTOR.fixedPointTaps(x, xOff, stride, taps, w, 1, 22, b, 2, len);
                assertArrayEquals(a, b, "len " + len + ", taps " + taps);
                // and where the int32 sum wraps around (any int input): still the same ints
                for (int i = 0; i < x.length; i++) {
                    x[i] = rnd.nextInt();
                }
                SCALAR.fixedPointTaps(x, xOff, stride, taps, w, 1, 7, a, 2, len);
                VECTOR.fixedPointTaps(x, xOff, stride, taps, w, 1, 7, b, 2, len);
                assertArrayEquals(a, b, "wrapping, len " + len + ", taps " + taps);
            }
        }
    }

    @Test
    void ycbcrToRgbByHand() {
        // libjpeg: R = 128 + round(1.402·72) = 229; G = 128 + ((−22554·(−68) − 46802·72 + 32768) >> 16) = 128 − 28 = 100;
        // B = 128 + ((116130·(−68) + 32768) >> 16) = 128 − 120 = 8. Grey stays grey; (0, 255, 0) clamps R at 0.
        for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
            int[] p = {128, 100, 0, 60, 128, 255, 200, 128, 0};
            k.ycbcrToRgb(p, 0, 3, 6, 3);
            assertArrayEquals(new int[] {229, 100, 0, 100, 100, 48, 8, 100, 225}, p, k.name());
        }
    }

    @Test
    void ycbcrToRgbIsLibjpegsTableOnEveryTriple() {
        // libjpeg's jdcolor.c tables, built here from FIX(x) = (int)(x·65536 + 0.5)
        int[] crR = new int[256];
        int[] cbB = new int[256];
        int[] crG = new int[256];
        int[] cbG = new int[256];
        for (int i = 0; i < 256; i++) {
            int v = i - 128;
            crR[i] = (fix(1.40200) * v + (1 << 15)) >> 16;
            cbB[i] = (fix(1.77200) * v + (1 << 15)) >> 16;
            crG[i] = -fix(0.71414) * v;
            cbG[i] = -fix(0.34414) * v + (1 << 15);
        }
        int n = 256 * 256;
        int[] expected = new int[3 * n];
        for (int y = 0; y < 256; y++) {
            int[] s = new int[3 * n + 5];
            int[] v = new int[3 * n + 5];
            for (int cb = 0, i = 0; cb < 256; cb++) {
                for (int cr = 0; cr < 256; cr++, i++) {
                    s[i] = v[i] = y;
                    s[n + i] = v[n + i] = cb;
                    s[2 * n + i] = v[2 * n + i] = cr;
                    expected[i] = clamp(y + crR[cr]);
                    expected[n + i] = clamp(y + ((cbG[cb] + crG[cr]) >> 16));
                    expected[2 * n + i] = clamp(y + cbB[cb]);
                }
            }
            SCALAR.ycbcrToRgb(s, 0, n, 2 * n, n);
            VECTOR.ycbcrToRgb(v, 0, n, 2 * n, n);
            assertArrayEquals(expected, java.util.Arrays.copyOf(s, 3 * n), "scalar, Y = " + y);
            assertArrayEquals(expected, java.util.Arrays.copyOf(v, 3 * n), "vector, Y = " + y);
        }
    }

    @Test
    void ycbcrToRgbOddLengthsAndOffsets() {
        SplittableRandom rnd = new SplittableRandom(32);
        for (int len : SIZES) {
            int[] a = new int[3 * len + 10];
            for (int i = 0; i < a.length; i++) {
                a[i] = rnd.nextInt(256);
            }
            int[] b = a.clone();
            SCALAR.ycbcrToRgb(a, 3, 3 + len + 2, 3 + 2 * len + 5, len);
            VECTOR.ycbcrToRgb(b, 3, 3 + len + 2, 3 + 2 * len + 5, len);
            assertArrayEquals(a, b, "len " + len);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixedPointTaps", "ycbcrToRgb"})
    void warmedUpKernelAllocatesNothing(String kernel) {
        int[] x = new int[16 * 12 + 1365];
        int[] w = {1 << 20, 1 << 21, 1 << 20, 5, 6, 7, 8, 9, 10};
        int[] out = new int[1365];
        Runnable call = kernel.equals("ycbcrToRgb")
                ? () -> VECTOR.ycbcrToRgb(x, 0, 455, 910, 455)
                : () -> VECTOR.fixedPointTaps(x, 0, 16, 9, w, 0, 22, out, 0, 1365 - 16 * 8);
        long allocated = SteadyState.allocation(call, 100, 0);
        assertEquals(0, allocated, kernel + ": every window of 100 calls allocated for 2 minutes (vectors boxed even when compiled?); last window " + allocated + " bytes");
    }

    private static int fix(double x) {
        return (int) (x * 65536 + 0.5);
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
