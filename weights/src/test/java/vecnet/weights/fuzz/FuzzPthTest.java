package vecnet.weights.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.Fixtures;
import vecnet.testing.FuzzHarness;
import vecnet.weights.PickleBytes;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;
import vecnet.weights.WeightsFormatException;

/**
 * Fuzzes the {@code .pth} reader (zip archive + restricted unpickler) through {@link StateDict#read}:
 * byte mutations of whole torch-written archives; mutations of their {@code data.pkl} alone
 * (re-zipped with correct CRCs so the unpickler sees them); random pickle programs built from every
 * opcode with hostile operands (globals such as {@code os.system}, lengths of 2^32−1 and 2^63,
 * memo indexes of 2^32, deep MARK nesting, self-referencing containers, tensor views with huge sizes,
 * zero strides and offsets past the storage, unknown opcodes); and zip archives with odd entry names,
 * duplicated entries, and central-directory sizes, methods and offsets set to interesting values.
 * Property: see {@link FuzzHarness}; the documented refusal is {@link WeightsFormatException}.
 */
class FuzzPthTest extends LibraryTest {
    private static final long SEED = FuzzHarness.seed(0x7e47_0001L);
    private static final long MAX_ALLOC = 32L << 20;

    @TempDir
    Path dir;

    private static byte[] views, checkpoint;
    private static Map<String, byte[]> viewsEntries;

    @BeforeAll
    static void load() throws IOException {
        views = Files.readAllBytes(Fixtures.file("views.pth"));
        checkpoint = Files.readAllBytes(Fixtures.file("checkpoint.pth"));
        viewsEntries = entries(Fixtures.file("views.pth"));
    }

