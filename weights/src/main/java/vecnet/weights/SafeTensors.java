package vecnet.weights;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vecnet.engine.Tensor;
import vecnet.weights.internal.InputFile;
import vecnet.weights.internal.Json;

/**
 * The safetensors format (huggingface/safetensors): read, memory-mapped, and write.
 *
 * <pre>
 * u64 LE  N                       header length
 * N bytes UTF-8 JSON object       {"__metadata__": {str: str}?, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
 * rest    data                    offsets relative to byte 8+N, end exclusive, little-endian, C order
 * </pre>
 *
 * <p>The reader validates as the reference implementation does and refuses, naming the file: a
 * header longer than {@value #MAX_HEADER} bytes or than the file, invalid UTF-8 or JSON, an entry
 * without dtype/shape/data_offsets, an unsupported dtype, a negative shape or one whose byte size
 * overflows, a size that differs from numel × dtype size, offsets outside the data, overlapping
 * tensors, holes, and data not fully covered. It does not require alignment or padding. Nothing is
 * allocated from a size the file claims before that size has been checked against the file.
 *
 * <p>The writer keeps the map order in the JSON header (so {@link StateDict#keys()} reads back in
 * the same order), lays the data out by descending element size so every tensor is aligned to its
 * element size, and pads the header with spaces to a multiple of 8, as the reference writer does.
 */
public final class SafeTensors {
    /** The largest header accepted, in bytes (the reference limit). */
    public static final long MAX_HEADER = 100_000_000L;

    private SafeTensors() {
    }

    /** Reads a safetensors file; the tensors stay memory-mapped. */
    public static StateDict read(Path file) throws IOException {
        InputFile.requireWeightsFile(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new WeightsFormatException(file, "safetensors: file of " + size
                        + " bytes is too small to hold the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > MAX_HEADER) {
                throw new WeightsFormatException(file, "safetensors: header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + MAX_HEADER + " bytes");
            }
            if (8 + n > size) {
                throw new WeightsFormatException(file, "safetensors: header length " + n
                        + " runs past the end of the file (" + size + " bytes): truncated or not safetensors");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
            readFully(ch, headerBytes, 8);
            headerBytes.flip();
            long badUtf8 = InputFile.firstInvalidUtf8(headerBytes.array());
            if (badUtf8 < n) {
                throw new WeightsFormatException(file, "safetensors: header is not valid UTF-8 (first bad byte at header"
                        + " offset " + badUtf8 + ")");
            }
            String json = new String(headerBytes.array(), StandardCharsets.UTF_8);
            headerBytes = null;     // the bytes are no longer needed while the JSON is parsed
            Header h = parseHeader(file, json, size - 8 - n);
            long dataStart = 8 + n;
            long dataLen = size - dataStart;
            Map<String, StoredTensor> tensors = new LinkedHashMap<>();
            ByteBuffer whole = size <= Integer.MAX_VALUE
                    ? ch.map(FileChannel.MapMode.READ_ONLY, 0, size).order(ByteOrder.LITTLE_ENDIAN) : null;
            for (Entry e : h.entries) {
                long len = e.end - e.begin;
                ByteBuffer data;
                if (len == 0) {
                    data = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
                } else if (whole != null) {
                    data = whole.duplicate().position((int) (dataStart + e.begin)).limit((int) (dataStart + e.end))
                            .slice().order(ByteOrder.LITTLE_ENDIAN);
                } else if (len <= Integer.MAX_VALUE) {
                    data = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin, len).order(ByteOrder.LITTLE_ENDIAN);
                } else {
                    throw new WeightsFormatException(file, "safetensors: tensor '" + e.name + "' has " + len
                            + " bytes; tensors larger than 2 GiB are not supported");
                }
                assert e.end <= dataLen;
                try {
                    tensors.put(e.name, StoredTensor.contiguous(e.dtype, e.shape, data));
                } catch (IllegalArgumentException bad) {
                    throw new WeightsFormatException(file, "safetensors: tensor '" + e.name + "': " + bad.getMessage());
                }
            }
            return new StateDict(tensors, h.metadata);
        }
    }

    /**
     * Reads safetensors held in memory (a classpath resource, a download, a stream read whole), with
     * the same checks as {@link #read(Path)}; the tensors are views of {@code bytes}, which the caller
     * must not modify afterwards. Errors name {@code <stream>}.
     */
    public static StateDict read(byte[] bytes) throws IOException {
        long size = bytes.length;
        if (size < 8) {
            throw new WeightsFormatException(null, "safetensors: " + size
                    + " bytes are too few to hold the 8-byte header length");
        }
        ByteBuffer whole = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = whole.getLong(0);
        if (n < 0 || n > MAX_HEADER) {
            throw new WeightsFormatException(null, "safetensors: header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER + " bytes");
        }
        if (8 + n > size) {
            throw new WeightsFormatException(null, "safetensors: header length " + n + " runs past the end of the data ("
                    + size + " bytes): truncated or not safetensors");
        }
        byte[] header = Arrays.copyOfRange(bytes, 8, 8 + (int) n);
        long badUtf8 = InputFile.firstInvalidUtf8(header);
        if (badUtf8 < n) {
            throw new WeightsFormatException(null, "safetensors: header is not valid UTF-8 (first bad byte at header"
                    + " offset " + badUtf8 + ")");
        }
        String json = new String(header, StandardCharsets.UTF_8);
        Header h = parseHeader(null, json, size - 8 - n);
        int dataStart = 8 + (int) n;
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        for (Entry e : h.entries) {
            ByteBuffer data = whole.duplicate().position(dataStart + (int) e.begin).limit(dataStart + (int) e.end)
                    .slice().order(ByteOrder.LITTLE_ENDIAN);
            try {
                tensors.put(e.name, StoredTensor.contiguous(e.dtype, e.shape, data));
            } catch (IllegalArgumentException bad) {
                throw new WeightsFormatException(null, "safetensors: tensor '" + e.name + "': " + bad.getMessage());
            }
        }
        return new StateDict(tensors, h.metadata);
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long at) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, at + dst.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    /** True when {@code head} (the first bytes of a file of {@code size} bytes) starts like safetensors. */
    static boolean looksLikeSafetensors(byte[] head, long size) {
        if (head.length < 9) {
            return false;
        }
        long n = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > MAX_HEADER || 8 + n > size) {
            return false;
        }
        for (int i = 8; i < head.length; i++) {
            byte c = head[i];
            if (c == '{') {
                return true;
            }
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return false;
            }
        }
        return false;
    }

