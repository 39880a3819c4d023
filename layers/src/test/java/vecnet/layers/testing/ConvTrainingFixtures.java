package vecnet.layers.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.weights.StateDict;

/**
 * The PyTorch references of the convolutional side of training, {@code conv_training.safetensors},
 * written by {@code weights/python/make_conv_training_fixtures.py}, and the tolerance of issue 11.
 * Read by the layers' {@code ConvTrainingParityTest} and, through this module's test-jar (this
 * package only), by multimodal's {@code ResNetTrainingParityTest}: one reader and one version check
 * for both.
 */
public final class ConvTrainingFixtures {
    /** {@code |vecnet − torch_f32| ≤ 1e-4 · max(1, max|torch|)}, per tensor. */
    public static final double VS_TORCH = 1e-4;

    private static StateDict fixtures;

    private ConvTrainingFixtures() {
    }

    public static synchronized StateDict get() {
        if (fixtures == null) {
            fixtures = VersionedFixtures.read("conv_training.safetensors", "vecnet_conv_training", "2",
                    "make_conv_training_fixtures.py");
        }
        return fixtures;
    }

    public static Tensor tensor(String key) {
        return get().tensor(key);
    }

    /** Same shape, and within {@link #VS_TORCH}{@code · max(1, max|torch|)} of the fixture {@code key}. */
    public static void closeToTorch(String key, Tensor actual) {
        Tensor torch = tensor(key);
        assertArrayEquals(torch.shape(), actual.shape(), key + " shape");
        Check.close(key + " vs torch", torch.data(), actual.data(), VS_TORCH * Check.scale(torch.data()), 0);
    }

    /** As {@link #closeToTorch(String, Tensor)} for a flat gradient array. */
    public static void closeToTorch(String key, float[] actual) {
        Tensor torch = tensor(key);
        assertEquals(torch.size(), actual.length, key + " size");
        Check.close(key + " vs torch", torch.data(), actual, VS_TORCH * Check.scale(torch.data()), 0);
    }
}
