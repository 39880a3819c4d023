package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import vecnet.engine.Fixtures;

/**
 * Test-only reader for the few safetensors fixtures the preprocessing tests need (F32 and U8 only),
 * so these tests do not wait for the weights module. Replace with {@code vecnet.weights.StateDict.read}
 * once it exists. Format: u64 LE header length N, N bytes of JSON, then the data.
 */
final class ImageFixtureFiles {
    private ImageFixtureFiles() {
    }

    /** A tensor as floats with its shape. */
    record Array(int[] shape, float[] data) {
    }

    /** Reads {@code key} from the fixture {@code name}; checks the fixture version. */
    static Array read(String name, String key) throws IOException {
        Path file = Fixtures.file(name);
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) bb.getLong(0);
        @SuppressWarnings("unchecked")
        Map<String, Object> header = (Map<String, Object>) VocabularyJson.parse(
                new String(bytes, 8, n, StandardCharsets.UTF_8));
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) header.get("__metadata__");
        if (meta == null || !"1".equals(meta.get("vecnet_fixtures"))) {
            fail(file + ": fixture version " + (meta == null ? null : meta.get("vecnet_fixtures"))
                    + ", expected 1; re-run /usr/bin/python3 weights/python/make_fixtures.py");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> entry = (Map<String, Object>) header.get(key);
        if (entry == null) {
            fail(file + " has no key " + key + "; re-run /usr/bin/python3 weights/python/make_fixtures.py");
        }
        @SuppressWarnings("unchecked")
        List<Object> shapeList = (List<Object>) entry.get("shape");
        @SuppressWarnings("unchecked")
        List<Object> offsets = (List<Object>) entry.get("data_offsets");
        int[] shape = shapeList.stream().mapToInt(o -> (int) (long) (Long) o).toArray();
        int begin = 8 + n + (int) (long) (Long) offsets.get(0);
        int end = 8 + n + (int) (long) (Long) offsets.get(1);
        String dtype = (String) entry.get("dtype");
        float[] data;
        switch (dtype) {
            case "F32":
                data = new float[(end - begin) / 4];
                for (int i = 0; i < data.length; i++) {
                    data[i] = bb.getFloat(begin + 4 * i);
                }
                break;
            case "U8":
                data = new float[end - begin];
                for (int i = 0; i < data.length; i++) {
                    data[i] = bytes[begin + i] & 0xFF;
                }
                break;
            default:
                throw new IllegalArgumentException(file + ": dtype " + dtype + " not supported by this test reader");
        }
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        assertEquals(size, data.length, file + " " + key + ": shape and data length disagree");
        return new Array(shape, data);
    }
}
