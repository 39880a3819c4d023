package vecnet.weights.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

class JsonTest extends LibraryTest {
    @Test
    void parsesAllValueKinds() {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null], \"b\": {}, \"c\": [], \"d\": \"x\"} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(m.keySet()));
        assertEquals(Arrays.asList(1L, -2L, 3.5, 1000.0, true, false, null), m.get("a"));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
        assertEquals("x", m.get("d"));
    }

    @Test
    void integersAreLongsAndHugeOnesAreNot() {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(Double.class, Json.parse("9223372036854775808").getClass());
        assertEquals(0L, Json.parse("-0"));
    }

    @Test
    void decodesEscapesAndSurrogatePairs() {
        assertEquals("a\"b\\c/d\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""));
        assertEquals("\u00e9\u4e2d", Json.parse("\"\\u00E9\\u4e2d\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));  // U+1F600 from a surrogate pair
        assertEquals("raw \u00df \uD83D\uDE00", Json.parse("\"raw \u00df \uD83D\uDE00\""));
    }

    private static void refused(String text, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text), text);
        assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' expected in: " + e.getMessage());
    }

    @Test
    void refusesMalformedInputWithItsOffset() {
        refused("", "end of input");
        refused("{\"a\": 1,}", "expected a string key");
        refused("[1, 2", "expected ',' or ']'");
        refused("{\"a\" 1}", "expected ':'");
        refused("\"abc", "unterminated string");
        refused("\"a\nb\"", "control character");
        refused("\"\\x\"", "invalid escape");
        refused("\"\\ud83d\"", "not followed by a \\u low surrogate");
        refused("\"\\ude00\"", "lone low surrogate");
        refused("\"\\ud83d\\u0041\"", "not a low surrogate");
        refused("\"\\u12G4\"", "invalid hex digit");
        refused("01", "after the value");
        refused("1.", "digit must follow the decimal point");
        refused("-", "invalid number");
        refused("tru", "expected a value");
        refused("{\"a\": 1, \"a\": 2}", "duplicate key \"a\"");
        refused("{} x", "offset 3");
    }

    @Test
    void refusesDeepNesting() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Json.parse(ok);
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        refused(deep, "nesting deeper than " + Json.MAX_DEPTH);
        refused("[".repeat(100_000), "nesting deeper");
    }

    @Test
    void memoryIsBoundedByTheInput() {
        // [[0],[0],...]: about 50 estimated bytes per character, refused before it allocates them all
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 1_000_000; i++) {
            sb.append(i == 0 ? "" : ",").append("[0]");
        }
        String text = sb.append(']').toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().contains("needs more memory than the limit of " + (24L * text.length() + (1 << 20))),
                e.getMessage());
        // plain numbers are fine: about 16 bytes per character
        StringBuilder flat = new StringBuilder("[");
        for (int i = 0; i < 2_000_000; i++) {
            flat.append(i == 0 ? "" : ",").append(i % 10);
        }
        assertEquals(2_000_000, ((java.util.List<?>) Json.parse(flat.append(']').toString())).size());
    }
}
