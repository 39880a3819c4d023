package vecnet.layers;

import vecnet.engine.Tensor;

/**
 * A layer maps one tensor to another, like {@code torch.nn.Module.forward} in eval mode.
 * Layers are immutable once their weights are loaded, so one instance may serve many threads.
 */
public interface Layer {
    Tensor forward(Tensor x);
}
