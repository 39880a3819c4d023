package vecnet.layers;

import java.util.Arrays;
import java.util.Map;
import vecnet.engine.HasStateDict;
import vecnet.engine.Tensor;

/**
 * A lookup table, PyTorch's {@code nn.Embedding(num_embeddings, embedding_dim, padding_idx)}. By
 * default there is no {@code padding_idx}: every row, row 0 included, is an ordinary learned vector.
 *
 * <pre>
 *   y[..., d] = weight[ids[...], d]
 *   ids (*) integers in [0, num_embeddings) -> y (*, embedding_dim)
 * </pre>
 *
 * An id that is negative or not below {@code num_embeddings} is refused with an
 * {@link IndexOutOfBoundsException} naming the id, its position and the vocabulary size
 * (PyTorch: "index out of range in self"). Ids are integers, never floats.
 *
 * <p>Backward (PyTorch's default {@code sparse=False}): the weight's gradient is dense,
 * {@code dW[v, :] += Σ_{i : ids[i] = v} dY[i, :]} added in position order, so rows not used in the
 * batch get zeros, which optimizers still apply (momentum, Adam, weight decay). The
 * {@code padding_idx} row gets no gradient at all, as in PyTorch; its forward reads the row as it is
 * (PyTorch initialises it to zeros).
 */
public final class Embedding implements HasStateDict {
    /** {@code [num_embeddings, embedding_dim]}. */
    public final Tensor weight;

    private final int numEmbeddings, dim;
    /** The row that gets no gradient, or −1. */
    private final int paddingIdx;

    /** Weights start at zero (load them). */
    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null);
    }

    /**
     * With {@code paddingIdx} null, or in {@code [−num_embeddings, num_embeddings)}: a negative one counts
     * from the end, as in PyTorch. Weights start at zero (load them).
     */
    public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx) {
        if (numEmbeddings < 1 || embeddingDim < 1) {
            throw new IllegalArgumentException("Embedding sizes must be ≥ 1, got " + numEmbeddings + "x" + embeddingDim);
        }
        this.numEmbeddings = numEmbeddings;
        this.dim = embeddingDim;
        this.weight = Tensor.zeros(numEmbeddings, embeddingDim);
        if (paddingIdx != null && (paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings)) {
            throw new IllegalArgumentException("Embedding: padding_idx " + paddingIdx + " must be within num_embeddings "
                    + numEmbeddings);
        }
        this.paddingIdx = paddingIdx == null ? -1 : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    }

    /** The row that gets no gradient, or −1 when there is none. */
    public int paddingIdx() {
        return paddingIdx;
    }

    public int numEmbeddings() {
        return numEmbeddings;
    }

    public int embeddingDim() {
        return dim;
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        return Map.of("weight", weight);
    }

    /** {@code ids} of shape {@code idShape} (row-major) -> {@code (idShape..., embedding_dim)}. */
    public Tensor forward(int[] ids, int... idShape) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return forward(l, idShape);
    }

    /**
     * Throws what {@link #forward(int[], int...)} throws for an id outside {@code [0, num_embeddings)}:
     * for callers that read the rows some other way (projected rows, see {@link LSTM#projectRows}).
     */
    public void checkIds(int[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= numEmbeddings) {
                throw outOfRange(ids[i], i);
            }
        }
    }

    private IndexOutOfBoundsException outOfRange(long id, int position) {
        return new IndexOutOfBoundsException("Embedding: id " + id + " at position " + position
                + " is out of range for a vocabulary of " + numEmbeddings + " (ids must be in [0, "
                + numEmbeddings + "))");
    }

    /** As {@link #forward(int[], int...)} for int64 ids, PyTorch's usual index type. */
    public Tensor forward(long[] ids, int... idShape) {
        if (Tensor.sizeOf(idShape) != ids.length) {
            throw new IllegalArgumentException("Embedding: " + ids.length + " ids do not fill shape "
                    + Arrays.toString(idShape));
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= numEmbeddings) {
                throw outOfRange(ids[i], i);
            }
        }
        int[] shape = Arrays.copyOf(idShape, idShape.length + 1);
        shape[idShape.length] = dim;
        Tensor y = Tensor.zeros(shape);
        float[] w = weight.data(), out = y.data();
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(w, (int) ids[i] * dim, out, i * dim, dim);
        }
        return y;
    }

    /**
     * {@link #forward(int[], int...)} kept for training. Its backward adds the dense weight gradient
     * (see the class comment) and returns null: ids have no gradient. {@code ids} must not change
     * until the backward.
     */
    public Traced trace(int[] ids, int... idShape) {
        Tensor y = forward(ids, idShape);
        return new Traced() {
            @Override
            public Tensor output() {
                return y;
            }

            @Override
            public Tensor backward(Tensor dY, Gradients grads, vecnet.engine.ComputePool pool) {
                if (!Arrays.equals(dY.shape(), y.shape())) {
                    throw new IllegalArgumentException("Embedding backward: gradient " + dY + " is not shaped like the output " + y);
                }
                float[] dW = grads.of(weight);
                if (dW != null) {
                    float[] dy = dY.data();
                    for (int i = 0; i < ids.length; i++) {
                        if (ids[i] == paddingIdx) {
                            continue;
                        }
                        int row = ids[i] * dim;
                        for (int d = 0; d < dim; d++) {
                            dW[row + d] += dy[i * dim + d];
                        }
                    }
                }
                return null;
            }
        };
    }

    @Override
    public String toString() {
        return "Embedding(" + numEmbeddings + ", " + dim + (paddingIdx >= 0 ? ", padding_idx=" + paddingIdx : "") + ")";
    }
}
