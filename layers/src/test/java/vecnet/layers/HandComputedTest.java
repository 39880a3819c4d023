package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/** One case per layer whose expected values were worked out by hand (in the comments), not by vecnet. */
class HandComputedTest extends LibraryTest {
    private static final ComputePool POOL = ComputePool.sequential();

    @Test
    void conv3x3SobelWithPaddingAndBias() {
        // x = [[1,2,3],[4,5,6],[7,8,9]], w = Sobel-x [[1,0,-1],[2,0,-2],[1,0,-1]], padding 1, bias 0.5.
        // With V(r,c) = x[r-1,c] + 2x[r,c] + x[r+1,c] (zero outside): out(i,j) = V(i,j-1) - V(i,j+1) + 0.5.
        // V rows: [6,9,12], [16,20,24], [18,21,24].
        Conv2d conv = new Conv2d(1, 1, 3, 1, 1, true);
        System.arraycopy(new float[] {1, 0, -1, 2, 0, -2, 1, 0, -1}, 0, conv.weight.data(), 0, 9);
        conv.bias.data()[0] = 0.5f;
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor y = conv.forward(x, POOL);
        assertArrayEquals(new int[] {1, 1, 3, 3}, y.shape());
        Check.close("sobel", new float[] {-8.5f, -5.5f, 9.5f, -19.5f, -7.5f, 20.5f, -20.5f, -5.5f, 21.5f}, y.data(), 0, 0);

        // stride 2 keeps the corners of the same map.
        Conv2d strided = new Conv2d(1, 1, 3, 2, 1, true);
        System.arraycopy(conv.weight.data(), 0, strided.weight.data(), 0, 9);
        strided.bias.data()[0] = 0.5f;
        Check.close("sobel stride 2", new float[] {-8.5f, 9.5f, -20.5f, 21.5f}, strided.forward(x, POOL).data(), 0, 0);
    }

    @Test
    void convGroupsSplitChannelsIntoBlocks() {
        // groups = 2, 1x1 kernel: output channel 0 sees input channel 0 only, output 1 sees input 1 only.
        Conv2d conv = new Conv2d(new ConvGeometry(2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 2), false);
        conv.weight.data()[0] = 2f;
        conv.weight.data()[1] = -3f;
        Tensor x = Tensor.of(new float[] {1, 2, 10, 20}, 1, 2, 1, 2);
        Check.close("groups", new float[] {2, 4, -30, -60}, conv.forward(x, POOL).data(), 0, 0);
    }

    @Test
    void batchNormWithChosenStatistics() {
        // channel 0: mean 1, var 4, weight 2, bias 0.5: x=3 -> (3-1)/2*2+0.5 = 2.5, x=-1 -> -1.5
        // channel 1: mean -2, var 0.25, weight -1, bias 0: x=-2 -> 0, x=-1.5 -> -1
        // (eps = 1e-5 moves these by at most 1e-5 · |x - mean|/var.)
        BatchNorm2d bn = new BatchNorm2d(2);
        System.arraycopy(new float[] {2, -1}, 0, bn.weight.data(), 0, 2);
        System.arraycopy(new float[] {0.5f, 0}, 0, bn.bias.data(), 0, 2);
        System.arraycopy(new float[] {1, -2}, 0, bn.running_mean.data(), 0, 2);
        System.arraycopy(new float[] {4, 0.25f}, 0, bn.running_var.data(), 0, 2);
        Tensor x = Tensor.of(new float[] {3, -1, -2, -1.5f}, 1, 2, 1, 2);
        Check.close("bn", new float[] {2.5f, -1.5f, 0f, -1f}, bn.forward(x, POOL).data(), 5e-5, 0);
        assertArrayEquals(new int[0], bn.num_batches_tracked.shape());
    }

    @Test
    void lstmTwoStepsWorkedByHand() {
        // input_size 1, hidden 1. Rows of every weight are the gates in the order i, f, g, o.
        // Step 1, x = 1, h0 = c0 = 0: preactivations = W_ih·1 + b = [0, 2, atanh(0.5), ln 3] + [0.1, 0, 0, 0] - 0.1
        //   i = σ(0) = 0.5, g = tanh(atanh 0.5) = 0.5, o = σ(ln 3) = 0.75; f does not matter (c0 = 0)
        //   c1 = 0.5·0.5 = 0.25, h1 = 0.75·tanh(0.25)
        // Step 2, x = 0: preactivations = W_hh·h1 + b = [0, 4·h1, 0, 0]
        //   i = 0.5, f = σ(4·h1), g = 0, o = 0.5:  c2 = σ(4·h1)·0.25,  h2 = 0.5·tanh(c2)
        LSTM lstm = new LSTM(1, 1);
        float[] wih = {0, 2, (float) atanh(0.5), (float) Math.log(3)};
        System.arraycopy(wih, 0, lstm.weight_ih_l0.data(), 0, 4);
        System.arraycopy(new float[] {0, 4, 0, 0}, 0, lstm.weight_hh_l0.data(), 0, 4);
        System.arraycopy(new float[] {0.1f, 0, 0, 0}, 0, lstm.bias_ih_l0.data(), 0, 4);
        System.arraycopy(new float[] {-0.1f, 0, 0, 0}, 0, lstm.bias_hh_l0.data(), 0, 4);
        LSTM.Result r = lstm.forward(Tensor.of(new float[] {1, 0}, 1, 2, 1), POOL);
        double h1 = 0.75 * Math.tanh(0.25);
        double c2 = 0.25 / (1 + Math.exp(-4 * h1));
        double h2 = 0.5 * Math.tanh(c2);
        Check.close("output", new float[] {(float) h1, (float) h2}, r.output().data(), 1e-6, 0);
        Check.close("h_n", new float[] {(float) h2}, r.h_n().data(), 1e-6, 0);
        Check.close("c_n", new float[] {(float) c2}, r.c_n().data(), 1e-6, 0);
        assertArrayEquals(new int[] {1, 2, 1}, r.output().shape());
        assertArrayEquals(new int[] {1, 1, 1}, r.h_n().shape());
    }

