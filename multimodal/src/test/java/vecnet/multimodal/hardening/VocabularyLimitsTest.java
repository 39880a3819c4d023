package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.Vocabulary;
import vecnet.testing.LibraryTest;

/**
 * Vocabularies that were accepted although useless (empty), that cost memory out of proportion
 * (huge files, JSON that allocates 40 bytes per byte), or whose error line echoed a huge value or
 * a terminal escape sequence; and the warning for a vocabulary smaller than the embedding.
 */
class VocabularyLimitsTest extends LibraryTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    private static String refused(Path f) {
        return assertThrows(IOException.class, () -> Vocabulary.read(f)).getMessage();
    }

    @Test
    void emptyVocabulariesAreRefused() throws IOException {
        for (Path f : List.of(write("a.json", "{}"), write("b.txt", ""), write("c.txt", "\n\n\r\n"), write("d.json", " { } "))) {
            String m = refused(f);
            assertTrue(m.equals(f + ": the vocabulary is empty (no tokens): every word would be unknown"), m);
        }
    }

    @Test
    void hugeValuesAndEscapesAreNotEchoed() throws IOException {
        String m = refused(write("v.json", "{\"a\": \"" + "x".repeat(1_000_000) + "\"}"));
        assertTrue(m.contains("got the string \"xxxx") && m.contains("(1000000 chars)") && m.length() < 300, m);
        m = refused(write("w.txt", "\u001b[2J\nok\n\u001b[2J\n"));
        assertTrue(m.contains("the token \"\\x1b[2J\" appears on line 1 and again on line 3"), m);
        assertTrue(!m.contains("\u001b"), m);
        m = refused(write("x.json", "{\"\\u001b[2J" + "y".repeat(500) + "\": -1}"));
        assertTrue(m.contains("the id of \"\\x1b[2Jyyy") && m.length() < 300, m);
    }

    @Test
    void invalidUtf8IsAClearMessage() throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.write(f, new byte[] {'o', 'k', '\n', (byte) 0xff, '\n'});
        String m = refused(f);
        assertEquals(f + ": the vocabulary file is not valid UTF-8 (first bad byte at offset 3)", m);
    }

    @Test
    void sizeLimit() throws IOException {
        Path f = dir.resolve("big.txt");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.setLength((16L << 20) + 1);      // sparse: nothing is written
        }
        String m = refused(f);
        assertTrue(m.contains("has 16777217 bytes, more than the limit of 16777216"), m);
    }

    @Test
    void jsonMemoryIsBoundedByTheInput() throws IOException {
        // {"a": [[0],[0],...]}: 4 MB of input, about 220 bytes of Java objects per 4 characters
        StringBuilder sb = new StringBuilder("{\"a\": [");
        for (int i = 0; i < 1_000_000; i++) {
            sb.append(i == 0 ? "" : ",").append("[0]");
        }
        Path f = write("deep.json", sb.append("]}").toString());
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        String m = refused(f);
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(m.contains("needs more memory than the limit of"), m);
        assertTrue(allocated < 200L << 20, allocated + " bytes allocated for a 4 MB file");
    }

    @Test
    void smallerThanTheEmbeddingIsAWarning() throws Exception {
        Vocabulary v = Vocabulary.read(write("v.json", "{\"a\": 0, \"b\": 1}"));
        // silence the logger for this test (java.logging is not readable from this module at compile time)
        Class<?> jul = Class.forName("java.util.logging.Logger");
        Object logger = jul.getMethod("getLogger", String.class).invoke(null, Vocabulary.class.getName());
        Class<?> level = Class.forName("java.util.logging.Level");
        Object before = jul.getMethod("getLevel").invoke(logger);
        jul.getMethod("setLevel", level).invoke(logger, level.getField("OFF").get(null));
        try {
            assertEquals(Optional.empty(), v.requireFits(2));
            assertEquals(Optional.of("the vocabulary has 2 tokens (ids up to 1) but the embedding has 10 rows: is it the"
                    + " vocabulary the model was trained with?"), v.requireFits(10));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.requireFits(1));
            assertTrue(e.getMessage().contains("ids up to 1 but the embedding has only 1 rows"), e.getMessage());
        } finally {
            jul.getMethod("setLevel", level).invoke(logger, before);
        }
    }
}
