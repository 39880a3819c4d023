package vecnet.multimodal.parquet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A reader of Thrift's compact protocol, the encoding of Parquet's footer and page headers, into a
 * generic tree: a struct is a {@link Struct} of field id → value, where a value is a {@code Boolean},
 * a {@code Long} (i8, i16, i32 and i64 alike), a {@code Double}, a {@code byte[]} (binary and
 * string), a {@code List<Object>} (list and set), a {@code Map<Object, Object>} or a {@link Struct}.
 * Unknown fields are kept like known ones, so newer writers' additions are simply not looked at.
 *
 * <pre>
 *   field header: one byte (id delta << 4 | type), or (0 | type) then the id as a zigzag varint; type 0 ends the struct
 *   types: 1 true, 2 false, 3 i8, 4 i16, 5 i32, 6 i64 (zigzag varints but i8), 7 double (8 bytes LE),
 *          8 binary (varint length + bytes), 9 list, 10 set (size << 4 | element type; size 15: a varint follows),
 *          11 map (varint size, then key type << 4 | value type), 12 struct
 * </pre>
 *
 * <p>Bounded: nesting deeper than {@value #MAX_DEPTH}, a length or element count larger than the
 * bytes left, or a varint longer than 10 bytes is an {@link IllegalArgumentException} (the caller
 * turns it into a {@link ParquetFormatException} naming the file), so no declared size allocates
 * more than the input's length.
 */
final class Thrift {
    static final int MAX_DEPTH = 32;

    /** A decoded struct: its fields by id. */
    record Struct(Map<Integer, Object> fields) {
        Object get(int id) {
            return fields.get(id);
        }

        boolean has(int id) {
            return fields.containsKey(id);
        }

        /** An integer field, or {@code fallback} when absent. */
        long i64(int id, long fallback) {
            Object v = fields.get(id);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Long l) {
                return l;
            }
            throw new IllegalArgumentException("field " + id + " is not an integer");
        }

        /** A required integer field. */
        long i64(int id, String what) {
            if (!fields.containsKey(id)) {
                throw new IllegalArgumentException(what + " is missing");
            }
            return i64(id, 0);
        }

        /** An integer field that must fit an int, or {@code fallback} when absent. */
        int i32(int id, int fallback) {
            long v = i64(id, fallback);
            if (v != (int) v) {
                throw new IllegalArgumentException("field " + id + " is out of the int range: " + v);
            }
            return (int) v;
        }

        int i32(int id, String what) {
            if (!fields.containsKey(id)) {
                throw new IllegalArgumentException(what + " is missing");
            }
            return i32(id, 0);
        }

        boolean bool(int id, boolean fallback) {
            Object v = fields.get(id);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            throw new IllegalArgumentException("field " + id + " is not a boolean");
        }

        byte[] binary(int id) {
            Object v = fields.get(id);
            if (v == null || v instanceof byte[]) {
                return (byte[]) v;
            }
            throw new IllegalArgumentException("field " + id + " is not a string");
        }

        Struct struct(int id) {
            Object v = fields.get(id);
            if (v == null || v instanceof Struct) {
                return (Struct) v;
            }
            throw new IllegalArgumentException("field " + id + " is not a struct");
        }

        List<?> list(int id) {
            Object v = fields.get(id);
            if (v == null) {
                return List.of();
            }
            if (v instanceof List<?> l) {
                return l;
            }
            throw new IllegalArgumentException("field " + id + " is not a list");
        }
    }

    private final byte[] in;
    private final int end;
    private int pos;

    /** Reads from {@code in[from, to)}. */
    Thrift(byte[] in, int from, int to) {
        this.in = in;
        this.pos = from;
        this.end = to;
    }

    /** Where the next read starts. */
    int position() {
        return pos;
    }

    /** One struct from the current position. */
    Struct struct() {
        return struct(0);
    }

    private Struct struct(int depth) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("Thrift structures nested deeper than " + MAX_DEPTH);
        }
        Map<Integer, Object> fields = new HashMap<>();
        int lastId = 0;
        while (true) {
            int header = u8();
            int type = header & 0x0f;
            if (type == 0) {
                return new Struct(fields);
            }
            int delta = header >>> 4;
            int id = delta != 0 ? lastId + delta : (int) zigzag(varint());
            if (id != (short) id) {
                throw new IllegalArgumentException("Thrift field id out of range: " + id);
            }
            lastId = id;
            fields.put(id, type == 1 ? Boolean.TRUE : type == 2 ? Boolean.FALSE : value(type, depth + 1));
        }
    }

    private Object value(int type, int depth) {
        return switch (type) {
            case 1, 2 -> u8() == 1; // a boolean inside a list or map takes one byte
            case 3 -> (long) (byte) u8();
            case 4, 5, 6 -> zigzag(varint());
            case 7 -> {
                long bits = 0;
                for (int i = 0; i < 8; i++) {
                    bits |= (long) u8() << (8 * i);
                }
                yield Double.longBitsToDouble(bits);
            }
            case 8 -> {
                int n = length();
                byte[] b = java.util.Arrays.copyOfRange(in, pos, pos + n);
                pos += n;
                yield b;
            }
            case 9, 10 -> {
                int header = u8();
                long size = header >>> 4;
                if (size == 15) {
                    size = varint();
                }
                int element = header & 0x0f;
                List<Object> list = new ArrayList<>((int) Math.min(size, 16));
                requireCount(size);
                for (long i = 0; i < size; i++) {
                    list.add(element == 12 ? struct(depth) : value(element, depth));
                }
                yield list;
            }
            case 11 -> {
                long size = varint();
                requireCount(size);
                Map<Object, Object> map = new HashMap<>();
                if (size > 0) {
                    int types = u8();
                    for (long i = 0; i < size; i++) {
                        Object k = (types >>> 4) == 12 ? struct(depth) : value(types >>> 4, depth);
                        map.put(k, (types & 0x0f) == 12 ? struct(depth) : value(types & 0x0f, depth));
                    }
                }
                yield map;
            }
            case 12 -> struct(depth);
            default -> throw new IllegalArgumentException("unknown Thrift type " + type);
        };
    }

    /** Each element takes at least one byte, so a count larger than the bytes left cannot be right. */
    private void requireCount(long size) {
        if (size < 0 || size > end - pos) {
            throw new IllegalArgumentException("a Thrift list of " + size + " elements in " + (end - pos) + " bytes");
        }
    }

    private int length() {
        long n = varint();
        if (n > end - pos) {
            throw new IllegalArgumentException("a Thrift string of " + n + " bytes in " + (end - pos) + " bytes");
        }
        return (int) n;
    }

    private int u8() {
        if (pos >= end) {
            throw new IllegalArgumentException("Thrift data ends early");
        }
        return in[pos++] & 0xff;
    }

    private long varint() {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            int b = u8();
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("a Thrift varint longer than 10 bytes");
    }

    private static long zigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
