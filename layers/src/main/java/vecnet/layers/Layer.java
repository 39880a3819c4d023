package vecnet.layers;

import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;

/**
 * A layer maps one tensor to another, like {@code torch.nn.Module.forward} in eval mode.
 *
 * <p>Layers are immutable once their weights are loaded, so one instance may serve many threads
 * at once. Weights are changed only as {@link vecnet.engine.HasStateDict} says: in place, then
 * {@code weightsChanged()}, between forward passes. The thread pool is an argument of {@link #forward(Tensor, ComputePool)}, not global
 * state; {@link #forward(Tensor)} uses {@link ComputePool#shared()}. The result never depends on
 * the pool's thread count (bit for bit).
 */
public interface Layer {

    /** Runs the layer on {@code x}, which is not modified; the work is split over {@code pool}. */
    Tensor forward(Tensor x, ComputePool pool);

    /** {@link #forward(Tensor, ComputePool)} on the process-wide {@link ComputePool#shared()} pool. */
    default Tensor forward(Tensor x) {
        return forward(x, ComputePool.shared());
    }
}
