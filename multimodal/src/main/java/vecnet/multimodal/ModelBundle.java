package vecnet.multimodal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import vecnet.weights.RawTensor;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;
import vecnet.weights.internal.Json;

/**
 * A model as one thing to load: its weights, and what a caller needs besides them, the vocabulary
 * (for a model that reads text) and the class names. Two forms hold the same content:
 *
 * <pre>
 *   a folder                      model.safetensors (or model.pth)   the state_dict
 *                                 vocab.json        (or vocab.txt)   {token: id}, or one token a line
 *                                 labels.txt                         the class names, one a line, in class order
 *
 *   one safetensors file          the state_dict, and in its __metadata__ (string → string):
 *                                   "vecnet.config"   a JSON object, e.g. {"format": 1, "unknown_id": 0}
 *                                   "vecnet.vocab"    a JSON object {token: id}
 *                                   "vecnet.labels"   a JSON array of the class names
 * </pre>
 *
 * Vocabulary and labels are optional: an image classifier needs no vocabulary, and a model without
 * names gets {@code class0, class1, ...} (or the ImageNet names for a 1000-class image model, see
 * {@link Classifier}). In a folder, a {@code vocab.json} or {@code labels.txt} file wins over the
 * same entry in the weights' metadata. Everything is read into memory; no temporary file is ever
 * written, so a model loads from a jar, a byte array or a stream as well as from a file.
 *
 * <p>Immutable and thread-safe.
 */
public final class ModelBundle {
    /** The names of the three files of the folder form. */
    public static final String WEIGHTS_FILE = "model.safetensors", VOCAB_FILE = "vocab.json", LABELS_FILE = "labels.txt";
    /** The metadata keys of the one-file form. */
    public static final String CONFIG_KEY = "vecnet.config", VOCAB_KEY = "vecnet.vocab", LABELS_KEY = "vecnet.labels";
    /** The value of {@code "format"} in the config this version writes and reads. */
    public static final int FORMAT = 1;

    private final StateDict weights;
    private final Vocabulary vocabulary;    // null: none
    private final List<String> labels;      // null: none
    private final Map<String, Object> config;

    private ModelBundle(StateDict weights, Vocabulary vocabulary, List<String> labels, Map<String, Object> config) {
        this.weights = Objects.requireNonNull(weights, "weights");
        this.vocabulary = vocabulary;
        this.labels = labels == null ? null : List.copyOf(labels);
        this.config = Map.copyOf(config);
    }

    /** A bundle of parts already in memory; {@code vocabulary} and {@code labels} may be null. */
    public static ModelBundle of(StateDict weights, Vocabulary vocabulary, List<String> labels) {
        return new ModelBundle(weights, vocabulary, labels, Map.of("format", (long) FORMAT));
    }

