/**
 * Training: the loss, torch.optim's optimizers and learning-rate schedulers, gradient clipping.
 *
 * <p>Parameters are the layers' own tensors; their gradients live in one
 * {@link vecnet.layers.Gradients} (a tensor it does not track is frozen); each optimizer keeps its
 * state (momentum, Adam's moments) in a map keyed by the same tensors. Optimizers change the
 * parameters in place; the caller then tells the layers once per step that their weights changed
 * ({@code weightsChanged()}), so packed copies are rebuilt once per step, not once per forward.
 * Every update rule is torch 1.13's, in float32 and in PyTorch's order of operations.
 */
package vecnet.layers.train;
