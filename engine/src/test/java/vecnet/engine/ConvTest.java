package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.testing.SteadyState;

/**
 * conv2d: a hand-computed case, the Vector API kernels (implicit GEMM, Winograd for 3×3 stride 1 from
 * 4 tiles on) against the direct scalar loops, thread invariance.
 */
class ConvTest extends LibraryTest {
    static final Kernels VECTOR = VectorKernels.create();
    static final Kernels SCALAR = Kernels.scalar();

    @Test
    void handComputed3x3() {
        // x = [[1,2,3],[4,5,6],[7,8,9]], w = the Laplacian [[0,1,0],[1,-4,1],[0,1,0]], zero padding 1:
        // y = up + down + left + right - 4*centre, e.g. (0,0) = 4 + 2 - 4 = 2, (1,0) = 1 + 7 + 5 - 16 = -3,
        // (1,1) = 2 + 8 + 4 + 6 - 20 = 0, (2,2) = 6 + 8 - 36 = -22.
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = {0, 1, 0, 1, -4, 1, 0, 1, 0};
        float[] expected = {2, 1, -4, -3, 0, -7, -16, -11, -22};
        for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
            float[] y = new float[9];
            k.planConv2d(ConvGeometry.square(1, 1, 3, 1, 1), w).run(ComputePool.sequential(), x, 1, 3, 3, y, Epilogue.NONE);
            assertArrayEquals(expected, y, k.name());
        }
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    @ParameterizedTest(name = "n{0} cin{1} cout{2} {3}x{4} k{5}x{6} s{7} p{8} d{9} g{10}")
    @CsvSource({
            "1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1",
            "1, 3, 8, 7, 9, 3, 3, 1, 1, 1, 1",
            "2, 3, 8, 97, 83, 7, 7, 2, 3, 1, 1",   // the stem on an odd image
            "1, 3, 8, 40, 34, 7, 7, 2, 3, 1, 1",   // the stem on an even image (phases of one size)
            "1, 8, 16, 28, 28, 3, 3, 2, 1, 1, 1",
            "1, 8, 16, 49, 42, 3, 3, 2, 1, 1, 1",
            "1, 8, 16, 49, 42, 1, 1, 2, 0, 1, 1",  // downsample
            "2, 16, 13, 13, 11, 3, 3, 1, 1, 1, 1",
            "1, 6, 9, 12, 10, 3, 2, 1, 2, 2, 3",   // groups and dilation
            "1, 4, 4, 9, 9, 3, 3, 3, 1, 1, 4",     // depthwise
            "1, 5, 7, 13, 207, 5, 1, 1, 2, 1, 1",
            "1, 3, 5, 4, 4, 3, 3, 4, 0, 1, 1",     // stride larger than the image allows twice
            "1, 120, 70, 9, 8, 3, 3, 1, 1, 1, 1",  // K > KC: two slices of 540
            "1, 40, 33, 7, 7, 3, 3, 1, 1, 1, 1",
    })
    void vectorMatchesScalar(int n, int cin, int cout, int h, int w, int kh, int kw, int s, int p, int d, int groups) {
        ConvGeometry g = new ConvGeometry(cin, cout, kh, kw, s, s, p, p, d, d, groups);
        SplittableRandom rnd = new SplittableRandom(cin * 31L + cout * 7L + h + w + kh);
        float[] x = random(rnd, n * cin * h * w), wt = random(rnd, g.weightSize());
        int oh = g.outH(h), ow = g.outW(w);
        float[] scale = random(rnd, cout), shift = random(rnd, cout), res = random(rnd, n * cout * oh * ow);
        Kernels.Conv2dPlan plan = VECTOR.planConv2d(g, wt);
        for (Epilogue ep : new Epilogue[] {Epilogue.NONE, Epilogue.rowAffine(scale, shift).withRelu(),
                Epilogue.rowAffine(scale, shift).withResidual(res, 0).withRelu()}) {
            float[] expected = new float[n * cout * oh * ow], actual = new float[expected.length];
            SCALAR.planConv2d(g, wt).run(ComputePool.sequential(), x, n, h, w, expected, ep);
            try (ComputePool pool = ComputePool.create(2)) {
                plan.run(pool, x, n, h, w, actual, ep);
            }
            int depth = g.patchSize();
            // Winograd (3×3 stride 1) rounds in its transforms too: its error grows with the outputs' scale.
            double magnitude = Winograd.applies(g) ? Check.scale(expected) : 1;
            Check.close("conv " + g, expected, actual, 3e-6 * Math.sqrt(depth) * magnitude, 1e-5);
        }
    }

