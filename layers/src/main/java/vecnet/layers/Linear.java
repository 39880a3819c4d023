package vecnet.layers;

import java.util.LinkedHashMap;
import java.util.Map;
import vecnet.engine.ComputePool;
import vecnet.engine.Epilogue;
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
 * All leading dimensions are rows, run as one matrix product with the weight packed once, on first
 * use ({@link PackedWeight}): a block of rows as {@code y = x·Wᵀ} with W packed as the right-hand
 * matrix ({@link Kernels#planGemmRight}), a single row as {@code y = W·x} with W packed as the
 * left-hand matrix ({@link Kernels#planGemm}). Neither transposes anything at run time, and both
 * compute each output element as the same chain of FMAs over {@code in}, so a row's result is
 * bit-identical whatever the batch it arrives in.
 *
 * <p>Training: {@link #trace} keeps the input; its backward is three GEMMs over the same kernels,
 * {@code dX = dY·W}, {@code dW += dYᵀ·X}, {@code db += Σ_rows dY}. After an optimizer changes
 * {@link #weight}, call {@link #weightsChanged()} once.
 */
public final class Linear implements Layer, HasStateDict {
    /** {@code [out, in]}. */
    public final Tensor weight;
    /** {@code [out]}, or null without bias. */
    public final Tensor bias;

    private final int in, out;
    private final Kernels kernels;
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
        this.kernels = kernels;
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

    /**
     * The forward pass kept for training: {@link #forward} (the same bits) plus the input, which the
     * backward pass needs for the weight gradient. The input must not change until the backward.
     */
    public Traced trace(Tensor x, ComputePool pool) {
        Tensor y = forward(x, pool);
        return new Trace(x, y);
    }

    /** What the backward pass needs: the input {@code x (rows, in)}. */
    private final class Trace implements Traced {
        private final Tensor x, y;

        Trace(Tensor x, Tensor y) {
            this.x = x;
            this.y = y;
        }

        @Override
        public Tensor output() {
            return y;
        }

        /**
         * <pre>
         *   dX = dY·W          (rows, out)·(out, in)
         *   dW += dYᵀ·X        (out, rows)·(rows, in)
         *   db += Σ_rows dY    summed in row order
         * </pre>
         */
        @Override
        public Tensor backward(Tensor dY, Gradients grads, ComputePool pool) {
            if (!java.util.Arrays.equals(dY.shape(), y.shape())) {
                throw new IllegalArgumentException("Linear backward: gradient " + dY + " is not shaped like the output " + y);
            }
            int rows = x.size() / in;
            float[] dy = dY.data();
            Tensor dX = Tensor.zeros(x.shape());
            if (rows == 0) {
                return dX;
            }
            kernels.sgemm(pool, rows, in, out, dy, 0, out, weight.data(), 0, in, false, dX.data(), 0, in, Epilogue.NONE);
            float[] dW = grads.of(weight);
            if (dW != null) {
                float[] dyT = new float[out * rows];
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < out; o++) {
                        dyT[o * rows + r] = dy[r * out + o];
                    }
                }
                accumulateProduct(kernels, pool, out, in, rows, dyT, x.data(), dW);
            }
            float[] db = bias == null ? null : grads.of(bias);
            if (db != null) {
                sumRows(dy, rows, out, db);
            }
            return dX;
        }
    }

    /**
     * {@code c += A·B} for {@code A (m, k)} and {@code B (k, n)}, row-major: the product into a scratch
     * array, then added (a GEMM's epilogue may not read the array it writes).
     */
    static void accumulateProduct(Kernels kernels, ComputePool pool, int m, int n, int k, float[] a, float[] b, float[] c) {
        float[] product = new float[m * n];
        kernels.sgemm(pool, m, n, k, a, 0, k, b, 0, n, false, product, 0, n, Epilogue.NONE);
        kernels.add(c, 0, product, 0, c, 0, m * n);
    }

    /** {@code acc[j] += Σ_r m[r, j]} for an {@code (rows, cols)} matrix, rows added in order. */
    static void sumRows(float[] m, int rows, int cols, float[] acc) {
        float[] s = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                s[j] += m[r * cols + j];
            }
        }
        for (int j = 0; j < cols; j++) {
            acc[j] += s[j];
        }
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
