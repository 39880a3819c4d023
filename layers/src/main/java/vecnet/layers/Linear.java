package vecnet.layers;

import java.util.LinkedHashMap;
import java.util.Map;
import vecnet.engine.ComputePool;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * A fully connected layer, PyTorch's {@code nn.Linear(in_features, out_features)}:
 *
 * <pre>
 *   y[r, o] = Σ_p x[r, p] · weight[o, p] + bias[o]       (y = x·Wᵀ + b)
 *   x (*, in) -> y (*, out)
 * </pre>
 *
 * All leading dimensions are rows, run as one GEMM: the weight, packed once on first use, is the left
 * matrix of {@code yᵀ = W·xᵀ}, and the small result is transposed into {@code y} ({@link PackedWeight}).
 * A single row is a GEMM too, not a GEMV: the kernels' GEMV sums in another order, and each row's
 * result must be bit-identical whatever the batch it arrives in.
 */
public final class Linear implements Layer, HasStateDict {
    /** {@code [out, in]}. */
    public final Tensor weight;
    /** {@code [out]}, or null without bias. */
    public final Tensor bias;

    private final int in, out;
    private final PackedWeight packed;

    /** Weights start at zero (load them). */
    public Linear(int in, int out, boolean bias) {
        this(Kernels.get(), in, out, bias);
    }

    public Linear(Kernels kernels, int in, int out, boolean bias) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("Linear sizes must be ≥ 1, got in=" + in + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        this.weight = Tensor.zeros(out, in);
        this.bias = bias ? Tensor.zeros(out) : null;
        this.packed = new PackedWeight(kernels, weight);
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("weight", weight);
        if (bias != null) {
            m.put("bias", bias);
        }
        return m;
    }

    @Override
    public Tensor forward(Tensor x, ComputePool pool) {
        if (x.rank() < 1 || x.dim(-1) != in) {
            throw new IllegalArgumentException("Linear(" + in + ", " + out + ") input: expected shape [*, " + in
                    + "], got " + x);
        }
        int rows = x.size() / in;
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        Tensor y = Tensor.zeros(shape);
        float[] b = bias == null ? null : bias.data();
        if (rows > 0) {
            // One GEMM for any number of rows, never a GEMV for a single row: a GEMV sums in another
            // order, and a sample's logits must not depend on the batch it came in (bit for bit).
            packed.multiplyTransposed(pool, x.data(), rows, b, y.data());
        }
        return y;
    }

    /** Call after changing {@link #weight}'s values once the layer has run: it packs them again. */
    public void weightsChanged() {
        packed.invalidate();
    }

    @Override
    public String toString() {
        return "Linear(in_features=" + in + ", out_features=" + out + ", bias=" + (bias != null) + ")";
    }
}
