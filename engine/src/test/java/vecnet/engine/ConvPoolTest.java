package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.testing.SteadyState;

/**
 * The convolution and max pooling in one pass ({@link VectorConvPool}) against the two steps it
 * replaces (the vector kernels' convolution, then their max pooling), bit for bit, on every thread
 * count; and against the scalar kernels' two steps. Maps whose rows are not whole blocks of pixels
 * take the two steps inside the plan: two cases check that they do.
 */
class ConvPoolTest extends LibraryTest {
    static final Kernels VECTOR = ConvTest.VECTOR;
    static final Kernels SCALAR = ConvTest.SCALAR;

    /** Uniform values in (-1, 1), with NaN, ±∞, ±0 and ties sprinkled in when {@code special}. */
    static float[] values(SplittableRandom rnd, int n, boolean special) {
        float[] a = ConvTest.random(rnd, n);
        if (special) {
            float[] odd = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 0.5f, -0.5f};
            for (int i = 0; i < n; i += 1 + rnd.nextInt(40)) {
                a[i] = odd[rnd.nextInt(odd.length)];
            }
        }
        return a;
    }

    @ParameterizedTest(name = "n{0} cin{1} cout{2} {3}x{4} k{5}x{6} s{7},2 p{8},{9} pool{10}/{11}/{12}")
    @CsvSource({
            "1, 3, 64, 32, 32, 7, 7, 2, 3, 3, 3, 2, 1",   // rows of whole blocks of pixels: pooled in the tiles
            "2, 3, 32, 33, 48, 7, 7, 2, 3, 3, 3, 2, 1",   // an odd map height: the last window has 2 rows
            "1, 3, 32, 35, 16, 7, 7, 2, 3, 3, 3, 2, 1",   // one block of pixels per row
            "1, 4, 32, 30, 64, 5, 3, 1, 2, 1, 3, 2, 1",   // row stride 1, another kernel
            "1, 2, 64, 40, 32, 3, 3, 3, 1, 1, 3, 2, 1",   // row stride 3
            "1, 3, 32, 2, 16, 7, 7, 2, 3, 3, 3, 2, 1",    // a map one row high: a window of one row
            "2, 3, 32, 4, 32, 7, 7, 2, 3, 3, 3, 2, 1",    // a map two rows high: one window of two rows
            "1, 3, 64, 97, 83, 7, 7, 2, 3, 3, 3, 2, 1",   // rows not whole blocks of pixels: the two steps
            "2, 3, 64, 40, 34, 7, 7, 2, 3, 3, 3, 2, 1",   // the same, two images
            "1, 20, 32, 30, 32, 7, 7, 2, 3, 3, 3, 2, 1",  // 980 products per output: one slice, past 512
    })
    void oneOrTwoStepsGiveTheSameBits(int n, int cin, int cout, int h, int w, int kh, int kw, int sh, int ph, int pw,
                                      int poolK, int poolS, int poolP) {
        ConvGeometry g = new ConvGeometry(cin, cout, kh, kw, sh, 2, ph, pw, 1, 1, 1);
        SplittableRandom rnd = new SplittableRandom(cin * 1000 + h * 31 + w);
        for (boolean special : new boolean[] {false, true}) {
            float[] x = values(rnd, n * cin * h * w, special), wt = values(rnd, g.weightSize(), special);
            float[] scale = values(rnd, cout, special), shift = values(rnd, cout, false);
            int oh = g.outH(h), ow = g.outW(w);
            int poh = Math.floorDiv(oh + 2 * poolP - poolK, poolS) + 1, pow = Math.floorDiv(ow + 2 * poolP - poolK, poolS) + 1;
            // Every third channel fma(acc, 0, −0): +0 or −0 by the sign of acc, so that windows hold ties
            // of +0 and −0, whose winner depends on the order of the comparisons.
            float[] zeroScale = scale.clone(), minusZeros = new float[cout];
            for (int c = 0; c < cout; c++) {
                zeroScale[c] = c % 3 == 0 ? 0f : scale[c];
                minusZeros[c] = -0f;
            }
            for (Epilogue ep : new Epilogue[] {Epilogue.rowAffine(scale, shift).withRelu(), Epilogue.rowBias(shift),
                    Epilogue.NONE, new Epilogue(scale, null, true, null, 0, true), Epilogue.rowAffine(zeroScale, minusZeros)}) {
                float[] maps = new float[n * cout * oh * ow], expected = new float[n * cout * poh * pow];
                VECTOR.planConv2d(g, wt).run(ComputePool.sequential(), x, n, h, w, maps, ep);
                VECTOR.maxPool2d(ComputePool.sequential(), maps, n, cout, oh, ow, poolK, poolS, poolP, expected);
                VectorConvPool plan = (VectorConvPool) VECTOR.planConvMaxPool(g, wt, poolK, poolS, poolP);
                assertNotNull(plan, g + " should have a fused plan");
                for (int threads = 1; threads <= 3; threads++) {
                    try (ComputePool pool = ComputePool.create(threads)) {
                        for (boolean twoSteps : new boolean[] {false, true}) {
                            float[] actual = new float[expected.length];
                            java.util.Arrays.fill(actual, 7f);
                            plan.run(pool, x, n, h, w, ep, actual, twoSteps);
                            Check.identical(g + " pooled " + poolK + "/" + poolS + "/" + poolP + ", " + threads
                                    + " threads" + (twoSteps ? ", two steps" : "") + (special ? ", special values" : ""),
                                    expected, actual);
                        }
                    }
                }
                for (double[] weights : UnequalShares.WEIGHTS) {
                    float[] actual = new float[expected.length];
                    try (ComputePool pool = UnequalShares.pool(weights)) {
                        plan.run(pool, x, n, h, w, ep, actual, false);
                    }
                    Check.identical(g + " pooled, " + UnequalShares.name(weights) + (special ? ", special values" : ""),
                            expected, actual);
                }
                if (!special) { // and close to the scalar kernels' two steps
                    float[] scalarMaps = new float[maps.length], reference = new float[expected.length];
                    SCALAR.planConv2d(g, wt).run(ComputePool.sequential(), x, n, h, w, scalarMaps, ep);
                    SCALAR.maxPool2d(ComputePool.sequential(), scalarMaps, n, cout, oh, ow, poolK, poolS, poolP, reference);
                    Check.close(g + " against the scalar kernels", reference, expected, 3e-6 * Math.sqrt(g.patchSize()), 1e-5);
                }
            }
        }
    }

    @Test
    void onlyWhereItApplies() {
        float[] w = new float[64 * 3 * 49];
        assertNotNull(VECTOR.planConvMaxPool(ConvGeometry.square(3, 64, 7, 2, 3), w, 3, 2, 1));
        assertNull(SCALAR.planConvMaxPool(ConvGeometry.square(3, 64, 7, 2, 3), w, 3, 2, 1), "scalar kernels");
        assertNull(VECTOR.planConvMaxPool(ConvGeometry.square(64, 64, 3, 1, 1), new float[64 * 64 * 9], 3, 2, 1),
                "3x3 stride 1 (Winograd's)");
        assertNull(VECTOR.planConvMaxPool(ConvGeometry.square(3, 64, 7, 1, 3), w, 3, 2, 1), "column stride 1");
        assertNull(VECTOR.planConvMaxPool(ConvGeometry.square(3, 60, 7, 2, 3), new float[60 * 3 * 49], 3, 2, 1),
                "channels not a multiple of a panel");
        assertNull(VECTOR.planConvMaxPool(ConvGeometry.square(64, 64, 7, 2, 3), new float[64 * 64 * 49], 3, 2, 1),
                "more products per output than one slice");
        for (int[] pooling : new int[][] {{2, 2, 0}, {3, 1, 1}, {3, 4, 1}, {1, 1, 0}, {3, 2, 0}, {5, 2, 2}}) {
            assertNull(VECTOR.planConvMaxPool(ConvGeometry.square(3, 64, 7, 2, 3), w, pooling[0], pooling[1], pooling[2]),
                    "pooling " + java.util.Arrays.toString(pooling) + ", not ResNet's 3/2/1");
        }
    }

    @Test
    void warmedUpRunAllocatesNothing() {
        ConvGeometry g = ConvGeometry.square(3, 64, 7, 2, 3);
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = ConvTest.random(rnd, 3 * 64 * 64), wt = ConvTest.random(rnd, g.weightSize());
        Epilogue ep = Epilogue.rowAffine(ConvTest.random(rnd, 64), ConvTest.random(rnd, 64)).withRelu();
        float[] y = new float[64 * 16 * 16];
        VectorConvPool plan = (VectorConvPool) VECTOR.planConvMaxPool(g, wt, 3, 2, 1);
        ComputePool pool = ComputePool.sequential();
        long perCall = SteadyState.allocation(() -> plan.run(pool, x, 1, 64, 64, ep, y, false), 50, 50 * 1023) / 50;
        assertTrue(perCall < 1024, "a warmed-up pooled convolution allocated " + perCall + " bytes per call");
    }
}
