package vecnet.layers.train;

import java.util.List;

import vecnet.engine.Tensor;
import vecnet.layers.Gradients;

/**
 * {@code torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov)}, torch 1.13's
 * update for each parameter {@code p} with gradient {@code g}, elementwise in float32:
 *
 * <pre>
 *   d = g + weight_decay·p                              (if weight_decay ≠ 0)
 *   buf = d                                            first step (no dampening on it)
 *   buf = momentum·buf + (1 − dampening)·d              later steps        (if momentum ≠ 0)
 *   d = d + momentum·buf  (nesterov)   or   d = buf
 *   p = p − lr·d
 * </pre>
 *
 * Each {@code a + α·b} is one fused multiply-add, as ATen's vectorised {@code add(alpha=)} does;
 * the scalars are rounded to float first.
 */
public final class SGD extends Optimizer {
    private final double momentum, dampening, weightDecay;
    private final boolean nesterov;

    public SGD(Gradients grads, List<ParamGroup> groups, double momentum, double dampening, double weightDecay,
               boolean nesterov) {
        super(grads, groups);
        if (momentum < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("SGD: momentum and weight_decay must be ≥ 0, got " + momentum + ", " + weightDecay);
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    /** Plain SGD with momentum over one group. */
    public static SGD of(Gradients grads, List<Tensor> params, double lr, double momentum) {
        return new SGD(grads, List.of(new ParamGroup(params, lr)), momentum, 0, 0, false);
    }

    /** torch's {@code state[p]['momentum_buffer']}. */
    private static final class State {
        final float[] buffer;

        State(int size) {
            buffer = new float[size];
        }
    }

    @Override
    protected void update(ParamGroup group, float[] p, float[] g, Tensor key) {
        float wd = (float) weightDecay, m = (float) momentum, keep = (float) (1 - dampening);
        float step = (float) -group.lr();
        boolean first = !hasState(key);
        float[] buf = momentum == 0 ? null : this.<State>state(key, k -> new State(p.length)).buffer;
        for (int i = 0; i < p.length; i++) {
            float d = weightDecay != 0 ? Math.fma(p[i], wd, g[i]) : g[i];
            if (buf != null) {
                buf[i] = first ? d : Math.fma(d, keep, buf[i] * m);
                d = nesterov ? Math.fma(buf[i], m, d) : buf[i];
            }
            p[i] = Math.fma(d, step, p[i]);
        }
    }

    @Override
    protected ParamState export(Object state) {
        return new ParamState(0, List.of(((State) state).buffer.clone()));
    }

    @Override
    protected Object restore(ParamState saved, int size) {
        State s = new State(size);
        System.arraycopy(checked(saved.buffers(), 1, size).get(0), 0, s.buffer, 0, size);
        return s;
    }

    static List<float[]> checked(List<float[]> buffers, int count, int size) {
        if (buffers.size() != count || buffers.stream().anyMatch(b -> b.length != size)) {
            throw new IllegalArgumentException("optimizer state: expected " + count + " buffers of " + size + " values");
        }
        return buffers;
    }

    /** The momentum buffer of {@code parameter} (torch's {@code state[p]['momentum_buffer']}), or null before its first step. */
    public float[] momentumBuffer(Tensor parameter) {
        return hasState(parameter) ? this.<State>state(parameter, k -> null).buffer : null;
    }
}
