package vecnet.multimodal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import vecnet.weights.internal.Escape;
import vecnet.weights.internal.InputFile;
import vecnet.weights.internal.Json;

/**
 * A word → id table, the Java side of the Python {@code vocab} dict the model was trained with.
 *
 * <p>Two file formats, both UTF-8:
 * <ul>
 * <li>JSON, a single object {@code {"token": id, ...}} with non-negative integer ids
 *     ({@code json.dump(vocab, f)} in Python), chosen for files ending in {@code .json};</li>
 * <li>plain text, one token per line, line {@code i} (from 0) has id {@code i}. Line ends are
 *     {@code \n} or {@code \r\n}; a final newline adds no token. An empty line keeps its id but no
 *     token can match it (tokens are never empty).</li>
 * </ul>
 * A token given twice is refused (with both places), so that a file never means two things. A file
 * without a token is refused, and a file is at most {@link InputFile#MAX_VOCABULARY} bytes, a regular
 * file in valid UTF-8 ({@link InputFile#readUtf8}).
 *
 * <p>Immutable and thread-safe.
 */
public final class Vocabulary {
    private final Map<String, Integer> ids;
    private final int maxId;

    private Vocabulary(Map<String, Integer> ids) {
        this.ids = Collections.unmodifiableMap(ids);
        int m = -1;
        for (int id : ids.values()) {
            m = Math.max(m, id);
        }
        this.maxId = m;
    }

