package vecnet.layers;

import java.util.LinkedHashMap;
import java.util.Map;
import vecnet.engine.ComputePool;
import vecnet.engine.Epilogue;
import vecnet.engine.HasStateDict;
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
 * {@code y = fma(x, alpha, beta)}. The batch statistics of training mode are never used.
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

    private final int channels;
    private final float eps;
    private volatile Epilogue folded;

    /** {@code num_features} channels, eps = 1e-5; weights start at zero (load them). */
    public BatchNorm2d(int channels) {
        this(channels, DEFAULT_EPS);
    }

    public BatchNorm2d(int channels, float eps) {
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

    @Override
    public String toString() {
        return "BatchNorm2d(" + channels + ", eps=" + eps + ")";
    }
}
