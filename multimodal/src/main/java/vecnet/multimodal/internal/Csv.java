package vecnet.multimodal.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The fields of one CSV line (RFC 4180): comma-separated, a field in double quotes may hold commas,
 * and {@code ""} inside quotes is one quote. Used by training manifests ({@link Manifest}) and
 * {@code vecnet predict --pairs}.
 */
public final class Csv {
    private Csv() {
    }

    /** The fields of {@code line}, unquoted; an unclosed quote is an {@link IllegalArgumentException}. */
    public static List<String> cells(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"' && cell.length() == 0) {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("a quoted field is not closed");
        }
        cells.add(cell.toString());
        return cells;
    }
}
