package vecnet.layers.train;

import vecnet.engine.Tensor;

/**
 * {@code torch.nn.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing)} on class
 * indices, as torch 1.13 defines it. With {@code lp = log_softmax(logits)} (computed stably, from
 * the row's maximum), over the rows {@code i} whose target is not {@code ignore_index}, and
 * {@code W = Σ_i w[t_i]} for the mean ({@code W = 1} for the sum):
 *
 * <pre>
 *   nll    = −Σ_i w[t_i]·lp[i, t_i] / W
 *   smooth = −Σ_i Σ_c w[c]·lp[i, c] / W / C
 *   loss   = (1 − ε)·nll + ε·smooth
 * </pre>
 *
 * {@code w} is all ones without class weights. The gradient with respect to the logits follows:
 * {@code dlogits[i, c] = dlp[i, c] − softmax[i, c]·Σ_c' dlp[i, c']} with
 * {@code dlp[i, c] = −((1 − ε)·w[t_i]·[c = t_i] + ε·w[c]/C) / W}. Sums are taken in double and
 * rounded to float at the end. Immutable.
 */
public final class CrossEntropyLoss {
    /** torch's {@code reduction}: {@code 'mean'} or {@code 'sum'}. */
    public enum Reduction { MEAN, SUM }

    private final float[] weight;
    private final int ignoreIndex;
    private final double labelSmoothing;
    private final Reduction reduction;

    /** The defaults: no class weights, {@code ignore_index = −100}, mean, no smoothing. */
    public CrossEntropyLoss() {
        this(null, -100, Reduction.MEAN, 0);
    }

    /**
     * @param weight         a weight per class, or null
     * @param ignoreIndex    targets equal to it are left out
     * @param reduction      mean or sum
     * @param labelSmoothing ε in {@code [0, 1]}
     */
    public CrossEntropyLoss(float[] weight, int ignoreIndex, Reduction reduction, double labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("label_smoothing must be in [0, 1], got " + labelSmoothing);
        }
        this.weight = weight == null ? null : weight.clone();
        this.ignoreIndex = ignoreIndex;
        this.reduction = java.util.Objects.requireNonNull(reduction, "reduction");
        this.labelSmoothing = labelSmoothing;
    }

    /** The loss and its gradient with respect to the logits ({@code loss.backward()} with a gradient of 1). */
    public record Result(float loss, Tensor gradient) {
    }

    /**
     * @param logits  {@code (N, C)}
     * @param targets {@code N} class indices in {@code [0, C)}, or {@code ignore_index}
     */
    public Result compute(Tensor logits, int[] targets) {
        logits.requireRank("CrossEntropyLoss logits (N, C)", 2);
        int n = logits.dim(0), c = logits.dim(1);
        if (targets.length != n) {
            throw new IllegalArgumentException("CrossEntropyLoss: " + targets.length + " targets for " + n + " rows of logits");
        }
        if (weight != null && weight.length != c) {
            throw new IllegalArgumentException("CrossEntropyLoss: " + weight.length + " class weights for " + c + " classes");
        }
        float[] x = logits.data();
        double[] lp = new double[n * c];
        double total = 0;                      // W
        for (int i = 0; i < n; i++) {
            int t = targets[i];
            if (t == ignoreIndex) {
                continue;
            }
            if (t < 0 || t >= c) {
                throw new IndexOutOfBoundsException("CrossEntropyLoss: target " + t + " of row " + i + " is out of range for "
                        + c + " classes");
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, x[i * c + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(x[i * c + j] - max);
            }
            double logSum = max + Math.log(sum);
            for (int j = 0; j < c; j++) {
                lp[i * c + j] = x[i * c + j] - logSum;
            }
            total += w(t);
        }
        double denom = reduction == Reduction.MEAN ? total : 1;
        double eps = labelSmoothing;
        double nll = 0, smooth = 0;
        float[] grad = new float[n * c];
        for (int i = 0; i < n; i++) {
            int t = targets[i];
            if (t == ignoreIndex) {
                continue;
            }
            nll -= w(t) * lp[i * c + t];
            double rowSmooth = 0, dlpSum = 0;
            double[] dlp = new double[c];
            for (int j = 0; j < c; j++) {
                rowSmooth -= w(j) * lp[i * c + j];
                dlp[j] = -(eps * w(j) / c + (j == t ? (1 - eps) * w(t) : 0)) / denom;
                dlpSum += dlp[j];
            }
            smooth += rowSmooth;
            for (int j = 0; j < c; j++) {
                grad[i * c + j] = (float) (dlp[j] - Math.exp(lp[i * c + j]) * dlpSum);
            }
        }
        double loss = (1 - eps) * nll / denom + eps * smooth / denom / c;
        return new Result((float) loss, Tensor.of(grad, n, c));
    }

    private double w(int cls) {
        return weight == null ? 1 : weight[cls];
    }
}
