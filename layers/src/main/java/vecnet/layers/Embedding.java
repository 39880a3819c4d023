package vecnet.layers;

import java.util.Arrays;
import java.util.Map;
import vecnet.engine.HasStateDict;
import vecnet.engine.Tensor;

/**
 * A lookup table, PyTorch's {@code nn.Embedding(num_embeddings, embedding_dim)} with no
 * {@code padding_idx}: every row, row 0 included, is an ordinary learned vector.
 *
 * <pre>
 *   y[..., d] = weight[ids[...], d]
 *   ids (*) integers in [0, num_embeddings) -> y (*, embedding_dim)
 * </pre>
 *
 * An id that is negative or not below {@code num_embeddings} is refused with an
 * {@link IndexOutOfBoundsException} naming the id, its position and the vocabulary size
 * (PyTorch: "index out of range in self"). Ids are integers, never floats.
 */
public final class Embedding implements HasStateDict {
    /** {@code [num_embeddings, embedding_dim]}. */
    public final Tensor weight;

    private final int numEmbeddings, dim;

    /** Weights start at zero (load them). */
    public Embedding(int numEmbeddings, int embeddingDim) {
        if (numEmbeddings < 1 || embeddingDim < 1) {
            throw new IllegalArgumentException("Embedding sizes must be ≥ 1, got " + numEmbeddings + "x" + embeddingDim);
        }
        this.numEmbeddings = numEmbeddings;
        this.dim = embeddingDim;
        this.weight = Tensor.zeros(numEmbeddings, embeddingDim);
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

    /** As {@link #forward(int[], int...)} for int64 ids, PyTorch's usual index type. */
    public Tensor forward(long[] ids, int... idShape) {
        if (Tensor.sizeOf(idShape) != ids.length) {
            throw new IllegalArgumentException("Embedding: " + ids.length + " ids do not fill shape "
                    + Arrays.toString(idShape));
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= numEmbeddings) {
                throw new IndexOutOfBoundsException("Embedding: id " + ids[i] + " at position " + i
                        + " is out of range for a vocabulary of " + numEmbeddings + " (ids must be in [0, "
                        + numEmbeddings + "))");
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

    @Override
    public String toString() {
        return "Embedding(" + numEmbeddings + ", " + dim + ")";
    }
}
