package vecnet.weights.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259), enough for safetensors headers and vocabulary files.
 *
 * <p>Values map to Java as: object → {@code Map<String, Object>} (unmodifiable, in document order),
 * array → {@code List<Object>} (unmodifiable), string → {@link String}, integer literal that fits
 * a {@code long} → {@link Long}, any other number → {@link Double}, {@code true/false} → {@link Boolean},
 * {@code null} → {@code null}. Duplicate object keys are refused, as are trailing garbage and nesting
 * deeper than {@link #MAX_DEPTH}. Errors are {@link IllegalArgumentException}s naming the line, column and character offset.
 *
 * <p>It is deliberately not a general-purpose library: no streaming, no object binding, no lenient mode.
 */
public final class Json {
    /** The deepest nesting of arrays and objects accepted. */
    public static final int MAX_DEPTH = 128;
    /**
     * The most memory a parse may allocate, as estimated while parsing (an upper bound of what the
     * JVM uses for the values): 128 MiB, and never more than {@link #MEMORY_PER_CHAR} bytes per
     * character of input plus 1 MiB. Without it {@code [[0],[0],...]} costs about 50 bytes per input byte; a
     * vocabulary {@code {"word": 17, ...}} or a safetensors header costs about 10.
     */
    public static final long MAX_MEMORY = 128L << 20;
    /** The most memory a parse may allocate per character of input (plus 1 MiB), see {@link #MAX_MEMORY}. */
    public static final int MEMORY_PER_CHAR = 24;

    // estimated bytes (upper bounds, compressed oops): a non-empty object or array with its unmodifiable
    // view, one object member (a LinkedHashMap entry and its table slot), one array element (a
    // reference), a number (a boxed Long or Double), a string without its characters
    private static final int CONTAINER = 160, MEMBER = 48, ELEMENT = 8, NUMBER = 24, STRING = 48;

    private final String s;
    private final long budget;
    private long used;
    private int pos;

    private Json(String s) {
        this.s = s;
        this.budget = Math.min(MAX_MEMORY, (long) MEMORY_PER_CHAR * s.length() + (1L << 20));
    }

    /**
     * Parses one JSON value, optionally surrounded by whitespace (a leading byte-order mark is skipped).
     *
     * @throws IllegalArgumentException for invalid JSON, naming the place, and for a document whose
     *     values would need more memory than {@link #MAX_MEMORY} allows
     */
    public static Object parse(String text) {
        Json p = new Json(text);
        if (text.startsWith("\uFEFF")) {
            p.pos = 1;
        }
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected " + p.describeHere() + " after the value");
        }
        return v;
    }

    private Object value(int depth) {
        if (pos >= s.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = s.charAt(pos);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected " + describeHere() + ", expected a value");
        }
    }

    private Map<String, Object> object(int depth) {
        checkDepth(depth);
        pos++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Map.of();
        }
        charge(CONTAINER);
        Map<String, Object> map = new LinkedHashMap<>();
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key, found " + describeHere());
            }
            int keyAt = pos;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth);
            if (map.containsKey(key)) {
                pos = keyAt;
                throw error("duplicate key " + Escape.quoted(key));
            }
            charge(MEMBER);
            map.put(key, v);
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return Collections.unmodifiableMap(map);
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in an object, found " + describeHere());
            }
        }
    }

    private List<Object> array(int depth) {
        checkDepth(depth);
        pos++; // '['
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return List.of();
        }
        charge(CONTAINER);
        List<Object> list = new ArrayList<>();
        while (true) {
            skipWhitespace();
            list.add(value(depth));
            charge(ELEMENT);
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return Collections.unmodifiableList(Arrays.asList(list.toArray()));   // no spare capacity
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in an array, found " + describeHere());
            }
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(pos++);
            if (c == '"') {
                charge(STRING + 2L * sb.length());
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("control character U+" + String.format("%04X", (int) c) + " inside a string (must be escaped)");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= s.length()) {
                throw error("unterminated escape");
            }
            char e = s.charAt(pos++);
            switch (e) {
                case '"': sb.append('"'); break;
                case '\\': sb.append('\\'); break;
                case '/': sb.append('/'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u': sb.append(unicodeEscape()); break;
                default:
                    pos--;
                    throw error("invalid escape \\" + e);
            }
        }
    }

    /** After a backslash-u: four hex digits; a high surrogate must be followed by an escaped low surrogate. */
    private char[] unicodeEscape() {
        char high = hex4();
        if (Character.isLowSurrogate(high)) {
            throw error("lone low surrogate \\u" + String.format("%04X", (int) high));
        }
        if (!Character.isHighSurrogate(high)) {
            return new char[] {high};
        }
        if (pos + 1 >= s.length() || s.charAt(pos) != '\\' || s.charAt(pos + 1) != 'u') {
            throw error("high surrogate \\u" + String.format("%04X", (int) high) + " not followed by a \\u low surrogate");
        }
        pos += 2;
        char low = hex4();
        if (!Character.isLowSurrogate(low)) {
            throw error("high surrogate \\u" + String.format("%04X", (int) high) + " followed by \\u"
                    + String.format("%04X", (int) low) + ", not a low surrogate");
        }
        return new char[] {high, low};
    }

    private char hex4() {
        if (pos + 4 > s.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos + i), 16);
            if (d < 0) {
                throw error("invalid hex digit in \\u escape");
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("invalid number");
        }
        boolean integer = true;
        if (peek() == '.') {
            integer = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("a digit must follow the decimal point");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("a digit must follow the exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        charge(NUMBER);
        String lit = s.substring(start, pos);
        if (integer) {
            try {
                return Long.parseLong(lit);
            } catch (NumberFormatException tooBig) {
                // falls through to a double: callers that need an integer refuse it by type
            }
        }
        return Double.parseDouble(lit);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void literal(String word) {
        if (!s.startsWith(word, pos)) {
            throw error("unexpected " + describeHere() + ", expected a value");
        }
        pos += word.length();
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "', found " + describeHere());
        }
        pos++;
    }

    /** The current character, or U+0000 at the end (never a valid token start, so it fails cleanly). */
    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private void charge(long bytes) {
        used += bytes;
        if (used > budget) {
            throw error("the document needs more memory than the limit of " + budget + " bytes ("
                    + MEMORY_PER_CHAR + " per character, at most " + MAX_MEMORY + ")");
        }
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
    }

    private String describeHere() {
        if (pos >= s.length()) {
            return "end of input";
        }
        char c = s.charAt(pos);
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private IllegalArgumentException error(String what) {
        int line = 1, lineStart = 0;
        for (int i = 0; i < Math.min(pos, s.length()); i++) {
            if (s.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new IllegalArgumentException("JSON error at line " + line + ", column " + (pos - lineStart + 1)
                + " (offset " + pos + "): " + what);
    }
}
