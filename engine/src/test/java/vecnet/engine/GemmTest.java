package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.testing.SteadyState;

/** sgemm: a hand-computed case, the Vector API kernel against its scalar twin and EJML, thread invariance. */
class GemmTest extends LibraryTest {
    static final Kernels VECTOR = VectorKernels.create();
    static final Kernels SCALAR = Kernels.scalar();

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** Tolerance grows with the reduction length: sums of k products of values in [-1, 1]. */
    static double atol(int k) {
        return 2e-6 * Math.sqrt(k) + 1e-6 * k / 64.0;
    }

    @Test
    void handComputed() {
        // [1 2 3]   [1 0]   [1+0+9  0+2+3]   [10  5]
        // [4 5 6] · [0 1] = [4+0+18 0+5+6] = [22 11], then + bias [1, -20] and ReLU.
        //           [3 1]
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {1, 0, 0, 1, 3, 1};
        float[] bias = {1, -20};
        for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
            float[] c = new float[4];
            k.sgemm(ComputePool.sequential(), 2, 2, 3, a, 0, 3, b, 0, 2, false, c, 0, 2, Epilogue.columnBias(bias).withRelu());
            assertArrayEquals(new float[] {11, 0, 23, 0}, c, k.name());
            float[] bt = {1, 0, 3, 0, 1, 1}; // B transposed: rows are B's columns
            k.sgemm(ComputePool.sequential(), 2, 2, 3, a, 0, 3, bt, 0, 3, true, c, 0, 2, Epilogue.NONE);
            assertArrayEquals(new float[] {10, 5, 22, 11}, c, k.name());
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,7,13", "7,8,9", "9,13,1", "13,207,9", "4,32,256", "5,33,257", "64,64,64", "100,200,300",
            "207,13,702", "31,1024,17", "129,65,513", "129,65,1025", "37,70,2305", "3,4099,5", "702,9,7"})
    void vectorMatchesScalarAndEjml(int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(m * 1_000_003L + n * 1009L + k);
        float[] a = random(rnd, m * k), b = random(rnd, k * n);
        float[] expected = new float[m * n], actual = new float[m * n];
        try (ComputePool pool = ComputePool.create(2)) { // closed even when a check fails
            SCALAR.sgemm(pool, m, n, k, a, 0, k, b, 0, n, false, expected, 0, n, Epilogue.NONE);
            VECTOR.sgemm(pool, m, n, k, a, 0, k, b, 0, n, false, actual, 0, n, Epilogue.NONE);
        }
        Check.close("sgemm " + m + "x" + n + "x" + k + " vector vs scalar", expected, actual, atol(k), 1e-5);

        FMatrixRMaj ea = FMatrixRMaj.wrap(m, k, a), eb = FMatrixRMaj.wrap(k, n, b), ec = new FMatrixRMaj(m, n);
        CommonOps_FDRM.mult(ea, eb, ec);
        Check.close("sgemm " + m + "x" + n + "x" + k + " vector vs EJML", ec.data, actual, atol(k), 1e-5);
    }

    /**
     * {@link Kernels#warmUp} runs the micro-kernel on its own tile: a product and a convolution with
     * every kind of epilogue give the same bits before and after it (it shares no buffer with them).
     */
    @Test
    void aWarmUpChangesNoResult() {
        SplittableRandom rnd = new SplittableRandom(77);
        int m = 37, n = 70, k = 300;
        float[] a = random(rnd, m * k), b = random(rnd, k * n), bias = random(rnd, n), res = random(rnd, m * n);
        Epilogue ep = Epilogue.columnBias(bias).withResidual(res, 0).withRelu();
        ConvGeometry g = ConvGeometry.square(5, 9, 3, 2, 1);
        float[] x = random(rnd, 5 * 17 * 17), w = random(rnd, g.weightSize()), shift = random(rnd, 9);
        Kernels.Conv2dPlan plan = VECTOR.planConv2dDirect(g, w);
        float[][] before = {new float[m * n], new float[9 * 9 * 9]}, after = {new float[m * n], new float[9 * 9 * 9]};
        for (float[][] out : new float[][][] {before, after}) {
            if (out == after) {
                VECTOR.warmUp();
            }
            VECTOR.sgemm(ComputePool.sequential(), m, n, k, a, 0, k, b, 0, n, false, out[0], 0, n, ep);
            plan.run(ComputePool.sequential(), x, 1, 17, 17, out[1], Epilogue.rowAffine(shift, shift).withRelu());
        }
        Check.identical("sgemm around a warm-up", before[0], after[0]);
        Check.identical("convolution around a warm-up", before[1], after[1]);
        Kernels.scalar().warmUp(); // does nothing, and says so by not throwing
    }

    /**
     * sgemm gives the same bits on any thread count: the tasks (runs of row blocks × column blocks)
     * change with it, each element's sums do not. Shapes span several blocks of rows and of columns;
     * the last two have rows enough for one wide band a thread on two and three threads.
     */
    @ParameterizedTest
    @CsvSource({"300,600,300", "129,1100,257", "1024,40,70", "800,1100,300", "300,200,1500"})
    void sgemmIsTheSameOnAnyThreadCount(int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * n + k);
        float[] a = random(rnd, m * k), b = random(rnd, k * n), bias = random(rnd, n);
        float[] first = null;
        for (int threads = 1; threads <= 3; threads++) {
            float[] c = new float[m * n];
            try (ComputePool pool = ComputePool.create(threads)) {
                VECTOR.sgemm(pool, m, n, k, a, 0, k, b, 0, n, false, c, 0, n, Epilogue.columnBias(bias));
            }
            if (first == null) {
                first = c;
            } else {
                Check.identical("sgemm " + m + "x" + n + "x" + k + ", " + threads + " vs 1 threads", first, c);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "7,9,13", "13,207,8", "33,65,300", "130,70,1024"})
    void transposedOffsetsStridesAndEpilogue(int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(7 * m + n + k);
        int lda = k + 3, ldb = k + 5, ldc = n + 2, aOff = 11, bOff = 5, cOff = 7;
        float[] a = random(rnd, aOff + m * lda), bt = random(rnd, bOff + n * ldb);
        float[] scale = random(rnd, n), shift = random(rnd, n), res = random(rnd, 3 + m * ldc);
        Epilogue ep = new Epilogue(scale, shift, false, res, 3, true);
        float[] expected = new float[cOff + m * ldc], actual = new float[cOff + m * ldc];
        SCALAR.sgemm(ComputePool.sequential(), m, n, k, a, aOff, lda, bt, bOff, ldb, true, expected, cOff, ldc, ep);
        VECTOR.sgemm(ComputePool.sequential(), m, n, k, a, aOff, lda, bt, bOff, ldb, true, actual, cOff, ldc, ep);
        for (int i = 0; i < m; i++) {
            Check.close("row " + i, expected, cOff + i * ldc, actual, cOff + i * ldc, n, atol(k) * 2, 1e-5);
        }
        // Per-row epilogue (convolution style) too.
        float[] rs = random(rnd, m), rsh = random(rnd, m);
        Epilogue rowEp = Epilogue.rowAffine(rs, rsh).withRelu();
        SCALAR.sgemm(ComputePool.sequential(), m, n, k, a, aOff, lda, bt, bOff, ldb, true, expected, cOff, ldc, rowEp);
        VECTOR.sgemm(ComputePool.sequential(), m, n, k, a, aOff, lda, bt, bOff, ldb, true, actual, cOff, ldc, rowEp);
        Check.close("per-row epilogue", expected, actual, atol(k) * 2, 1e-5);
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "7,9,13", "13,207,8", "33,65,300", "1024,16,300", "130,70,1024", "5,3,0",
            "1024,1,256", "1024,1,300", "1000,1,512", "13,1,7", "150,1,600", "150,1,1100", "130,70,2100", "16,1,1"})
    void plannedGemmEqualsSgemmBitForBit(int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(13 * m + n + k);
        float[] a = random(rnd, 3 + m * (k + 2)), b = random(rnd, 2 + (n + 1) * (k + 1)), bias = random(rnd, m);
        float[] res = random(rnd, 1 + m * n);
        Epilogue rowEp = Epilogue.rowAffine(bias, random(rnd, m)).withResidual(res, 1).withRelu();
        // A per-column epilogue too: with one column every output has channel 0.
        Epilogue colEp = Epilogue.columnBias(random(rnd, n)).withResidual(res, 0);
        for (Kernels kernels : new Kernels[] {SCALAR, VECTOR}) {
            for (boolean transposed : new boolean[] {true, false}) {
                for (Epilogue ep : new Epilogue[] {rowEp, colEp}) {
                    int ldb = transposed ? k + 1 : n + 1; // B (k, n) stored as its transpose, or as is
                    float[] expected = new float[m * n], actual = new float[m * n];
                    kernels.sgemm(ComputePool.sequential(), m, n, k, a, 3, k + 2, b, 2, ldb, transposed, expected, 0, n, ep);
                    Kernels.GemmPlan plan = kernels.planGemm(m, k, a, 3, k + 2);
                    try (ComputePool pool = ComputePool.create(2)) {
                        plan.run(pool, n, b, 2, ldb, transposed, actual, 0, n, ep);
                    }
                    Check.identical(kernels.name() + " planned vs sgemm " + m + "x" + n + "x" + k
                            + (transposed ? " (B transposed)" : "") + (ep == rowEp ? "" : ", column bias"), expected, actual);
                }
            }
        }
    }

    /**
     * A convolution's weight-gradient product from the input itself equals sgemm against the
     * materialized columns, bit for bit, on both kernel sets and any thread count: strides, padding,
     * dilation, groups, several K slices of N·P and more than one block of columns.
     */
    @ParameterizedTest
    @CsvSource({
        // cin, cout, kh, kw, stride, pad, dil, groups, n, h, w
        "3, 8, 7, 7, 2, 3, 1, 1, 2, 19, 17",
        "8, 8, 3, 3, 1, 1, 1, 1, 3, 12, 11",
        "64, 16, 3, 3, 1, 1, 1, 1, 1, 9, 9",
        "6, 4, 3, 2, 2, 0, 2, 2, 2, 13, 10",
        "4, 6, 1, 1, 2, 0, 1, 1, 2, 7, 8",
        "4, 300, 3, 3, 1, 1, 1, 1, 2, 13, 13",    // several blocks of rows (MC)
        "8, 16, 3, 3, 1, 1, 1, 1, 2, 40, 33"})    // N·P = 2640: three k-slices of 880
    void columnsProductEqualsSgemmOverIm2colBitForBit(int cin, int cout, int kh, int kw, int stride, int pad, int dil,
                                                      int groups, int n, int h, int w) {
        ConvGeometry g = new ConvGeometry(cin, cout, kh, kw, stride, stride, pad, pad, dil, dil, groups);
        int k = g.patchSize(), oh = g.outH(h), ow = g.outW(w), np = n * oh * ow, m = g.coutPerGroup();
        SplittableRandom rnd = new SplittableRandom(cin * 7L + kh * 3L + n + h);
        float[] x = random(rnd, n * cin * h * w), a = random(rnd, 2 + m * (np + 3));
        for (int group = 0; group < groups; group++) {
            float[] col = new float[k * np];   // X̂ of this group, written out by the definition
            for (int r = 0; r < k; r++) {
                int ci = group * g.cinPerGroup() + r / (kh * kw), i = r % (kh * kw) / kw, j = r % kw;
                for (int q = 0; q < np; q++) {
                    int b = q / (oh * ow), oy = q % (oh * ow) / ow, ox = q % ow;
                    int iy = oy * stride - pad + i * dil, ix = ox * stride - pad + j * dil;
                    col[r * np + q] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[((b * cin + ci) * h + iy) * w + ix] : 0f;
                }
            }
            for (Kernels kernels : new Kernels[] {SCALAR, VECTOR}) {
                float[] expected = new float[m * (k + 1)], actual = new float[m * (k + 1)];
                kernels.sgemm(ComputePool.sequential(), m, k, np, a, 2, np + 3, col, 0, np, true, expected, 1, k + 1,
                        Epilogue.NONE);
                for (int threads = 1; threads <= 3; threads++) {
                    try (ComputePool pool = ComputePool.create(threads)) {
                        kernels.sgemmColumnsTransposed(pool, m, a, 2, np + 3, g, group, x, n, h, w, actual, 1, k + 1);
                    }
                    Check.identical(kernels.name() + " columns product " + g + " group " + group + ", " + threads
                            + " threads", expected, actual);
                }
            }
        }
    }

    /**
     * The right plan is sgemm with {@code B = Wᵀ}, element for element, and so is the left plan with the
     * roles swapped ({@code Cᵀ = W·Aᵀ}): the layers rely on both to give a row the same bits whatever
     * its batch. Shapes cover partial tiles in both directions, K past one slice and an empty K.
     */
    @ParameterizedTest
    @CsvSource({"1,1,1", "2,9,13", "16,1024,300", "7,33,257", "5,1000,512", "130,70,600", "130,70,1300", "4,64,0", "33,513,17"})
    void rightPlanEqualsSgemmAndTheSwappedLeftPlanBitForBit(int m, int n, int k) {
        SplittableRandom rnd = new SplittableRandom(7 * m + 3 * n + k);
        float[] a = random(rnd, 3 + m * (k + 2)), w = random(rnd, 2 + n * (k + 1)), bias = random(rnd, n);
        float[] res = random(rnd, 1 + m * n);
        Epilogue ep = Epilogue.columnBias(bias).withResidual(res, 1).withRelu();
        for (Kernels kernels : new Kernels[] {SCALAR, VECTOR}) {
            float[] expected = new float[m * n], actual = new float[m * n];
            kernels.sgemm(ComputePool.sequential(), m, n, k, a, 3, k + 2, w, 2, k + 1, true, expected, 0, n, ep);
            Kernels.RightPlan plan = kernels.planGemmRight(n, k, w, 2, k + 1);
            for (int threads = 1; threads <= 3; threads++) {
                java.util.Arrays.fill(actual, Float.NaN);
                try (ComputePool pool = ComputePool.create(threads)) {
                    plan.run(pool, m, a, 3, k + 2, actual, 0, n, ep);
                }
                Check.identical(kernels.name() + " right plan vs sgemm " + m + "x" + n + "x" + k + ", " + threads
                        + " threads", expected, actual);
            }
            if (k > 0) { // Cᵀ = W·Aᵀ through the left plan, no epilogue (its channels would be rows)
                float[] right = new float[m * n], leftT = new float[n * m];
                plan.run(ComputePool.sequential(), m, a, 3, k + 2, right, 0, n, Epilogue.NONE);
                kernels.planGemm(n, k, w, 2, k + 1).run(ComputePool.sequential(), m, a, 3, k + 2, true, leftT, 0, m,
                        Epilogue.NONE);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        if (Float.floatToRawIntBits(right[i * n + j]) != Float.floatToRawIntBits(leftT[j * m + i])) {
                            throw new AssertionError(kernels.name() + " right plan vs left plan transposed differ at ("
                                    + i + ", " + j + "): " + right[i * n + j] + " vs " + leftT[j * m + i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void oneAndTwoThreadsAreBitIdentical() {
        SplittableRandom rnd = new SplittableRandom(42);
        int m = 300, n = 700, k = 1200;
        float[] a = random(rnd, m * k), b = random(rnd, k * n), bias = random(rnd, m);
        float[] one = new float[m * n], two = new float[m * n];
        try (ComputePool p1 = ComputePool.create(1); ComputePool p2 = ComputePool.create(2); ComputePool p3 = ComputePool.create(3)) {
            VECTOR.sgemm(p1, m, n, k, a, 0, k, b, 0, n, false, one, 0, n, Epilogue.rowBias(bias).withRelu());
            VECTOR.sgemm(p2, m, n, k, a, 0, k, b, 0, n, false, two, 0, n, Epilogue.rowBias(bias).withRelu());
            Check.identical("sgemm 1 vs 2 threads", one, two);
            VECTOR.sgemm(p3, m, n, k, a, 0, k, b, 0, n, false, two, 0, n, Epilogue.rowBias(bias).withRelu());
            Check.identical("sgemm 1 vs 3 threads", one, two);
        }
    }

    @Test
    void warmedUpCallAllocatesNothing() {
        SplittableRandom rnd = new SplittableRandom(3);
        int m = 64, n = 256, k = 300;
        float[] a = random(rnd, m * k), b = random(rnd, k * n), c = new float[m * n], bias = random(rnd, m);
        Epilogue ep = Epilogue.rowBias(bias).withRelu();
        ComputePool pool = ComputePool.sequential();
        long perCall = SteadyState.allocation(
                () -> VECTOR.sgemm(pool, m, n, k, a, 0, k, b, 0, n, false, c, 0, n, ep), 100, 100 * 511) / 100;
        assertTrue(perCall < 512, "a warmed-up sgemm allocated " + perCall + " bytes per call (vectors boxed?)");
    }
}
