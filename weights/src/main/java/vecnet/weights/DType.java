package vecnet.weights;

/**
 * The element types a state_dict may hold, named as safetensors names them.
 *
 * <p>Every type is stored little-endian. {@link #size()} is the element size in bytes; the
 * PyTorch storage class of each type is {@link #torchStorage()} ({@code torch.FloatStorage} ...).
 * Floating types convert to float32 ({@link StateDict#tensor}); integer and bool types also read
 * exactly as {@code long} ({@link StateDict#longs}).
 */
public enum DType {
    F64(8, true, "DoubleStorage"),
    F32(4, true, "FloatStorage"),
    F16(2, true, "HalfStorage"),
    BF16(2, true, "BFloat16Storage"),
    I64(8, false, "LongStorage"),
    I32(4, false, "IntStorage"),
    I16(2, false, "ShortStorage"),
    I8(1, false, "CharStorage"),
    U8(1, false, "ByteStorage"),
    BOOL(1, false, "BoolStorage");

    private final int size;
    private final boolean floating;
    private final String torchStorage;

    DType(int size, boolean floating, String torchStorage) {
        this.size = size;
        this.floating = floating;
        this.torchStorage = torchStorage;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** True for F64, F32, F16 and BF16. */
    public boolean isFloatingPoint() {
        return floating;
    }

    /** The PyTorch typed storage class in module {@code torch}, for example {@code "FloatStorage"}. */
    public String torchStorage() {
        return torchStorage;
    }

    /** The type of a safetensors {@code "dtype"} string, or null when vecnet does not support it. */
    static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The type of a {@code torch.<name>} storage class, or null. */
    static DType fromTorchStorage(String name) {
        for (DType t : values()) {
            if (t.torchStorage.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
