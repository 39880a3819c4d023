package vecnet.layers;

import vecnet.engine.ComputePool;
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * A layer's weight matrix {@code W (out, in)}, packed for the GEMM micro-kernel once, on first use,
 * instead of at every call: {@code y = x·Wᵀ + b} for a block of rows of {@code x}.
 *
 * <p>Two packings, each made when first needed: W as the right-hand matrix ({@code y = x·Wᵀ}
 * directly, every micro-tile full from four rows on) for blocks of rows, and W as the left-hand
 * matrix ({@code y = W·x}) for single vectors and the columns of an LSTM step. Each output element is
 * the same chain of FMAs over {@code in} in either, so a sample's result is bit-identical whatever
 * the batch and whichever packing computed it.
 */
final class PackedWeight {
    private final Kernels kernels;
    private final Tensor weight;
    private volatile Kernels.GemmPlan plan;
    private volatile Kernels.RightPlan rightPlan;

    /** {@code weight} is {@code (out, in)}; its values are read when the first product is made. */
    PackedWeight(Kernels kernels, Tensor weight) {
        this.kernels = kernels;
        this.weight = weight;
    }

    /**
     * {@code y[r, j] = Σ_p x[r, p]·W[j, p] + bias[j]} for {@code r < rows}.
     *
     * @param x    {@code (rows, in)} row-major, from offset 0
     * @param bias {@code (out)} or null
     * @param y    {@code (rows, out)} row-major, overwritten
     */
    void multiplyTransposed(ComputePool pool, float[] x, int rows, float[] bias, float[] y) {
        if (rows == 1) { // one vector: streaming W beats packing a tile of a single row
            Kernels.GemmPlan p = plan();
            p.run(pool, 1, x, 0, 1, false, y, 0, 1, bias == null ? Epilogue.NONE : Epilogue.rowBias(bias));
            return;
        }
        Kernels.RightPlan p = rightPlan();
        p.run(pool, rows, x, 0, p.k(), y, 0, p.n(), bias == null ? Epilogue.NONE : Epilogue.columnBias(bias));
    }

    /**
     * {@code y[j] = ep(Σ_p W[j, p]·x[p])} for one input vector: an LSTM step's {@code W_hh·h}. The
     * epilogue's channel is {@code j}; its residual is read at {@code residualOffset + j}.
     */
    void multiplyVector(ComputePool pool, float[] x, float[] y, Epilogue ep) {
        plan().run(pool, 1, x, 0, 1, false, y, 0, 1, ep);
    }

    /**
     * {@code C[j, c] = ep(Σ_p W[j, p]·x[c, p])} for {@code n} input vectors at once, {@code x (n, in)}
     * row-major, {@code C (out, n)}: the LSTM steps of a batch. Each column is bit-identical to
     * {@link #multiplyVector} on that vector alone. The epilogue's residual is laid out like C.
     */
    void multiplyColumns(ComputePool pool, float[] x, int n, float[] c, Epilogue ep) {
        Kernels.GemmPlan p = plan();
        p.run(pool, n, x, 0, p.k(), true, c, 0, n, ep);
    }

    /** Forgets the packed copies, so the next product reads the weight's values again. */
    void invalidate() {
        plan = null;
        rightPlan = null;
    }

    private Kernels.RightPlan rightPlan() {
        Kernels.RightPlan p = rightPlan;
        if (p == null) {
            synchronized (this) {
                p = rightPlan;
                if (p == null) {
                    rightPlan = p = kernels.planGemmRight(weight.dim(0), weight.dim(1), weight.data(), 0, weight.dim(1));
                }
            }
        }
        return p;
    }

    private Kernels.GemmPlan plan() {
        Kernels.GemmPlan p = plan;
        if (p == null) {
            synchronized (this) {
                p = plan;
                if (p == null) {
                    plan = p = kernels.planGemm(weight.dim(0), weight.dim(1), weight.data(), 0, weight.dim(1));
                }
            }
        }
        return p;
    }
}
