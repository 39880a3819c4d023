package vecnet.engine;

import java.util.Arrays;

/**
 * A dense float32 tensor: a shape and a flat row-major {@code float[]}.
 *
 * <p>Images are NCHW, so element {@code x[n,c,h,w]} lives at {@code data[((n*C + c)*H + h)*W + w]}.
 * A tensor never owns a view with strides or an offset: what you see in {@link #data()} is the
 * whole tensor, in order. {@link #reshape} shares the array; everything else copies.
 *
 * <p>Tensors are mutable arrays with a shape attached, not values: a layer writes its result into
 * a fresh tensor and never changes its input. Share a tensor between threads only for reading.
 */
public final class Tensor {
    private final int[] shape;
    private final float[] data;

    private Tensor(float[] data, int[] shape) {
        this.shape = shape;
        this.data = data;
    }

    /** Wraps {@code data} (not copied) as a tensor of the given shape. */
    public static Tensor of(float[] data, int... shape) {
        int[] s = shape.clone();
        long size = sizeOf(s);
        if (size != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(s) + " holds " + size + " elements but the array has " + data.length);
        }
        return new Tensor(data, s);
    }

    /** A new zero-filled tensor. */
    public static Tensor zeros(int... shape) {
        int[] s = shape.clone();
        long size = sizeOf(s);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " has " + size
                    + " elements, more than a Java array can hold");
        }
        return new Tensor(new float[(int) size], s);
    }

    /** The number of elements of {@code shape}; every dimension must be ≥ 0. */
    public static long sizeOf(int... shape) {
        long size = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            size = Math.multiplyExact(size, (long) d);
        }
        return size;
    }

    /** The shape (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** Dimension {@code i}; negative {@code i} counts from the end, as in PyTorch. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** The number of elements. */
    public int size() {
        return data.length;
    }

    /**
     * The backing array, row-major, not a copy. For a layer's or a model's weights (the tensors of
     * {@link HasStateDict#namedTensors()}), a write is seen after {@link HasStateDict#weightsChanged()}:
     * layers compute from a packed copy.
     */
    public float[] data() {
        return data;
    }

    /** The same data seen with another shape of the same size; a {@code -1} dimension is inferred. */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one -1 allowed in " + Arrays.toString(newShape));
                }
                infer = i;
            } else {
                known *= s[i];
            }
        }
        boolean ok;
        if (infer >= 0) {
            ok = known > 0 && data.length % known == 0;
            s[infer] = ok ? (int) (data.length / known) : 0;
        } else {
            ok = known == data.length;
        }
        for (int d : s) {
            ok &= d >= 0;
        }
        if (!ok) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to "
                    + Arrays.toString(newShape));
        }
        return new Tensor(data, s);
    }

    /** A deep copy. */
    public Tensor copy() {
        return new Tensor(data.clone(), shape.clone());
    }

    /** The element at a full index, e.g. {@code get(n, c, h, w)}. For tests and teaching, not for loops. */
    public float get(int... index) {
        return data[flatIndex(index)];
    }

    /** Sets the element at a full index. */
    public void set(float value, int... index) {
        data[flatIndex(index)] = value;
    }

    private int flatIndex(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " for shape " + Arrays.toString(shape));
        }
        int flat = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside shape " + Arrays.toString(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }

    /** True when the shape equals {@code expected}. */
    public boolean hasShape(int... expected) {
        return Arrays.equals(shape, expected);
    }

    /**
     * Throws unless this tensor has rank {@code expected.length} and every dimension matches;
     * a {@code -1} in {@code expected} matches any size. {@code what} names the tensor in the message.
     */
    public Tensor requireShape(String what, int... expected) {
        boolean ok = expected.length == shape.length;
        for (int i = 0; ok && i < expected.length; i++) {
            ok = expected[i] == -1 || expected[i] == shape[i];
        }
        if (!ok) {
            throw new IllegalArgumentException(what + ": expected shape " + describe(expected) + ", got "
                    + Arrays.toString(shape));
        }
        return this;
    }

    /** Throws unless this tensor has {@code rank} dimensions. */
    public Tensor requireRank(String what, int rank) {
        if (shape.length != rank) {
            throw new IllegalArgumentException(what + ": expected " + rank + " dimensions, got shape " + Arrays.toString(shape));
        }
        return this;
    }

    private static String describe(int[] expected) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < expected.length; i++) {
            sb.append(i > 0 ? ", " : "").append(expected[i] == -1 ? "*" : String.valueOf(expected[i]));
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
