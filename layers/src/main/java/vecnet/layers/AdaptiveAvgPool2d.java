package vecnet.layers;

import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * Adaptive average pooling, PyTorch's {@code nn.AdaptiveAvgPool2d((outH, outW))}: output cell
 * {@code (i, j)} is the mean of rows {@code [floor(i·H/outH), ceil((i+1)·H/outH))} and columns
 * {@code [floor(j·W/outW), ceil((j+1)·W/outW))}; bins may overlap when the size does not divide.
 *
 * <pre>  x (N, C, H, W) -> y (N, C, outH, outW)</pre>
 *
 * With {@code (1, 1)} it is the global average pool of ResNet: {@code sum / (H·W)}.
 */
public final class AdaptiveAvgPool2d implements Layer {
    private final int outH, outW;
    private final Kernels kernels;

    public AdaptiveAvgPool2d(int outH, int outW) {
        this(Kernels.get(), outH, outW);
    }

    public AdaptiveAvgPool2d(Kernels kernels, int outH, int outW) {
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d output size must be ≥ 1, got " + outH + "x" + outW);
        }
        this.kernels = kernels;
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor x, ComputePool pool) {
        x.requireRank("AdaptiveAvgPool2d input (N, C, H, W)", 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d input has an empty plane: " + x);
        }
        Tensor y = Tensor.zeros(n, c, outH, outW);
        kernels.adaptiveAvgPool2d(pool, x.data(), n, c, h, w, outH, outW, y.data());
        return y;
    }

    /** The forward pass kept for {@link Traced#backward}; the output is {@link #forward}'s. */
    public Trace trace(Tensor x, ComputePool pool) {
        return new Trace(x.shape(), forward(x, pool));
    }

    /**
     * A traced adaptive average pool: every cell of an output bin of {@code bh×bw} cells gets
     * {@code dy / bh / bw} (PyTorch's order of the two divisions), added where bins overlap.
     */
    public record Trace(int[] inputShape, Tensor output) implements Traced {
        @Override
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool) {
            gradOutput.requireShape("AdaptiveAvgPool2d output gradient", output.shape());
            int h = inputShape[2], w = inputShape[3], oh = output.dim(2), ow = output.dim(3);
            float[] dy = gradOutput.data();
            Tensor dx = Tensor.zeros(inputShape);
            float[] out = dx.data();
            pool.parallelFor(inputShape[0] * inputShape[1], plane -> {
                int in0 = plane * h * w, out0 = plane * oh * ow;
                for (int i = 0; i < oh; i++) {
                    int h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
                    for (int j = 0; j < ow; j++) {
                        int w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
                        float g = dy[out0 + i * ow + j] / (h1 - h0) / (w1 - w0);
                        for (int a = h0; a < h1; a++) {
                            for (int b = w0; b < w1; b++) {
                                out[in0 + a * w + b] += g;
                            }
                        }
                    }
                }
            });
            return dx;
        }
    }

    @Override
    public String toString() {
        return "AdaptiveAvgPool2d(output_size=(" + outH + ", " + outW + "))";
    }
}