    /**
     * The JVM's first direct convolutions copy the input with scalar loops, later ones with vector
     * loops (VectorConv.RUNS): the same bits, padding and NaN, infinities, -0 and subnormals near the
     * edges included.
     */
    @ParameterizedTest(name = "{0}x{1} k{2} s{3} p{4}")
    @CsvSource({
            "41, 35, 7, 2, 3",   // the stem, phases of unequal sizes
            "28, 28, 3, 2, 1",
            "15, 14, 1, 2, 0",   // a downsampling 1×1
            "13, 11, 3, 1, 1",
            "9, 8, 5, 1, 2",
    })
    void scalarAndVectorCopiesGiveTheSameBits(int h, int w, int k, int s, int p) {
        ConvGeometry g = ConvGeometry.square(6, 19, k, s, p);
        SplittableRandom rnd = new SplittableRandom(h * 131L + k);
        float[] x = random(rnd, 2 * 6 * h * w), wt = random(rnd, g.weightSize());
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE, -Float.MIN_NORMAL / 3};
        for (int i = 0; i < special.length; i++) {
            x[i * 7 * w + (i % 2 == 0 ? 0 : w - 1)] = special[i];   // first or last column of a row, on both images' planes
            x[x.length - 1 - i * 5 * w] = special[i];
        }
        int outputs = 2 * 19 * g.outH(h) * g.outW(w);
        VectorConv plan = (VectorConv) VECTOR.planConv2dDirect(g, wt);
        float[] first = new float[outputs], second = new float[outputs], reference = new float[outputs];
        float[] shift = random(rnd, 19);
        plan.run(ComputePool.sequential(), x, 2, h, w, first, Epilogue.rowBias(shift), true);
        plan.run(ComputePool.sequential(), x, 2, h, w, second, Epilogue.rowBias(shift), false);
        Check.identical("scalar and vector copies of " + g, second, first);
        SCALAR.planConv2dDirect(g, wt).run(ComputePool.sequential(), x, 2, h, w, reference, Epilogue.rowBias(shift));
        for (int i = 0; i < outputs; i++) {
            if (Float.isNaN(reference[i]) != Float.isNaN(first[i])) {
                throw new AssertionError("NaN at " + i + " in only one of scalar kernels and vector ones: " + reference[i] + " vs " + first[i]);
            }
        }
    }

    @Test
    void onePlanServesImagesOfEverySize() {
        // One plan, images of several sizes (odd and even: phases of equal and unequal sizes) in turn.
        ConvGeometry g = ConvGeometry.square(3, 8, 7, 2, 3);
        SplittableRandom rnd = new SplittableRandom(11);
        float[] wt = random(rnd, g.weightSize());
        Kernels.Conv2dPlan vector = VECTOR.planConv2d(g, wt), scalar = SCALAR.planConv2d(g, wt);
        for (int[] size : new int[][] {{40, 34}, {41, 35}, {40, 35}, {40, 34}}) {
            int h = size[0], w = size[1];
            float[] x = random(rnd, 3 * h * w);
            float[] expected = new float[8 * g.outH(h) * g.outW(w)], actual = new float[expected.length];
            scalar.run(ComputePool.sequential(), x, 1, h, w, expected, Epilogue.NONE);
            vector.run(ComputePool.sequential(), x, 1, h, w, actual, Epilogue.NONE);
            Check.close("stem at " + h + "x" + w, expected, actual, 3e-6 * Math.sqrt(g.patchSize()), 1e-5);
        }
    }

    @Test
    void oneAndTwoThreadsAreBitIdentical() {
        ConvGeometry g = ConvGeometry.square(16, 32, 3, 1, 1);
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = random(rnd, 2 * 16 * 30 * 31), wt = random(rnd, g.weightSize()), shift = random(rnd, 32);
        Kernels.Conv2dPlan plan = VECTOR.planConv2d(g, wt);
        float[] one = new float[2 * 32 * 30 * 31], two = new float[one.length];
        try (ComputePool p1 = ComputePool.create(1); ComputePool p2 = ComputePool.create(2)) {
            plan.run(p1, x, 2, 30, 31, one, Epilogue.rowBias(shift).withRelu());
            plan.run(p2, x, 2, 30, 31, two, Epilogue.rowBias(shift).withRelu());
        }
        Check.identical("conv 1 vs 2 threads", one, two);
    }

    /**
     * Maps of one picture, where the threads split the output channels (small maps) or the columns,
     * and the last panel of columns is partial (VectorConv's edge scratch): the same bits on 1, 2 and
     * 3 threads and with unequal shares, with and without a residual, as the first of two copies of
     * the picture, and close to the scalar kernels.
     */
    @ParameterizedTest(name = "cin{0} cout{1} k{2} s{3} on {4}x{4}")
    @CsvSource({
            "128, 96, 3, 2, 14",   // 49 pixels: a panel and a half; 1152 deep: two k-slices
            "32, 48, 3, 2, 28",    // 196 pixels: seven panels, the last with 4 columns
            "64, 128, 1, 2, 14",   // a downsampling 1×1
            "300, 40, 3, 2, 9",    // 25 pixels, 2700 deep (three slices), channels not a multiple of the micro-tile's rows
            "64, 128, 3, 2, 56",   // 784 pixels: 25 panels (13 at 256 bits), the threads split the columns
    })
    void smallMapsAreBitIdenticalOnAnyThreadCount(int cin, int cout, int k, int s, int side) {
        ConvGeometry g = ConvGeometry.square(cin, cout, k, s, k / 2);
        SplittableRandom rnd = new SplittableRandom(cin * 7L + cout + k);
        float[] x = random(rnd, cin * side * side), wt = random(rnd, g.weightSize());
        int size = cout * g.outH(side) * g.outW(side);
        float[] scale = random(rnd, cout), shift = random(rnd, cout), res = random(rnd, size + 3);
        Kernels.Conv2dPlan plan = VECTOR.planConv2dDirect(g, wt);
        // Two copies of the picture: the tasks split the columns of both pictures instead of one
        // picture's output channels, and the first copy's map must be the same bits.
        float[] x2 = Arrays.copyOf(x, 2 * x.length), res2 = Arrays.copyOf(res, 2 * size + 3);
        System.arraycopy(x, 0, x2, x.length, x.length);
        Epilogue[] pairs = {Epilogue.rowAffine(scale, shift).withRelu(), Epilogue.rowAffine(scale, shift).withRelu(),
                Epilogue.rowAffine(scale, shift).withResidual(res, 3).withRelu(),
                Epilogue.rowAffine(scale, shift).withResidual(res2, 3).withRelu()};
        for (int e = 0; e < pairs.length; e += 2) {
            Epilogue ep = pairs[e];
            float[] expected = new float[size];
            SCALAR.planConv2d(g, wt).run(ComputePool.sequential(), x, 1, side, side, expected, ep);
            float[][] out = new float[3][size];
            for (int t = 0; t < 3; t++) {
                try (ComputePool pool = ComputePool.create(t + 1)) {
                    plan.run(pool, x, 1, side, side, out[t], ep);
                    plan.run(pool, x, 1, side, side, out[t], ep); // a second call: the scratch reused
                }
            }
            Check.identical("conv " + g + " 1 vs 2 threads", out[0], out[1]);
            Check.identical("conv " + g + " 1 vs 3 threads", out[0], out[2]);
            float[] two = new float[2 * size];
            try (ComputePool pool = ComputePool.create(2)) {
                plan.run(pool, x2, 2, side, side, two, pairs[e + 1]);
            }
            Check.identical("conv " + g + " one picture vs the first of two", out[0], Arrays.copyOf(two, size));
            Check.close("conv " + g + " vs scalar", expected, out[1], 3e-6 * Math.sqrt(g.patchSize()), 1e-5);
            for (double[] weights : UnequalShares.WEIGHTS) {
                float[] shared = new float[size];
                try (ComputePool pool = UnequalShares.pool(weights)) {
                    plan.run(pool, x, 1, side, side, shared, ep);
                }
                Check.identical("conv " + g + " 1 thread vs " + UnequalShares.name(weights), out[0], shared);
            }
        }
    }

    @Test
    void warmedUpConvolutionAllocatesNothingPerPixel() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (ConvGeometry g : new ConvGeometry[] {ConvGeometry.square(8, 16, 3, 1, 1), ConvGeometry.square(8, 16, 3, 2, 1)}) {
            float[] x = random(rnd, 8 * 40 * 40), wt = random(rnd, g.weightSize()), shift = random(rnd, 16);
            float[] y = new float[16 * g.outH(40) * g.outW(40)];
            Kernels.Conv2dPlan plan = VECTOR.planConv2d(g, wt);
            ComputePool pool = ComputePool.sequential();
            Epilogue ep = Epilogue.rowBias(shift).withRelu();
            long perCall = SteadyState.allocation(() -> plan.run(pool, x, 1, 40, 40, y, ep), 50, 50 * 1023) / 50;
            org.junit.jupiter.api.Assertions.assertTrue(perCall < 1024,
                    g + ": a warmed-up convolution allocated " + perCall + " bytes per call (vectors or masks boxed?)");
        }
    }
}
