package vecnet.multimodal.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import vecnet.multimodal.internal.Csv;
import vecnet.weights.internal.Json;

/**
 * A training manifest: one sample per row, {@code image,text,label}, image paths relative to the
 * manifest's folder. Two forms, chosen by the file name:
 * <ul>
 * <li>JSON Lines ({@code .jsonl}, {@code .json}): one object per line,
 *     {@code {"image": "a.png", "text": "...", "label": "cat"}};</li>
 * <li>CSV (anything else), RFC 4180 quoting; a first line {@code image,text,label} is a header
 *     and skipped.</li>
 * </ul>
 * Blank lines are skipped. A row that cannot be read (wrong number of fields, not an object, an
 * empty field) is a {@link Bad} with its file and line; so is a row whose image file does not exist.
 */
public final class Manifest {
    /** One row: the image's path (resolved), the text, the label name, and where it is ({@code file:line}). */
    public record Row(Path image, String text, String label, String where) {
    }

    /** A row that cannot be used, with its place and the reason. */
    public record Bad(String where, String reason) {
        @Override
        public String toString() {
            return where + ": " + reason;
        }
    }

    private final List<Row> rows;
    private final List<Bad> bad;

    private Manifest(List<Row> rows, List<Bad> bad) {
        this.rows = List.copyOf(rows);
        this.bad = List.copyOf(bad);
    }

    /** The good rows, in file order. */
    public List<Row> rows() {
        return rows;
    }

    /** The bad rows, in file order. */
    public List<Bad> bad() {
        return bad;
    }

    public static Manifest read(Path file) throws IOException {
        List<String> lines = List.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\r?\n", -1));
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean json = name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson");
        Path base = file.toAbsolutePath().getParent();
        List<Row> rows = new ArrayList<>();
        List<Bad> bad = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = i == 0 && lines.get(0).startsWith("\uFEFF") ? lines.get(0).substring(1) : lines.get(i);
            String where = file + ":" + (i + 1);
            if (line.isBlank()) {
                continue;
            }
            String[] f;
            try {
                f = json ? jsonFields(line) : csvFields(line);
            } catch (IllegalArgumentException e) {
                bad.add(new Bad(where, e.getMessage()));
                continue;
            }
            if (!json && i == 0 && f[0].strip().equalsIgnoreCase("image") && f[1].strip().equalsIgnoreCase("text")
                    && f[2].strip().equalsIgnoreCase("label")) {
                continue; // the header
            }
            if (f[0].isBlank()) {
                bad.add(new Bad(where, "no image"));
            } else if (f[1].isBlank()) {
                bad.add(new Bad(where, "empty text"));
            } else if (f[2].isBlank()) {
                bad.add(new Bad(where, "no label"));
            } else {
                Path image = base.resolve(f[0]);
                if (!Files.isRegularFile(image)) {
                    bad.add(new Bad(where, "image not found: " + image));
                } else {
                    rows.add(new Row(image, f[1], f[2].strip(), where));
                }
            }
        }
        return new Manifest(rows, bad);
    }

    static String[] jsonFields(String line) {
        Object o;
        try {
            o = Json.parse(line);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage());
        }
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("expected a JSON object {\"image\", \"text\", \"label\"}");
        }
        String[] out = new String[3];
        String[] keys = {"image", "text", "label"};
        for (int k = 0; k < 3; k++) {
            Object v = m.get(keys[k]);
            if (v == null) {
                throw new IllegalArgumentException("no \"" + keys[k] + "\"");
            }
            out[k] = String.valueOf(v);
        }
        return out;
    }

    /** The fields of one CSV line (RFC 4180 quoting); exactly three. */
    static String[] csvFields(String line) {
        List<String> cells = Csv.cells(line);
        if (cells.size() != 3) {
            throw new IllegalArgumentException("expected 3 fields image,text,label, got " + cells.size()
                    + " (quote a field that holds a comma)");
        }
        return cells.toArray(new String[0]);
    }
}
