package vecnet.multimodal;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import vecnet.engine.Tensor;

/**
 * The memory of forward passes' intermediate activations, reused from one pass to the next.
 *
 * <p>A ResNet's activations are megabytes each (64×112×112 floats after the stem of a 224² picture).
 * Allocated afresh on every call, they cost more than their zeroing: the JVM's G1 collector places
 * arrays this large in regions of their own ("humongous" objects), and every few calls they start
 * a collection cycle whose threads compete with the computation for the cores. With these buffers
 * a warmed-up pass allocates only its result.
 *
 * <p>A pass {@link #take}s an output for each layer and {@link #give}s back each activation once it
 * has read it for the last time. Arrays given back wait, by length, for the next take of that
 * length, by any thread. At most {@link #MAX_BYTES} are kept: about as many concurrent 224² passes as
 * that holds (~8 MB each per image); arrays past it are left to the garbage collector. Thread-safe.
 * A taken tensor's contents are stale: only layers that overwrite every element may write into it.
 */
final class ActivationBuffers {
    /** Most bytes of free arrays kept. */
    static final long MAX_BYTES = 256L << 20;

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private long freeBytes;

    /** A tensor of this shape with stale contents, backed by a reused array when one of its size is free. */
    Tensor take(int... shape) {
        long size = Tensor.sizeOf(shape);
        float[] a = null;
        if (size <= Integer.MAX_VALUE) {
            synchronized (this) {
                ArrayDeque<float[]> d = free.get((int) size);
                a = d == null ? null : d.poll();
                if (a != null) {
                    freeBytes -= 4L * a.length;
                }
            }
        }
        return a != null ? Tensor.of(a, shape) : Tensor.zeros(shape);
    }

    /** Gives back a tensor from {@link #take} that will not be read again: its array may be reused. */
    void give(Tensor t) {
        float[] a = t.data();
        synchronized (this) {
            if (freeBytes + 4L * a.length <= MAX_BYTES) {
                free.computeIfAbsent(a.length, l -> new ArrayDeque<>()).push(a);
                freeBytes += 4L * a.length;
            }
        }
    }
}
