package vecnet.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor in its own element type: a {@link DType}, a shape and the elements as contiguous
 * little-endian bytes in C order ({@code t[i,j]} at byte {@code (i*cols + j) * dtype.size()}).
 *
 * <p>This is what safetensors stores. {@link StateDict#raw} returns one (any view gathered),
 * {@link SafeTensors#writeRaw} writes them. Immutable: the constructor and {@link #bytes()} copy.
 */
public final class RawTensor {
    private final DType dtype;
    private final int[] shape;
    private final byte[] bytes;

    private RawTensor(DType dtype, int[] shape, byte[] bytes) {
        long n = sizeOf(shape);
        if (n * dtype.size() != bytes.length) {
            throw new IllegalArgumentException(dtype + " shape " + Arrays.toString(shape) + " needs "
                    + n * dtype.size() + " bytes, got " + bytes.length);
        }
        this.dtype = dtype;
        this.shape = shape;
        this.bytes = bytes;
    }

    /** A tensor from little-endian bytes (copied); {@code bytes.length} must be numel × dtype size. */
    public static RawTensor of(DType dtype, byte[] littleEndianBytes, int... shape) {
        return new RawTensor(dtype, shape.clone(), littleEndianBytes.clone());
    }

    /** A float32 tensor ({@link DType#F32}) of {@code values} with the given shape. */
    public static RawTensor ofFloats(float[] values, int... shape) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new RawTensor(DType.F32, shape.clone(), b.array());
    }

    /** A float64 tensor ({@link DType#F64}) of {@code values} with the given shape. */
    public static RawTensor ofDoubles(double[] values, int... shape) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 8)).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        return new RawTensor(DType.F64, shape.clone(), b.array());
    }

    /**
     * An integer or bool tensor of {@code values}; each value must fit {@code dtype}
     * (BOOL takes 0 and 1, U8 takes 0..255), else IllegalArgumentException naming it.
     */
    public static RawTensor ofLongs(DType dtype, long[] values, int... shape) {
        if (dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("ofLongs needs an integer or bool dtype, got " + dtype);
        }
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.size())).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            long v = values[i];
            long lo, hi;
            switch (dtype) {
                case I64: lo = Long.MIN_VALUE; hi = Long.MAX_VALUE; break;
                case I32: lo = Integer.MIN_VALUE; hi = Integer.MAX_VALUE; break;
                case I16: lo = Short.MIN_VALUE; hi = Short.MAX_VALUE; break;
                case I8: lo = Byte.MIN_VALUE; hi = Byte.MAX_VALUE; break;
                case U8: lo = 0; hi = 255; break;
                default: lo = 0; hi = 1; break;     // BOOL
            }
            if (v < lo || v > hi) {
                throw new IllegalArgumentException("value " + v + " at index " + i + " does not fit " + dtype);
            }
            switch (dtype.size()) {
                case 8: b.putLong(v); break;
                case 4: b.putInt((int) v); break;
                case 2: b.putShort((short) v); break;
                default: b.put((byte) v); break;
            }
        }
        return new RawTensor(dtype, shape.clone(), b.array());
    }

    private static long sizeOf(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public DType dtype() {
        return dtype;
    }

    /** The shape (a copy); {@code []} for a 0-d tensor. */
    public int[] shape() {
        return shape.clone();
    }

    /** The number of elements (1 for a 0-d tensor). */
    public long numel() {
        return sizeOf(shape);
    }

    /** The little-endian element bytes in C order (a copy). */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The bytes without copying, for the writer. */
    byte[] bytesNoCopy() {
        return bytes;
    }

    @Override
    public String toString() {
        return "RawTensor" + dtype + Arrays.toString(shape);
    }
}
