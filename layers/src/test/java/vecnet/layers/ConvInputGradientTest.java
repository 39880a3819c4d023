package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * {@link Kernels#convInputGradient} gives, bit for bit on each kernel set and any thread count, what
 * the general path gives: sgemm of Wᵀ by dY into columns, then {@link ConvColumns#col2imAdd}.
 */
class ConvInputGradientTest extends LibraryTest {
    private static final Kernels[] KERNELS = {Kernels.scalar(), Kernels.get()};

    @ParameterizedTest
    @CsvSource({
        // cin, cout, kh, kw, pad, dil, groups, n, h, w
        "8, 8, 3, 3, 1, 1, 1, 2, 12, 37",     // a residual block's, rows longer than two vectors
        "64, 64, 3, 3, 1, 1, 1, 2, 7, 7",     // layer4's, a plane shorter than a vector
        "3, 5, 3, 2, 2, 2, 1, 1, 9, 7",       // rectangular, dilated, padding past the reach
        "6, 4, 3, 3, 0, 1, 2, 2, 6, 5",       // groups, no padding
        "2, 300, 3, 3, 1, 1, 1, 1, 5, 19",    // more output channels than one GEMM slice
        "4, 4, 1, 1, 0, 1, 1, 2, 3, 17"})     // 1×1
    void equalsSgemmThenCol2imBitForBit(int cin, int cout, int kh, int kw, int pad, int dil, int groups, int n, int h,
                                        int w) {
        ConvGeometry g = new ConvGeometry(cin, cout, kh, kw, 1, 1, pad, pad, dil, dil, groups);
        int oh = g.outH(h), ow = g.outW(w), p = oh * ow, np = n * p, k = g.patchSize(), opg = g.coutPerGroup();
        SplittableRandom rnd = new SplittableRandom(cin * 31L + cout + h);
        float[] weight = random(rnd, g.weightSize()), dy = random(rnd, n * cout * p);
        for (Kernels kernels : KERNELS) {
            float[] dyT = new float[cout * np], wt = new float[cout * k];   // as Conv2d's general path
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
            for (int threads = 1; threads <= 3; threads++) {
                float[] actual = new float[expected.length];
                java.util.Arrays.fill(actual, Float.NaN);   // written, not added to
                try (ComputePool pool = ComputePool.create(threads)) {
                    kernels.convInputGradient(pool, g, weight, dy, n, h, w, actual);
                }
                Check.identical(kernels.name() + " " + g + ", " + threads + " threads", expected, actual);
            }
        }
    }

    @Test
    void refusesAStride() {
        for (Kernels kernels : KERNELS) {
            ConvGeometry g = ConvGeometry.square(2, 2, 3, 2, 1);
            assertThrows(IllegalArgumentException.class, () -> kernels.convInputGradient(ComputePool.sequential(), g,
                    new float[g.weightSize()], new float[2 * 2 * 2], 1, 4, 4, new float[2 * 16]));
        }
    }

    private static float[] random(SplittableRandom rnd, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }
}
