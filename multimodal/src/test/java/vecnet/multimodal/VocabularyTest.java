package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.internal.Json;

/** Vocabulary files: JSON objects (read with vecnet.weights.Json) and one token per line. */
class VocabularyTest extends LibraryTest {

    @Test
    void jsonAndTextFixturesHoldTheSameTable() throws IOException {
        Vocabulary json = Vocabulary.read(Fixtures.file("vocab.json"));
        Vocabulary text = Vocabulary.read(Fixtures.file("vocab.txt"));
        assertEquals(50, json.size());
        assertEquals(49, json.maxId());
        assertEquals(json.asMap(), text.asMap());
        assertEquals(OptionalInt.of(0), json.id("<unk>"));
        assertEquals(OptionalInt.of(15), json.id("straße")); // written as "stra\u00dfe" in the JSON
        assertEquals(OptionalInt.of(16), text.id("οδος"));  // raw UTF-8 in the text file
        assertEquals(OptionalInt.empty(), json.id("xyzzy"));
        assertEquals(7, json.idOr("xyzzy", 7));
    }

    @Test
    void textFormatLineEndsAndEmptyLines(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("v.txt"), "<unk>\r\ncat\n\ndog\n");
        Vocabulary v = Vocabulary.read(f);
        assertEquals(Map.of("<unk>", 0, "cat", 1, "dog", 3), v.asMap()); // line 2 is empty: id 2 is reserved
        assertEquals(3, v.maxId());
        Path dup = Files.writeString(dir.resolve("dup.txt"), "a\nb\na\n");
        IOException e = assertThrows(IOException.class, () -> Vocabulary.read(dup));
        assertTrue(e.getMessage().contains("dup.txt") && e.getMessage().contains("line 1")
                && e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void badJsonIsRefusedWithFileAndPosition(@TempDir Path dir) throws IOException {
        Path trailing = Files.writeString(dir.resolve("a.json"), "{\"a\": 1,\n \"b\": }");
        IOException e = assertThrows(IOException.class, () -> Vocabulary.read(trailing));
        assertTrue(e.getMessage().contains("a.json") && e.getMessage().contains("line 2"), e.getMessage());

        Path twice = Files.writeString(dir.resolve("b.json"), "{\"a\": 1, \"a\": 2}");
        e = assertThrows(IOException.class, () -> Vocabulary.read(twice));
        assertTrue(e.getMessage().contains("duplicate key \"a\""), e.getMessage());

        Path floatId = Files.writeString(dir.resolve("c.json"), "{\"a\": 1.5}");
        e = assertThrows(IOException.class, () -> Vocabulary.read(floatId));
        assertTrue(e.getMessage().contains("\"a\""), e.getMessage());

        Path negative = Files.writeString(dir.resolve("d.json"), "{\"a\": -1}");
        assertThrows(IOException.class, () -> Vocabulary.read(negative));

        Path list = Files.writeString(dir.resolve("e.json"), "[\"a\", \"b\"]");
        e = assertThrows(IOException.class, () -> Vocabulary.read(list));
        assertTrue(e.getMessage().contains("object"), e.getMessage());

        Path latin1 = Files.write(dir.resolve("f.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        e = assertThrows(IOException.class, () -> Vocabulary.read(latin1));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }
}
