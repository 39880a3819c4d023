package vecnet.layers;

import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;

/**
 * One forward pass kept for its backward pass: the output, and whatever the backward needs
 * (inputs, masks, batch statistics). A layer's {@code trace(x, pool)} makes one; inference's
 * {@code forward} keeps nothing and stays as fast as before.
 */
public interface Traced {

    /** The forward pass's result, equal bit for bit to {@code forward} in the same mode. */
    Tensor output();

    /**
     * Back-propagates {@code gradOutput} (shaped like {@link #output()}): adds the gradient of every
     * tracked parameter into {@code grads} (frozen ones are skipped) and returns the gradient with
     * respect to the input, shaped like the input.
     */
    Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool);
}
