package vecnet.multimodal.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.multimodal.Vocabulary;
import vecnet.testing.LibraryTest;
import vecnet.weights.DType;
import vecnet.weights.RawTensor;
import vecnet.weights.StateDict;

class ManifestAndVocabularyTest extends LibraryTest {
    @Test
    void csvRowsWithHeaderQuotesAndBadRowsByLine(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("img"));
        Files.write(dir.resolve("img/a.png"), new byte[] {1});
        Files.write(dir.resolve("b.jpg"), new byte[] {1});
        Path csv = dir.resolve("train.csv");
        Files.writeString(csv, String.join("\n",
                "image,text,label",
                "img/a.png,\"a red, round thing\",red",
                "",
                "b.jpg,what shape,circle",
                "missing.png,what,red",
                "b.jpg,,red",
                "b.jpg,only two",
                "b.jpg,\"unclosed,red",
                ""));
        Manifest m = Manifest.read(csv);
        assertEquals(2, m.rows().size());
        assertEquals(dir.resolve("img/a.png").toAbsolutePath(), m.rows().get(0).image());
        assertEquals("a red, round thing", m.rows().get(0).text());
        assertEquals(csv + ":4", m.rows().get(1).where());
        List<String> bad = m.bad().stream().map(Manifest.Bad::toString).toList();
        assertEquals(4, bad.size(), bad.toString());
        assertTrue(bad.get(0).startsWith(csv + ":5: image not found"), bad.get(0));
        assertEquals(csv + ":6: empty text", bad.get(1));
        assertTrue(bad.get(2).startsWith(csv + ":7: expected 3 fields"), bad.get(2));
        assertTrue(bad.get(3).startsWith(csv + ":8: a quoted field"), bad.get(3));
    }

    @Test
    void jsonLines(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("a.png"), new byte[] {1});
        Path jsonl = dir.resolve("train.jsonl");
        Files.writeString(jsonl, "{\"image\": \"a.png\", \"text\": \"hello there\", \"label\": 3}\n[1, 2]\n"
                + "{\"image\": \"a.png\", \"text\": \"x\"}\n");
        Manifest m = Manifest.read(jsonl);
        assertEquals(1, m.rows().size());
        assertEquals("3", m.rows().get(0).label());
        assertEquals(2, m.bad().size());
        assertTrue(m.bad().get(1).toString().contains(":3: no \"label\""), m.bad().toString());
    }

    @Test
    void vocabularyByCountTiesInFirstAppearanceOrder() {
        Vocabulary v = VocabularyBuilder.build(List.of("The cat sat", "the DOG sat", "a bird"), 100, 1);
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("<unk>", 0);
        expected.put("the", 1); // 2
        expected.put("sat", 2); // 2, after "the" in the text
        expected.put("cat", 3); // 1 each, first appearance
        expected.put("dog", 4);
        expected.put("a", 5);
        expected.put("bird", 6);
        assertEquals(expected, v.asMap());
        assertEquals(Map.of("<unk>", 0, "the", 1, "sat", 2), VocabularyBuilder.build(List.of("The cat sat", "the DOG sat"), 100, 2).asMap());
        assertEquals(3, VocabularyBuilder.build(List.of("The cat sat", "the DOG sat", "a bird"), 3, 1).size());
    }

    @Test
    void pthWriterIsReadBackByTheUnpickler(@TempDir Path dir) throws IOException {
        Map<String, RawTensor> sd = new LinkedHashMap<>();
        sd.put("w", RawTensor.ofFloats(new float[] {1.5f, -2, 3, 4, 5, 6}, 2, 3));
        sd.put("n", RawTensor.ofLongs(DType.I64, new long[] {7}));
        sd.put("b", RawTensor.ofFloats(new float[] {0.25f}, 1));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PthWriter.write(out, sd);
        Path file = dir.resolve("model.pth");
        Files.write(file, out.toByteArray());
        StateDict back = StateDict.read(file);
        assertEquals(List.of("w", "n", "b"), back.keys());
        Tensor w = back.tensor("w");
        assertArrayEquals(new int[] {2, 3}, w.shape());
        assertArrayEquals(new float[] {1.5f, -2, 3, 4, 5, 6}, w.data());
        assertArrayEquals(new long[] {7}, back.longs("n"));
        assertEquals(DType.I64, back.dtype("n"));
        assertArrayEquals(new float[] {0.25f}, back.tensor("b").data());
    }

    /** The zip entries carry a fixed time, not the clock's: the same tensors give the same bytes on any day. */
    @Test
    void pthWriterBytesDoNotDependOnTheClock() throws IOException {
        Map<String, RawTensor> sd = new LinkedHashMap<>();
        sd.put("w", RawTensor.ofFloats(new float[] {1.5f, -2, 3}, 3));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PthWriter.write(out, sd);
        int entries = 0;
        try (java.util.zip.ZipInputStream zip = new java.util.zip.ZipInputStream(
                new java.io.ByteArrayInputStream(out.toByteArray()))) {
            for (java.util.zip.ZipEntry e; (e = zip.getNextEntry()) != null; entries++) {
                assertEquals(java.time.LocalDateTime.of(1980, 1, 1, 0, 0), e.getTimeLocal(), e.getName());
            }
        }
        assertEquals(3, entries); // data.pkl, data/0, version
    }
}
