package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import vecnet.engine.Tensor;
import vecnet.layers.testing.VersionedFixtures;
import vecnet.testing.Check;
import vecnet.weights.StateDict;

/** The PyTorch references of the tiny fusion model ({@code tiny_fusion_io.safetensors}) and the tolerances of the parity tests. */
final class ParityFixtures {
    /** {@code |vecnet − torch_f32| ≤ 1e-4 · max(1, max|torch|)}: about 100× the float32 noise measured on the full model. */
    static final double VS_TORCH = 1e-4;
    /** {@code |vecnet − torch_f64| ≤ 2e-5 · max(1, max|ref|)}. */
    static final double VS_FLOAT64 = 2e-5;

    private static StateDict io;

    private ParityFixtures() {
    }

    static synchronized StateDict io() {
        if (io == null) {
            io = VersionedFixtures.read("tiny_fusion_io.safetensors", "vecnet_fixtures", "1", "make_fixtures.py");
        }
        return io;
    }

    static Tensor tensor(String key) {
        return io().tensor(key);
    }

    /** An I64 {@code (N, T)} fixture as N int arrays. */
    static int[][] ids(String key) {
        int[] shape = io().shape(key);
        long[] l = io().longs(key);
        int[][] out = new int[shape[0]][shape[1]];
        for (int i = 0; i < shape[0]; i++) {
            for (int j = 0; j < shape[1]; j++) {
                out[i][j] = Math.toIntExact(l[i * shape[1] + j]);
            }
        }
        return out;
    }

    /** Samples {@code [from, to)} of a batch. */
    static Tensor rows(Tensor t, int from, int to) {
        int[] shape = t.shape();
        int per = t.size() / shape[0];
        shape[0] = to - from;
        float[] d = new float[(to - from) * per];
        System.arraycopy(t.data(), from * per, d, 0, d.length);
        return Tensor.of(d, shape);
    }

    /** Same shape, and within {@code VS_TORCH · max(1, max|torch|)} of the torch float32 result. */
    static void closeToTorch(String what, Tensor torch, Tensor actual) {
        assertArrayEquals(torch.shape(), actual.shape(), what + " shape");
        Check.close(what + " vs torch", torch.data(), actual.data(), VS_TORCH * Check.scale(torch.data()), 0);
    }

    /** Within {@code VS_FLOAT64 · max(1, max|ref|)} of the torch float64 result. */
    static void closeToFloat64(String what, Tensor ref, Tensor actual) {
        assertArrayEquals(ref.shape(), actual.shape(), what + " shape");
        Check.close(what + " vs float64", ref.data(), actual.data(), VS_FLOAT64 * Check.scale(ref.data()), 0);
    }

    /** The index of the largest value of each row of {@code (N, K)}. */
    static int[] argmax(Tensor t) {
        int n = t.dim(0), k = t.dim(1);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 1; j < k; j++) {
                if (t.data()[i * k + j] > t.data()[i * k + out[i]]) {
                    out[i] = j;
                }
            }
        }
        return out;
    }
}