    /**
     * Loads a model folder (see the class comment) or a single weights file ({@code .safetensors},
     * with or without the metadata, or {@code .pth}).
     */
    public static ModelBundle load(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "model not found");
        }
        if (!Files.isDirectory(path)) {
            return fromWeights(StateDict.read(path), path.toString());
        }
        Path weightsFile = firstExisting(path, WEIGHTS_FILE, "model.pth");
        if (weightsFile == null) {
            throw new NoSuchFileException(path.resolve(WEIGHTS_FILE).toString(), null,
                    "a model folder needs " + WEIGHTS_FILE + " (or model.pth):");
        }
        ModelBundle b = fromWeights(StateDict.read(weightsFile), weightsFile.toString());
        Path vocab = firstExisting(path, VOCAB_FILE, "vocab.txt");
        Path labels = path.resolve(LABELS_FILE);
        return new ModelBundle(b.weights, vocab != null ? Vocabulary.read(vocab) : b.vocabulary,
                Files.isRegularFile(labels) ? labels(Files.readAllBytes(labels), labels.toString()) : b.labels, b.config);
    }

    /** Loads the one-file form (or plain safetensors) from memory. */
    public static ModelBundle load(byte[] safetensors) throws IOException {
        return fromWeights(StateDict.read(safetensors), "<stream>");
    }

    /** Loads the one-file form (or plain safetensors) from everything {@code in} holds; the stream is not closed. */
    public static ModelBundle load(InputStream in) throws IOException {
        return load(in.readAllBytes());
    }

    /**
     * Loads a model from the class path, as {@code anchor.getResourceAsStream} finds it (a name
     * without a leading {@code /} is relative to {@code anchor}'s package): either one file, or a
     * folder when the name ends with {@code /} or {@code name/model.safetensors} exists. Pass a class
     * of the module or jar that holds the model, so that module encapsulation lets it be read.
     */
    public static ModelBundle load(Class<?> anchor, String resource) throws IOException {
        return fromResources(anchor::getResourceAsStream, resource, "relative to " + anchor.getName());
    }

    /**
     * As {@link #load(Class, String)}, with {@code loader.getResourceAsStream} (names have no
     * leading {@code /}); for a class loader of your own, such as one over a folder of models.
     */
    public static ModelBundle load(ClassLoader loader, String resource) throws IOException {
        return fromResources(loader::getResourceAsStream, resource, "in " + loader);
    }

    private interface Resources {
        InputStream open(String name) throws IOException;
    }

    private static ModelBundle fromResources(Resources resources, String resource, String where) throws IOException {
        String folder = resource.endsWith("/") ? resource : resource + "/";
        byte[] weights = read(resources, folder + WEIGHTS_FILE);
        if (weights == null) {
            if (resource.endsWith("/")) {
                throw new IOException("resource folder " + resource + " has no " + WEIGHTS_FILE + " (" + where + ")");
            }
            byte[] one = read(resources, resource);
            if (one == null) {
                throw new IOException("resource " + resource + " not found on the class path (" + where + ")");
            }
            return fromWeights(StateDict.read(one), resource);
        }
        ModelBundle b = fromWeights(StateDict.read(weights), folder + WEIGHTS_FILE);
        byte[] vocabJson = read(resources, folder + VOCAB_FILE);
        byte[] vocabText = vocabJson == null ? read(resources, folder + "vocab.txt") : null;
        byte[] labels = read(resources, folder + LABELS_FILE);
        Vocabulary vocabulary = vocabJson != null ? Vocabulary.read(vocabJson, folder + VOCAB_FILE)
                : vocabText != null ? Vocabulary.read(vocabText, folder + "vocab.txt") : b.vocabulary;
        return new ModelBundle(b.weights, vocabulary, labels != null ? labels(labels, folder + LABELS_FILE) : b.labels,
                b.config);
    }

    /** The weights, with the vocabulary, labels and config found in their metadata. */
    private static ModelBundle fromWeights(StateDict sd, String source) throws IOException {
        Map<String, String> meta = sd.metadata();
        Map<String, Object> config = Map.of();
        if (meta.containsKey(CONFIG_KEY)) {
            Object c = parse(meta.get(CONFIG_KEY), source, CONFIG_KEY);
            if (!(c instanceof Map<?, ?> m)) {
                throw new IOException(source + ": metadata " + CONFIG_KEY + " must be a JSON object");
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> {
                if (v != null) {
                    copy.put((String) k, v);
                }
            });
            config = copy;
            Object format = config.get("format");
            if (format != null && !(format instanceof Long f && f <= FORMAT)) {
                throw new IOException(source + ": model format " + format + " is newer than this vecnet reads ("
                        + FORMAT + "); update vecnet");
            }
        }
        Vocabulary vocabulary = null;
        if (meta.containsKey(VOCAB_KEY)) {
            vocabulary = Vocabulary.parseJson(meta.get(VOCAB_KEY), source + " metadata " + VOCAB_KEY);
        }
        List<String> labels = null;
        if (meta.containsKey(LABELS_KEY)) {
            Object l = parse(meta.get(LABELS_KEY), source, LABELS_KEY);
            if (!(l instanceof List<?> list) || !list.stream().allMatch(x -> x instanceof String)) {
                throw new IOException(source + ": metadata " + LABELS_KEY + " must be a JSON array of strings");
            }
            labels = list.stream().map(String.class::cast).toList();
        }
        return new ModelBundle(sd, vocabulary, labels, config);
    }

    /**
     * Writes the one-file form: the weights as stored (dtypes kept), and this bundle's config,
     * vocabulary and labels in the safetensors metadata.
     */
    public void write(Path file) throws IOException {
        Map<String, RawTensor> raw = new LinkedHashMap<>();
        for (String k : weights.keys()) {
            raw.put(k, weights.raw(k));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("{");
        Map<String, Object> cfg = new LinkedHashMap<>(config);
        cfg.putIfAbsent("format", (long) FORMAT);
        for (Map.Entry<String, Object> e : cfg.entrySet()) {
            c.append(c.length() > 1 ? "," : "");
            string(c, e.getKey()).append(':');
            value(c, e.getValue());
        }
        meta.put(CONFIG_KEY, c.append('}').toString());
        if (vocabulary != null) {
            StringBuilder v = new StringBuilder("{");
            for (Map.Entry<String, Integer> e : vocabulary.asMap().entrySet()) {
                v.append(v.length() > 1 ? "," : "");
                string(v, e.getKey()).append(':').append(e.getValue());
            }
            meta.put(VOCAB_KEY, v.append('}').toString());
        }
        if (labels != null) {
            StringBuilder l = new StringBuilder("[");
            for (String name : labels) {
                l.append(l.length() > 1 ? "," : "");
                string(l, name);
            }
            meta.put(LABELS_KEY, l.append(']').toString());
        }
        SafeTensors.writeRaw(file, raw, meta);
    }

    /** The state_dict. */
    public StateDict weights() {
        return weights;
    }

    /** The vocabulary, if the model has one. */
    public Optional<Vocabulary> vocabulary() {
        return Optional.ofNullable(vocabulary);
    }

    /** The class names in class order, if the model has them. */
    public Optional<List<String>> labels() {
        return Optional.ofNullable(labels);
    }

    /** The config object ({@code vecnet.config}): {@code format}, {@code unknown_id}...; empty when absent. */
    public Map<String, Object> config() {
        return config;
    }

    /** The id that unknown words get: {@code unknown_id} of the config, else {@link Tokenizer#DEFAULT_UNKNOWN_ID}. */
    public int unknownId() throws IOException {
        Object id = config.get("unknown_id");
        if (id == null) {
            return Tokenizer.DEFAULT_UNKNOWN_ID;
        }
        if (!(id instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) {
            throw new IOException("config unknown_id must be a non-negative integer, got " + id);
        }
        return (int) (long) l;
    }

    /** The same bundle with other class names (null: none). */
    public ModelBundle withLabels(List<String> names) {
        return new ModelBundle(weights, vocabulary, names, config);
    }

    /** The same bundle with another vocabulary (null: none). */
    public ModelBundle withVocabulary(Vocabulary v) {
        return new ModelBundle(weights, v, labels, config);
    }

    /** Class names from text: one a line, blank lines at the end ignored, each name stripped. */
    static List<String> labels(byte[] utf8, String source) throws IOException {
        List<String> names = new ArrayList<>(new String(utf8, StandardCharsets.UTF_8).lines().map(String::strip).toList());
        while (!names.isEmpty() && names.get(names.size() - 1).isEmpty()) {
            names.remove(names.size() - 1);
        }
        if (names.isEmpty()) {
            throw new IOException(source + ": no class names");
        }
        return names;
    }

    private static Object parse(String json, String source, String key) throws IOException {
        try {
            return Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": metadata " + key + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static Path firstExisting(Path dir, String... names) {
        for (String n : names) {
            if (Files.isRegularFile(dir.resolve(n))) {
                return dir.resolve(n);
            }
        }
        return null;
    }

    private static byte[] read(Resources resources, String name) throws IOException {
        try (InputStream in = resources.open(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    private static void value(StringBuilder sb, Object v) {
        if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                sb.append(i == 0 ? "" : ",");
                value(sb, list.get(i));
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(first ? "" : ",");
                string(sb, (String) e.getKey()).append(':');
                value(sb, e.getValue());
                first = false;
            }
            sb.append('}');
        } else {
            sb.append(v); // Long, Double, Boolean
        }
    }

    private static StringBuilder string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"');
    }

    @Override
    public String toString() {
        return "ModelBundle[" + weights + ", " + (vocabulary == null ? "no vocabulary" : vocabulary) + ", "
                + (labels == null ? "no labels" : labels.size() + " labels") + "]";
    }
}
