package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

/**
 * The order of a fused epilogue, worked by hand, in both kernel sets (scalar and Vector API) and
 * both entry points (sgemm and a 1×1 convolution): batch-norm first, then the residual, then ReLU,
 * as a ResNet BasicBlock computes {@code relu(bn2(conv2(x)) + identity)}.
 *
 * <pre>
 *   acc = 2, scale = 3, shift = 1, residual = −5:  bn then add: 2·3 + 1 − 5 = 2     (add first: (2 − 5)·3 + 1 = −8 → 0)
 *   acc = −1, scale = 3, shift = 1, residual = 3:  bn, add, relu: −3 + 1 + 3 = 1    (relu before add: 0 + 3 = 3)
 *   acc = 2, scale = 3, shift = 1, residual = 4:   6 + 1 + 4 = 11                   (add first: 6·3 + 1 = 19)
 *   acc = −2, scale = 3, shift = 1, residual = 1:  −6 + 1 + 1 = −4 → relu 0
 * </pre>
 *
 * The shapes are large enough (4 channels × 37 pixels) for the vector kernels to use full vectors
 * and a tail; every other element repeats one of the four cases above.
 */
class EpilogueOrderTest extends LibraryTest {
    private static final int CHANNELS = 4, PIXELS = 37;
    private static final float[] ACC = {2f, -1f, 2f, -2f};        // per case
    private static final float[] RESIDUAL = {-5f, 3f, 4f, 1f};
    private static final float[] EXPECTED = {2f, 1f, 11f, 0f};

    /** Element (c, p) of the output is case (c + p) % 4. */
    private static int caseOf(int c, int p) {
        return (c + p) % 4;
    }

    @Test
    void batchNormThenResidualThenReluInSgemmAndConv() {
        // A = the identity (CHANNELS × CHANNELS) and B[c, p] = ACC of case (c, p), so acc[c, p] = B[c, p]
        float[] a = new float[CHANNELS * CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            a[c * CHANNELS + c] = 1f;
        }
        float[] b = new float[CHANNELS * PIXELS];
        float[] residual = new float[CHANNELS * PIXELS];
        float[] expected = new float[CHANNELS * PIXELS];
        for (int c = 0; c < CHANNELS; c++) {
            for (int p = 0; p < PIXELS; p++) {
                int k = caseOf(c, p);
                b[c * PIXELS + p] = ACC[k];
                residual[c * PIXELS + p] = RESIDUAL[k];
                expected[c * PIXELS + p] = EXPECTED[k];
            }
        }
        float[] scale = {3f, 3f, 3f, 3f}, shift = {1f, 1f, 1f, 1f};
        Epilogue ep = Epilogue.rowAffine(scale, shift).withResidual(residual, 0).withRelu();
        for (Kernels kernels : List.of(Kernels.scalar(), Kernels.get())) {
            float[] y = new float[CHANNELS * PIXELS];
            kernels.sgemm(ComputePool.sequential(), CHANNELS, PIXELS, CHANNELS, a, 0, CHANNELS, b, 0, PIXELS, false,
                    y, 0, PIXELS, ep);
            same(kernels.name() + " sgemm", expected, y);
            float[] z = new float[CHANNELS * PIXELS];
            kernels.planGemm(CHANNELS, CHANNELS, a, 0, CHANNELS).run(ComputePool.sequential(), PIXELS, b, 0, PIXELS, false,
                    z, 0, PIXELS, ep);
            same(kernels.name() + " planned gemm", expected, z);
            // a 1×1 convolution of the image b ([1, CHANNELS, 1, PIXELS]) with the identity weights
            ConvGeometry g = new ConvGeometry(CHANNELS, CHANNELS, 1, 1, 1, 1, 0, 0, 1, 1, 1);
            float[] conv = new float[CHANNELS * PIXELS];
            kernels.planConv2d(g, a).run(ComputePool.sequential(), b, 1, 1, PIXELS, conv, ep);
            same(kernels.name() + " conv 1x1", expected, conv);
        }
    }

    private static void same(String what, float[] expected, float[] got) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 0f, what + ": channel " + i / PIXELS + ", pixel " + i % PIXELS
                    + " (case " + caseOf(i / PIXELS, i % PIXELS) + ")");
        }
    }
}