    /** A vocabulary from a map (copied); every id must be ≥ 0 (an empty map gives an empty vocabulary). */
    public static Vocabulary of(Map<String, Integer> tokenToId) {
        Map<String, Integer> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : tokenToId.entrySet()) {
            if (e.getKey() == null || e.getValue() == null || e.getValue() < 0) {
                throw new IllegalArgumentException("vocabulary entry " + e.getKey() + " -> " + e.getValue()
                        + ": tokens must be non-null and ids non-negative");
            }
            copy.put(e.getKey(), e.getValue());
        }
        return new Vocabulary(copy);
    }

    /** Reads a {@code .json} file as JSON and anything else as one token per line. */
    public static Vocabulary read(Path file) throws IOException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".json") ? readJson(file) : readText(file);
    }

    /** Reads a JSON object {@code {"token": id}}. */
    public static Vocabulary readJson(Path file) throws IOException {
        return parseJson(readUtf8(file), file.toString());
    }

    /**
     * A vocabulary held in memory (a classpath resource, a model's metadata...): JSON when
     * {@code name} ends in {@code .json}, else one token per line; {@code name} only chooses the
     * format and appears in error messages.
     */
    public static Vocabulary read(byte[] bytes, String name) throws IOException {
        if (bytes.length > InputFile.MAX_VOCABULARY) {
            throw new IOException(name + ": the vocabulary holds " + bytes.length + " bytes, more than the limit of "
                    + InputFile.MAX_VOCABULARY);
        }
        String text = InputFile.decodeUtf8(bytes, name, "vocabulary");
        return name.toLowerCase(Locale.ROOT).endsWith(".json") ? parseJson(text, name) : parseText(text, name);
    }

    /** A JSON object {@code {"token": id}} given as text; {@code file} names it in error messages. */
    public static Vocabulary parseJson(String json, String file) throws IOException {
        Object root;
        try {
            root = Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new IOException(file + ": a JSON vocabulary must be an object {\"token\": id, ...}");
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            Object v = e.getValue();
            if (!(v instanceof Long id) || id < 0 || id > Integer.MAX_VALUE) {
                throw new IOException(file + ": the id of " + Escape.quoted((String) e.getKey())
                        + " must be an integer in [0, 2^31), got " + describe(v));
            }
            ids.put((String) e.getKey(), (int) (long) id);
        }
        return nonEmpty(file, ids);
    }

    /** A JSON value in a message, bounded: strings cut and escaped, containers by kind and size. */
    private static String describe(Object v) {
        if (v instanceof String str) {
            return "the string " + Escape.quoted(str, 40);
        }
        if (v instanceof Map<?, ?> m) {
            return "an object of " + m.size() + " members";
        }
        if (v instanceof List<?> l) {
            return "an array of " + l.size() + " values";
        }
        return String.valueOf(v);
    }

    private static Vocabulary nonEmpty(String file, Map<String, Integer> ids) throws IOException {
        if (ids.isEmpty()) {
            throw new IOException(file + ": the vocabulary is empty (no tokens): every word would be unknown");
        }
        return new Vocabulary(ids);
    }

    /** Reads one token per line: line {@code i} (counting from 0) gets id {@code i}. */
    public static Vocabulary readText(Path file) throws IOException {
        return parseText(readUtf8(file), file.toString());
    }

    private static Vocabulary parseText(String text, String file) throws IOException {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        Map<String, Integer> firstLine = new HashMap<>();
        int id = 0;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            int next = end < 0 ? text.length() : end + 1;
            if (end < 0) {
                end = text.length();
            }
            if (end > start && text.charAt(end - 1) == '\r') {
                end--;
            }
            String token = text.substring(start, end);
            if (!token.isEmpty()) {
                Integer previous = firstLine.putIfAbsent(token, id);
                if (previous != null) {
                    throw new IOException(file + ": the token " + Escape.quoted(token) + " appears on line " + (previous + 1)
                            + " and again on line " + (id + 1));
                }
                ids.put(token, id);
            }
            id++;
            start = next;
        }
        return nonEmpty(file, ids);
    }

    private static String readUtf8(Path file) throws IOException {
        return InputFile.readUtf8(file, "vocabulary", InputFile.MAX_VOCABULARY);
    }

    /**
     * Checks this vocabulary against an embedding of {@code rows} rows: an id the embedding lacks
     * is an error; a vocabulary with fewer ids than rows is logged as a warning (it works, but it is
     * probably not the one the model was trained with).
     *
     * @return the warning that was logged, or empty
     * @throws IllegalArgumentException when {@link #maxId()} {@code >= rows}
     */
    public Optional<String> requireFits(int rows) {
        Optional<String> warning = fitWarning(rows);
        warning.ifPresent(w -> LOG.log(System.Logger.Level.WARNING, w));
        return warning;
    }

    /**
     * As {@link #requireFits} without logging: the warning for an application that reports it
     * itself (the command line prints it on its own stderr line).
     */
    public Optional<String> fitWarning(int rows) {
        if (maxId >= rows) {
            throw new IllegalArgumentException("the vocabulary has ids up to " + maxId + " but the embedding has only "
                    + rows + " rows");
        }
        if (maxId + 1 < rows) {
            return Optional.of("the vocabulary has " + ids.size() + " tokens (ids up to " + maxId
                    + ") but the embedding has " + rows + " rows: is it the vocabulary the model was trained with?");
        }
        return Optional.empty();
    }

    private static final System.Logger LOG = System.getLogger(Vocabulary.class.getName());

    /** The id of {@code token}, or empty if it is not in the vocabulary. */
    public OptionalInt id(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The id of {@code token}, or {@code unknownId} if it is not in the vocabulary. */
    public int idOr(String token, int unknownId) {
        Integer id = ids.get(token);
        return id == null ? unknownId : id;
    }

    /** True when {@code token} has an id. */
    public boolean contains(String token) {
        return ids.containsKey(token);
    }

    /** The number of tokens. */
    public int size() {
        return ids.size();
    }

    /** The largest id, or −1 for an empty vocabulary; an embedding table needs at least {@code maxId() + 1} rows. */
    public int maxId() {
        return maxId;
    }

    /** The whole table, read-only, in file order. */
    public Map<String, Integer> asMap() {
        return ids;
    }

    @Override
    public String toString() {
        return "Vocabulary[" + ids.size() + " tokens, max id " + maxId + "]";
    }
}
