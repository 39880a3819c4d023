package vecnet.layers.train;

import java.util.List;

import vecnet.engine.Tensor;
import vecnet.layers.Gradients;

/**
 * {@code torch.optim.Adam} and {@code torch.optim.AdamW} (amsgrad off), torch 1.13's single-tensor
 * update, {@code step} counting from 1 per parameter:
 *
 * <pre>
 *   p = p·(1 − lr·weight_decay)                          AdamW only (decoupled decay)
 *   g = g + weight_decay·p                              Adam only (L2), if weight_decay ≠ 0
 *   m = beta1·m + (1 − beta1)·g
 *   v = beta2·v + (1 − beta2)·g·g
 *   bc1 = 1 − beta1^step      bc2 = 1 − beta2^step        (in double)
 *   denom = sqrt(v) / sqrt(bc2) + eps                   (eps after the bias correction)
 *   p = p − (lr / bc1)·m / denom
 * </pre>
 *
 * The scalars ({@code lr/bc1}, {@code sqrt(bc2)}, {@code 1 − beta}) are computed in double and
 * rounded to float; the tensors are float32, each operation in PyTorch's order ({@code add(alpha=)}
 * is a fused multiply-add; {@code addcmul} and {@code addcdiv} are not fused: {@code a + (s·b)·c},
 * {@code a + (s·b)/c}).
 */
public final class Adam extends Optimizer {
    private final double beta1, beta2, eps, weightDecay;
    private final boolean decoupled;

    /** torch's {@code step} and {@code exp_avg}, {@code exp_avg_sq} of one parameter. */
    private static final class State {
        long step;
        final float[] m, v;

        State(int size) {
            m = new float[size];
            v = new float[size];
        }
    }

    private Adam(Gradients grads, List<ParamGroup> groups, double beta1, double beta2, double eps, double weightDecay,
                 boolean decoupled) {
        super(grads, groups);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps >= 0 && weightDecay >= 0)) {
            throw new IllegalArgumentException("Adam: betas must be in [0, 1), eps and weight_decay ≥ 0, got betas=("
                    + beta1 + ", " + beta2 + "), eps=" + eps + ", weight_decay=" + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    /** {@code torch.optim.Adam(groups, betas=(beta1, beta2), eps, weight_decay)}. */
    public static Adam adam(Gradients grads, List<ParamGroup> groups, double beta1, double beta2, double eps,
                            double weightDecay) {
        return new Adam(grads, groups, beta1, beta2, eps, weightDecay, false);
    }

    /** {@code torch.optim.Adam(params, lr)} with the defaults betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static Adam adam(Gradients grads, List<Tensor> params, double lr) {
        return adam(grads, List.of(new ParamGroup(params, lr)), 0.9, 0.999, 1e-8, 0);
    }

    /** {@code torch.optim.AdamW(groups, betas=(beta1, beta2), eps, weight_decay)} (torch's default weight_decay is 0.01). */
    public static Adam adamW(Gradients grads, List<ParamGroup> groups, double beta1, double beta2, double eps,
                             double weightDecay) {
        return new Adam(grads, groups, beta1, beta2, eps, weightDecay, true);
    }

    @Override
    protected void update(ParamGroup group, float[] p, float[] g, Tensor key) {
        State s = state(key, k -> new State(p.length));
        s.step++;
        double lr = group.lr();
        double bc1 = 1 - Math.pow(beta1, s.step), bc2 = 1 - Math.pow(beta2, s.step);
        float b1 = (float) beta1, b2 = (float) beta2, oneMinusB1 = (float) (1 - beta1), oneMinusB2 = (float) (1 - beta2);
        float stepSize = (float) -(lr / bc1), bc2Sqrt = (float) Math.sqrt(bc2), e = (float) eps;
        float wd = (float) weightDecay, decay = (float) (1 - lr * weightDecay);
        float[] m = s.m, v = s.v;
        if (weightDecay != 0 && decoupled) {
            for (int i = 0; i < p.length; i++) {
                p[i] = p[i] * decay;
            }
        }
        if (weightDecay != 0 && !decoupled) {
            for (int i = 0; i < p.length; i++) {
                moments(p, Math.fma(p[i], wd, g[i]), m, v, i, b1, oneMinusB1, b2, oneMinusB2, stepSize, bc2Sqrt, e);
            }
        } else {
            // The same arithmetic without branches in the loop, so the JIT vectorises it.
            for (int i = 0; i < p.length; i++) {
                moments(p, g[i], m, v, i, b1, oneMinusB1, b2, oneMinusB2, stepSize, bc2Sqrt, e);
            }
        }
    }

    /** One element: the moments from gradient {@code gi}, then the parameter. */
    private static void moments(float[] p, float gi, float[] m, float[] v, int i, float b1, float oneMinusB1, float b2,
                                float oneMinusB2, float stepSize, float bc2Sqrt, float e) {
        m[i] = Math.fma(gi, oneMinusB1, m[i] * b1);
        v[i] = v[i] * b2 + oneMinusB2 * gi * gi;
        float denom = (float) Math.sqrt(v[i]) / bc2Sqrt + e;
        p[i] = p[i] + stepSize * m[i] / denom;
    }

    @Override
    protected ParamState export(Object state) {
        State s = (State) state;
        return new ParamState(s.step, List.of(s.m.clone(), s.v.clone()));
    }

    @Override
    protected Object restore(ParamState saved, int size) {
        List<float[]> b = SGD.checked(saved.buffers(), 2, size);
        State s = new State(size);
        s.step = saved.step();
        System.arraycopy(b.get(0), 0, s.m, 0, size);
        System.arraycopy(b.get(1), 0, s.v, 0, size);
        return s;
    }

    /** Adam's step count of {@code parameter} (0 before its first update). */
    public long steps(Tensor parameter) {
        return hasState(parameter) ? this.<State>state(parameter, k -> null).step : 0;
    }
}
