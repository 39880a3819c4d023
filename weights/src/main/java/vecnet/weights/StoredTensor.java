package vecnet.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor as a file stores it: a dtype, a shape and a strided view into a little-endian storage.
 *
 * <p>Element {@code t[i0, i1, ...]} is storage element {@code offset + Σ i_k·strides[k]}, the
 * layout of PyTorch's {@code _rebuild_tensor_v2(storage, offset, size, stride)}. Safetensors tensors
 * are the contiguous case: offset 0, C-order strides. The constructor checks that every element
 * lies inside the storage, so reads never go out of bounds.
 *
 * <p>Immutable and thread-safe: the storage buffer is never written, and every read works on its
 * own {@link ByteBuffer#duplicate()} (whose byte order must be set again: duplicates are big-endian).
 */
final class StoredTensor {
    /**
     * The most elements a view may have beyond its storage's (zero strides repeat elements): reading
     * a tensor allocates numel floats, so without this a 4 KiB file could claim 2^31 of them.
     */
    static final long MAX_BROADCAST = 1L << 24;

    final DType dtype;
    final int[] shape;
    private final ByteBuffer storage;   // position 0 = storage element 0; never mutated
    private final long offset;          // in elements
    private final long[] strides;       // in elements
    private final int numel;

    /**
     * @param storage little-endian bytes of the whole storage (its capacity bounds the view)
     * @throws IllegalArgumentException when the view does not fit the storage, naming the reason
     */
    StoredTensor(DType dtype, int[] shape, ByteBuffer storage, long offset, long[] strides) {
        if (strides.length != shape.length) {
            throw new IllegalArgumentException("size " + Arrays.toString(shape) + " and stride "
                    + Arrays.toString(strides) + " have different lengths");
        }
        long n = 1;
        long last = offset;
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] < 0) {
                throw new IllegalArgumentException("negative dimension in size " + Arrays.toString(shape));
            }
            if (strides[k] < 0) {
                throw new IllegalArgumentException("negative stride " + Arrays.toString(strides));
            }
            n = Math.multiplyExact(n, shape[k]);
            if (shape[k] > 0) {
                last = Math.addExact(last, Math.multiplyExact(shape[k] - 1L, strides[k]));
            }
        }
        long storageElements = storage.capacity() / dtype.size();
        if (offset < 0) {
            throw new IllegalArgumentException("negative storage offset " + offset);
        }
        if (n > 0 && last >= storageElements) {
            throw new IllegalArgumentException("view (offset " + offset + ", size " + Arrays.toString(shape)
                    + ", stride " + Arrays.toString(strides) + ") reaches element " + last
                    + " of a storage of " + storageElements + " elements");
        }
        if (n > storageElements && n > MAX_BROADCAST) {
            throw new IllegalArgumentException("view (offset " + offset + ", size " + Arrays.toString(shape)
                    + ", stride " + Arrays.toString(strides) + ") has " + n + " elements over a storage of "
                    + storageElements + " elements; a broadcast (zero-stride) view larger than " + MAX_BROADCAST
                    + " elements is refused, since reading it would allocate far more memory than the file holds");
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("size " + Arrays.toString(shape) + " has " + n
                    + " elements, more than a Java array can hold");
        }
        this.dtype = dtype;
        this.shape = shape.clone();
        this.storage = storage;
        this.offset = offset;
        this.strides = strides.clone();
        this.numel = (int) n;
    }

    /** A contiguous C-order tensor starting at byte 0 of {@code data}. */
    static StoredTensor contiguous(DType dtype, int[] shape, ByteBuffer data) {
        return new StoredTensor(dtype, shape, data, 0, contiguousStrides(shape));
    }

    static long[] contiguousStrides(int[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            st[k] = s;
            s *= Math.max(shape[k], 1);
        }
        return st;
    }

    int numel() {
        return numel;
    }

    /** True when the elements are consecutive in C order (size-1 dimensions may have any stride). */
    boolean isContiguous() {
        long expect = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            if (shape[k] != 1 && strides[k] != expect) {
                return false;
            }
            expect *= shape[k];
        }
        return true;
    }

    private ByteBuffer view() {
        return storage.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes all elements, converted to float32, into {@code dst[0..numel)}. */
    void readFloats(float[] dst) {
        ByteBuffer b = view();
        if (numel == 0) {
            return;
        }
        if (isContiguous()) {
            b.position(Math.toIntExact(offset * dtype.size()));
            switch (dtype) {
                case F32:
                    b.asFloatBuffer().get(dst, 0, numel);   // bulk copy: the hot path
                    return;
                case F16: {
                    int base = b.position();
                    for (int i = 0; i < numel; i++) {
                        dst[i] = Float16.toFloat(b.getShort(base + 2 * i));
                    }
                    return;
                }
                default:
                    break;
            }
        }
        Walk walk = new Walk();
        for (int i = 0; i < numel; i++) {
            dst[i] = floatAt(b, walk.next());
        }
    }

    /**
     * The storage index of each element of the view, in C order: an odometer over the multi-index
     * that moves the storage index by the strides, so no element's index is recomputed from scratch.
     */
    private final class Walk {
        private final int[] index = new int[shape.length];
        private long element = offset;

        /** The storage index of the current element; then steps to the next one. */
        long next() {
            long current = element;
            for (int k = shape.length - 1; k >= 0; k--) {
                if (++index[k] < shape[k]) {
                    element += strides[k];
                    break;
                }
                index[k] = 0;
                element -= (shape[k] - 1L) * strides[k];
            }
            return current;
        }
    }

    /** All elements as exact integers (bool as 0/1); floating types are refused. */
    long[] readLongs(String key) {
        if (dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("tensor '" + key + "' is " + dtype + ", not an integer or bool tensor");
        }
        ByteBuffer b = view();
        long[] out = new long[numel];
        Walk walk = new Walk();
        for (int i = 0; i < numel; i++) {
            out[i] = longAt(b, walk.next());
        }
        return out;
    }

    /** The elements in their own dtype, gathered into contiguous little-endian C order. */
    byte[] readBytes() {
        ByteBuffer b = view();
        int es = dtype.size();
        byte[] out = new byte[Math.multiplyExact(numel, es)];
        if (numel == 0) {
            return out;
        }
        if (isContiguous()) {
            b.position(Math.toIntExact(offset * es));
            b.get(out);
            return out;
        }
        Walk walk = new Walk();
        for (int i = 0; i < numel; i++) {
            b.position(Math.toIntExact(walk.next() * es));
            b.get(out, i * es, es);
        }
        return out;
    }

    private float floatAt(ByteBuffer b, long element) {
        int at = (int) (element * dtype.size());
        switch (dtype) {
            case F32: return b.getFloat(at);
            case F64: return (float) b.getDouble(at);
            case F16: return Float16.toFloat(b.getShort(at));
            case BF16: return Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case I64: return (float) b.getLong(at);
            case I32: return (float) b.getInt(at);
            case I16: return b.getShort(at);
            case I8: return b.get(at);
            case U8: return b.get(at) & 0xff;
            case BOOL: return b.get(at) != 0 ? 1f : 0f;
            default: throw new AssertionError(dtype);
        }
    }

    private long longAt(ByteBuffer b, long element) {
        int at = (int) (element * dtype.size());
        switch (dtype) {
            case I64: return b.getLong(at);
            case I32: return b.getInt(at);
            case I16: return b.getShort(at);
            case I8: return b.get(at);
            case U8: return b.get(at) & 0xff;
            case BOOL: return b.get(at) != 0 ? 1 : 0;
            default: throw new AssertionError(dtype);
        }
    }
}
