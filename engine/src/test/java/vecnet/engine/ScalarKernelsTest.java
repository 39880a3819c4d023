package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * Hand-computed cases for the scalar reference kernels of pooling and the elementwise operations,
 * so that the twin every Vector API kernel is compared with is not trusted blindly. Each expected
 * value is worked out in the comment beside it.
 */
class ScalarKernelsTest extends LibraryTest {
    static final Kernels S = Kernels.scalar();

    @Test
    void maxPoolStride2PaddingCountsAsMinusInfinity() {
        // x = -[1..16] as a 4×4 plane; k=3, stride 2, pad 1 → out (4+2-3)/2+1 = 2 per side.
        //  -1  -2  -3  -4     window (0,0): rows -1..1, cols -1..1 → {-1,-2,-5,-6}: -1 (padding is −∞, not 0)
        //  -5  -6  -7  -8     window (0,1): rows -1..1, cols  1..3 → {-2,-3,-4,-6,-7,-8}: -2
        //  -9 -10 -11 -12     window (1,0): rows  1..3, cols -1..1 → {-5,-6,-9,-10,-13,-14}: -5
        // -13 -14 -15 -16     window (1,1): rows  1..3, cols  1..3 → -6
        float[] x = new float[16];
        for (int i = 0; i < 16; i++) {
            x[i] = -(i + 1);
        }
        float[] y = new float[4];
        S.maxPool2d(ComputePool.sequential(), x, 1, 1, 4, 4, 3, 2, 1, y);
        Check.identical("maxpool 3/2/1", new float[] {-1, -2, -5, -6}, y);

        // Two planes, k=2 stride 2 no padding: plane 0 is [[1,5],[3,2]] → 5; plane 1 holds a NaN → NaN.
        float[] x2 = {1, 5, 3, 2, 7, Float.NaN, 9, 8};
        float[] y2 = new float[2];
        S.maxPool2d(ComputePool.sequential(), x2, 1, 2, 2, 2, 2, 2, 0, y2);
        Check.identical("maxpool 2/2/0 with NaN", new float[] {5, Float.NaN}, y2);
    }

    @Test
    void adaptiveAvgPoolOverlappingBins() {
        // x = [[1,2,3],[4,5,6],[7,8,9]] → 2×2: bins [floor(i*3/2), ceil((i+1)*3/2)) = [0,2) and [1,3).
        // (0,0) = (1+2+4+5)/4 = 3, (0,1) = (2+3+5+6)/4 = 4, (1,0) = (4+5+7+8)/4 = 6, (1,1) = (5+6+8+9)/4 = 7.
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] y = new float[4];
        S.adaptiveAvgPool2d(ComputePool.sequential(), x, 1, 1, 3, 3, 2, 2, y);
        Check.identical("avgpool 3×3 → 2×2", new float[] {3, 4, 6, 7}, y);
        // → 1×1: 45/9 = 5; → 1×2: columns [0,2) and [1,3): (1+2+4+5+7+8)/6 = 4.5, (2+3+5+6+8+9)/6 = 5.5.
        float[] y1 = new float[1];
        S.adaptiveAvgPool2d(ComputePool.sequential(), x, 1, 1, 3, 3, 1, 1, y1);
        Check.identical("avgpool 3×3 → 1×1", new float[] {5}, y1);
        float[] y12 = new float[2];
        S.adaptiveAvgPool2d(ComputePool.sequential(), x, 1, 1, 3, 3, 1, 2, y12);
        Check.identical("avgpool 3×3 → 1×2", new float[] {4.5f, 5.5f}, y12);
    }

    @Test
    void addMulWithOffsets() {
        float[] a = {99, 1, 2, 3};
        float[] b = {10, 20, 30, 99, 99};
        float[] out = {-1, -1, -1, -1};
        S.add(a, 1, b, 0, out, 1, 3); // out[1..3] = {1+10, 2+20, 3+30}
        Check.identical("add", new float[] {-1, 11, 22, 33}, out);
        S.mul(a, 1, b, 0, out, 0, 3); // out[0..2] = {1*10, 2*20, 3*30}
        Check.identical("mul", new float[] {10, 40, 90, 33}, out);
    }

    @Test
    void reluZeroesNegativesAndKeepsNaNAndNegativeZeroAsTorchDoes() {
        // torch.relu(tensor([nan, -0., -1., 2.])) = tensor([nan, -0., 0., 2.])
        float[] x = {-1, 0, 2.5f, -0.0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
        float[] out = new float[7];
        S.relu(x, 0, out, 0, 7);
        Check.identical("relu", new float[] {0, 0, 2.5f, -0.0f, 0, Float.POSITIVE_INFINITY, Float.NaN}, out);
    }

    @Test
    void sigmoidAtChosenPoints() {
        // sigmoid(0) = 1/2; sigmoid(ln 3) = 1/(1 + 1/3) = 3/4; sigmoid(-ln 3) = 1/(1+3) = 1/4.
        float ln3 = (float) Math.log(3);
        float[] x = {0, ln3, -ln3};
        float[] out = new float[3];
        S.sigmoid(x, 0, out, 0, 3);
        Check.close("sigmoid", new float[] {0.5f, 0.75f, 0.25f}, out, 1e-7, 0);
    }

    @Test
    void tanhAtChosenPoints() {
        // tanh(t) = (e^t - e^-t)/(e^t + e^-t): t = ln 2 → (2 - 1/2)/(2 + 1/2) = 0.6; t = ln 3 → (3 - 1/3)/(3 + 1/3) = 0.8.
        float ln2 = (float) Math.log(2), ln3 = (float) Math.log(3);
        float[] x = {0, ln2, -ln2, ln3};
        float[] out = new float[4];
        S.tanh(x, 0, out, 0, 4);
        Check.close("tanh", new float[] {0, 0.6f, -0.6f, 0.8f}, out, 1e-7, 0);
    }

    @Test
    void concatAlongTheMiddleAxis() {
        // outer 2, inner 2: a is [2,1,2] = {a00 a01 | a10 a11}, b is [2,2,2]; out is [2,3,2]:
        // row 0: a[0,0,:], b[0,0,:], b[0,1,:]; row 1: a[1,0,:], b[1,0,:], b[1,1,:].
        float[] a = {1, 2, 3, 4};
        float[] b = {10, 11, 12, 13, 20, 21, 22, 23};
        float[] out = new float[12];
        S.concat(new float[][] {a, b}, new int[] {1, 2}, 2, 2, out);
        Check.identical("concat", new float[] {1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23}, out);
    }
}
