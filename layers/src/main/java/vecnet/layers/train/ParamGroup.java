package vecnet.layers.train;

import java.util.List;

import vecnet.engine.Tensor;

/**
 * One of an optimizer's {@code param_groups}: parameters that share a learning rate. A scheduler
 * changes {@link #lr()}; {@link #initialLr()} is torch's {@code initial_lr}, the rate the schedulers
 * start from.
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private final double initialLr;
    private double lr;

    /** {@code params} in the order the optimizer visits them; {@code lr ≥ 0}. */
    public ParamGroup(List<Tensor> params, double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("learning rate must be ≥ 0, got " + lr);
        }
        this.params = List.copyOf(params);
        this.initialLr = lr;
        this.lr = lr;
    }

    public List<Tensor> params() {
        return params;
    }

    public double lr() {
        return lr;
    }

    /** Sets the learning rate used by the next steps (what a scheduler does). */
    public void setLr(double lr) {
        if (!(lr >= 0)) {
            throw new IllegalArgumentException("learning rate must be ≥ 0, got " + lr);
        }
        this.lr = lr;
    }

    public double initialLr() {
        return initialLr;
    }
}