    static Map<String, byte[]> entries(Path file) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(file.toFile())) {
            for (Enumeration<? extends ZipEntry> en = z.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                try (InputStream in = z.getInputStream(e)) {
                    m.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return m;
    }

    /** A STORED zip of the entries, in order, with correct sizes and CRCs. */
    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        return PickleBytes.zip(entries);
    }

    private FuzzHarness.Input readAll(byte[] bytes, int i) throws IOException {
        Path f = dir.resolve("in" + i + ".pth");
        Files.write(f, bytes);
        return new FuzzHarness.Input(bytes, () -> {
            try {
                StateDict sd = StateDict.read(f);
                for (String k : sd.keys()) {
                    sd.tensor(k);
                    sd.raw(k);
                    if (!sd.dtype(k).isFloatingPoint()) {
                        sd.longs(k);
                    }
                }
            } finally {
                Files.deleteIfExists(f);
            }
        });
    }

    private static FuzzHarness.Stats run(String name, long seed, FuzzHarness.Generator gen) {
        int n = FuzzHarness.iterations(1000);
        FuzzHarness.Stats s = FuzzHarness.run(name, seed, n, Duration.ofSeconds(60 + n / 20), MAX_ALLOC,
                t -> t instanceof WeightsFormatException, gen);
        assertEquals(n, s.valid + s.refused);
        return s;
    }

    @Test
    void mutatedArchives() {
        FuzzHarness.Stats s = run("pth-bytes", SEED, (i, rnd, label) ->
                readAll(FuzzHarness.mutate(rnd.nextBoolean() ? views : checkpoint, rnd, label), i));
        assertTrue(s.valid > 0 && s.refused > 0, s.toString());
    }

    @Test
    void mutatedPickles() {
        byte[] pkl = viewsEntries.get("views/data.pkl");
        FuzzHarness.Stats s = run("pth-pickle-bytes", SEED + 1, (i, rnd, label) -> {
            Map<String, byte[]> m = new LinkedHashMap<>(viewsEntries);
            m.put("views/data.pkl", FuzzHarness.mutate(pkl, rnd, label));
            return readAll(zip(m), i);
        });
        assertTrue(s.refused > 0, s.toString());
    }

    @Test
    void generatedPickles() {
        FuzzHarness.Stats s = run("pth-pickle-programs", SEED + 2, (i, rnd, label) -> {
            Map<String, byte[]> m = new LinkedHashMap<>(viewsEntries);
            m.put("views/data.pkl", program(rnd, label));
            return readAll(zip(m), i);
        });
        assertTrue(s.valid > 0 && s.refused > 0, s.toString());
    }

    @Test
    void oddArchives() {
        FuzzHarness.Stats s = run("pth-zip-structure", SEED + 3, (i, rnd, label) -> readAll(oddZip(rnd, label), i));
        assertTrue(s.valid > 0 && s.refused > 0, s.toString());
    }

    /**
     * Structure-aware mutations of a valid state_dict pickle (tensor entries over views.pth's
     * 16-float storage '0'), at the level of pickled objects: a big tuple memoized and reused in
     * thousands of dict keys (hashing must stay linear), {@code (None,)} and deeply nested or doubling
     * tuple keys, persistent ids holding cyclic or 100,000-deep lists or huge strings (messages must
     * stay bounded), one tensor reused under thousands of keys and broadcast views near the caps
     * (the total of materialized elements), negative offsets, 65 dimensions, keys with terminal
     * escapes. Reading a legal broadcast view allocates its elements (up to 2^24 + 2 per file byte,
     * as float32 and raw), hence the larger allocation bound of this generator.
     */
    @Test
    void structuredPickles() {
        int n = FuzzHarness.iterations(500);
        FuzzHarness.Stats s = FuzzHarness.run("pth-pickle-structure", SEED + 4, n, Duration.ofSeconds(60 + n / 10),
                STRUCTURED_MAX_ALLOC, t -> t instanceof WeightsFormatException, (i, rnd, label) -> {
                    Map<String, byte[]> m = new LinkedHashMap<>(viewsEntries);
                    m.put("views/data.pkl", structuredProgram(rnd, label));
                    return readAll(zip(m), i);
                });
        assertTrue(s.valid > 0 && s.refused > 0, s.toString());
    }

    /** Reading every tensor of a file at the element cap: 2^24 elements as float32, raw bytes and longs, and slack. */
    private static final long STRUCTURED_MAX_ALLOC = 320L << 20;

    static byte[] structuredProgram(Random rnd, StringBuilder label) {
        P p = new P().op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '(');
        int entries = 1 + rnd.nextInt(4);
        for (int k = 0; k < entries; k++) {
            view(p, "w" + k, 0, new long[] {4, 4}, new long[] {4, 1});
        }
        int mutations = 1 + rnd.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            structuralMutation(p, rnd, label);
        }
        byte[] b = p.op('u', '.').bytes();
        label.append(b.length).append(" bytes");
        return b;
    }

    /** A tensor entry: key, then _rebuild_tensor_v2 of FloatStorage '0' (16 elements) with this view. */
    private static void view(P p, String key, long offset, long[] size, long[] stride) {
        p.unicode(key);
        tensor(p, offset, size, stride);
    }

    private static void tensor(P p, long offset, long[] size, long[] stride) {
        p.global("torch._utils", "_rebuild_tensor_v2").op('(');
        p.op('(').unicode("storage").global("torch", "FloatStorage").unicode("0").unicode("cpu").integer(16).op('t', 'Q');
        p.integer(offset).op('(');
        for (long v : size) {
            p.integer(v);
        }
        p.op('t', '(');
        for (long v : stride) {
            p.integer(v);
        }
        p.op('t', 0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R');
    }

    private static void structuralMutation(P p, Random rnd, StringBuilder label) {
        switch (rnd.nextInt(9)) {
            case 0: { // a big tuple, memoized, reused in many keys (t, k): value k
                int size = 1 + rnd.nextInt(30_000), uses = 1 + rnd.nextInt(60_000);
                p.op('(');
                for (int k = 0; k < size; k++) {
                    p.integer(k);
                }
                p.op('t', 'r').le32(999_999).integer(0).op(0x86).integer(0);
                for (int k = 1; k < uses; k++) {
                    p.op('j').le32(999_999).integer(k).op(0x86).integer(k);
                }
                label.append("tuple of ").append(size).append(" in ").append(uses).append(" keys; ");
                break;
            }
            case 1: { // (None,), (None, None, ...) and the same tuple built twice
                int width = 1 + rnd.nextInt(3);
                for (int copy = 0; copy < 2; copy++) {
                    for (int k = 0; k < width; k++) {
                        p.op('N');
                    }
                    p.op(new int[] {0x85, 0x86, 0x87}[width - 1]).integer(copy);
                }
                label.append("(None,)x").append(width).append(" keys; ");
                break;
            }
            case 2: { // a nested tuple key, up to 100,000 deep, built twice
                int depth = 1 + rnd.nextInt(100_000);
                for (int copy = 0; copy < 2; copy++) {
                    p.op(')');
                    for (int k = 0; k < depth; k++) {
                        p.op(0x85);
                    }
                    p.integer(copy);
                }
                label.append("tuple key ").append(depth).append(" deep; ");
                break;
            }
            case 3: { // a doubling DAG of tuples, t(k+1) = (tk, tk), built twice
                int depth = 1 + rnd.nextInt(400);
                for (int copy = 0; copy < 2; copy++) {
                    p.op(')');
                    for (int k = 0; k < depth; k++) {
                        p.op('r').le32(888_888).op('j').le32(888_888).op(0x86);
                    }
                    p.integer(copy);
                }
                label.append("doubling tuple DAG ").append(depth).append("; ");
                break;
            }
            case 4: { // a persistent id holding a cyclic list, a deep list, a huge or escaped string
                p.unicode("pid").op('(').unicode("storage");
                switch (rnd.nextInt(4)) {
                    case 0: p.op(']', 'r').le32(777_777).op('j').le32(777_777).op('a'); break;
                    case 1: {
                        int depth = 1 + rnd.nextInt(100_000);
                        for (int k = 0; k <= depth; k++) {
                            p.op(']');
                        }
                        for (int k = 0; k < depth; k++) {
                            p.op('a');
                        }
                        break;
                    }
                    case 2: p.unicode("x".repeat(1 + rnd.nextInt(1 << 20))); break;
                    default: p.unicode("\u001b[2J\u001b]0;title\u0007"); break;
                }
                p.unicode("0").unicode("cpu").integer(16).op('t', 'Q');
                label.append("hostile persistent id; ");
                break;
            }
            case 5: { // one broadcast tensor, memoized, under many keys
                long side = 1L << rnd.nextInt(13);
                int keys = 1 + rnd.nextInt(5000);
                p.unicode("b0");
                tensor(p, 0, new long[] {side, side}, new long[] {0, 0});
                p.op('r').le32(666_666);
                for (int k = 1; k < keys; k++) {
                    p.unicode("b" + k).op('j').le32(666_666);
                }
                label.append("broadcast ").append(side).append("^2 under ").append(keys).append(" keys; ");
                break;
            }
            case 6: { // many distinct broadcast views near the per-tensor cap
                int count = 1 + rnd.nextInt(60);
                // at the per-tensor cap one time in four only: reading a legal view of 2^24 elements takes
                // seconds on a busy machine, and the harness allows 10 s per input
                long elements = rnd.nextInt(4) == 0 ? (1L << 24) - rnd.nextInt(3) : (1L << 20) - rnd.nextInt(3);
                for (int k = 0; k < count; k++) {
                    view(p, "c" + k, rnd.nextInt(16), new long[] {elements}, new long[] {0});
                }
                label.append(count).append(" broadcast views of ").append(elements).append("; ");
                break;
            }
            case 7: { // negative offsets and too many dimensions
                if (rnd.nextBoolean()) {
                    long off = -1 - rnd.nextInt(1 << 20);
                    view(p, "neg", off, new long[] {2}, new long[] {1 + rnd.nextInt(1 << 21)});
                    label.append("offset ").append(off).append("; ");
                } else {
                    int dims = 60 + rnd.nextInt(10);
                    long[] ones = new long[dims];
                    Arrays.fill(ones, 1);
                    view(p, "dims", 0, ones, ones);
                    label.append(dims).append(" dims; ");
                }
                break;
            }
            default: { // keys with terminal escapes, control characters and 100,000 characters
                String key = "\u001b[2J\u001b[31m" + "k".repeat(rnd.nextInt(100_000)) + "\r\n\u0000";
                view(p, key, 0, new long[] {16}, new long[] {1});
                label.append("escaped key of ").append(key.length()).append("; ");
                break;
            }
        }
    }

    /**
     * Structure-aware zip archives around a pickle of {@code k} float storages: stored, deflated
     * (entries that inflate far beyond the file), or central-directory entries that all point at one
     * deflated blob (the classic zip bomb of overlapping entries), with 1 to 3,000 entries.
     */
    @Test
    void structuredZips() {
        int n = FuzzHarness.iterations(300);
        FuzzHarness.Stats s = FuzzHarness.run("pth-zip-bombs", SEED + 5, n, Duration.ofSeconds(60 + n / 5), ZIP_MAX_ALLOC,
                t -> t instanceof WeightsFormatException, (i, rnd, label) -> readAll(bombZip(rnd, label), i));
        assertTrue(s.valid > 0 && s.refused > 0, s.toString());
    }

    /**
     * An archive may inflate to 16 times its size (Pth.MAX_INFLATION); reading all of it as bytes,
     * float32 and raw costs about 3 times that: for these archives of up to about 1 MB, 96 MiB.
     */
    private static final long ZIP_MAX_ALLOC = 96L << 20;

    static byte[] bombZip(Random rnd, StringBuilder label) throws IOException {
        int k = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 3000);
        int numel = 1 << rnd.nextInt(rnd.nextInt(4) == 0 ? 21 : 12);
        int kind = rnd.nextInt(3);
        if (kind == 0) {
            k = Math.max(1, Math.min(k, (1 << 20) / numel));     // a stored archive of at most 4 MiB (valid,
        }                                                       // read in proportion to its size)
        if (kind == 1) {
            k = Math.max(1, Math.min(k, (16 << 20) / numel));    // deflating 64 MiB of zeros at most, to generate quickly
        }
        P p = new P().op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '(');
        for (int s = 0; s < k; s++) {
            p.unicode("w" + s).global("torch._utils", "_rebuild_tensor_v2").op('(');
            p.op('(').unicode("storage").global("torch", "FloatStorage").unicode("s" + s).unicode("cpu").integer(numel)
                    .op('t', 'Q');
            p.integer(0).op('(').integer(numel).op('t', '(').integer(1).op('t', 0x89)
                    .global("collections", "OrderedDict").op(')', 'R', 't', 'R');
        }
        byte[] pickle = p.op('u', '.').bytes();
        byte[] zeros = new byte[4 * numel];
        label.append(k).append(" storages of ").append(numel).append(" floats, ");
        if (kind == 0) {
            Map<String, byte[]> m = new LinkedHashMap<>();
            m.put("bomb/data.pkl", pickle);
            for (int s = 0; s < k; s++) {
                m.put("bomb/data/s" + s, zeros);
            }
            label.append("stored");
            return zip(m);
        }
        if (kind == 1) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(bytes)) {
                z.putNextEntry(new ZipEntry("bomb/data.pkl"));
                z.write(pickle);
                for (int s = 0; s < k; s++) {
                    z.putNextEntry(new ZipEntry("bomb/data/s" + s));
                    z.write(zeros);
                }
            }
            label.append("deflated");
            return bytes.toByteArray();
        }
        label.append("central directory entries sharing one deflated blob");
        return sharedBlobZip(pickle, zeros, k);
    }

    /** A zip whose entries bomb/data/s0..s(k-1) all point at the same local header and deflated data. */
    static byte[] sharedBlobZip(byte[] pickle, byte[] content, int k) {
        java.util.zip.Deflater d = new java.util.zip.Deflater(9, true);
        d.setInput(content);
        d.finish();
        byte[] buf = new byte[content.length + 1024];
        int clen = d.deflate(buf);
        d.end();
        byte[] blob = Arrays.copyOf(buf, clen);
        ByteBuffer z = ByteBuffer.allocate(1024 + pickle.length + blob.length + 100 * (k + 2)).order(ByteOrder.LITTLE_ENDIAN);
        int pklAt = z.position();
        local(z, "bomb/data.pkl", 0, crc(pickle), pickle.length, pickle.length, pickle);
        int blobAt = z.position();
        local(z, "bomb/data/s0", 8, crc(content), blob.length, content.length, blob);
        int cenAt = z.position();
        central(z, "bomb/data.pkl", 0, crc(pickle), pickle.length, pickle.length, pklAt);
        for (int s = 0; s < k; s++) {
            central(z, "bomb/data/s" + s, 8, crc(content), blob.length, content.length, blobAt);
        }
        int cenSize = z.position() - cenAt;
        z.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) (k + 1)).putShort((short) (k + 1))
                .putInt(cenSize).putInt(cenAt).putShort((short) 0);
        return Arrays.copyOf(z.array(), z.position());
    }

    private static long crc(byte[] b) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(b);
        return c.getValue();
    }

    private static void local(ByteBuffer z, String name, int method, long crc, int csize, int size, byte[] data) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        z.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) method).putShort((short) 0)
                .putShort((short) 0x21).putInt((int) crc).putInt(csize).putInt(size).putShort((short) n.length)
                .putShort((short) 0).put(n).put(data);
    }

    private static void central(ByteBuffer z, String name, int method, long crc, int csize, int size, int at) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        z.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) method)
                .putShort((short) 0).putShort((short) 0x21).putInt((int) crc).putInt(csize).putInt(size)
                .putShort((short) n.length).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0).putInt(0).putInt(at).put(n);
    }

    private static final String[] ODD_NAMES = {"../views/data.pkl", "/views/data.pkl", "views//data.pkl", "data.pkl",
        "views/data.pkl/", "views\\data.pkl", "vi\u00e9ws/data.pkl", "a/b/data.pkl", "views/DATA.PKL",
        "x".repeat(4000) + "/data.pkl", "views/data/../data.pkl", "views/code/x.py", "views/constants.pkl",
        "views/byteorder"};

    static byte[] oddZip(Random rnd, StringBuilder label) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>(viewsEntries);
        switch (rnd.nextInt(6)) {
            case 0: { // rename one entry
                List<String> keys = new ArrayList<>(m.keySet());
                String from = keys.get(rnd.nextInt(keys.size()));
                String to = ODD_NAMES[rnd.nextInt(ODD_NAMES.length)];
                byte[] v = m.remove(from);
                m.put(to, v);
                label.append("rename ").append(from).append(" -> ").append(to.length() > 40 ? to.substring(0, 40) : to);
                return zip(m);
            }
            case 1: { // duplicate an entry name: write a twin with a placeholder name, then patch the bytes
                List<String> keys = new ArrayList<>(m.keySet());
                String name = keys.get(rnd.nextInt(keys.size()));
                String twin = name.substring(0, name.length() - 1) + "\u0001";
                byte[] content = rnd.nextBoolean() ? m.get(name) : new byte[rnd.nextInt(100)];
                Map<String, byte[]> m2 = new LinkedHashMap<>();
                if (rnd.nextBoolean()) {
                    m2.put(twin, content);
                    m2.putAll(m);
                } else {
                    m2.putAll(m);
                    m2.put(twin, content);
                }
                byte[] z = zip(m2);
                replaceAll(z, twin.getBytes(StandardCharsets.UTF_8), name.getBytes(StandardCharsets.UTF_8));
                label.append("duplicate ").append(name);
                return z;
            }
            case 2: { // byteorder entry
                String[] orders = {"little", "big", "", "little\n", "\u0000".repeat(8)};
                String o = orders[rnd.nextInt(orders.length)];
                m.put("views/byteorder", o.getBytes(StandardCharsets.UTF_8));
                label.append("byteorder '").append(o).append('\'');
                return zip(m);
            }
            case 3: { // storage entry of another size
                List<String> keys = new ArrayList<>(m.keySet());
                String name = keys.get(rnd.nextInt(keys.size()));
                int len = new int[] {0, 1, 3, 65_536, m.get(name).length + 1}[rnd.nextInt(5)];
                m.put(name, new byte[len]);
                label.append("resize ").append(name).append(" to ").append(len);
                return zip(m);
            }
            default: { // central directory fields set to interesting values
                byte[] z = zip(m);
                List<Integer> cen = new ArrayList<>();
                for (int p = 0; p + 4 <= z.length; p++) {
                    if (z[p] == 'P' && z[p + 1] == 'K' && z[p + 2] == 1 && z[p + 3] == 2) {
                        cen.add(p);
                    }
                }
                int p = cen.get(rnd.nextInt(cen.size()));
                int[] fields = {10, 20, 24, 28, 30, 42, 8};   // method, csize, size, name len, extra len, local offset, flags
                int field = fields[rnd.nextInt(fields.length)];
                long v = FuzzHarness.INTERESTING[rnd.nextInt(FuzzHarness.INTERESTING.length)];
                int width = field == 10 || field == 28 || field == 30 || field == 8 ? 2 : 4;
                if (field == 10 && rnd.nextBoolean()) {
                    v = new int[] {8, 12, 14, 99}[rnd.nextInt(4)];   // deflate (on stored bytes), bzip2, lzma, AES
                }
                ByteBuffer bb = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < width; k++) {
                    bb.put(p + field + k, (byte) (v >>> (8 * k)));
                }
                label.append("central directory entry at ").append(p).append(" field +").append(field).append(" = ").append(v);
                return z;
            }
        }
    }

    private static void replaceAll(byte[] z, byte[] from, byte[] to) {
        for (int p = 0; p + from.length <= z.length; p++) {
            boolean eq = true;
            for (int k = 0; k < from.length && eq; k++) {
                eq = z[p + k] == from[k];
            }
            if (eq) {
                System.arraycopy(to, 0, z, p, to.length);
            }
        }
    }

    // ---- random pickle programs ----

    private static final String[][] GLOBALS = {
        {"collections", "OrderedDict"}, {"torch._utils", "_rebuild_tensor_v2"}, {"torch._utils", "_rebuild_parameter"},
        {"builtins", "set"}, {"torch", "FloatStorage"}, {"torch", "HalfStorage"}, {"torch", "LongStorage"},
        {"os", "system"}, {"posix", "system"}, {"builtins", "eval"}, {"builtins", "exec"}, {"builtins", "getattr"},
        {"subprocess", "Popen"}, {"__main__", "Net"}, {"torch.nn.modules.linear", "Linear"},
        {"torch._utils", "_rebuild_tensor_v3"}, {"torch", "Tensor"}, {"numpy.core.multiarray", "_reconstruct"},
        {"collections", "OrderedDict\nos"}, {"", ""}};

    /** A random program: a dict of tensor entries interleaved with random opcodes, then STOP. */
    static byte[] program(Random rnd, StringBuilder label) {
        P p = new P();
        p.op(0x80, 2 + rnd.nextInt(rnd.nextInt(10) == 0 ? 10 : 4));
        boolean dict = rnd.nextInt(4) != 0;
        if (dict) {
            p.global("collections", "OrderedDict").op(')').op('R').op('(');
        }
        int ops = rnd.nextInt(40);
        for (int k = 0; k < ops; k++) {
            int choice = rnd.nextInt(10);
            if (choice < 3) {
                tensorEntry(p, rnd);
            } else if (choice < 4) {
                hostile(p, rnd);
            } else {
                randomOp(p, rnd);
            }
        }
        if (dict) {
            p.op('u');
        }
        if (rnd.nextInt(10) != 0) {
            p.op('.');
        }
        byte[] b = p.bytes();
        label.append("program of ").append(b.length).append(" bytes");
        return b;
    }

    private static void tensorEntry(P p, Random rnd) {
        p.unicode("w" + rnd.nextInt(5));
        p.global("torch._utils", "_rebuild_tensor_v2").op('(');
        String[] classes = {"FloatStorage", "HalfStorage", "LongStorage", "BFloat16Storage", "DoubleStorage",
            "BoolStorage", "ByteStorage", "QInt8Storage"};
        long numel = rnd.nextInt(4) == 0 ? interesting(rnd) : 16;
        p.op('(').unicode("storage").global("torch", classes[rnd.nextInt(rnd.nextInt(6) == 0 ? classes.length : 1)])
                .unicode(String.valueOf(rnd.nextInt(rnd.nextInt(8) == 0 ? 20 : 1))).unicode("cpu").integer(numel);
        if (rnd.nextInt(20) == 0) {
            p.op('N');
        }
        p.op('t', 'Q');
        p.integer(rnd.nextInt(3) == 0 ? interesting(rnd) : rnd.nextInt(4));    // storage offset
        int dims = rnd.nextInt(4);
        p.op('(');
        for (int d = 0; d < dims; d++) {
            p.integer(rnd.nextInt(3) == 0 ? interesting(rnd) : rnd.nextInt(5));
        }
        p.op('t').op('(');
        int strides = rnd.nextInt(10) == 0 ? rnd.nextInt(4) : dims;
        for (int d = 0; d < strides; d++) {
            p.integer(rnd.nextInt(3) == 0 ? (rnd.nextBoolean() ? 0 : interesting(rnd)) : rnd.nextInt(5));
        }
        p.op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
        if (rnd.nextInt(10) == 0) {
            p.global("torch._utils", "_rebuild_parameter").op('(', 0x88).op('t');   // wrong argument order
        }
    }

    private static long interesting(Random rnd) {
        long[] v = {0, -1, 1L << 31, (1L << 31) - 1, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 46341,
            1L << 30, 100_000_000L};
        return v[rnd.nextInt(v.length)];
    }

    private static void hostile(P p, Random rnd) {
        switch (rnd.nextInt(12)) {
            case 0: p.global("os", "system").unicode("echo pwned").op(0x85, 'R'); break;
            case 1: p.unicode("posix").unicode("system").op(0x93).unicode("id").op(0x85, 'R'); break;   // STACK_GLOBAL
            case 2: p.op('('); for (int k = 0, n = 1 + rnd.nextInt(200_000); k < n; k++) { p.op('('); } break;
            case 3: p.op(']', 'q', 0, 'h', 0, 'a'); break;                   // a list containing itself
            case 4: p.op('}', 'q', 1).unicode("k").op('h', 1, 's', 0x85, 'K', 1); break;  // (d,) as a key, d = {'k': d}
            case 5: p.op(']', 'q', 2, 'h', 2, 'a', 0x85, 'K', 1); break;     // (l,) as a key, l containing itself
            case 6: p.op('X').le32(0xffff_ffffL); break;                      // BINUNICODE of 4 GiB
            case 7: p.op(0x8d).le64(Long.MIN_VALUE); break;                   // BINUNICODE8 of 2^63
            case 8: p.op('r').le32(0xffff_ffffL).op('j').le32(0xffff_fffeL); break;   // memo 2^32-1, get a missing one
            case 9: p.op(0x8a, 255); for (int k = 0; k < 255; k++) { p.op(0xff); } break;   // LONG1 of 255 bytes
            case 10: { // deep nesting of lists, each appended into the previous
                int n = 1 + rnd.nextInt(100_000);
                p.op(']');
                for (int k = 0; k < n; k++) {
                    p.op(']');
                }
                for (int k = 0; k < n; k++) {
                    p.op('a');
                }
                p.op(0x85, 'K', 2);                                           // (deep list,): 2 as a dict item
                break;
            }
            default: p.op(0x81); break;                                       // NEWOBJ
        }
    }

    private static void randomOp(P p, Random rnd) {
        switch (rnd.nextInt(22)) {
            case 0: p.op('('); break;
            case 1: p.op('}'); break;
            case 2: p.op(']'); break;
            case 3: p.op(')'); break;
            case 4: p.op(new int[] {'t', 0x85, 0x86, 0x87}[rnd.nextInt(4)]); break;
            case 5: p.op(new int[] {'s', 'u', 'a', 'e', 'R', 'b', 'Q', '.', 0x93}[rnd.nextInt(9)]); break;
            case 6: p.op('q', rnd.nextInt(256)); break;
            case 7: p.op('h', rnd.nextInt(4)); break;
            case 8: p.op(0x94); break;
            case 9: p.op('K', rnd.nextInt(256)); break;
            case 10: p.integer(interesting(rnd)); break;
            case 11: p.unicode("k" + rnd.nextInt(3)); break;
            case 12: p.op('N'); break;
            case 13: p.op(rnd.nextBoolean() ? 0x88 : 0x89); break;
            case 14: p.op('G').le64(rnd.nextLong()); break;
            case 15: p.op('C', 2, rnd.nextInt(256), rnd.nextInt(256)); break;
            case 16: { String[] g = GLOBALS[rnd.nextInt(GLOBALS.length)]; p.global(g[0], g[1]); break; }
            case 17: p.op(0x95).le64(rnd.nextInt(1000)); break;
            case 18: p.op(rnd.nextInt(256)); break;                           // any byte, most are unknown opcodes
            case 19: p.op(0x8c, 10).raw(new byte[] {(byte) 0xff, (byte) 0xfe, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}); break;
            case 20: p.op('B').le32(interesting(rnd)); break;
            default: p.op('j').le32(interesting(rnd)); break;
        }
    }

    /** Minimal pickle writer. */
    static final class P {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        P op(int... b) {
            for (int x : b) {
                out.write(x);
            }
            return this;
        }

        P raw(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        P le32(long v) {
            return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        P le64(long v) {
            return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        P global(String module, String name) {
            return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        }

        P unicode(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            return op('X').le32(u.length).raw(u);
        }

        /** BININT1, BININT or LONG1 as Python's pickler picks them. */
        P integer(long v) {
            if (v >= 0 && v < 256) {
                return op('K', (int) v);
            }
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                return op('J').le32(v);
            }
            return op(0x8a, 8).le64(v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
