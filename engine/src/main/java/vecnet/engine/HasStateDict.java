package vecnet.engine;

import java.util.Map;

/**
 * Something with PyTorch-style named parameters and buffers, like {@code torch.nn.Module}.
 *
 * <p>{@link #namedTensors()} returns the live tensors in {@code state_dict()} order, keyed exactly
 * as PyTorch keys them ({@code "layer1.0.conv1.weight"}); a loader fills them in place. Integer
 * buffers such as {@code num_batches_tracked} appear as float tensors of the same shape.
 *
 * <h2>Changing weights: the one contract</h2>
 *
 * Layers do not compute from these tensors directly: on first use they pack them into the layout
 * their kernels want (a GEMM panel, a folded batch-norm), and later calls use the packed copy. So
 * a write into a tensor of {@link #namedTensors()} ({@code t.data()[i] = v}, an optimizer step) is
 * seen only after {@link #weightsChanged()}:
 * <ol>
 *   <li>change the values of tensors from {@link #namedTensors()} (or load them with
 *       {@code StateDict.loadInto}, which calls {@link #weightsChanged()} itself);
 *   <li>call {@link #weightsChanged()} once on the object you took them from (or any object that
 *       contains it), before the next forward pass;
 *   <li>the next forward pass packs the new values.
 * </ol>
 * This is the only way to a model's weights: models ({@code FusionModel}, {@code ResNet18},
 * {@code TextEncoder}) do not hand out their layers. Training calls {@link #weightsChanged()} once
 * per optimizer step. Do not change weights while a forward pass runs on another thread.
 */
public interface HasStateDict {
    /** The live parameters and buffers by PyTorch name, in {@code state_dict()} order. */
    Map<String, Tensor> namedTensors();

    /**
     * Makes the next forward pass read the values of {@link #namedTensors()} again, dropping every
     * packed copy made from them (they are re-made on first use). Call it once after changing
     * weights in place; it costs nothing until the next forward. The default does nothing: for
     * objects that keep no packed copy.
     */
    default void weightsChanged() {
    }
}