    private static double atanh(double v) {
        return 0.5 * Math.log((1 + v) / (1 - v));
    }

    @Test
    void maxPoolTreatsPaddingAsMinusInfinity() {
        // x = -[1..9] in 3x3, kernel 3, stride 2, padding 1 -> 2x2; each window holds 4 real cells:
        // (0,0): -1,-2,-4,-5 -> -1   (0,1): -2,-3,-5,-6 -> -2   (1,0): -4,-5,-7,-8 -> -4   (1,1) -> -5
        Tensor x = Tensor.of(new float[] {-1, -2, -3, -4, -5, -6, -7, -8, -9}, 1, 1, 3, 3);
        Tensor y = new MaxPool2d(3, 2, 1).forward(x, POOL);
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape());
        Check.close("maxpool", new float[] {-1, -2, -4, -5}, y.data(), 0, 0);
        assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(3, 2, 2));
    }

    @Test
    void adaptiveAvgPoolFiveToThreeBins() {
        // H = W = 5 -> 3: bins [floor(i·5/3), ceil((i+1)·5/3)) = rows {0,1}, {1,2,3}, {3,4}.
        // x[h,w] = 10h + w, so a cell's mean is 10·(mean of its rows) + (mean of its columns);
        // row means 0.5, 2, 3.5.
        float[] x = new float[25];
        for (int h = 0; h < 5; h++) {
            for (int w = 0; w < 5; w++) {
                x[h * 5 + w] = 10 * h + w;
            }
        }
        Tensor y = new AdaptiveAvgPool2d(3, 3).forward(Tensor.of(x, 1, 1, 5, 5), POOL);
        float[] m = {0.5f, 2f, 3.5f};
        float[] expected = new float[9];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                expected[i * 3 + j] = 10 * m[i] + m[j];
            }
        }
        Check.close("adaptive avg pool", expected, y.data(), 1e-5, 0);
        Check.close("global avg pool", new float[] {22f}, new AdaptiveAvgPool2d(1, 1).forward(Tensor.of(x, 1, 1, 5, 5), POOL).data(), 1e-5, 0);
    }

    @Test
    void linearBatchAndSingleRow() {
        // W = [[1,2],[3,4],[5,6]], b = [0.5,-1,0]; x = [1,1] -> [3.5, 6, 11]; x = [2,-1] -> [0.5, 1, 4]
        Linear fc = new Linear(2, 3, true);
        System.arraycopy(new float[] {1, 2, 3, 4, 5, 6}, 0, fc.weight.data(), 0, 6);
        System.arraycopy(new float[] {0.5f, -1, 0}, 0, fc.bias.data(), 0, 3);
        Check.close("batch", new float[] {3.5f, 6, 11, 0.5f, 1, 4}, fc.forward(Tensor.of(new float[] {1, 1, 2, -1}, 2, 2), POOL).data(), 0, 0);
        Check.close("one row", new float[] {3.5f, 6, 11}, fc.forward(Tensor.of(new float[] {1, 1}, 1, 2), POOL).data(), 0, 0);
        assertThrows(IllegalArgumentException.class, () -> fc.forward(Tensor.zeros(2, 3), POOL));
    }

    @Test
    void reluAndSequential() {
        Tensor x = Tensor.of(new float[] {-1, 0, 2, -0.5f}, 1, 1, 2, 2);
        Check.close("relu", new float[] {0, 0, 2, 0}, new ReLU().forward(x, POOL).data(), 0, 0);
        Sequential s = new Sequential(new ReLU(), new AdaptiveAvgPool2d(1, 1));
        Check.close("sequential", new float[] {0.5f}, s.forward(x, POOL).data(), 0, 0);
    }

    @Test
    void embeddingLooksUpRowsAndRefusesBadIds() {
        Embedding e = new Embedding(3, 2);
        System.arraycopy(new float[] {1, 2, 3, 4, 5, 6}, 0, e.weight.data(), 0, 6);
        Tensor y = e.forward(new int[] {2, 0, 1, 2}, 2, 2);
        assertArrayEquals(new int[] {2, 2, 2}, y.shape());
        Check.close("rows", new float[] {5, 6, 1, 2, 3, 4, 5, 6}, y.data(), 0, 0);
        IndexOutOfBoundsException high = assertThrows(IndexOutOfBoundsException.class, () -> e.forward(new long[] {0, 3}, 2));
        assertTrue(high.getMessage().contains("id 3") && high.getMessage().contains("3"), high.getMessage());
        assertTrue(high.getMessage().contains("vocabulary of 3"), high.getMessage());
        IndexOutOfBoundsException neg = assertThrows(IndexOutOfBoundsException.class, () -> e.forward(new int[] {-1}, 1));
        assertTrue(neg.getMessage().contains("id -1") && neg.getMessage().contains("vocabulary of 3"), neg.getMessage());
        assertThrows(IllegalArgumentException.class, () -> e.forward(new int[] {0, 1}, 3));
    }
}
