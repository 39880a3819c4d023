package vecnet.engine;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * {@link Kernels#convWeightGradient}: a hand-computed case; both kernel sets against the formula
 * summed in double, over strides, padding, dilation, rectangular kernels, groups and channel counts
 * that leave partial micro-tiles; each bit-identical on 1 to 3 threads.
 */
class ConvWeightGradientTest extends LibraryTest {
    private static final Kernels[] KERNELS = {Kernels.scalar(), VectorKernels.create()};

    @Test
    void handComputed() {
        // x = [[1, 2], [3, 4]], a 2×2 kernel without padding: one output, dY = 2, so dW = 2·x.
        // With padding 1 and dY = 1 everywhere (3×3 outputs), tap (i, j) sees the input pixels it
        // overlaps: dW[0,0] = x[1,1] = 4 ... dW[1,1] = 1 + 2 + 3 + 4.
        float[] x = {1, 2, 3, 4};
        for (Kernels kernels : KERNELS) {
            float[] dw = new float[4];
            kernels.convWeightGradient(ComputePool.sequential(), ConvGeometry.square(1, 1, 2, 1, 0), 0,
                    new float[] {2}, x, 1, 2, 2, dw, 0);
            Check.identical(kernels.name() + " no padding", new float[] {2, 4, 6, 8}, dw);
            float[] dy = new float[9];
            Arrays.fill(dy, 1f);
            kernels.convWeightGradient(ComputePool.sequential(), ConvGeometry.square(1, 1, 2, 1, 1), 0, dy, x, 1, 2, 2,
                    dw, 0);
            Check.identical(kernels.name() + " padding 1", new float[] {10, 10, 10, 10}, dw);
        }
    }

    @ParameterizedTest
    @CsvSource({
        // cin, cout, kh, kw, stride, pad, dil, groups, n, h, w
        "3, 8, 7, 7, 2, 3, 1, 1, 2, 19, 17",    // the stem, odd input
        "8, 8, 3, 3, 1, 1, 1, 1, 3, 12, 11",
        "64, 16, 3, 3, 1, 1, 1, 1, 1, 9, 9",
        "16, 32, 3, 3, 2, 1, 1, 1, 2, 14, 14",
        "6, 4, 3, 2, 2, 0, 2, 2, 2, 13, 10",    // rectangular, dilation, groups
        "4, 6, 1, 1, 2, 0, 1, 1, 2, 7, 8",      // a downsample
        "5, 7, 3, 3, 1, 2, 2, 1, 2, 9, 6",      // output channels not a multiple of 4, odd taps
        "2, 3, 5, 3, 3, 2, 1, 1, 1, 23, 4",     // stride 3, wide pad
        "6, 6, 3, 3, 1, 1, 1, 6, 2, 5, 5",      // depthwise
        "64, 72, 3, 3, 1, 1, 1, 1, 2, 5, 4"})   // many channels: the packed GEMM
    void matchesTheFormulaOnAnyThreadCount(int cin, int cout, int kh, int kw, int stride, int pad, int dil, int groups,
                                           int n, int h, int w) {
        ConvGeometry g = new ConvGeometry(cin, cout, kh, kw, stride, stride, pad, pad, dil, dil, groups);
        int k = g.patchSize(), oh = g.outH(h), ow = g.outW(w), opg = g.coutPerGroup();
        SplittableRandom rnd = new SplittableRandom(cin * 7L + kh * 3L + n + h);
        float[] x = GemmTest.random(rnd, n * cin * h * w), dy = GemmTest.random(rnd, n * cout * oh * ow);
        for (int group = 0; group < groups; group++) {
            float[] expected = new float[1 + opg * k];
            for (int o = 0; o < opg; o++) {
                for (int r = 0; r < k; r++) {
                    int ci = group * g.cinPerGroup() + r / (kh * kw), i = r % (kh * kw) / kw, j = r % kw;
                    double s = 0;
                    for (int b = 0; b < n; b++) {
                        for (int oy = 0; oy < oh; oy++) {
                            for (int ox = 0; ox < ow; ox++) {
                                int iy = oy * stride - pad + i * dil, ix = ox * stride - pad + j * dil;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                    s += (double) dy[((b * cout + group * opg + o) * oh + oy) * ow + ox]
                                            * x[((b * cin + ci) * h + iy) * w + ix];
                                }
                            }
                        }
                    }
                    expected[1 + o * k + r] = (float) s;
                }
            }
            for (Kernels kernels : KERNELS) {
                float[] first = null;
                for (int threads = 1; threads <= 3; threads++) {
                    float[] actual = new float[1 + opg * k];
                    Arrays.fill(actual, Float.NaN);
                    actual[0] = 0f;   // dwOff = 1: the element before is not touched
                    try (ComputePool pool = ComputePool.create(threads)) {
                        kernels.convWeightGradient(pool, g, group, dy, x, n, h, w, actual, 1);
                    }
                    String what = kernels.name() + " " + g + " group " + group;
                    if (first == null) {
                        first = actual;
                        Check.close(what, expected, actual, GemmTest.atol(n * oh * ow), 0);
                    } else {
                        Check.identical(what + ", " + threads + " vs 1 threads", first, actual);
                    }
                }
            }
        }
    }
}
