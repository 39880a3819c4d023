package vecnet.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.demo.ShapesDataset;

/** How a model folder or file is found and loaded (Hadoop's local file system; no Spark session). */
class ModelSourceTest {
    private static final Configuration CONF = new Configuration();

    @TempDir
    Path dir;

    @Test
    void aFolderGivesItsWeightsVocabularyAndLabels() throws IOException {
        Path folder = DemoFiles.writeModel(dir.resolve("m"));
        ModelSource.Files3 f = ModelSource.of(folder.toString()).resolve(CONF);
        assertEquals("model.safetensors", f.weights().getName());
        assertEquals("vocab.json", f.vocab().getName());
        assertEquals("labels.txt", f.labels().getName());
        VecnetModel m = ModelSource.of(folder.toUri().toString()).load(CONF);
        assertEquals(ShapesDataset.LABELS, m.labels());
        assertEquals(64, m.imageFeatureSize());
        assertEquals(32, m.textFeatureSize());
    }

    @Test
    void withoutLabelsTheClassesAreNumbered() throws IOException {
        Path folder = DemoFiles.writeModel(dir.resolve("m"));
        Files.delete(folder.resolve("labels.txt"));
        assertNull(ModelSource.of(folder.toString()).resolve(CONF).labels());
        assertEquals("class7", ModelSource.of(folder.toString()).load(CONF).labels().get(7));
    }

    @Test
    void aWeightsFileNeedsItsVocabulary() throws IOException {
        Path folder = DemoFiles.writeModel(dir.resolve("m"));
        String weights = folder.resolve("model.safetensors").toString();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSource.of(weights).resolve(CONF)).getMessage()
                .contains("is a file: give its vocabulary too"));
        VecnetModel m = new ModelSource(weights, folder.resolve("vocab.json").toString(), null).load(CONF);
        assertEquals("class0", m.labels().get(0));
    }

    @Test
    void aFolderThatIsMissingOrAmbiguousIsRefusedByName() throws IOException {
        Path folder = DemoFiles.writeModel(dir.resolve("m"));
        assertEquals("model " + dir.resolve("none") + " does not exist", assertThrows(FileNotFoundException.class,
                () -> ModelSource.of(dir.resolve("none").toString()).resolve(CONF)).getMessage());
        Files.copy(folder.resolve("model.safetensors"), folder.resolve("other.safetensors"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSource.of(folder.toString()).resolve(CONF))
                .getMessage().contains("holds 2 candidates for the weights file"));
        Files.delete(folder.resolve("other.safetensors"));
        // what vecnet train writes (model.pth holds the same weights): model.safetensors is read
        Files.writeString(folder.resolve("model.pth"), "not read");
        Files.writeString(folder.resolve("checkpoint.safetensors"), "not read");
        assertEquals("model.safetensors", ModelSource.of(folder.toString()).resolve(CONF).weights().getName());
        Files.delete(folder.resolve("vocab.json"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSource.of(folder.toString()).resolve(CONF))
                .getMessage().endsWith("has no vocabulary (*vocab*.json or *vocab*.txt)"));
    }

    @Test
    void labelsMustMatchTheModelsClasses() throws IOException {
        Path folder = DemoFiles.writeModel(dir.resolve("m"));
        Files.writeString(folder.resolve("labels.txt"), "a\nb\nc\n");
        assertTrue(assertThrows(IOException.class, () -> ModelSource.of(folder.toString()).load(CONF)).getMessage()
                .endsWith("has 3 class names but the model has 8 classes"));
    }

    @Test
    void topKIsSortedByProbabilityWithTiesToTheLowerClass() {
        assertArrayEquals(new int[] {1, 2, 3}, VecnetScorer.topK(new float[] {0.1f, 0.3f, 0.3f, 0.2f}, 3));
        assertArrayEquals(new int[] {1, 0}, VecnetScorer.topK(new float[] {0.4f, 0.6f}, 5));
    }
}
