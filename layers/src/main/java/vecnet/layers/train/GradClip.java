package vecnet.layers.train;

import java.util.List;

import vecnet.engine.Tensor;
import vecnet.layers.Gradients;

/** {@code torch.nn.utils.clip_grad_norm_} with the 2-norm. */
public final class GradClip {
    private GradClip() {
    }

    /**
     * Scales the gradients of {@code params} (frozen ones are skipped) so that their joint 2-norm is
     * at most {@code maxNorm}, as torch 1.13:
     * <pre>
     *   total = ‖(‖g_1‖₂, ‖g_2‖₂, …)‖₂          (each norm rounded to float, as torch's float32 tensors)
     *   coef  = min(max_norm / (total + 1e-6), 1)     in float32
     *   g_i   = g_i · coef                     every gradient, even when coef is 1
     * </pre>
     *
     * @return {@code total}, the norm before clipping
     */
    public static float clipGradNorm(Gradients grads, List<Tensor> params, double maxNorm) {
        double sumSquares = 0;
        for (Tensor p : params) {
            float[] g = grads.of(p);
            if (g == null) {
                continue;
            }
            double s = 0;
            for (float v : g) {
                s += (double) v * v;
            }
            float norm = (float) Math.sqrt(s);
            sumSquares += (double) norm * norm;
        }
        float total = (float) Math.sqrt(sumSquares);
        float coef = (float) maxNorm / (total + 1e-6f);
        if (coef > 1f) {
            coef = 1f;
        }
        for (Tensor p : params) {
            float[] g = grads.of(p);
            if (g != null) {
                for (int i = 0; i < g.length; i++) {
                    g[i] *= coef;
                }
            }
        }
        return total;
    }
}
