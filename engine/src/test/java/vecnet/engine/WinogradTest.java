package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.testing.SteadyState;

/**
 * Winograd F(4×4, 3×3) and F(2×2, 3×3): the vector implementation against its scalar twin
 * ({@link Winograd#reference}, bit for bit), both against the direct convolution and a float64 one,
 * the choice by map size, thread invariance, allocation.
 */
class WinogradTest extends LibraryTest {

    static float[] random(SplittableRandom rnd, int n) {
        return ConvTest.random(rnd, n);
    }

    /** Every epilogue a convolution meets: none, bias, batch-norm, batch-norm + residual + ReLU, bias + ReLU. */
    static Epilogue[] epilogues(SplittableRandom rnd, int cout, int outSize) {
        float[] scale = random(rnd, cout), shift = random(rnd, cout), res = random(rnd, outSize + 7);
        return new Epilogue[] {
                Epilogue.NONE,
                Epilogue.rowBias(shift),
                Epilogue.rowAffine(scale, shift),
                Epilogue.rowAffine(scale, shift).withResidual(res, 7).withRelu(),
                new Epilogue(scale, null, true, null, 0, false),
                Epilogue.rowBias(shift).withRelu(),
        };
    }

    /** y = conv(x, w) in float64 with the direct formula, no epilogue. */
    static double[] direct64(ConvGeometry g, float[] x, float[] wt, int n, int h, int w) {
        int oh = g.outH(h), ow = g.outW(w), cin = g.cin(), cout = g.cout();
        double[] y = new double[n * cout * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = 0;
                        for (int ci = 0; ci < cin; ci++) {
                            for (int i = 0; i < 3; i++) {
                                for (int j = 0; j < 3; j++) {
                                    int iy = oy - g.padH() + i, ix = ox - g.padW() + j;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        s += (double) wt[((co * cin + ci) * 3 + i) * 3 + j] * x[((b * cin + ci) * h + iy) * w + ix];
                                    }
                                }
                            }
                        }
                        y[((b * cout + co) * oh + oy) * ow + ox] = s;
                    }
                }
            }
        }
        return y;
    }

    /** The algorithm a name stands for: "F4" or "F2". */
    static Winograd algorithm(String name) {
        return switch (name) {
            case "F4" -> Winograd.F4;
            case "F2" -> Winograd.F2;
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest
    @CsvSource({"F4", "F2"})
    void laplacianByHand(String name) {
        // The hand-computed case of ConvTest, now through Winograd (forced).
        Winograd f = algorithm(name);
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = {0, 1, 0, 1, -4, 1, 0, 1, 0};
        float[] expected = {2, 1, -4, -3, 0, -7, -16, -11, -22};
        ConvGeometry g = ConvGeometry.square(1, 1, 3, 1, 1);
        float[] y = new float[9], ref = new float[9];
        VectorWinograd.plan(g, w, f).run(ComputePool.sequential(), x, 1, 3, 3, y, Epilogue.NONE);
        f.reference(g, f.transformWeights(g, w), x, 1, 3, 3, ref, Epilogue.NONE);
        Check.close("winograd " + f + " laplacian", expected, y, 1e-5, 1e-6);
        Check.identical("vector vs scalar twin", ref, y);
    }

    @Test
    void theMapSizeChoosesTheAlgorithm() {
        // ResNet-18 at 224²: 56², 28² and 14² maps run F(4×4); layer4's 7×7 F(2×2); 2×2 and smaller direct.
        for (int side : new int[] {56, 28, 14, 9}) {
            assertTrue(Winograd.choose(side, side) == Winograd.F4, side + "x" + side);
        }
        for (int side : new int[] {8, 7, 5, 3}) {
            assertTrue(Winograd.choose(side, side) == Winograd.F2, side + "x" + side);
        }
        assertTrue(Winograd.choose(2, 2) == null && Winograd.choose(1, 1) == null && Winograd.choose(1, 6) == null);
        assertTrue(Winograd.choose(1, 7) == Winograd.F2, "1x7: four F(2x2) tiles");
    }

    @ParameterizedTest(name = "{6} n{0} cin{1} cout{2} {3}x{4} pad{5}")
    @CsvSource({
            "1, 1, 1, 5, 5, 1, F4",
            "1, 1, 3, 4, 4, 1, F4",
            "2, 3, 5, 9, 11, 1, F4",
            "1, 16, 13, 13, 11, 1, F4",
            "1, 40, 33, 7, 7, 1, F4",
            "3, 64, 70, 9, 8, 1, F4",
            "1, 300, 40, 6, 10, 1, F4",   // more input channels than one K slice
            "1, 8, 16, 57, 30, 1, F4",
            "2, 17, 100, 29, 31, 1, F4",
            "1, 5, 7, 13, 9, 0, F4",
            "1, 2, 3, 3, 3, 2, F4",
            "1, 3, 33, 1, 1, 1, F4",      // a single pixel
            "1, 6, 9, 2, 23, 1, F4",
            "1, 1, 1, 5, 5, 1, F2",
            "1, 1, 3, 4, 4, 1, F2",
            "2, 3, 5, 9, 11, 1, F2",
            "1, 16, 13, 13, 11, 1, F2",
            "1, 40, 33, 7, 7, 1, F2",
            "3, 64, 70, 9, 8, 1, F2",
            "1, 300, 40, 6, 10, 1, F2",   // more input channels than one K slice
            "1, 8, 16, 57, 30, 1, F2",
            "2, 17, 100, 29, 31, 1, F2",
            "1, 5, 7, 13, 9, 0, F2",
            "1, 2, 3, 3, 3, 2, F2",
            "1, 3, 33, 1, 1, 1, F2",      // a single pixel
            "1, 6, 9, 2, 23, 1, F2",
    })
    void vectorIsItsScalarTwinAndCloseToFloat64(int n, int cin, int cout, int h, int w, int pad, String name) {
        Winograd f = algorithm(name);
        ConvGeometry g = new ConvGeometry(cin, cout, 3, 3, 1, 1, pad, pad, 1, 1, 1);
        SplittableRandom rnd = new SplittableRandom(cin * 131L + cout * 17L + h * 3L + w + pad);
        float[] x = random(rnd, n * cin * h * w), wt = random(rnd, g.weightSize());
        int size = n * cout * g.outH(h) * g.outW(w);
        float[] u = f.transformWeights(g, wt);
        Kernels.Conv2dPlan plan = VectorWinograd.plan(g, wt, f);
        try (ComputePool pool = ComputePool.create(2)) {
            for (Epilogue ep : epilogues(rnd, cout, size)) {
                float[] twin = new float[size], vector = new float[size];
                f.reference(g, u, x, n, h, w, twin, ep);
                plan.run(pool, x, n, h, w, vector, ep);
                Check.identical("winograd " + f + " vector vs scalar twin " + g + " " + ep, twin, vector);
            }
        }
        // Accuracy without an epilogue: against float64, no worse than a few times the direct float32 error.
        float[] wino = new float[size], direct = new float[size];
        f.reference(g, u, x, n, h, w, wino, Epilogue.NONE);
        Kernels.scalar().planConv2d(g, wt).run(ComputePool.sequential(), x, n, h, w, direct, Epilogue.NONE);
        double[] exact = direct64(g, x, wt, n, h, w);
        double worst = 0, scale = 1e-3;
        for (int i = 0; i < size; i++) {
            worst = Math.max(worst, Math.abs(wino[i] - exact[i]));
            scale = Math.max(scale, Math.abs(exact[i]));
        }
        // |x|, |w| ≤ 1: each output sums 9·cin products; float32 rounding of a sum of that length
        // is ~6e-8·sqrt(9·cin)·|terms|; Winograd's transforms multiply it by a small constant (≤ ~10).
        double bound = 1e-6 * Math.sqrt(9.0 * cin) * Math.max(1, scale);
        assertTrue(worst <= bound, g + ": winograd " + f + " error vs float64 " + worst + " > " + bound);
        Check.close("winograd vs direct " + g, direct, wino, 2 * bound, 0);
    }

    @Test
    void oneTwoAndThreeThreadsAreBitIdentical() {
        SplittableRandom rnd = new SplittableRandom(11);
        // Large maps (tile blocks), small ones at batch 1 (the channel split), batches.
        // With F(2×2) on small maps the pictures of a batch go in groups sharing U, the last one smaller.
        int[][] cases = {{1, 64, 64, 56, 56}, {1, 256, 256, 14, 14}, {1, 32, 96, 7, 7}, {3, 24, 40, 19, 17},
                {1, 512, 64, 7, 7}, {7, 40, 72, 7, 7}, {6, 16, 40, 14, 13}};
        for (int[] c : cases) {
          for (Winograd f : new Winograd[] {Winograd.F4, Winograd.F2, null}) {
            int n = c[0], cin = c[1], cout = c[2], h = c[3], w = c[4];
            ConvGeometry g = ConvGeometry.square(cin, cout, 3, 1, 1);
            float[] x = random(rnd, n * cin * h * w), wt = random(rnd, g.weightSize());
            int size = n * cout * h * w;
            Epilogue ep = epilogues(rnd, cout, size)[3];
            Kernels.Conv2dPlan plan = VectorWinograd.plan(g, wt, f);
            float[] one = new float[size], two = new float[size], three = new float[size];
            try (ComputePool p1 = ComputePool.create(1); ComputePool p2 = ComputePool.create(2);
                 ComputePool p3 = ComputePool.create(3)) {
                plan.run(p1, x, n, h, w, one, ep);
                plan.run(p2, x, n, h, w, two, ep);
                plan.run(p3, x, n, h, w, three, ep);
            }
            Check.identical("winograd " + f + " 1 vs 2 threads " + g, one, two);
            Check.identical("winograd " + f + " 1 vs 3 threads " + g, one, three);
          }
        }
    }

    @Test
    void unequalSharesOfTheThreadsGiveTheSameBits() {
        SplittableRandom rnd = new SplittableRandom(12);
        // One picture: tile blocks a thread (56², 28²), channel blocks a thread (14², 7²).
        int[][] cases = {{64, 64, 56}, {128, 128, 28}, {256, 256, 14}, {96, 512, 7}};
        for (int[] c : cases) {
            for (Winograd f : new Winograd[] {Winograd.F4, Winograd.F2}) {
                int cin = c[0], cout = c[1], side = c[2], size = cout * side * side;
                ConvGeometry g = ConvGeometry.square(cin, cout, 3, 1, 1);
                float[] x = random(rnd, cin * side * side), wt = random(rnd, g.weightSize());
                Epilogue ep = epilogues(rnd, cout, size)[3];
                Kernels.Conv2dPlan plan = VectorWinograd.plan(g, wt, f);
                float[] one = new float[size];
                plan.run(ComputePool.sequential(), x, 1, side, side, one, ep);
                for (double[] weights : UnequalShares.WEIGHTS) {
                    float[] shared = new float[size];
                    try (ComputePool pool = UnequalShares.pool(weights)) {
                        plan.run(pool, x, 1, side, side, shared, ep);
                    }
                    Check.identical("winograd " + f + " " + g + " on " + side + "², " + UnequalShares.name(weights),
                            one, shared);
                }
            }
        }
    }

    @Test
    void eachImageOfABatchEqualsItAlone() {
        // The choice between Winograd and direct depends on the image, never on the batch.
        SplittableRandom rnd = new SplittableRandom(21);
        Kernels k = VectorKernels.create();
        for (int side : new int[] {2, 4, 7, 8, 14, 15}) {
            ConvGeometry g = ConvGeometry.square(24, 40, 3, 1, 1);
            int n = 6, in = 24 * side * side, out = 40 * side * side; // F(2×2): groups of pictures, the last smaller
            float[] x = random(rnd, n * in), wt = random(rnd, g.weightSize());
            Kernels.Conv2dPlan plan = k.planConv2d(g, wt);
            float[] batch = new float[n * out];
            try (ComputePool two = ComputePool.create(2)) {
                plan.run(two, x, n, side, side, batch, Epilogue.NONE);
            }
            for (int b = 0; b < n; b++) {
                float[] alone = new float[out];
                plan.run(ComputePool.sequential(), java.util.Arrays.copyOfRange(x, b * in, (b + 1) * in), 1, side, side,
                        alone, Epilogue.NONE);
                Check.identical("image " + b + " of " + side + "x" + side, alone,
                        java.util.Arrays.copyOfRange(batch, b * out, (b + 1) * out));
            }
        }
    }

    @Test
    void eachMapSizeRunsTheAlgorithmChosenForIt() {
        // One plan, three map sizes: each result is bit for bit the one of the algorithm chosen for it
        // (the direct convolution below four F(2x2) tiles).
        SplittableRandom rnd = new SplittableRandom(3);
        ConvGeometry g = ConvGeometry.square(32, 48, 3, 1, 1);
        float[] wt = random(rnd, g.weightSize());
        Kernels.Conv2dPlan plan = VectorKernels.create().planConv2d(g, wt);
        for (int side : new int[] {2, 7, 12}) {
            float[] x = random(rnd, 32 * side * side);
            float[] viaPlan = new float[48 * side * side], expected = new float[48 * side * side];
            plan.run(ComputePool.sequential(), x, 1, side, side, viaPlan, Epilogue.NONE);
            Winograd f = Winograd.choose(side, side);
            if (f == null) {
                VectorConv.plan(g, wt).run(ComputePool.sequential(), x, 1, side, side, expected, Epilogue.NONE);
            } else {
                f.reference(g, f.transformWeights(g, wt), x, 1, side, side, expected, Epilogue.NONE);
            }
            Check.identical(side + "x" + side + " runs " + (f == null ? "direct" : f), expected, viaPlan);
        }
    }

    @Test
    void warmedUpRunAllocatesAlmostNothing() {
        SplittableRandom rnd = new SplittableRandom(9);
        ConvGeometry g = ConvGeometry.square(16, 32, 3, 1, 1);
        float[] x = random(rnd, 16 * 40 * 40), wt = random(rnd, g.weightSize()), shift = random(rnd, 32);
        float[] y = new float[32 * 40 * 40];
        Kernels.Conv2dPlan plan = VectorWinograd.plan(g, wt, null); // F(4x4) on 40x40, F(2x2) on 7x7
        ComputePool pool = ComputePool.sequential();
        Epilogue ep = Epilogue.rowBias(shift).withRelu();
        // SteadyState waits for C2 (interpreted Vector API code boxes every vector), then measures.
        int calls = 50;
        long perCall = SteadyState.allocation(() -> {
            plan.run(pool, x, 1, 40, 40, y, ep);
            plan.run(pool, x, 1, 7, 7, y, ep);
        }, calls, calls * 1023L) / calls;
        assertTrue(perCall < 1024, "a warmed-up Winograd convolution allocated " + perCall + " bytes per call");
    }
}
