package vecnet.layers.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import vecnet.engine.Tensor;
import vecnet.layers.Gradients;

/**
 * torch.optim's contract: a list of {@link ParamGroup}s, the gradients in {@link Gradients}, and a
 * state per parameter kept here, keyed by the parameter tensor.
 *
 * <p>{@link #step()} updates, in place, every parameter whose gradient is tracked; a frozen one
 * (not tracked, PyTorch's {@code .grad is None}) is skipped and gets no state. After a step the
 * layers' packed weights are stale: call their {@code weightsChanged()} once before the next forward.
 */
public abstract class Optimizer {
    /** The gradients the optimizer reads. */
    protected final Gradients grads;
    private final List<ParamGroup> groups;
    private final Map<Tensor, Object> state = new IdentityHashMap<>();

    protected Optimizer(Gradients grads, List<ParamGroup> groups) {
        this.grads = Objects.requireNonNull(grads, "grads");
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("an optimizer needs at least one parameter group");
        }
        this.groups = Collections.unmodifiableList(new ArrayList<>(groups));
    }

    /** The parameter groups, in order (a scheduler changes their learning rates). */
    public List<ParamGroup> groups() {
        return groups;
    }

    /** {@code optimizer.zero_grad()} (set to zero, as torch 1.13's default {@code set_to_none=False}). */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                float[] grad = grads.of(p);
                if (grad != null) {
                    java.util.Arrays.fill(grad, 0f);
                }
            }
        }
    }

    /** One update of every tracked parameter of every group. */
    public void step() {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                float[] grad = grads.of(p);
                if (grad != null) {
                    update(g, p.data(), grad, p);
                }
            }
        }
    }

    /** Updates one parameter {@code p} (its data) from {@code grad}, with {@code group}'s learning rate. */
    protected abstract void update(ParamGroup group, float[] p, float[] grad, Tensor key);

    /** The state of {@code key}, made by {@code create} on its first step. */
    @SuppressWarnings("unchecked")
    protected <S> S state(Tensor key, Function<Tensor, S> create) {
        return (S) state.computeIfAbsent(key, create);
    }

    /**
     * The state of one parameter as plain values, for checkpoints: torch's {@code state[p]} (a step
     * count and the buffers, e.g. SGD's {@code momentum_buffer}, Adam's {@code exp_avg} and
     * {@code exp_avg_sq}), copied.
     */
    public record ParamState(long step, List<float[]> buffers) {
    }

    /** A copy of {@code parameter}'s state, or null before its first update. */
    public final ParamState saveState(Tensor parameter) {
        Object s = state.get(parameter);
        return s == null ? null : export(s);
    }

    /** Sets {@code parameter}'s state from a {@link #saveState} copy (the arrays are copied in). */
    public final void restoreState(Tensor parameter, ParamState saved) {
        Objects.requireNonNull(saved, "saved");
        state.put(parameter, restore(saved, parameter.size()));
    }

    /** This optimizer's per-parameter state object as plain values. */
    protected abstract ParamState export(Object state);

    /** The inverse of {@link #export}; {@code size} is the parameter's element count. */
    protected abstract Object restore(ParamState saved, int size);

    /** True once {@code parameter} has been updated (it has state). */
    public boolean hasState(Tensor parameter) {
        return state.containsKey(parameter);
    }
}
