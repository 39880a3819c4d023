package vecnet.multimodal.parquet;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A small, strict reader of one Parquet file: the columns a features file holds (strings and lists
 * of floats), read whole. It is not a general Parquet library; it reads what Apache Spark
 * (parquet-java) writes by default and refuses the rest by name.
 *
 * <pre>
 *   file   = "PAR1" column chunks... footer (Thrift compact FileMetaData) footer length (4 bytes LE) "PAR1"
 *   footer = schema (a depth-first list of nodes), row groups → column chunks → (offset, size, codec, count)
 *   chunk  = [dictionary page] data page... ; page = Thrift PageHeader + (compressed) body
 *   data page v1 body = [repetition levels: 4-byte length + RLE] [definition levels: same] values
 *   data page v2 body = repetition levels, definition levels (lengths in the header, never compressed), values
 * </pre>
 *
 * <p><b>What it reads.</b> Columns of type {@code BYTE_ARRAY} (as UTF-8 strings) at the top level,
 * and lists of {@code FLOAT} ({@code array<float>} in Spark: the three-level {@code LIST} group, or
 * the legacy two-level form). Encodings: {@code PLAIN}, {@code PLAIN_DICTIONARY},
 * {@code RLE_DICTIONARY}; levels: {@code RLE}. Codecs: {@code UNCOMPRESSED}, {@code SNAPPY} (Spark's
 * default; {@link Snappy}) and {@code GZIP}. Data pages v1 (Spark's default) and v2.
 *
 * <p><b>Hostile files.</b> Every size the file declares is checked against the bytes that hold it
 * before anything is allocated: the footer is at most {@value #MAX_FOOTER} bytes, a page at most
 * {@value #MAX_PAGE} bytes uncompressed and {@value #MAX_PAGE_VALUES} values, a file at most
 * {@value #MAX_ROWS} rows, a compressed page must fit its column chunk and the chunk the file.
 * Counts that disagree (rows of a row group, values of a chunk, an index outside the dictionary)
 * and UTF-8 that is not are refused. Every refusal is a {@link ParquetFormatException} that names
 * the file, the column and the reason.
 */
public final class ParquetFile {
    public static final int MAX_FOOTER = 64 << 20;
    public static final int MAX_PAGE = 256 << 20;
    public static final int MAX_PAGE_VALUES = 1 << 24;
    public static final long MAX_ROWS = 1L << 26;

    private static final byte[] MAGIC = {'P', 'A', 'R', '1'};
    private static final String[] TYPES = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
        "FIXED_LEN_BYTE_ARRAY"};
    private static final int FLOAT = 4, BYTE_ARRAY = 6;
    private static final String[] CODECS = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
    private static final String[] ENCODINGS = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
        "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};

    /**
     * A leaf column: its path from the root, physical type ({@code FLOAT}, {@code BYTE_ARRAY}, ...),
     * maximum definition and repetition levels, and, for a list, the definition level of an empty
     * list ({@code listLevel}; the list is null below it, holds an element above it).
     */
    public record Column(List<String> path, String type, int maxDef, int maxRep, int listLevel) {
        /** The top-level field this leaf belongs to. */
        public String field() {
            return path.get(0);
        }
    }

    private final Path file;
    private final long size;
    private final long rows;
    private final List<Column> columns;
    private final List<Thrift.Struct> rowGroups;
    private final Map<String, String> metadata;
    private final long dataEnd;

    private ParquetFile(Path file, long size, long rows, List<Column> columns, List<Thrift.Struct> rowGroups,
                        Map<String, String> metadata, long dataEnd) {
        this.file = file;
        this.size = size;
        this.rows = rows;
        this.columns = columns;
        this.rowGroups = rowGroups;
        this.metadata = metadata;
        this.dataEnd = dataEnd;
    }

    /** Reads {@code file}'s footer: schema, row groups, key-value metadata. */
    public static ParquetFile open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 12) {
                throw new ParquetFormatException(file, "not a Parquet file (" + size + " bytes, too short)");
            }
            byte[] head = read(ch, 0, 4), tail = read(ch, size - 8, 8);
            if (!Arrays.equals(head, MAGIC) || !Arrays.equals(Arrays.copyOfRange(tail, 4, 8), MAGIC)) {
                throw new ParquetFormatException(file, "not a Parquet file (no PAR1 at its start and end)");
            }
            long footerLength = ByteBuffer.wrap(tail, 0, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            if (footerLength > size - 12 || footerLength > MAX_FOOTER) {
                throw new ParquetFormatException(file, "footer of " + footerLength + " bytes in a file of " + size
                        + " bytes (limit " + MAX_FOOTER + ")");
            }
            long footerStart = size - 8 - footerLength;
            byte[] footer = read(ch, footerStart, (int) footerLength);
            try {
                Thrift.Struct meta = new Thrift(footer, 0, footer.length).struct();
                long rows = meta.i64(3, "num_rows");
                if (rows < 0 || rows > MAX_ROWS) {
                    throw new IllegalArgumentException(rows + " rows (limit " + MAX_ROWS + ")");
                }
                List<Column> columns = schema(meta.list(2));
                List<Thrift.Struct> groups = new ArrayList<>();
                for (Object g : meta.list(4)) {
                    groups.add(asStruct(g, "row group"));
                }
                Map<String, String> kv = new LinkedHashMap<>();
                for (Object o : meta.list(5)) {
                    Thrift.Struct e = asStruct(o, "key_value_metadata");
                    byte[] k = e.binary(1), v = e.binary(2);
                    if (k != null) {
                        kv.put(utf8(k), v == null ? null : utf8(v));
                    }
                }
                return new ParquetFile(file, size, rows, List.copyOf(columns), groups, kv, footerStart);
            } catch (IllegalArgumentException e) {
                throw new ParquetFormatException(file, "bad footer: " + e.getMessage());
            }
        }
    }

    public Path file() {
        return file;
    }

    /** The rows the footer declares (checked against each column read). */
    public long rows() {
        return rows;
    }

    /** How many row groups the file has. */
    public int rowGroups() {
        return rowGroups.size();
    }

    /** The leaf columns, in schema order. */
    public List<Column> columns() {
        return columns;
    }

    /** The footer's key-value metadata (Spark stores its schema as JSON under {@code org.apache.spark.sql.parquet.row.metadata}). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The leaf column of top-level field {@code name}, or null if there is none. */
    public Column column(String name) {
        Column found = null;
        for (Column c : columns) {
            if (c.field().equals(name)) {
                if (found != null) {
                    return null; // a struct or map of several leaves: not a column this reader reads
                }
                found = c;
            }
        }
        return found;
    }

    /** True when the file has a top-level field {@code name}. */
    public boolean has(String name) {
        return columns.stream().anyMatch(c -> c.field().equals(name));
    }

    // ------------------------------------------------------------------------------- schema

    private static Thrift.Struct asStruct(Object o, String what) {
        if (o instanceof Thrift.Struct s) {
            return s;
        }
        throw new IllegalArgumentException(what + " is not a struct");
    }

    /** The leaves of the depth-first schema list: each with its levels (optional and repeated ancestors count). */
    private static List<Column> schema(List<?> elements) {
        if (elements.isEmpty()) {
            throw new IllegalArgumentException("no schema");
        }
        List<Column> out = new ArrayList<>();
        int[] next = {1};
        int rootChildren = asStruct(elements.get(0), "schema element").i32(5, 0);
        for (int i = 0; i < rootChildren; i++) {
            walk(elements, next, new ArrayList<>(), 0, 0, -1, out, 1);
        }
        if (next[0] != elements.size()) {
            throw new IllegalArgumentException("the schema lists " + elements.size() + " nodes but its tree holds " + next[0]);
        }
        return out;
    }

    private static void walk(List<?> elements, int[] next, List<String> path, int def, int rep, int listLevel,
                             List<Column> out, int depth) {
        if (next[0] >= elements.size()) {
            throw new IllegalArgumentException("the schema tree has more children than nodes");
        }
        if (depth > Thrift.MAX_DEPTH) {
            throw new IllegalArgumentException("schema nested deeper than " + Thrift.MAX_DEPTH);
        }
        Thrift.Struct e = asStruct(elements.get(next[0]++), "schema element");
        byte[] name = e.binary(4);
        if (name == null) {
            throw new IllegalArgumentException("a schema node without a name");
        }
        List<String> p = new ArrayList<>(path);
        p.add(utf8(name));
        int repetition = e.i32(3, 0);
        int d = def, r = rep, list = listLevel;
        if (repetition == 1) {
            d++;
        } else if (repetition == 2) {
            list = def; // the list is empty at its parent's level
            d++;
            r++;
        } else if (repetition != 0) {
            throw new IllegalArgumentException("node " + p + " has repetition " + repetition);
        }
        int children = e.i32(5, 0);
        if (children < 0 || children > elements.size()) {
            throw new IllegalArgumentException("node " + p + " has " + children + " children");
        }
        if (children == 0) {
            int type = e.i32(1, -1);
            if (type < 0 || type >= TYPES.length) {
                throw new IllegalArgumentException("leaf " + p + " has type " + type);
            }
            out.add(new Column(List.copyOf(p), TYPES[type], d, r, list));
            return;
        }
        for (int i = 0; i < children; i++) {
            walk(elements, next, p, d, r, list, out, depth + 1);
        }
    }

    // ------------------------------------------------------------------------------- columns

    /** The strings of top-level column {@code name} ({@code BYTE_ARRAY}, UTF-8), one per row, null where null. */
    public List<String> strings(String name) throws IOException {
        Column c = require(name, BYTE_ARRAY);
        if (c.maxRep() != 0 || c.path().size() != 1) {
            throw new ParquetFormatException(file, "column '" + name + "' is not a plain string column");
        }
        List<String> out = new ArrayList<>();
        read(c, new Sink() {
            @Override
            public void page(int[] rep, int[] def, Object values, int n) throws IOException {
                byte[][] v = (byte[][]) values;
                for (int i = 0, k = 0; i < n; i++) {
                    out.add(def == null || def[i] == c.maxDef() ? string(c, v[k++]) : null);
                }
            }

            @Override
            public void endChunk() {
            }
        });
        return out;
    }

    /** The float lists of top-level column {@code name} ({@code array<float>}), one per row, null where null. */
    public List<float[]> floatLists(String name) throws IOException {
        Column c = require(name, FLOAT);
        if (c.maxRep() != 1) {
            throw new ParquetFormatException(file, "column '" + name + "' is not a list of floats");
        }
        List<float[]> out = new ArrayList<>();
        read(c, new Sink() {
            float[] row;      // the row being assembled, or null after a null row
            int length;
            boolean open;

            @Override
            public void page(int[] rep, int[] def, Object values, int n) throws IOException {
                float[] v = (float[]) values;
                for (int i = 0, k = 0; i < n; i++) {
                    if (rep[i] == 0) {
                        finish();
                        open = true;
                        if (def[i] < c.listLevel()) {
                            row = null;
                            continue;
                        }
                        row = new float[16];
                        length = 0;
                    } else if (!open || row == null) {
                        throw new ParquetFormatException(file, "column '" + name + "': an element continues a null or no list");
                    }
                    if (def[i] == c.maxDef()) {
                        if (length == row.length) {
                            row = Arrays.copyOf(row, row.length * 2);
                        }
                        row[length++] = v[k++];
                    } else if (def[i] > c.listLevel()) {
                        throw new ParquetFormatException(file, "column '" + name + "': a null element in a list");
                    } else if (rep[i] != 0) {
                        throw new ParquetFormatException(file, "column '" + name + "': an empty list continues a list");
                    }
                }
            }

            private void finish() {
                if (open) {
                    out.add(row == null ? null : Arrays.copyOf(row, length));
                    open = false;
                }
            }

            @Override
            public void endChunk() {
                finish();
            }
        });
        return out;
    }

    private Column require(String name, int type) throws ParquetFormatException {
        Column c = column(name);
        if (c == null) {
            throw new ParquetFormatException(file, has(name) ? "column '" + name + "' is not a single column"
                    : "no column '" + name + "'");
        }
        if (!c.type().equals(TYPES[type])) {
            throw new ParquetFormatException(file, "column '" + name + "' holds " + c.type() + ", expected " + TYPES[type]);
        }
        return c;
    }

    private String string(Column c, byte[] b) throws ParquetFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new ParquetFormatException(file, "column '" + c.field() + "' holds a string that is not UTF-8");
        }
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Receives a column's pages in order: levels (null when the maximum is 0) and the non-null values. */
    private interface Sink {
        void page(int[] rep, int[] def, Object values, int n) throws IOException;

        void endChunk();
    }

    /** Reads column {@code c} through every row group into {@code sink}; checks the row and value counts. */
    private void read(Column c, Sink sink) throws IOException {
        long total = 0;
        for (int g = 0; g < rowGroups.size(); g++) {
            Thrift.Struct group = rowGroups.get(g);
            String where = "column '" + c.field() + "', row group " + g;
            try {
                long groupRows = group.i64(3, "num_rows");
                Thrift.Struct meta = null;
                for (Object o : group.list(1)) {
                    Thrift.Struct chunk = asStruct(o, "column chunk");
                    Thrift.Struct m = chunk.struct(3);
                    if (m != null && m.list(3).size() == c.path().size()) {
                        List<String> path = new ArrayList<>();
                        for (Object part : m.list(3)) {
                            path.add(part instanceof byte[] b ? utf8(b) : "");
                        }
                        if (path.equals(c.path())) {
                            if (chunk.binary(1) != null) {
                                throw new IllegalArgumentException("the chunk is in another file");
                            }
                            meta = m;
                        }
                    }
                }
                if (meta == null) {
                    throw new IllegalArgumentException("no column chunk");
                }
                long rowsRead = chunk(c, meta, groupRows, sink, where);
                if (rowsRead != groupRows) {
                    throw new IllegalArgumentException(rowsRead + " rows, the row group says " + groupRows);
                }
                sink.endChunk();
                total += groupRows;
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new ParquetFormatException(file, where + ": " + e.getMessage());
            }
        }
        if (total != rows) {
            throw new ParquetFormatException(file, "column '" + c.field() + "': " + total + " rows, the footer says " + rows);
        }
    }

    /** One column chunk's pages into {@code sink}; returns the rows it held. */
    private long chunk(Column c, Thrift.Struct meta, long groupRows, Sink sink, String where) throws IOException {
        int type = meta.i32(1, -1);
        if (type < 0 || type >= TYPES.length || !TYPES[type].equals(c.type())) {
            throw new IllegalArgumentException("chunk type " + type + " is not the schema's " + c.type());
        }
        int codec = meta.i32(4, "codec");
        if (codec != 0 && codec != 1 && codec != 2) {
            throw new IllegalArgumentException("codec " + (codec >= 0 && codec < CODECS.length ? CODECS[codec] : codec)
                    + " is not supported (UNCOMPRESSED, SNAPPY, GZIP are; Spark writes SNAPPY by default)");
        }
        long values = meta.i64(5, "num_values");
        long length = meta.i64(7, "total_compressed_size");
        long start = meta.i64(9, "data_page_offset");
        if (meta.has(11)) {
            start = Math.min(start, meta.i64(11, 0));
        }
        if (start < 4 || length < 0 || length > dataEnd - start || length > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("chunk at " + start + " of " + length + " bytes is outside the data ("
                    + dataEnd + " bytes)");
        }
        if (values < 0 || values > MAX_ROWS * 4096) {
            throw new IllegalArgumentException(values + " values");
        }
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            bytes = read(ch, start, (int) length);
        }
        int pos = 0;
        long seen = 0, rowsSeen = 0;
        Object dictionary = null;
        int dictionarySize = 0;
        while (seen < values) {
            if (pos >= bytes.length) {
                throw new IllegalArgumentException("the chunk ends after " + seen + " of " + values + " values");
            }
            Thrift t = new Thrift(bytes, pos, bytes.length);
            Thrift.Struct h = t.struct();
            pos = t.position();
            int pageType = h.i32(1, "page type");
            int uncompressed = h.i32(2, "uncompressed_page_size"), compressed = h.i32(3, "compressed_page_size");
            if (compressed < 0 || compressed > bytes.length - pos) {
                throw new IllegalArgumentException("a page of " + compressed + " bytes with " + (bytes.length - pos) + " left");
            }
            if (uncompressed < 0 || uncompressed > MAX_PAGE) {
                throw new IllegalArgumentException("a page of " + uncompressed + " bytes uncompressed (limit " + MAX_PAGE + ")");
            }
            int body = pos;
            pos += compressed;
            if (pageType == 2) {
                Thrift.Struct d = h.struct(7);
                if (d == null || dictionary != null || seen > 0) {
                    throw new IllegalArgumentException("a dictionary page that is not the chunk's first, or has no header");
                }
                int n = d.i32(1, "dictionary num_values");
                int enc = d.i32(2, 0);
                if (enc != 0 && enc != 2) {
                    throw new IllegalArgumentException("dictionary encoding " + encoding(enc));
                }
                byte[] page = decompress(codec, bytes, body, compressed, uncompressed);
                if (n < 0 || n > page.length) {
                    throw new IllegalArgumentException("a dictionary of " + n + " values in " + page.length + " bytes");
                }
                Plain plain = new Plain(page, 0, page.length);
                dictionary = plain.values(type, n);
                dictionarySize = n;
            } else if (pageType == 0 || pageType == 3) {
                boolean v2 = pageType == 3;
                Thrift.Struct d = h.struct(v2 ? 8 : 5);
                if (d == null) {
                    throw new IllegalArgumentException("a data page without its header");
                }
                int n = d.i32(1, "page num_values");
                if (n < 0 || n > MAX_PAGE_VALUES || n > values - seen) {
                    throw new IllegalArgumentException("a page of " + n + " values (" + (values - seen) + " left in the chunk,"
                            + " limit " + MAX_PAGE_VALUES + ")");
                }
                int[] rep = null, def = null;
                byte[] page;
                int at;
                int enc = d.i32(v2 ? 4 : 2, "encoding");
                if (v2) {
                    int defLength = d.i32(5, "definition_levels_byte_length"), repLength = d.i32(6, "repetition_levels_byte_length");
                    if (defLength < 0 || repLength < 0 || (long) defLength + repLength > compressed
                            || (long) defLength + repLength > uncompressed) {
                        throw new IllegalArgumentException("levels of " + repLength + " + " + defLength + " bytes in a page of "
                                + compressed);
                    }
                    if (c.maxRep() > 0) {
                        rep = new int[n];
                        Rle.decode(bytes, body, body + repLength, Rle.bitWidth(c.maxRep()), rep);
                    }
                    if (c.maxDef() > 0) {
                        def = new int[n];
                        Rle.decode(bytes, body + repLength, body + repLength + defLength, Rle.bitWidth(c.maxDef()), def);
                    }
                    int levels = repLength + defLength;
                    page = d.bool(7, true)
                            ? decompress(codec, bytes, body + levels, compressed - levels, uncompressed - levels)
                            : decompress(0, bytes, body + levels, compressed - levels, uncompressed - levels);
                    at = 0;
                } else {
                    page = decompress(codec, bytes, body, compressed, uncompressed);
                    at = 0;
                    if (c.maxRep() > 0) {
                        levelEncoding(d.i32(4, -1), "repetition");
                        rep = new int[n];
                        at = levels(page, at, c.maxRep(), rep);
                    }
                    if (c.maxDef() > 0) {
                        levelEncoding(d.i32(3, -1), "definition");
                        def = new int[n];
                        at = levels(page, at, c.maxDef(), def);
                    }
                }
                int present = 0;
                for (int i = 0; i < n; i++) {
                    if (def == null || def[i] == c.maxDef()) {
                        present++;
                    } else if (def[i] > c.maxDef()) {
                        throw new IllegalArgumentException("definition level " + def[i] + " above the maximum " + c.maxDef());
                    }
                    if (rep != null) {
                        if (rep[i] > c.maxRep()) {
                            throw new IllegalArgumentException("repetition level " + rep[i] + " above the maximum " + c.maxRep());
                        }
                        if (rep[i] == 0) {
                            rowsSeen++;
                        }
                    }
                }
                if (rep == null) {
                    rowsSeen += n;
                } else if (seen == 0 && n > 0 && rep[0] != 0) {
                    throw new IllegalArgumentException("the first value continues a row");
                }
                Object vals;
                if (enc == 0) {
                    vals = new Plain(page, at, page.length).values(type, present);
                } else if (enc == 2 || enc == 8) {
                    if (dictionary == null) {
                        throw new IllegalArgumentException("a dictionary-encoded page without a dictionary");
                    }
                    vals = lookUp(page, at, present, type, dictionary, dictionarySize);
                } else {
                    throw new IllegalArgumentException("encoding " + encoding(enc) + " is not supported (PLAIN and"
                            + " dictionaries are)");
                }
                sink.page(rep, def, vals, n);
                seen += n;
            }
            // index pages and pages of unknown kinds are skipped
        }
        if (rowsSeen > groupRows) {
            throw new IllegalArgumentException(rowsSeen + " rows, the row group says " + groupRows);
        }
        return rowsSeen;
    }

    private static String encoding(int e) {
        return e >= 0 && e < ENCODINGS.length ? ENCODINGS[e] : String.valueOf(e);
    }

    private static void levelEncoding(int e, String which) {
        if (e != 3) {
            throw new IllegalArgumentException(which + " levels in encoding " + encoding(e) + " (RLE is supported)");
        }
    }

    /** Data page v1 levels: a 4-byte length, then the RLE runs. Returns the position after them. */
    private static int levels(byte[] page, int at, int max, int[] out) {
        if (page.length - at < 4) {
            throw new IllegalArgumentException("levels cut short");
        }
        long n = ByteBuffer.wrap(page, at, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (n > page.length - at - 4) {
            throw new IllegalArgumentException("levels of " + n + " bytes in " + (page.length - at - 4));
        }
        Rle.decode(page, at + 4, at + 4 + (int) n, Rle.bitWidth(max), out);
        return at + 4 + (int) n;
    }

    /** Dictionary indices (a bit-width byte, then RLE runs) → the dictionary's values. */
    private static Object lookUp(byte[] page, int at, int n, int type, Object dictionary, int size) {
        if (n == 0) {
            return type == FLOAT ? new float[0] : new byte[0][];
        }
        if (at >= page.length) {
            throw new IllegalArgumentException("dictionary indices missing");
        }
        int[] idx = new int[n];
        Rle.decode(page, at + 1, page.length, page[at] & 0xff, idx);
        for (int i : idx) {
            if (i < 0 || i >= size) {
                throw new IllegalArgumentException("dictionary index " + (i & 0xffffffffL) + " of " + size);
            }
        }
        if (type == FLOAT) {
            float[] d = (float[]) dictionary, out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = d[idx[i]];
            }
            return out;
        }
        byte[][] d = (byte[][]) dictionary, out = new byte[n][];
        for (int i = 0; i < n; i++) {
            out[i] = d[idx[i]];
        }
        return out;
    }

    /** PLAIN values: floats are 4 bytes LE; byte arrays a 4-byte LE length and the bytes. */
    private record Plain(byte[] page, int from, int to) {
        Object values(int type, int n) {
            if (type == FLOAT) {
                if ((long) n * 4 > to - from) {
                    throw new IllegalArgumentException(n + " floats in " + (to - from) + " bytes");
                }
                float[] out = new float[n];
                ByteBuffer.wrap(page, from, n * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
                return out;
            }
            if ((long) n * 4 > to - from) {
                throw new IllegalArgumentException(n + " strings in " + (to - from) + " bytes");
            }
            byte[][] out = new byte[n][];
            ByteBuffer b = ByteBuffer.wrap(page, from, to - from).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                if (b.remaining() < 4) {
                    throw new IllegalArgumentException("strings cut short");
                }
                long len = b.getInt() & 0xffffffffL;
                if (len > b.remaining()) {
                    throw new IllegalArgumentException("a string of " + len + " bytes with " + b.remaining() + " left");
                }
                out[i] = new byte[(int) len];
                b.get(out[i]);
            }
            return out;
        }
    }

    /** A page body uncompressed: exactly {@code uncompressed} bytes, or an error. */
    private static byte[] decompress(int codec, byte[] in, int from, int length, int uncompressed) {
        switch (codec) {
            case 0 -> {
                if (length != uncompressed) {
                    throw new IllegalArgumentException("an uncompressed page of " + length + " bytes declares " + uncompressed);
                }
                return Arrays.copyOfRange(in, from, from + length);
            }
            case 1 -> {
                return Snappy.decompress(in, from, from + length, uncompressed);
            }
            default -> {
                try (InputStream z = new GZIPInputStream(new ByteArrayInputStream(in, from, length))) {
                    byte[] out = z.readNBytes(uncompressed);
                    if (out.length != uncompressed || z.read() != -1) {
                        throw new IllegalArgumentException("gzip: the page does not expand to the " + uncompressed
                                + " bytes its header says");
                    }
                    return out;
                } catch (IOException e) {
                    throw new IllegalArgumentException("gzip: " + e.getMessage());
                }
            }
        }
    }

    private static byte[] read(FileChannel ch, long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new java.io.EOFException("the file ends early");
            }
        }
        return b.array();
    }

    @Override
    public String toString() {
        return "ParquetFile(" + file + ", " + size + " bytes, " + rows + " rows, columns " + columns + ")";
    }
}
