package vecnet.engine;

import java.util.Map;

/**
 * Something with PyTorch-style named parameters and buffers, like {@code torch.nn.Module}.
 *
 * <p>{@link #namedTensors()} returns the live tensors in {@code state_dict()} order, keyed exactly
 * as PyTorch keys them ({@code "layer1.0.conv1.weight"}); a loader fills them in place. Integer
 * buffers such as {@code num_batches_tracked} appear as float tensors of the same shape.
 */
public interface HasStateDict {
    Map<String, Tensor> namedTensors();
}
