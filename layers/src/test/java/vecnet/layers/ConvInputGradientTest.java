package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * The input gradient at stride 1. {@link Kernels#planConvInputGradient}, where a kernel set offers
 * it, gives bit for bit what the columns path gives (sgemm of Wᵀ by dY into columns, then
 * {@link ConvColumns#col2imAdd}), on any thread count. And {@link Conv2d}'s input gradient, by either
 * path, agrees with the definition summed in double,
 * {@code dx[b, ci, y, x] = Σ W[co, c, i, j] · dy[b, co, y + pad − i·dil, x + pad − j·dil]}: each element
 * within {@code 1e-5 · Σ|terms|} (a bound on float32 rounding at these depths), bit-identical with 1, 2
 * and 3 threads.
 */
class ConvInputGradientTest extends LibraryTest {
    private static final Kernels[] KERNELS = {Kernels.scalar(), Kernels.get()};

    /** cin, cout, kh, kw, pad, dil, groups, n, h, w. */
    static Stream<Arguments> shapes() {
        return Stream.of(
            Arguments.of(8, 8, 3, 3, 1, 1, 1, 2, 12, 37),  // a residual block's, rows longer than two vectors
            Arguments.of(64, 64, 3, 3, 1, 1, 1, 2, 7, 7),  // layer4's shape, a plane shorter than a vector
            Arguments.of(3, 5, 3, 2, 2, 2, 1, 1, 9, 7),  // rectangular, dilated, padding at the kernel's reach across (dX unpadded)
            Arguments.of(3, 5, 3, 3, 3, 1, 1, 2, 6, 5),  // padding past the reach: the columns
            Arguments.of(6, 4, 3, 3, 0, 1, 2, 2, 6, 5),  // groups, no padding (dX is padded by 2)
            Arguments.of(2, 1100, 3, 3, 1, 1, 1, 1, 5, 19),  // more output channels than one GEMM slice (1024 on the vector kernels)
            Arguments.of(16, 2100, 3, 3, 1, 1, 2, 2, 7, 7),  // so in each of two groups, layer4's plane
            Arguments.of(300, 6, 3, 3, 1, 1, 3, 1, 4, 4),  // more input channels than a micro-tile, groups
            Arguments.of(4, 4, 1, 1, 0, 1, 1, 2, 3, 17)   // 1×1
        );
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void planEqualsSgemmThenCol2imBitForBit(int cin, int cout, int kh, int kw, int pad, int dil, int groups, int n,
                                           int h, int w) {
        ConvGeometry g = new ConvGeometry(cin, cout, kh, kw, 1, 1, pad, pad, dil, dil, groups);
        int oh = g.outH(h), ow = g.outW(w), p = oh * ow, np = n * p, k = g.patchSize(), opg = g.coutPerGroup();
        SplittableRandom rnd = new SplittableRandom(cin * 31L + cout + h);
        float[] weight = random(rnd, g.weightSize()), dy = random(rnd, n * cout * p);
        boolean pastReach = pad > dil * (Math.min(kh, kw) - 1);
        for (Kernels kernels : KERNELS) {
            float[] given = weight.clone();
            Kernels.Conv2dPlan plan = kernels.planConvInputGradient(g, given);
            if (pastReach) {
                assertNull(plan, kernels.name() + " " + g);
                continue;
            }
            assertNotNull(plan, kernels.name() + " " + g);
            assertEquals(g.inputGradient(), plan.geometry());
            assertEquals(h, plan.geometry().outH(oh), "the transposed convolution maps outH back to h");
            assertEquals(w, plan.geometry().outW(ow));
            float[] dyT = new float[cout * np], wt = new float[cout * k];   // as Conv2d's columns path
            for (int co = 0; co < cout; co++) {
                for (int b = 0; b < n; b++) {
                    System.arraycopy(dy, (b * cout + co) * p, dyT, co * np + b * p, p);
                }
            }
            for (int gi = 0; gi < groups; gi++) {
                for (int o = 0; o < opg; o++) {
                    for (int r = 0; r < k; r++) {
                        wt[gi * k * opg + r * opg + o] = weight[(gi * opg + o) * k + r];
                    }
                }
            }
            float[] dcol = new float[groups * k * np];
            for (int gi = 0; gi < groups; gi++) {
                kernels.sgemm(ComputePool.sequential(), k, np, opg, wt, gi * k * opg, opg, dyT, gi * opg * np, np, false,
                        dcol, gi * k * np, np, Epilogue.NONE);
            }
            float[] expected = new float[n * cin * h * w];
            ConvColumns.col2imAdd(ComputePool.sequential(), g, dcol, n, h, w, expected);
            java.util.Arrays.fill(given, Float.NaN);   // the plan keeps what it read
            for (int threads = 1; threads <= 3; threads++) {
                float[] actual = new float[expected.length];
                java.util.Arrays.fill(actual, Float.NaN);   // written, not added to
                try (ComputePool pool = ComputePool.create(threads)) {
                    plan.run(pool, dy, n, oh, ow, actual, Epilogue.NONE);
                }
                Check.identical(kernels.name() + " " + g + ", " + threads + " threads", expected, actual);
            }
        }
    }

    @Test
    void noPlanForAStride() {
        for (Kernels kernels : KERNELS) {
            ConvGeometry g = ConvGeometry.square(2, 2, 3, 2, 1);
            assertNull(g.inputGradient());
            assertNull(kernels.planConvInputGradient(g, new float[g.weightSize()]), kernels.name());
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void matchesTheDefinition(int cin, int cout, int kh, int kw, int pad, int dil, int groups, int n, int h, int w) {
        ConvGeometry g = new ConvGeometry(cin, cout, kh, kw, 1, 1, pad, pad, dil, dil, groups);
        int oh = g.outH(h), ow = g.outW(w);
        SplittableRandom rnd = new SplittableRandom(cin * 31L + cout + h);
        float[] weight = random(rnd, g.weightSize()), dy = random(rnd, n * cout * oh * ow);
        double[][] expected = definition(g, weight, dy, n, h, w);
        for (Kernels kernels : KERNELS) {
            float[] first = null;
            for (int threads = 1; threads <= 3; threads++) {
                Conv2d conv = new Conv2d(kernels, g, false);
                System.arraycopy(weight, 0, conv.weight.data(), 0, weight.length);
                float[] dx;
                try (ComputePool pool = ComputePool.create(threads)) {
                    Conv2d.Trace t = conv.trace(Tensor.zeros(n, cin, h, w), pool, true);
                    dx = t.backward(Tensor.of(dy, n, cout, oh, ow), new Gradients(), pool).data();
                }
                String what = kernels.name() + " " + g + ", " + threads + " threads";
                if (first == null) {
                    first = dx;
                    for (int i = 0; i < dx.length; i++) {
                        if (!(Math.abs(dx[i] - expected[0][i]) <= 1e-5 * expected[1][i])) {
                            fail(what + ": dx[" + i + "] = " + dx[i] + ", the definition gives " + expected[0][i]
                                    + " (Σ|terms| " + expected[1][i] + ")");
                        }
                    }
                } else {
                    Check.identical(what, first, dx);
                }
            }
        }
    }

    /** The input gradient summed in double, and beside it each element's Σ|terms|. */
    private static double[][] definition(ConvGeometry g, float[] weight, float[] dy, int n, int h, int w) {
        int oh = g.outH(h), ow = g.outW(w), cpg = g.cinPerGroup(), opg = g.coutPerGroup();
        double[] dx = new double[n * g.cin() * h * w], abs = new double[dx.length];
        for (int b = 0; b < n; b++) {
            for (int ci = 0; ci < g.cin(); ci++) {
                int gi = ci / cpg, c = ci % cpg;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double s = 0, a = 0;
                        for (int o = 0; o < opg; o++) {
                            int co = gi * opg + o;
                            for (int i = 0; i < g.kh(); i++) {
                                for (int j = 0; j < g.kw(); j++) {
                                    int oy = y + g.padH() - i * g.dilH(), ox = x + g.padW() - j * g.dilW();
                                    if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) {
                                        continue;
                                    }
                                    double term = (double) weight[((co * cpg + c) * g.kh() + i) * g.kw() + j]
                                            * dy[((b * g.cout() + co) * oh + oy) * ow + ox];
                                    s += term;
                                    a += Math.abs(term);
                                }
                            }
                        }
                        int at = ((b * g.cin() + ci) * h + y) * w + x;
                        dx[at] = s;
                        abs[at] = a;
                    }
                }
            }
        }
        return new double[][] {dx, abs};
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }
}
