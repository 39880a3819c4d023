package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import vecnet.engine.Tensor;
import vecnet.testing.Fixtures;
import vecnet.weights.DType;
import vecnet.weights.StateDict;

/** Reads one tensor of a safetensors fixture through {@link StateDict}, checking the fixture version. */
final class ImageFixtureFiles {
    private ImageFixtureFiles() {
    }

    /** A tensor as floats with its shape. */
    record Array(int[] shape, float[] data) {
    }

    /** {@code key} of the fixture {@code name}, converted to float32 (U8 pixels become 0..255). */
    static Array read(String name, String key) throws IOException {
        Path file = Fixtures.file(name);
        StateDict sd = StateDict.read(file);
        String version = sd.metadata().get("vecnet_fixtures");
        if (!"1".equals(version)) {
            fail(file + ": fixture version " + version + ", expected 1; re-run /usr/bin/python3 weights/python/make_fixtures.py");
        }
        if (!sd.contains(key)) {
            fail(file + " has no key " + key + "; re-run /usr/bin/python3 weights/python/make_fixtures.py");
        }
        DType dtype = sd.dtype(key);
        if (dtype != DType.F32 && dtype != DType.U8) {
            fail(file + " " + key + ": expected F32 or U8, got " + dtype);
        }
        Tensor t = sd.tensor(key);
        return new Array(t.shape(), t.data());
    }

    /**
     * torchvision's [1,3,224,224] tensor for a preprocessing case: {@code pre_noop.safetensors} for
     * "noop"; for "land" and "port", image 0 and 1 of {@code image224} in tiny_fusion_io.safetensors
     * (the generator stores those tensors once).
     */
    static Array preprocessed(String name) throws IOException {
        if (name.equals("noop")) {
            return read("pre_noop.safetensors", "image");
        }
        int index = switch (name) {
            case "land" -> 0;
            case "port" -> 1;
            default -> throw new IllegalArgumentException("no preprocessing case " + name);
        };
        Array batch = read("tiny_fusion_io.safetensors", "image224");
        int plane = 3 * 224 * 224;
        return new Array(new int[] {1, 3, 224, 224},
                java.util.Arrays.copyOfRange(batch.data(), index * plane, (index + 1) * plane));
    }
}
