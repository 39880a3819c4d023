package vecnet.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test helper: writes pickle opcodes by hand (one method per opcode, named as in Python's
 * pickletools) and packs them with raw storages into a STORED zip shaped like torch.save's.
 */
public final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBytes op(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    PickleBytes proto(int v) {
        return op(0x80, v);
    }

    PickleBytes global(String module, String name) {
        op('c');
        raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    PickleBytes binunicode(String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        le32(u.length);
        return raw(u);
    }

    PickleBytes binint1(int v) {
        return op('K', v);
    }

    PickleBytes binint(int v) {
        op('J');
        return le32(v);
    }

    /** An int as Python's pickler writes it: BININT1 for 0..255, else BININT (signed, 4 bytes). */
    PickleBytes integer(int v) {
        return v >= 0 && v < 256 ? binint1(v) : binint(v);
    }

    PickleBytes mark() {
        return op('(');
    }

    PickleBytes tuple() {
        return op('t');
    }

    PickleBytes emptyTuple() {
        return op(')');
    }

    PickleBytes reduce() {
        return op('R');
    }

    PickleBytes emptyDict() {
        return op('}');
    }

    PickleBytes setitems() {
        return op('u');
    }

    PickleBytes setitem() {
        return op('s');
    }

    PickleBytes binpersid() {
        return op('Q');
    }

    PickleBytes newfalse() {
        return op(0x89);
    }

    PickleBytes stop() {
        return op('.');
    }

    PickleBytes le32(long v) {
        return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    PickleBytes raw(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    /** A tuple of small ints: MARK K.. K.. TUPLE. */
    PickleBytes ints(int... v) {
        mark();
        for (int x : v) {
            binint1(x);
        }
        return tuple();
    }

    /**
     * One state_dict entry {@code key: _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}
     * pushed on the stack (key then tensor), for use between MARK and SETITEMS.
     */
    PickleBytes tensorEntry(String key, String storageClass, String storageKey, int storageNumel,
                            int offset, int[] size, int[] stride) {
        binunicode(key);
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().binunicode("storage").global("torch", storageClass).binunicode(storageKey).binunicode("cpu")
                .binint(storageNumel).tuple().binpersid();
        integer(offset);
        ints(size);
        ints(stride);
        newfalse();
        global("collections", "OrderedDict").emptyTuple().reduce();
        tuple();
        return reduce();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** Writes a STORED zip with the entries in order (name → bytes). */
    /** Writes a zip of STORED entries, as torch.save does. */
    static void zip(Path file, Map<String, byte[]> entries) throws IOException {
        Files.write(file, zip(entries));
    }

    /** A zip of STORED entries (CRC and sizes set), in map order. */
    public static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bo)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bo.toByteArray();
    }

    /** A torch-shaped archive: root/data.pkl, root/data/&lt;key&gt; for each storage, root/version. */
    static void pth(Path file, String root, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(root + "/data.pkl", pickle);
        for (Map.Entry<String, byte[]> s : storages.entrySet()) {
            entries.put(root + "/data/" + s.getKey(), s.getValue());
        }
        entries.put(root + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        zip(file, entries);
    }

    static byte[] floatsLE(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }
}
