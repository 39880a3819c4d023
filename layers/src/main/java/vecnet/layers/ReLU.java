package vecnet.layers;

import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * {@code y = max(x, 0)} elementwise, any shape. PyTorch's {@code inplace=True} has no meaning here:
 * a new tensor is returned. Inside ResNet the ReLU is fused into the convolution's epilogue instead.
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

    @Override
    public String toString() {
        return "ReLU()";
    }
}
