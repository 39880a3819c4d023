package vecnet.layers;

import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import vecnet.engine.Tensor;

/**
 * The one place where training keeps gradients: a {@code float[]} the size of each trainable
 * tensor, found by the tensor's identity (the live {@link Tensor} of a layer, as
 * {@link vecnet.engine.HasStateDict#namedTensors()} returns it).
 *
 * <p>A tensor with no entry is frozen, PyTorch's {@code requires_grad=False}: backward passes
 * compute no gradient for it and optimizers do not touch it. Backward passes <em>add</em> into the
 * arrays, as PyTorch accumulates into {@code .grad}; {@link #zero()} is {@code optimizer.zero_grad()}
 * with {@code set_to_none=False}.
 *
 * <p>Not thread-safe: one training loop owns one instance. A backward pass may split its work over
 * a pool, but it writes every gradient element in an order that does not depend on the thread
 * count, so the sums are bit-identical for any pool size.
 */
public final class Gradients {
    private final Map<Tensor, float[]> grads = new IdentityHashMap<>();

    /** Makes {@code parameter} trainable, with a zero gradient; tracking it twice keeps the first array. */
    public Gradients track(Tensor parameter) {
        Objects.requireNonNull(parameter, "parameter");
        grads.computeIfAbsent(parameter, p -> new float[p.size()]);
        return this;
    }

    /** Makes every tensor of {@code parameters} trainable. */
    public Gradients trackAll(Iterable<Tensor> parameters) {
        for (Tensor p : parameters) {
            track(p);
        }
        return this;
    }

    /** Freezes {@code parameter}: its gradient is dropped and no backward pass computes it again. */
    public void untrack(Tensor parameter) {
        grads.remove(parameter);
    }

    /** The gradient of {@code parameter}, or null when it is frozen (not tracked). */
    public float[] of(Tensor parameter) {
        return grads.get(parameter);
    }

    /** True when {@code parameter} is trainable here. */
    public boolean tracks(Tensor parameter) {
        return grads.containsKey(parameter);
    }

    /** The trainable tensors (a live, unmodifiable view). */
    public Set<Tensor> parameters() {
        return Collections.unmodifiableSet(grads.keySet());
    }

    /** Sets every gradient to zero. */
    public void zero() {
        for (float[] g : grads.values()) {
            Arrays.fill(g, 0f);
        }
    }
}
