package vecnet.multimodal.adopt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.multimodal.ModelBundle;
import vecnet.multimodal.demo.DemoModel;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;

/** The one-file model: what is written reads back the same, and bad metadata is refused by name. */
class ModelBundleTest extends LibraryTest {
    @TempDir
    Path dir;

    @Test
    void theOneFileFormReadsBackWhatWasWritten() throws IOException {
        ModelBundle demo = DemoModel.bundle();
        Path file = dir.resolve("demo.safetensors");
        demo.write(file);
        ModelBundle back = ModelBundle.load(Files.readAllBytes(file));
        assertEquals(demo.vocabulary().orElseThrow().asMap(), back.vocabulary().orElseThrow().asMap());
        assertEquals(demo.labels(), back.labels());
        assertEquals(List.of("red", "green", "blue", "yellow", "circle", "square", "triangle", "star"),
                back.labels().orElseThrow());
        assertEquals(1L, back.config().get("format"));
        StateDict a = demo.weights(), b = back.weights();
        assertEquals(a.keys(), b.keys());
        for (String k : a.keys()) {
            assertEquals(a.dtype(k), b.dtype(k), k);   // num_batches_tracked stays int64
            Check.identical(k, a.tensor(k).data(), b.tensor(k).data());
        }
    }

    private Path withMetadata(Map<String, String> meta) throws IOException {
        Path file = dir.resolve("m.safetensors");
        SafeTensors.write(file, Map.of("w", Tensor.zeros(2)), meta);
        return file;
    }

    @Test
    void badMetadataIsRefusedNamingTheKey() throws IOException {
        IOException newer = assertThrows(IOException.class,
                () -> ModelBundle.load(withMetadata(Map.of(ModelBundle.CONFIG_KEY, "{\"format\": 2}"))));
        assertTrue(newer.getMessage().contains("newer"), newer.getMessage());
        IOException labels = assertThrows(IOException.class,
                () -> ModelBundle.load(withMetadata(Map.of(ModelBundle.LABELS_KEY, "{\"a\": 1}"))));
        assertTrue(labels.getMessage().contains(ModelBundle.LABELS_KEY), labels.getMessage());
        IOException vocab = assertThrows(IOException.class,
                () -> ModelBundle.load(withMetadata(Map.of(ModelBundle.VOCAB_KEY, "[1, 2"))));
        assertTrue(vocab.getMessage().contains(ModelBundle.VOCAB_KEY), vocab.getMessage());
        ModelBundle plain = ModelBundle.load(withMetadata(Map.of("format", "pt")));   // torch's own metadata: no extras
        assertTrue(plain.vocabulary().isEmpty() && plain.labels().isEmpty());
    }

    @Test
    void aFolderWithoutWeightsSaysWhatItNeeds() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty-model"));
        IOException e = assertThrows(IOException.class, () -> ModelBundle.load(empty));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }
}
