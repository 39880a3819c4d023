package vecnet.layers;

import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * {@code y = max(x, 0)} elementwise, any shape. {@link #forward} and {@link #trace} return a new
 * tensor; {@link #traceInPlace} is PyTorch's {@code inplace=True}. Inside ResNet's inference the ReLU
 * is fused into the convolution's epilogue instead.
 */
public final class ReLU implements Layer {
    private final Kernels kernels;

    public ReLU() {
        this(Kernels.get());
    }

    public ReLU(Kernels kernels) {
        this.kernels = kernels;
    }

    @Override
    public Tensor forward(Tensor x, ComputePool pool) {
        Tensor y = Tensor.zeros(x.shape());
        kernels.relu(x.data(), 0, y.data(), 0, x.size());
        return y;
    }

    /** The forward pass kept for {@link Traced#backward}; the output is {@link #forward}'s. */
    public Trace trace(Tensor x, ComputePool pool) {
        return new Trace(kernels, x.shape(), forward(x, pool));
    }

    /**
     * {@link #trace}, with {@code x} overwritten by the output, as PyTorch's {@code ReLU(inplace=True)}
     * (torchvision's ResNet uses it after every batch-norm). Same values, one tensor fewer: for
     * training, where a trace keeps every activation until the backward pass, that is a fifth of
     * ResNet-18's. Only for an {@code x} whose old values nobody reads again: a batch-norm's backward
     * pass reads its input, not its output, so the output of a batch-norm qualifies.
     */
    public Trace traceInPlace(Tensor x, ComputePool pool) {
        kernels.relu(x.data(), 0, x.data(), 0, x.size());
        return new Trace(kernels, x.shape(), x);
    }

    /**
     * A traced ReLU: {@code dx = dy} where {@code y > 0}, else 0 (torch's {@code threshold_backward}: an
     * input of exactly 0 gets no gradient). Only the output is needed.
     */
    public record Trace(Kernels kernels, int[] inputShape, Tensor output) implements Traced {
        @Override
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool) {
            gradOutput.requireShape("ReLU output gradient", output.shape());
            Tensor dx = Tensor.zeros(inputShape);
            mask(pool, kernels, output.data(), gradOutput.data(), dx.data());
            return dx;
        }
    }

    /** {@code dx[i] = y[i] > 0 ? dy[i] : 0} ({@link Kernels#reluBackward}), in chunks over {@code pool}. */
    static void mask(ComputePool pool, Kernels kernels, float[] y, float[] dy, float[] dx) {
        int len = y.length, chunk = 1 << 14, tasks = (len + chunk - 1) / chunk;
        pool.parallelFor(tasks, t -> {
            int i = t * chunk;
            kernels.reluBackward(y, i, dy, i, dx, i, Math.min(chunk, len - i));
        });
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
