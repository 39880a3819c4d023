package vecnet.weights.internal;

/**
 * Names and values from a file, made safe to print in a one-line message: control characters
 * (ESC, newline, ...), lone surrogates and other invisible format characters are written as
 * {@code \xNN} / {@code \\uNNNN}, so that a key holding {@code ESC[2J} cannot clear the user's
 * terminal, and anything longer than a limit is cut, saying how long it was.
 */
public final class Escape {
    /** The default number of characters kept by {@link #quoted(String)}. */
    public static final int DEFAULT_MAX = 80;

    private Escape() {
    }

    /** {@code s} in double quotes, escaped, at most {@link #DEFAULT_MAX} characters of it. */
    public static String quoted(String s) {
        return quoted(s, DEFAULT_MAX);
    }

    /** {@code s} in double quotes, escaped, at most {@code max} characters of it ({@code "abc"... (N chars)}). */
    public static String quoted(String s, int max) {
        if (s == null) {
            return "null";
        }
        String text = escape(s, max, true);
        return "\"" + text + "\"" + (s.length() > max ? tail(s) : "");
    }

    /** {@code s} escaped, at most {@code max} characters of it, then {@code ... (N chars)} when cut. */
    public static String text(String s, int max) {
        return escape(s, max, false) + (s.length() > max ? tail(s) : "");
    }

    private static String escape(String s, int max, boolean quotes) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 16);
        int n = Math.min(s.length(), max);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (quotes && (c == '"' || c == '\\')) {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                    || Character.isSurrogate(c) && !validPair(s, i)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String tail(String s) {
        return "... (" + s.length() + " chars)";
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
