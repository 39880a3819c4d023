package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.testing.SteadyState;

/**
 * The pooling and elementwise Vector API kernels ({@code VectorOps}) against their scalar twins, over
 * sizes and shapes that are not multiples of any vector length, with non-zero offsets and with the
 * awkward values (NaN, ±∞, -0.0, ties); sigmoid and tanh against {@code Math} in double over the whole
 * float range; thread-count invariance; no allocation once warmed up.
 */
class VectorOpsTest extends LibraryTest {
    static final Kernels VECTOR = VectorKernels.create();
    static final Kernels SCALAR = Kernels.scalar();
    /** One two-thread pool for the whole class (its workers are daemons). */
    static final ComputePool TWO = ComputePool.create(2);
    static final int[] SIZES = {1, 7, 8, 9, 13, 207, 702, 1024, 4099};
    /** The bound promised by {@link Kernels#sigmoid} and {@link Kernels#tanh}, absolute, against the exact value. */
    static final double TRANSCENDENTAL_ATOL = 2e-7;

    static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-40f, -1e-40f, Float.MAX_VALUE, -Float.MAX_VALUE};

    /** Uniform in [-1, 1], with about one element in 16 replaced by a special value. */
    static float[] random(SplittableRandom rnd, int n, boolean specials) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = specials && rnd.nextInt(16) == 0 ? SPECIALS[rnd.nextInt(SPECIALS.length)]
                    : (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** Filled with a value that no kernel produces, to see that nothing outside the output range is written. */
    static float[] sentinel(int n) {
        float[] a = new float[n];
        Arrays.fill(a, -12345.5f);
        return a;
    }

    // ---------------------------------------------------------------------------------- elementwise

    @Test
    void addMulReluAreBitIdenticalToScalar() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int len : SIZES) {
            for (int[] off : new int[][] {{0, 0, 0}, {3, 5, 1}, {1, 0, 17}}) {
                float[] a = random(rnd, len + off[0] + 2, true), b = random(rnd, len + off[1] + 3, true);
                String at = " len " + len + " offsets " + Arrays.toString(off);
                float[] e = sentinel(len + off[2] + 4), v = sentinel(len + off[2] + 4);
                SCALAR.add(a, off[0], b, off[1], e, off[2], len);
                VECTOR.add(a, off[0], b, off[1], v, off[2], len);
                Check.identical("add" + at, e, v);
                SCALAR.mul(a, off[0], b, off[1], e, off[2], len);
                VECTOR.mul(a, off[0], b, off[1], v, off[2], len);
                Check.identical("mul" + at, e, v);
                SCALAR.relu(a, off[0], e, off[2], len);
                VECTOR.relu(a, off[0], v, off[2], len);
                Check.identical("relu" + at, e, v);
            }
        }
    }

    @Test
    void reluInPlace() {
        float[] x = random(new SplittableRandom(12), 1031, true);
        float[] e = x.clone();
        SCALAR.relu(e, 0, e, 0, e.length);
        VECTOR.relu(x, 0, x, 0, x.length);
        Check.identical("relu in place", e, x);
    }

    @Test
    void concatIsIdenticalToScalar() {
        SplittableRandom rnd = new SplittableRandom(14);
        int outer = 3, inner = 5;
        int[] widths = {2, 0, 7, 1};
        float[][] parts = new float[widths.length][];
        int total = 0;
        for (int p = 0; p < widths.length; p++) {
            parts[p] = random(rnd, outer * widths[p] * inner, false);
            total += widths[p];
        }
        float[] e = sentinel(outer * total * inner), v = sentinel(outer * total * inner);
        SCALAR.concat(parts, widths, outer, inner, e);
        VECTOR.concat(parts, widths, outer, inner, v);
        Check.identical("concat", e, v);
    }

    // ---------------------------------------------------------------------------------- sigmoid, tanh

    /** Exact sigmoid in double, the reference. */
    static double sigmoidRef(float x) {
        return 1.0 / (1.0 + Math.exp(-(double) x));
    }

    /** Fails unless every element is within {@link #TRANSCENDENTAL_ATOL} of the double reference; returns the max error. */
    static double checkAgainstDouble(String what, float[] x, float[] y, boolean tanh) {
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            double ref = tanh ? Math.tanh(x[i]) : sigmoidRef(x[i]);
            if (Double.isNaN(ref)) {
                if (!Float.isNaN(y[i])) {
                    fail(what + ": x = " + x[i] + " must give NaN, got " + y[i]);
                }
                continue;
            }
            double err = Math.abs(y[i] - ref);
            if (!(err <= TRANSCENDENTAL_ATOL)) {
                fail(String.format(Locale.ROOT, "%s: x = %.9g gives %.9g, exact %.12g, error %.3e > %.1e",
                        what, x[i], y[i], ref, err, TRANSCENDENTAL_ATOL));
            }
            max = Math.max(max, err);
        }
        return max;
    }

    static void checkBoth(String what, float[] x) {
        float[] s = new float[x.length], t = new float[x.length];
        // in calls of 4096 elements, so the JIT compiles the kernels early (a single huge call would
        // run long in the interpreter, where every vector is an object)
        for (int from = 0; from < x.length; from += 4096) {
            int len = Math.min(4096, x.length - from);
            VECTOR.sigmoid(x, from, s, from, len);
            VECTOR.tanh(x, from, t, from, len);
        }
        checkAgainstDouble("sigmoid " + what, x, s, false);
        checkAgainstDouble("tanh " + what, x, t, true);
    }

    @Test
    void sigmoidAndTanhDenseSweep() {
        // every 1e-4 over [-20, 20]: covers [-10, 10] at that step, the tanh branch switch at ±0.55 and saturation
        int n = 400_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (-20 + i * 1e-4);
        }
        checkBoth("sweep [-20, 20]", x);
    }

    @Test
    void sigmoidAndTanhAroundTheTanhBranchSwitch() {
        // every float in [0.5, 0.6] and its negative: where both tanh formulas are at their weakest
        int lo = Float.floatToIntBits(0.5f), hi = Float.floatToIntBits(0.6f);
        float[] x = new float[2 * (hi - lo)];
        for (int i = 0; i < hi - lo; i++) {
            x[2 * i] = Float.intBitsToFloat(lo + i);
            x[2 * i + 1] = -x[2 * i];
        }
        checkBoth("all floats 0.5 <= |x| < 0.6", x);
    }

    @Test
    void sigmoidAndTanhOnRandomFloats() {
        SplittableRandom rnd = new SplittableRandom(15);
        float[] x = new float[1 << 18];
        for (int i = 0; i < x.length; i++) {
            // half uniform in [-30, 30], half random bit patterns (every exponent, NaNs included)
            x[i] = i % 2 == 0 ? (float) (rnd.nextDouble() * 60 - 30) : Float.intBitsToFloat(rnd.nextInt());
        }
        checkBoth("random floats", x);
    }

    @Test
    void sigmoidAndTanhAreRelativelyAccurateToo() {
        // Beyond the absolute bound: within 3 units in the last place of the rounded exact value, down
        // to tiny |x| (this is what the odd polynomial of tanh near 0 is for: 1 - 2/(exp(2x)+1)
        // would meet 2e-7 absolute there but lose every digit of tanh(1e-6)).
        SplittableRandom rnd = new SplittableRandom(20);
        float[] x = new float[1 << 18], s = new float[x.length], t = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * Math.pow(10, 1.9 - rnd.nextInt(14)));
        }
        for (int from = 0; from < x.length; from += 4096) {
            VECTOR.sigmoid(x, from, s, from, 4096);
            VECTOR.tanh(x, from, t, from, 4096);
        }
        for (int i = 0; i < x.length; i++) {
            double rs = sigmoidRef(x[i]), rt = Math.tanh(x[i]);
            if (!(Math.abs(s[i] - rs) <= 3 * Math.ulp((float) rs))) {
                fail("sigmoid(" + x[i] + ") = " + s[i] + ", exact " + rs + ": more than 3 ulp away");
            }
            if (!(Math.abs(t[i] - rt) <= 3 * Math.ulp((float) rt))) {
                fail("tanh(" + x[i] + ") = " + t[i] + ", exact " + rt + ": more than 3 ulp away");
            }
        }
    }

    @Test
    void sigmoidAndTanhExtremeValues() {
        float[] x = {88f, -88f, 88.7f, -88.7f, 89f, -89f, 87.3f, -87.3f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE,
                1e-40f, -1e-40f, Float.MIN_NORMAL, -Float.MIN_NORMAL, 1e-20f, -1e-20f, 9.01f, -9.01f, 17f, -17f, 44f, -44f};
        checkBoth("extremes", x);
        float[] s = new float[x.length], t = new float[x.length];
        VECTOR.sigmoid(x, 0, s, 0, x.length);
        VECTOR.tanh(x, 0, t, 0, x.length);
        assertEquals(1f, s[12], "sigmoid(+inf)");
        assertTrue(s[13] >= 0f && s[13] < 1e-37f, "sigmoid(-inf) = " + s[13]);
        assertEquals(1f, t[12], "tanh(+inf)");
        assertEquals(-1f, t[13], "tanh(-inf)");
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(t[16]), "tanh(-0.0) keeps the sign");
        assertEquals(-1e-40f, t[20], "tanh of a subnormal is itself");
        assertEquals(0.5f, s[15], "sigmoid(0)");
    }

    @Test
    void sigmoidAndTanhMatchScalarTwin() {
        SplittableRandom rnd = new SplittableRandom(16);
        for (int len : SIZES) {
            float[] x = new float[len + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextDouble() * 16 - 8);
            }
            // the twin rounds the exact value to float (≤ 3e-8 more); offsets 3 in and 2 out
            float[] e = sentinel(len + 5), v = sentinel(len + 5);
            SCALAR.sigmoid(x, 3, e, 2, len);
            VECTOR.sigmoid(x, 3, v, 2, len);
            Check.close("sigmoid len " + len, e, v, TRANSCENDENTAL_ATOL + 3e-8, 0);
            SCALAR.tanh(x, 3, e, 2, len);
            VECTOR.tanh(x, 3, v, 2, len);
            Check.close("tanh len " + len, e, v, TRANSCENDENTAL_ATOL + 3e-8, 0);
        }
    }

    @Test
    void sigmoidAndTanhDoNotDependOnPositionInTheArray() {
        // the scalar tail repeats the vector arithmetic: shifting the array by one element moves values
        // between vector lanes and the tail, and must not change a single bit
        float[] x = random(new SplittableRandom(17), 1000, true);
        for (int i = 0; i < x.length; i += 7) {
            x[i] *= 3; // reach both tanh branches
        }
        for (int shift = 1; shift < 20; shift++) {
            int len = x.length - shift;
            float[] s0 = new float[x.length], s1 = new float[len], t0 = new float[x.length], t1 = new float[len];
            VECTOR.sigmoid(x, 0, s0, 0, x.length);
            VECTOR.sigmoid(x, shift, s1, 0, len);
            VECTOR.tanh(x, 0, t0, 0, x.length);
            VECTOR.tanh(x, shift, t1, 0, len);
            Check.identical("sigmoid shifted by " + shift, Arrays.copyOfRange(s0, shift, x.length), s1);
            Check.identical("tanh shifted by " + shift, Arrays.copyOfRange(t0, shift, x.length), t1);
        }
    }

    // ---------------------------------------------------------------------------------- pooling

    /** Values on a coarse grid (many ties), with signed zeros, NaNs and infinities sprinkled in when asked. */
    static float[] poolInput(SplittableRandom rnd, int size, boolean specials) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            int r = rnd.nextInt(40);
            x[i] = !specials || r > 4 ? (rnd.nextInt(9) - 6) * 0.25f
                    : new float[] {0f, -0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}[r];
        }
        return x;
    }

    /**
     * The JVM's first max pooling runs the scalar twin (VectorOps.maxPoolRanBefore, for a cold start):
     * one here, so that the tests below compare the vector loops with it.
     */
    @BeforeAll
    static void firstMaxPoolingOfTheJvm() {
        VECTOR.maxPool2d(ComputePool.sequential(), new float[9], 1, 1, 3, 3, 3, 2, 1, new float[4]);
    }

    @ParameterizedTest(name = "maxpool {0}x{1}x{2}x{3} k{4} s{5} p{6}")
    @CsvSource({
            "1,3,7,9,3,2,1", "2,5,112,112,3,2,1", "1,1,97,83,3,2,1", "1,1,97,83,2,2,0", "1,1,97,83,3,1,1",
            "1,2,97,83,5,3,2", "1,2,97,83,1,2,0", "1,1,97,83,1,1,0", "1,2,33,65,4,2,1", "1,2,33,65,3,3,0",
            "2,3,7,9,2,1,0", "1,1,1,1,1,1,0", "1,1,1,1,3,2,1", "1,1,2,2,3,1,0", "1,2,19,40,7,4,3",
            "1,1,5,37,2,2,1", "3,1,16,16,3,2,1", "1,1,9,300,3,2,1", "1,1,1,2,3,3,0", "1,2,4,5,3,3,0",
            // the last input columns no window reads (67 wide, the windows end at 66), and padding wider
            // than the window
            "1,2,31,67,3,3,0", "1,1,13,11,2,3,1", "1,1,6,6,2,1,3",
            // 3×3 stride 2 (its own path): no padding, rows of whole vectors (32 outputs) and one past,
            // one or two input rows
            "1,2,33,65,3,2,0", "1,1,2,2,3,2,0", "1,2,7,64,3,2,1", "1,1,3,34,3,2,1", "1,3,17,130,3,2,0",
            "1,1,2,9,3,2,1", "2,2,6,63,3,2,0"})
    void maxPoolIsBitIdenticalToScalar(int n, int c, int h, int w, int k, int s, int p) {
        int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
        SplittableRandom rnd = new SplittableRandom(n * 7919L + c * 104729L + h * 31L + w + k * 1000003L + s * 17L + p);
        for (boolean specials : new boolean[] {false, true}) {
            float[] x = poolInput(rnd, n * c * h * w, specials);
            float[] e = sentinel(n * c * oh * ow), v = sentinel(n * c * oh * ow);
            SCALAR.maxPool2d(ComputePool.sequential(), x, n, c, h, w, k, s, p, e);
            VECTOR.maxPool2d(TWO, x, n, c, h, w, k, s, p, v);
            Check.identical("maxpool (specials " + specials + ")", e, v);
        }
    }

    @Test
    void maxPoolFirstOfEqualMaximaWinsLikeTheTwin() {
        // -0.0 == 0.0, so the first one met (row-major in the window) is kept; and a window that lies
        // entirely in the padding (pad > k/2, which PyTorch forbids but the kernels accept) gives −∞.
        float[] x = {-0f, 0f, -1f, 0f, -0f, -1f, -1f, -1f, -1f};
        float[] e = new float[25], v = new float[25];
        for (int[] ksp : new int[][] {{2, 1, 0}, {3, 1, 1}, {2, 2, 1}, {1, 1, 1}, {3, 2, 2}}) {
            int k = ksp[0], s = ksp[1], p = ksp[2];
            int o = (3 + 2 * p - k) / s + 1;
            float[] eo = Arrays.copyOf(e, o * o), vo = Arrays.copyOf(v, o * o);
            SCALAR.maxPool2d(ComputePool.sequential(), x, 1, 1, 3, 3, k, s, p, eo);
            VECTOR.maxPool2d(ComputePool.sequential(), x, 1, 1, 3, 3, k, s, p, vo);
            Check.identical("maxpool of signed zeros k" + k + " s" + s + " p" + p, eo, vo);
        }
        float[] y = new float[4];
        VECTOR.maxPool2d(ComputePool.sequential(), x, 1, 1, 3, 3, 2, 1, 0, y);
        // windows: {-0,0,0,-0} → -0 first; {0,-1,-0,-1} → 0; {0,-0,-1,-1} → 0; {-0,-1,-1,-1} → -0
        Check.identical("signed zeros, hand-computed", new float[] {-0f, 0f, 0f, -0f}, y);
    }

    @ParameterizedTest(name = "avgpool {0}x{1}x{2}x{3} -> {4}x{5}")
    @CsvSource({
            "2,3,13,11,1,1", "2,3,13,11,3,2", "2,3,13,11,5,7", "2,3,13,11,13,11", "2,3,13,11,20,15", "2,3,13,11,1,4",
            "2,3,13,11,4,1", "2,64,7,7,1,1", "1,5,97,83,1,1", "1,2,97,83,6,6", "1,1,1,1,1,1", "1,1,1,1,3,2", "1,2,40,40,7,3"})
    void adaptiveAvgPoolIsWithinRoundingOfScalar(int n, int c, int h, int w, int oh, int ow) {
        SplittableRandom rnd = new SplittableRandom(n * 7919L + c * 104729L + h * 31L + w + oh * 1000003L + ow * 17L);
        float[] x = random(rnd, n * c * h * w, false);
        float[] e = sentinel(n * c * oh * ow), v = sentinel(n * c * oh * ow);
        SCALAR.adaptiveAvgPool2d(ComputePool.sequential(), x, n, c, h, w, oh, ow, e);
        VECTOR.adaptiveAvgPool2d(TWO, x, n, c, h, w, oh, ow, v);
        // a bin of m values in [-1, 1]: each float sum is within about m·2^-24·m of the exact one; divided by m
        int maxBin = (-Math.floorDiv(-h, oh) + 1) * (-Math.floorDiv(-w, ow) + 1);
        Check.close("avgpool", e, v, 2.0 * maxBin * 0x1p-24 + 1e-7, 0);
        if (oh == h && ow == w) {
            Check.identical("avgpool with one cell per bin is a copy", x, v);
        }
    }

    // ---------------------------------------------------------------------------------- threads, allocation

    @Test
    void poolingDoesNotDependOnTheThreadCount() {
        SplittableRandom rnd = new SplittableRandom(18);
        int n = 2, c = 5, h = 29, w = 31;
        float[] x = random(rnd, n * c * h * w, true);
        try (ComputePool one = ComputePool.create(1); ComputePool two = ComputePool.create(2)) {
            int o = (h + 2 - 3) / 2 + 1, ow = (w + 2 - 3) / 2 + 1;
            float[] y1 = new float[n * c * o * ow], y2 = new float[n * c * o * ow];
            VECTOR.maxPool2d(one, x, n, c, h, w, 3, 2, 1, y1);
            VECTOR.maxPool2d(two, x, n, c, h, w, 3, 2, 1, y2);
            Check.identical("maxpool 1 vs 2 threads", y1, y2);
            for (int[] out : new int[][] {{1, 1}, {3, 4}, {5, 1}}) {
                float[] a1 = new float[n * c * out[0] * out[1]], a2 = new float[a1.length];
                VECTOR.adaptiveAvgPool2d(one, x, n, c, h, w, out[0], out[1], a1);
                VECTOR.adaptiveAvgPool2d(two, x, n, c, h, w, out[0], out[1], a2);
                Check.identical("avgpool 1 vs 2 threads " + Arrays.toString(out), a1, a2);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sigmoid", "tanh", "add"})
    void warmedUpElementwiseKernelAllocatesNothing(String kernel) {
        float[] x = random(new SplittableRandom(19), 1031, false), y = new float[1031], z = new float[1031];
        Runnable call = switch (kernel) {
            case "sigmoid" -> () -> VECTOR.sigmoid(x, 0, z, 0, 1031);
            case "tanh" -> () -> VECTOR.tanh(x, 0, z, 0, 1031);
            default -> () -> VECTOR.add(x, 0, y, 0, z, 0, 1031);
        };
        // Interpreted Vector API code allocates every vector; compiled code must not.
        long allocated = SteadyState.allocation(call, 100, 0);
        assertEquals(0, allocated, kernel + ": every window of 100 calls allocated for 2 minutes of CPU time (vectors boxed even when compiled?); last window " + allocated + " bytes");
    }

    @Test
    void warmedUpMaxPoolAllocatesOnlyItsScratch() {
        // ResNet's 3×3/2 pad 1 on 16 planes of 56×56: each of the 4 tasks of a 1-thread pool allocates a
        // few hundred bytes of buffers; a JIT that boxes vectors in the inner loops allocates ~100 KB.
        float[] x = random(new SplittableRandom(21), 16 * 56 * 56, false), y = new float[16 * 28 * 28];
        ComputePool one = ComputePool.create(1);
        long perCall = SteadyState.allocation(() -> VECTOR.maxPool2d(one, x, 1, 16, 56, 56, 3, 2, 1, y), 20, 20 * 8192) / 20;
        assertTrue(perCall < 8192, "maxPool2d: a compiled call allocates " + perCall + " bytes");
    }
}
