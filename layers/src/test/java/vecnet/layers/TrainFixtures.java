package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import vecnet.engine.HasStateDict;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.weights.StateDict;

/**
 * The PyTorch references of the training core, text side ({@code weights/fixtures/train_text/*.safetensors},
 * written by {@code weights/python/make_training_fixtures.py}), and the parity tolerance.
 */
public final class TrainFixtures {
    /** Gradients and parameters: {@code |vecnet − torch_f32| ≤ 1e-4 · max(1, max|torch|)}. */
    public static final double VS_TORCH = 1e-4;

    private static final Map<String, StateDict> FILES = new HashMap<>();

    private TrainFixtures() {
    }

    /** {@code train_text/<name>.safetensors}, checked for the fixture version. */
    public static synchronized StateDict file(String name) {
        return FILES.computeIfAbsent(name, n -> {
            try {
                StateDict sd = StateDict.read(Fixtures.file("train_text/" + n + ".safetensors"));
                assertEquals("1", sd.metadata().get("vecnet_fixtures"),
                        n + ".safetensors has another fixture version; re-run /usr/bin/python3 weights/python/make_training_fixtures.py");
                return sd;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Copies {@code sd[prefix + name]} into each of {@code target}'s tensors. */
    public static void load(StateDict sd, String prefix, HasStateDict target) {
        target.namedTensors().forEach((k, v) -> {
            Tensor t = sd.tensor(prefix + k);
            assertArrayEquals(t.shape(), v.shape(), prefix + k + " shape");
            System.arraycopy(t.data(), 0, v.data(), 0, v.size());
        });
    }

    /** An I64 fixture as ints. */
    public static int[] ints(StateDict sd, String key) {
        long[] l = sd.longs(key);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = Math.toIntExact(l[i]);
        }
        return out;
    }

    /** Within {@code VS_TORCH · max(1, max|torch|)} of the torch float32 values. */
    public static void closeToTorch(String what, float[] torch, float[] actual) {
        Check.close(what + " vs torch", torch, actual, VS_TORCH * Check.scale(torch), 0);
    }

    /** Within {@code tol · max(1, max|torch|)}. */
    public static void closeToTorch(String what, float[] torch, float[] actual, double tol) {
        Check.close(what + " vs torch", torch, actual, tol * Check.scale(torch), 0);
    }
}
