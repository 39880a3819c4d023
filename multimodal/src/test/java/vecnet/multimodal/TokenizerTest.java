package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.internal.Json;

/** The tokenizer against Python's {@code [vocab.get(w, 0) for w in text.lower().split()]} (texts.json). */
class TokenizerTest extends LibraryTest {

    /**
     * Python 3.11: {@code [hex(c) for c in range(0x110000) if chr(c).isspace()]}, the characters
     * {@code str.split()} splits on (Debian bookworm's /usr/bin/python3, Unicode 14).
     */
    private static final int[] PYTHON_WHITESPACE = {
        0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
        0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
        0x2028, 0x2029, 0x202f, 0x205f, 0x3000};

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vocab.json", "vocab.txt"})
    void encodesLikePython(String vocabFile) throws IOException {
        Tokenizer tok = Tokenizer.load(Fixtures.file(vocabFile));
        int cases = 0;
        for (Map<String, Object> c : texts()) {
            String text = (String) c.get("text");
            @SuppressWarnings("unchecked")
            int[] ids = ((List<Object>) c.get("ids")).stream().mapToInt(o -> (int) (long) (Long) o).toArray();
            if (ids.length == 0) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encode(text),
                        "blank text " + escape(text) + " must be refused");
                assertTrue(e.getMessage().contains("at least one word"), e.getMessage());
            } else {
                assertArrayEquals(ids, tok.encode(text), "text " + escape(text));
                cases++;
            }
        }
        assertTrue(cases >= 10, "texts.json should hold the documented cases, found " + cases);
    }

    @Test
    void whitespaceIsExactlyPythons() {
        boolean[] expected = new boolean[Character.MAX_CODE_POINT + 1];
        for (int cp : PYTHON_WHITESPACE) {
            expected[cp] = true;
        }
        List<String> wrong = new ArrayList<>();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Tokenizer.isPythonWhitespace(cp) != expected[cp]) {
                wrong.add(String.format(Locale.ROOT, "U+%04X", cp));
            }
        }
        assertEquals(List.of(), wrong, "code points where the predicate differs from Python's str.isspace()");
        // the four that Character.isWhitespace misses, and the one people expect but Python does not split on
        assertFalse(Character.isWhitespace(0xA0));
        assertTrue(Tokenizer.isPythonWhitespace(0xA0) && Tokenizer.isPythonWhitespace(0x85)
                && Tokenizer.isPythonWhitespace(0x2007) && Tokenizer.isPythonWhitespace(0x202F));
        assertFalse(Tokenizer.isPythonWhitespace(0x200B));
    }

    @Test
    void wordsAreLowercasedSplitAndNeverEmpty() {
        assertEquals(List.of("a", "b", "c"), Tokenizer.words("\u00a0 A\t\tB\u2007\u202fc \n"));
        assertEquals(List.of(), Tokenizer.words(" \t "));
        assertEquals(List.of(), Tokenizer.words(""));
        assertEquals(List.of("οδος"), Tokenizer.words("ΟΔΟΣ")); // final sigma, like Python
        assertEquals(List.of("\uD83D\uDE00", "x"), Tokenizer.words("\uD83D\uDE00 X")); // a surrogate pair stays whole
    }

    @Test
    void lowercasingIgnoresTheDefaultLocale() throws IOException {
        Tokenizer tok = Tokenizer.load(Fixtures.file("vocab.json"));
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR")); // "I".toLowerCase() would be a dotless ı here
            assertEquals("ı", "I".toLowerCase());
            assertArrayEquals(tok.encode("in the image"), tok.encode("IN THE IMAGE"));
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void unknownIdIsConfigurable() throws IOException {
        Vocabulary v = Vocabulary.read(Fixtures.file("vocab.json"));
        assertArrayEquals(new int[] {0, 3}, new Tokenizer(v).encode("xyzzy cat"));
        assertArrayEquals(new int[] {49, 3}, new Tokenizer(v, 49).encode("xyzzy cat"));
        assertThrows(IllegalArgumentException.class, () -> new Tokenizer(v, -1));
        assertThrows(IllegalArgumentException.class, () -> new Tokenizer(v).encode(null));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> texts() throws IOException {
        return (List<Map<String, Object>>) vecnet.weights.internal.Json.parse(Files.readString(Fixtures.file("texts.json")));
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> sb.append(cp >= 0x20 && cp < 0x7F ? Character.toString(cp)
                : String.format(Locale.ROOT, "\\u%04x", cp)));
        return sb.append('"').toString();
    }
}