    private static final class Entry {
        final String name;
        final DType dtype;
        final int[] shape;
        final long begin, end;

        Entry(String name, DType dtype, int[] shape, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }
    }

    private static final class Header {
        final List<Entry> entries = new ArrayList<>();
        final Map<String, String> metadata = new LinkedHashMap<>();
    }

    /** Parses and validates the JSON header against a data section of {@code dataLen} bytes. */
    private static Header parseHeader(Path file, String json, long dataLen) throws WeightsFormatException {
        Object root;
        try {
            root = Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw new WeightsFormatException(file, "safetensors: header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map)) {
            throw new WeightsFormatException(file, "safetensors: header is not a JSON object");
        }
        Header h = new Header();
        for (Map.Entry<?, ?> kv : ((Map<?, ?>) root).entrySet()) {
            String name = (String) kv.getKey();
            Object v = kv.getValue();
            if (name.equals("__metadata__")) {
                if (!(v instanceof Map)) {
                    throw new WeightsFormatException(file, "safetensors: __metadata__ is not an object");
                }
                for (Map.Entry<?, ?> m : ((Map<?, ?>) v).entrySet()) {
                    if (!(m.getValue() instanceof String)) {
                        throw new WeightsFormatException(file, "safetensors: __metadata__ value of \"" + m.getKey()
                                + "\" is not a string");
                    }
                    h.metadata.put((String) m.getKey(), (String) m.getValue());
                }
                continue;
            }
            h.entries.add(entry(file, name, v));
        }
        // Sorted by offsets, the tensors must tile [0, dataLen) exactly: no overlap, no hole, nothing left over.
        List<Entry> sorted = new ArrayList<>(h.entries);
        sorted.sort(Comparator.<Entry>comparingLong(e -> e.begin).thenComparingLong(e -> e.end));
        long covered = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.end > dataLen) {
                throw new WeightsFormatException(file, "safetensors: tensor '" + e.name + "' data_offsets [" + e.begin
                        + ", " + e.end + "] lie outside the data section of " + dataLen + " bytes");
            }
            if (e.begin < covered) {
                throw new WeightsFormatException(file, "safetensors: invalid offset: tensor '" + e.name + "' data_offsets ["
                        + e.begin + ", " + e.end + "] overlap tensor '" + previous + "' (which ends at " + covered + ")");
            }
            if (e.begin > covered) {
                throw new WeightsFormatException(file, "safetensors: file not fully covered: bytes [" + covered + ", "
                        + e.begin + ") of the data belong to no tensor (hole before '" + e.name + "')");
            }
            covered = e.end;
            previous = e.name;
        }
        if (covered != dataLen) {
            throw new WeightsFormatException(file, "safetensors: file not fully covered: the tensors end at byte "
                    + covered + " of a data section of " + dataLen + " bytes");
        }
        return h;
    }

    private static Entry entry(Path file, String name, Object v) throws WeightsFormatException {
        String where = "safetensors: tensor '" + name + "'";
        if (!(v instanceof Map)) {
            throw new WeightsFormatException(file, where + " is not an object with dtype, shape and data_offsets");
        }
        Map<?, ?> m = (Map<?, ?>) v;
        for (String field : new String[] {"dtype", "shape", "data_offsets"}) {
            if (!m.containsKey(field)) {
                throw new WeightsFormatException(file, where + " has no \"" + field + "\"");
            }
        }
        if (!(m.get("dtype") instanceof String)) {
            throw new WeightsFormatException(file, where + ": dtype is not a string");
        }
        String dt = (String) m.get("dtype");
        DType dtype = DType.fromSafetensors(dt);
        if (dtype == null) {
            throw new WeightsFormatException(file, where + ": unsupported dtype " + dt + " (vecnet reads "
                    + Arrays.toString(DType.values()) + ")");
        }
        long[] shapeL = longs(file, where + ": shape", m.get("shape"));
        int[] shape = new int[shapeL.length];
        long numel = 1;
        for (int i = 0; i < shapeL.length; i++) {
            if (shapeL[i] < 0) {
                throw new WeightsFormatException(file, where + ": negative dimension in shape " + Arrays.toString(shapeL));
            }
            if (shapeL[i] > Integer.MAX_VALUE) {
                throw new WeightsFormatException(file, where + ": dimension " + shapeL[i] + " in shape "
                        + Arrays.toString(shapeL) + " is too large");
            }
            shape[i] = (int) shapeL[i];
            try {
                numel = Math.multiplyExact(numel, shapeL[i]);
            } catch (ArithmeticException overflow) {
                throw new WeightsFormatException(file, where + ": shape " + Arrays.toString(shapeL) + " overflows");
            }
        }
        long nbytes;
        try {
            nbytes = Math.multiplyExact(numel, (long) dtype.size());
        } catch (ArithmeticException overflow) {
            throw new WeightsFormatException(file, where + ": shape " + Arrays.toString(shapeL) + " overflows");
        }
        long[] off = longs(file, where + ": data_offsets", m.get("data_offsets"));
        if (off.length != 2) {
            throw new WeightsFormatException(file, where + ": data_offsets must be [begin, end], got " + Arrays.toString(off));
        }
        if (off[0] < 0 || off[1] < off[0]) {
            throw new WeightsFormatException(file, where + ": invalid data_offsets " + Arrays.toString(off));
        }
        if (off[1] - off[0] != nbytes) {
            throw new WeightsFormatException(file, where + ": " + dtype + " shape " + Arrays.toString(shapeL) + " needs "
                    + nbytes + " bytes but data_offsets " + Arrays.toString(off) + " span " + (off[1] - off[0]));
        }
        return new Entry(name, dtype, shape, off[0], off[1]);
    }

    private static long[] longs(Path file, String what, Object v) throws WeightsFormatException {
        if (!(v instanceof List)) {
            throw new WeightsFormatException(file, what + " is not an array");
        }
        List<?> list = (List<?>) v;
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long)) {
                throw new WeightsFormatException(file, what + " holds " + list.get(i) + ", not an integer");
            }
            out[i] = (Long) list.get(i);
        }
        return out;
    }

    /** Writes float32 tensors (dtype F32) with optional string metadata ({@code null} for none). */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, RawTensor> raw = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            raw.put(e.getKey(), RawTensor.ofFloats(e.getValue().data(), e.getValue().shape()));
        }
        writeRaw(file, raw, metadata);
    }

    /** Writes tensors of any {@link DType} with optional string metadata ({@code null} for none). */
    public static void writeRaw(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata) throws IOException {
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            writeRaw(out, tensors, metadata);
        }
    }

    /** As {@link #write(Path, Map, Map)}, onto a stream (for example standard output); flushed, not closed. */
    public static void write(OutputStream out, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, RawTensor> raw = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            raw.put(e.getKey(), RawTensor.ofFloats(e.getValue().data(), e.getValue().shape()));
        }
        writeRaw(out, raw, metadata);
    }

    /** As {@link #writeRaw(Path, Map, Map)}, onto a stream; flushed, not closed. */
    public static void writeRaw(OutputStream out, Map<String, RawTensor> tensors, Map<String, String> metadata)
            throws IOException {
        if (tensors.containsKey("__metadata__")) {
            throw new IllegalArgumentException("\"__metadata__\" is reserved and cannot name a tensor");
        }
        // Data order: descending element size (stable), so each tensor starts aligned to its element size.
        List<String> dataOrder = new ArrayList<>(tensors.keySet());
        dataOrder.sort(Comparator.comparingInt((String k) -> -tensors.get(k).dtype().size()));
        Map<String, long[]> offsets = new LinkedHashMap<>();
        long at = 0;
        for (String k : dataOrder) {
            long len = tensors.get(k).bytesNoCopy().length;
            offsets.put(k, new long[] {at, at + len});
            at += len;
        }
        StringBuilder json = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                json.append(first ? "" : ",");
                quote(json, m.getKey()).append(':');
                quote(json, m.getValue());
                first = false;
            }
            json.append('}');
        }
        for (Map.Entry<String, RawTensor> e : tensors.entrySet()) {
            if (json.length() > 1) {
                json.append(',');
            }
            RawTensor t = e.getValue();
            long[] off = offsets.get(e.getKey());
            quote(json, e.getKey()).append(":{\"dtype\":\"").append(t.dtype().name()).append("\",\"shape\":[");
            int[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                json.append(i == 0 ? "" : ",").append(shape[i]);
            }
            json.append("],\"data_offsets\":[").append(off[0]).append(',').append(off[1]).append("]}");
        }
        json.append('}');
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;      // 8 + N is then a multiple of 8
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(header);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        out.write(prefix.array());
        for (String k : dataOrder) {
            out.write(tensors.get(k).bytesNoCopy());
        }
        out.flush();
    }

    private static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"');
    }
}
