package vecnet.layers.train;

import java.util.List;

/**
 * A learning-rate schedule, torch 1.13's {@code _LRScheduler} in its chainable form: each
 * {@link #step()} (call it after {@code optimizer.step()}) advances {@code last_epoch} by one and
 * sets each group's {@code lr} from its current value. Creating a scheduler performs step 0, as
 * torch does. Schedulers change the learning rate and nothing else.
 */
public abstract class LrScheduler {
    private final Optimizer optimizer;
    private int lastEpoch = -1;

    protected LrScheduler(Optimizer optimizer) {
        this.optimizer = java.util.Objects.requireNonNull(optimizer, "optimizer");
    }

    /** Torch's {@code _initial_step}: subclasses call it at the end of their constructor. */
    protected final void initialStep() {
        step();
    }

    /** {@code scheduler.step()}. */
    public final void step() {
        lastEpoch++;
        for (ParamGroup g : optimizer.groups()) {
            g.setLr(next(g, lastEpoch));
        }
    }

    /** The epoch count, torch's {@code last_epoch} (0 right after construction). */
    public int lastEpoch() {
        return lastEpoch;
    }

    /** Each group's current learning rate, torch's {@code get_last_lr()}. */
    public List<Double> lastLr() {
        return optimizer.groups().stream().map(ParamGroup::lr).toList();
    }

    /** Torch's {@code get_lr()} for one group: the new rate from {@code group.lr()} at {@code epoch}. */
    protected abstract double next(ParamGroup group, int epoch);

    /** {@code StepLR(step_size, gamma)}: {@code lr · gamma} every {@code step_size} epochs. */
    public static LrScheduler stepLR(Optimizer optimizer, int stepSize, double gamma) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("StepLR: step_size must be ≥ 1, got " + stepSize);
        }
        LrScheduler s = new LrScheduler(optimizer) {
            @Override
            protected double next(ParamGroup group, int epoch) {
                return epoch == 0 || epoch % stepSize != 0 ? group.lr() : group.lr() * gamma;
            }
        };
        s.initialStep();
        return s;
    }

    /**
     * {@code CosineAnnealingLR(T_max, eta_min)}, chainable form:
     * {@code lr = (1 + cos(π·e/T)) / (1 + cos(π·(e−1)/T)) · (lr − eta_min) + eta_min}, and
     * {@code lr + (base − eta_min)·(1 − cos(π/T))/2} at the restart epochs {@code (e − 1 − T) mod 2T = 0}.
     */
    public static LrScheduler cosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        if (tMax < 1) {
            throw new IllegalArgumentException("CosineAnnealingLR: T_max must be ≥ 1, got " + tMax);
        }
        LrScheduler s = new LrScheduler(optimizer) {
            @Override
            protected double next(ParamGroup group, int epoch) {
                if (epoch == 0) {
                    return group.lr();
                }
                if (Math.floorMod(epoch - 1 - tMax, 2 * tMax) == 0) {
                    return group.lr() + (group.initialLr() - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
                }
                return (1 + Math.cos(Math.PI * epoch / tMax)) / (1 + Math.cos(Math.PI * (epoch - 1) / tMax))
                        * (group.lr() - etaMin) + etaMin;
            }
        };
        s.initialStep();
        return s;
    }

    /**
     * A linear warm-up, torch's {@code LinearLR(start_factor, end_factor, total_iters)}: the rate goes
     * from {@code start_factor·lr} to {@code end_factor·lr} over {@code total_iters} steps, then stays.
     */
    public static LrScheduler linearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        if (!(startFactor > 0 && startFactor <= 1 && endFactor >= 0 && endFactor <= 1) || totalIters < 1) {
            throw new IllegalArgumentException("LinearLR: factors must be in (0, 1] and [0, 1], total_iters ≥ 1; got "
                    + startFactor + ", " + endFactor + ", " + totalIters);
        }
        LrScheduler s = new LrScheduler(optimizer) {
            @Override
            protected double next(ParamGroup group, int epoch) {
                if (epoch == 0) {
                    return group.lr() * startFactor;
                }
                if (epoch > totalIters) {
                    return group.lr();
                }
                return group.lr() * (1. + (endFactor - startFactor)
                        / (totalIters * startFactor + (epoch - 1) * (endFactor - startFactor)));
            }
        };
        s.initialStep();
        return s;
    }

    /**
     * {@code OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy='cos', div_factor=25,
     * final_div_factor=1e4, three_phase=False)}, the learning rate only ({@code cycle_momentum}'s
     * change of Adam's beta1 or SGD's momentum is not done): from {@code max_lr/25} up to
     * {@code max_lr} over the first {@code pct_start·total_steps − 1} steps, then down to
     * {@code max_lr/25/1e4} at step {@code total_steps − 1}, each phase
     * {@code end + (start − end)/2·(cos(π·pct) + 1)}. Every group gets the same {@code max_lr}.
     */
    public static LrScheduler oneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart) {
        if (totalSteps < 1 || !(pctStart > 0 && pctStart < 1) || !(maxLr > 0)) {
            throw new IllegalArgumentException("OneCycleLR: total_steps ≥ 1, pct_start in (0, 1), max_lr > 0; got "
                    + totalSteps + ", " + pctStart + ", " + maxLr);
        }
        double initial = maxLr / 25, min = initial / 1e4;
        double upEnd = pctStart * totalSteps - 1, downEnd = totalSteps - 1;
        LrScheduler s = new LrScheduler(optimizer) {
            @Override
            protected double next(ParamGroup group, int epoch) {
                if (epoch > totalSteps) {
                    throw new IllegalStateException("OneCycleLR stepped " + epoch + " times, more than total_steps "
                            + totalSteps);
                }
                if (epoch <= upEnd) {
                    return cosAnneal(initial, maxLr, epoch / upEnd);
                }
                return cosAnneal(maxLr, min, (epoch - upEnd) / (downEnd - upEnd));
            }
        };
        s.initialStep();
        return s;
    }

    private static double cosAnneal(double start, double end, double pct) {
        return end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1);
    }

    /** Steps this scheduler {@code n} times (to bring a new one to where a resumed run stood). */
    public final void advance(int n) {
        for (int i = 0; i < n; i++) {
            step();
        }
    }
}
