package vecnet.layers;

import java.util.LinkedHashMap;
import java.util.Map;
import vecnet.engine.ComputePool;
import vecnet.engine.Epilogue;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * Batch normalisation in eval mode, PyTorch's {@code nn.BatchNorm2d} after {@code model.eval()}:
 *
 * <pre>
 *   y[n,c,h,w] = (x[n,c,h,w] − running_mean[c]) / sqrt(running_var[c] + eps) · weight[c] + bias[c]
 *   x (N, C, H, W) -> y (N, C, H, W)
 * </pre>
 *
 * computed in float32 the way PyTorch's CPU kernel does, which is bit-exact with it:
 * {@code alpha = (1f / (float) sqrt(var + eps)) · weight}, {@code beta = fma(−mean, alpha, bias)},
 * {@code y = fma(x, alpha, beta)}. Training mode's batch statistics are used only by {@link #trace}.
 *
 * <p>In a network a batch-norm follows a convolution; {@link #asEpilogue()} hands the
 * {@code (alpha, beta)} pair to {@link Conv2d#forward(Tensor, ComputePool, Epilogue)} so that the
 * normalisation happens while the convolution writes its output. The pair is computed on first
 * use; call {@link #weightsChanged()} if the values change after that.
 */
public final class BatchNorm2d implements Layer, HasStateDict {
    /** PyTorch's default {@code eps}. */
    public static final float DEFAULT_EPS = 1e-5f;

    /** {@code [C]}, the affine scale γ. */
    public final Tensor weight;
    /** {@code [C]}, the affine shift β. */
    public final Tensor bias;
    /** {@code [C]}. */
    public final Tensor running_mean;
    /** {@code [C]}. */
    public final Tensor running_var;
    /** {@code []} (one element), an int64 counter in PyTorch; kept for the state_dict, unused in eval. */
    public final Tensor num_batches_tracked;

    private final Kernels kernels;
    private final int channels;
    private final float eps;
    private volatile Epilogue folded;

    /** {@code num_features} channels, eps = 1e-5; weights start at zero (load them). */
    public BatchNorm2d(int channels) {
        this(channels, DEFAULT_EPS);
    }

    public BatchNorm2d(int channels, float eps) {
        this(Kernels.get(), channels, eps);
    }

    /** As {@link #BatchNorm2d(int, float)}, training's sums computed with {@code kernels} (e.g. {@link Kernels#scalar()}). */
    public BatchNorm2d(Kernels kernels, int channels, float eps) {
        this.kernels = java.util.Objects.requireNonNull(kernels, "kernels");
        if (channels < 1) {
            throw new IllegalArgumentException("BatchNorm2d needs at least one channel, got " + channels);
        }
        if (!(eps > 0f)) {
            throw new IllegalArgumentException("BatchNorm2d eps must be > 0, got " + eps);
        }
        this.channels = channels;
        this.eps = eps;
        this.weight = Tensor.zeros(channels);
        this.bias = Tensor.zeros(channels);
        this.running_mean = Tensor.zeros(channels);
        this.running_var = Tensor.zeros(channels);
        this.num_batches_tracked = Tensor.zeros();
    }

    public int channels() {
        return channels;
    }

    public float eps() {
        return eps;
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("weight", weight);
        m.put("bias", bias);
        m.put("running_mean", running_mean);
        m.put("running_var", running_var);
        m.put("num_batches_tracked", num_batches_tracked);
        return m;
    }

    /** Forgets the folded {@code (alpha, beta)} so that the next use reads the tensors again. */
    public void weightsChanged() {
        folded = null;
    }

    /**
     * This batch-norm as a per-channel affine epilogue {@code y = fma(acc, alpha[c], beta[c])}
     * (channel = row of the convolution output). Add {@link Epilogue#withResidual} and
     * {@link Epilogue#withRelu} for ResNet's {@code relu(bn(conv(x)) + identity)}.
     */
    public Epilogue asEpilogue() {
        Epilogue e = folded;
        if (e == null) {
            float[] w = weight.data(), b = bias.data(), mean = running_mean.data(), var = running_var.data();
            float[] alpha = new float[channels], beta = new float[channels];
            for (int c = 0; c < channels; c++) {
                float invstd = 1f / (float) Math.sqrt(var[c] + eps);
                alpha[c] = invstd * w[c];
                beta[c] = Math.fma(-mean[c], alpha[c], b[c]);
            }
            folded = e = Epilogue.rowAffine(alpha, beta);
        }
        return e;
    }

    /** {@code x (N, C, H, W)} -> {@code (N, C, H, W)}; one task per (n, c) plane. */
    @Override
    public Tensor forward(Tensor x, ComputePool pool) {
        x.requireShape("BatchNorm2d input", -1, channels, -1, -1);
        Epilogue ep = asEpilogue();
        int planes = x.dim(0) * channels, plane = x.dim(2) * x.dim(3);
        float[] in = x.data();
        Tensor y = Tensor.zeros(x.shape());
        float[] out = y.data();
        pool.parallelFor(planes, p -> {
            int c = p % channels;
            for (int i = p * plane, end = i + plane; i < end; i++) {
                out[i] = ep.apply(in[i], c, 0);
            }
        });
        return y;
    }

    /** PyTorch's default {@code momentum} of the running statistics. */
    public static final float MOMENTUM = 0.1f;

    /**
     * The forward pass kept for {@link Traced#backward}.
     *
     * <p>In training mode ({@code training} true), as {@code nn.BatchNorm2d} after {@code model.train()}:
     * the batch's own statistics over {@code M = N·H·W} values per channel normalise the output,
     *
     * <pre>
     *   mean[c] = Σ x / M,   var[c] = Σ (x − mean)² / M   (biased),   y = (x − mean) / sqrt(var + eps) · weight + bias
     * </pre>
     *
     * and the running statistics move, in place: {@code running = (1 − 0.1)·running + 0.1·batch}, with the
     * <em>unbiased</em> variance {@code var·M/(M−1)} for {@code running_var}; {@code num_batches_tracked}
     * grows by one. Call {@link #weightsChanged()} before the next inference forward. Sums are in double over
     * planes summed by {@link Kernels#deviationSums}, the variance from deviations about the float mean.
     *
     * <p>In eval mode it is {@link #forward} (bit for bit), and nothing changes.
     */
    public Trace trace(Tensor x, ComputePool pool, boolean training) {
        x.requireShape("BatchNorm2d input", -1, channels, -1, -1);
        int n = x.dim(0), plane = x.dim(2) * x.dim(3), m = n * plane;
        float[] in = x.data();
        float[] mean = new float[channels], invstd = new float[channels];
        float[] alpha = new float[channels], beta = new float[channels];
        float[] w = weight.data(), b = bias.data();
        if (training) {
            if (m < 2) {
                throw new IllegalArgumentException("BatchNorm2d in training mode needs more than one value per channel,"
                        + " got input " + x);
            }
            float[] rm = running_mean.data(), rv = running_var.data();
            pool.parallelFor(channels, c -> {
                double[] sum = new double[2], dev = new double[2];
                for (int i = 0; i < n; i++) {
                    kernels.deviationSums(in, (i * channels + c) * plane, plane, 0f, sum);
                }
                float center = (float) (sum[0] / m);
                for (int i = 0; i < n; i++) {
                    kernels.deviationSums(in, (i * channels + c) * plane, plane, center, dev);
                }
                // Deviations from the float centre, corrected to the mean's: Σ(x − μ)² = Σd² − (Σd)²/M.
                double mu = center + dev[0] / m, ss = Math.max(0, dev[1] - dev[0] * dev[0] / m);
                double var = ss / m;
                double inv = 1.0 / Math.sqrt(var + eps);
                mean[c] = (float) mu;
                invstd[c] = (float) inv;
                alpha[c] = (float) (inv * w[c]);
                beta[c] = (float) (b[c] - mu * inv * w[c]);
                rm[c] = (float) ((1 - MOMENTUM) * rm[c] + MOMENTUM * mu);
                rv[c] = (float) ((1 - MOMENTUM) * rv[c] + MOMENTUM * (ss / (m - 1)));
            });
            num_batches_tracked.data()[0] += 1;
            folded = null;
        } else {
            float[] rm = running_mean.data(), rv = running_var.data();
            for (int c = 0; c < channels; c++) {   // as asEpilogue, so that y is forward's bit for bit
                invstd[c] = 1f / (float) Math.sqrt(rv[c] + eps);
                mean[c] = rm[c];
                alpha[c] = invstd[c] * w[c];
                beta[c] = Math.fma(-rm[c], alpha[c], b[c]);
            }
        }
        Tensor y = Tensor.zeros(x.shape());
        float[] out = y.data();
        pool.parallelFor(n * channels, pl -> {
            int c = pl % channels;
            for (int i = pl * plane, end = i + plane; i < end; i++) {
                out[i] = Math.fma(in[i], alpha[c], beta[c]);
            }
        });
        return new Trace(this, x, y, training, mean, invstd);
    }

    /**
     * A traced batch-norm: input, output, the mode, and the statistics that normalised it
     * ({@code mean} and {@code invstd = 1/sqrt(var + eps)} per channel: the batch's in training mode,
     * the running ones in eval mode).
     */
    public record Trace(BatchNorm2d layer, Tensor input, Tensor output, boolean training, float[] mean, float[] invstd)
            implements Traced {
        @Override
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool) {
            return layer.backward(this, gradOutput, grads, pool);
        }
    }

    /**
     * With {@code x̂ = (x − mean)·invstd} and sums over the {@code M} values of a channel:
     *
     * <pre>
     *   dweight = Σ dy·x̂,   dbias = Σ dy
     *   dx = weight·invstd · (dy − Σdy/M − x̂·Σ(dy·x̂)/M)     training mode (the statistics depend on x),
     *        as {@link Kernels#affineDeviation}: three float coefficients per channel, one rounding each
     *   dx = weight·invstd · dy                               eval mode
     * </pre>
     */
    private Tensor backward(Trace t, Tensor dy, Gradients grads, ComputePool pool) {
        Tensor x = t.input();
        dy.requireShape("BatchNorm2d output gradient", x.shape());
        int n = x.dim(0), plane = x.dim(2) * x.dim(3), m = n * plane;
        float[] in = x.data(), g = dy.data(), w = weight.data();
        float[] dWeight = grads.of(weight), dBias = grads.of(bias);
        Tensor dx = Tensor.zeros(x.shape());
        float[] out = dx.data();
        pool.parallelFor(channels, c -> {
            float mu = t.mean()[c];
            double inv = t.invstd()[c];
            double[] sums = new double[2];
            for (int i = 0; i < n; i++) {
                int q = (i * channels + c) * plane;
                kernels.gradientSums(g, q, in, q, plane, mu, sums);
            }
            double sdy = sums[0], sdyx = sums[1] * inv;
            if (dWeight != null) {
                dWeight[c] += (float) sdyx;
            }
            if (dBias != null) {
                dBias[c] += (float) sdy;
            }
            double scale = w[c] * inv;
            if (t.training()) {   // dx = scale·dy + (−scale·invstd·Σ(dy·x̂)/M)·(x − mean) + (−scale·Σdy/M)
                float a = (float) scale, slope = (float) (-scale * inv * sdyx / m), shift = (float) (-scale * sdy / m);
                for (int i = 0; i < n; i++) {
                    int q = (i * channels + c) * plane;
                    kernels.affineDeviation(g, q, in, q, plane, mu, a, slope, shift, out, q);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    for (int q = (i * channels + c) * plane, end = q + plane; q < end; q++) {
                        out[q] = (float) (scale * g[q]);
                    }
                }
            }
        });
        return dx;
    }

    @Override
    public String toString() {
        return "BatchNorm2d(" + channels + ", eps=" + eps + ")";
    }
}
