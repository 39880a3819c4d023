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

    @Override
    public String toString() {
        return "AdaptiveAvgPool2d(output_size=(" + outH + ", " + outW + "))";
    }
}
