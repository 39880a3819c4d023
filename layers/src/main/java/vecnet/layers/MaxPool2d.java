package vecnet.layers;

import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * Max pooling, PyTorch's {@code nn.MaxPool2d(kernel_size, stride, padding)} with a square window:
 *
 * <pre>
 *   y[n,c,oh,ow] = max_{0≤i,j<k} x[n, c, oh·stride − padding + i, ow·stride − padding + j]
 *   x (N, C, H, W) -> y (N, C, outH, outW),  outH = floor((H + 2·padding − k) / stride) + 1
 * </pre>
 *
 * Padded cells count as −∞ (they never win), so an all-negative input never yields 0. As in
 * PyTorch, {@code padding} may be at most half the kernel, and there is no ceil mode or dilation.
 */
public final class MaxPool2d implements Layer {
    private final int kernelSize, stride, padding;
    private final Kernels kernels;

    /** ResNet's stem uses {@code MaxPool2d(3, 2, 1)}. */
    public MaxPool2d(int kernelSize, int stride, int padding) {
        this(Kernels.get(), kernelSize, stride, padding);
    }

    public MaxPool2d(Kernels kernels, int kernelSize, int stride, int padding) {
        if (kernelSize < 1 || stride < 1 || padding < 0) {
            throw new IllegalArgumentException("MaxPool2d needs kernel ≥ 1, stride ≥ 1, padding ≥ 0; got kernel "
                    + kernelSize + ", stride " + stride + ", padding " + padding);
        }
        if (2 * padding > kernelSize) {
            throw new IllegalArgumentException("MaxPool2d padding " + padding + " must be at most half the kernel "
                    + kernelSize);
        }
        this.kernels = kernels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    /** The window's side. */
    public int kernelSize() {
        return kernelSize;
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return padding;
    }

    public int outSize(int in) {
        return Math.floorDiv(in + 2 * padding - kernelSize, stride) + 1;
    }

    @Override
    public Tensor forward(Tensor x, ComputePool pool) {
        return forward(x, pool, null);
    }

    /**
     * {@link #forward(Tensor, ComputePool)} written into {@code out} (every element overwritten), or
     * into a new tensor when {@code out} is null.
     *
     * @param out {@code (N, C, outH, outW)}, not {@code x}; or null
     * @return    the output
     */
    public Tensor forward(Tensor x, ComputePool pool, Tensor out) {
        x.requireRank("MaxPool2d input (N, C, H, W)", 4);
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        int oh = outSize(h), ow = outSize(w);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("MaxPool2d input " + h + "x" + w + " is too small for kernel "
                    + kernelSize + " with padding " + padding);
        }
        Tensor y = out == null ? Tensor.zeros(n, c, oh, ow) : out.requireShape("MaxPool2d output", n, c, oh, ow);
        if (y.data() == x.data()) {
            throw new IllegalArgumentException("MaxPool2d output must not share memory with its input");
        }
        kernels.maxPool2d(pool, x.data(), n, c, h, w, kernelSize, stride, padding, y.data());
        return y;
    }

    /** Output shape for an input of shape {@code (N, C, H, W)}. */
    public int[] outputShape(int[] inputShape) {
        return new int[] {inputShape[0], inputShape[1], outSize(inputShape[2]), outSize(inputShape[3])};
    }

    /** The forward pass kept for {@link Traced#backward}; the output is {@link #forward}'s. */
    public Trace trace(Tensor x, ComputePool pool) {
        return new Trace(this, x, forward(x, pool));
    }

    /**
     * A traced max pool. Its backward sends each window's gradient whole to the window's
     * <em>first</em> maximum in scan order (row-major, padding skipped; as in PyTorch's loop, the last NaN wins over numbers),
     * and adds where windows overlap: {@code dx[argmax(window)] += dy[window]}.
     */
    public record Trace(MaxPool2d layer, Tensor input, Tensor output) implements Traced {
        @Override
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool) {
            gradOutput.requireShape("MaxPool2d output gradient", output.shape());
            int n = input.dim(0), c = input.dim(1), h = input.dim(2), w = input.dim(3);
            int oh = output.dim(2), ow = output.dim(3);
            int k = layer.kernelSize, s = layer.stride, p = layer.padding;
            float[] x = input.data(), dy = gradOutput.data(), y = output.data();
            Tensor dx = Tensor.zeros(input.shape());
            float[] out = dx.data();
            pool.parallelFor(n * c, plane -> {
                int in0 = plane * h * w, out0 = plane * oh * ow;
                for (int yo = 0; yo < oh; yo++) {
                    int i0 = Math.max(0, yo * s - p), i1 = Math.min(h, yo * s - p + k);
                    for (int xo = 0; xo < ow; xo++) {
                        int j0 = Math.max(0, xo * s - p), j1 = Math.min(w, xo * s - p + k);
                        int best = firstEqual(x, in0, w, i0, i1, j0, j1, y[out0 + yo * ow + xo]);
                        if (best < 0) {
                            best = firstMaximum(x, in0, w, i0, i1, j0, j1);
                        }
                        out[in0 + best] += dy[out0 + yo * ow + xo];
                    }
                }
            });
            return dx;
        }
    }

    /**
     * The first pixel of the window (rows {@code [i0, i1)}, columns {@code [j0, j1)}, scan order) equal to
     * the window's maximum {@code max} as the forward pass computed it, or -1 when none is (a NaN
     * maximum). The first maximum in scan order is the first pixel equal to it ({@code -0.0 == 0.0},
     * and the forward's max of the two is either), so this is {@link #firstMaximum}'s answer without
     * its branch on every pixel.
     */
    private static int firstEqual(float[] x, int in0, int w, int i0, int i1, int j0, int j1, float max) {
        for (int i = i0; i < i1; i++) {
            for (int j = j0; j < j1; j++) {
                if (x[in0 + i * w + j] == max) {
                    return i * w + j;
                }
            }
        }
        return -1;
    }

    /** The window's first maximum in scan order, the last NaN winning over numbers (PyTorch's loop). */
    private static int firstMaximum(float[] x, int in0, int w, int i0, int i1, int j0, int j1) {
        int best = -1;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = i0; i < i1; i++) {
            for (int j = j0; j < j1; j++) {
                float v = x[in0 + i * w + j];
                if (best < 0 || v > max || Float.isNaN(v)) {
                    max = v;
                    best = i * w + j;
                }
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
