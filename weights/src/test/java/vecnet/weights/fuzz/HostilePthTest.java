package vecnet.weights.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;
import vecnet.weights.WeightsFormatException;

/**
 * Hand-made hostile {@code .pth} files, one attack each, inside a torch-shaped archive (the storages of
 * views.pth): code execution through globals, containers that contain themselves or nest 100,000 deep
 * used as dict keys (their hash would recurse), tensors that claim billions of elements over a
 * 16-element storage with zero strides, and the resource caps. Each must be refused with a
 * {@link WeightsFormatException} whose message says why, quickly and without a stack overflow.
 */
class HostilePthTest extends LibraryTest {
    @TempDir
    static Path dir;
    private static Map<String, byte[]> views;
    private static int count;

    @BeforeAll
    static void load() throws IOException {
        views = FuzzPthTest.entries(Fixtures.file("views.pth"));
    }

    /** The dict {@code OrderedDict([items...])} (items pushed by {@code body} as key, value pairs) in views.pth's archive. */
    private static Path pth(FuzzPthTest.P body) throws IOException {
        FuzzPthTest.P p = new FuzzPthTest.P().op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '(');
        p.raw(body.bytes()).op('u', '.');
        Map<String, byte[]> m = new LinkedHashMap<>(views);
        m.put("views/data.pkl", p.bytes());
        Path f = dir.resolve("hostile" + count++ + ".pth");
        Files.write(f, FuzzPthTest.zip(m));
        return f;
    }

    private static String refused(FuzzPthTest.P body) throws IOException {
        Path f = pth(body);
        WeightsFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(WeightsFormatException.class, () -> {
                    StateDict sd = StateDict.read(f);
                    for (String k : sd.keys()) {
                        sd.tensor(k);
                    }
                }));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        return e.getMessage();
    }

    /** A FloatStorage '0' of 16 elements viewed with the given size and stride. */
    private static FuzzPthTest.P tensor(String key, long[] size, long[] stride) {
        FuzzPthTest.P p = new FuzzPthTest.P().unicode(key).global("torch._utils", "_rebuild_tensor_v2").op('(');
        p.op('(').unicode("storage").global("torch", "FloatStorage").unicode("0").unicode("cpu").integer(16).op('t', 'Q');
        p.integer(0).op('(');
        for (long s : size) {
            p.integer(s);
        }
        p.op('t', '(');
        for (long s : stride) {
            p.integer(s);
        }
        return p.op('t', 0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R');
    }

    @Test
    void valid() throws IOException {
        StateDict sd = StateDict.read(pth(tensor("w", new long[] {4, 4}, new long[] {4, 1})));
        assertEquals(16, sd.tensor("w").size());
    }

    @Test
    void osSystem() throws IOException {
        String m = refused(new FuzzPthTest.P().unicode("k").global("os", "system").unicode("touch /tmp/pwned").op(0x85, 'R'));
        assertTrue(m.contains("global os.system is not allowed"), m);
        m = refused(new FuzzPthTest.P().unicode("k").unicode("posix").unicode("system").op(0x93));
        assertTrue(m.contains("global posix.system is not allowed"), m);
        m = refused(new FuzzPthTest.P().unicode("k").global("builtins", "getattr"));
        assertTrue(m.contains("global builtins.getattr is not allowed"), m);
    }

    @Test
    void listContainingItselfAsKey() throws IOException {
        // l = []; l.append(l); {(l,): 1}: Python refuses (unhashable list); hashing it in Java recurses forever
        String m = refused(new FuzzPthTest.P().op(']', 'q', 2, 'h', 2, 'a', 0x85).integer(1));
        assertTrue(m.contains("unhashable"), m);
    }

    @Test
    void dictContainingItselfAsKey() throws IOException {
        String m = refused(new FuzzPthTest.P().op('}', 'q', 1).unicode("k").op('h', 1, 's', 0x85).integer(1));
        assertTrue(m.contains("unhashable"), m);
    }

    @Test
    void setOfSelfReferencingList() throws IOException {
        String m = refused(new FuzzPthTest.P().unicode("k").global("builtins", "set")
                .op(']', 'q', 3, 'h', 3, 'a', 0x85, 'R'));   // set(l), l = [l]
        assertTrue(m.contains("unhashable"), m);
    }

    @Test
    void deeplyNestedKey() throws IOException {
        FuzzPthTest.P p = new FuzzPthTest.P();
        int n = 100_000;
        p.op(']');
        for (int k = 0; k < n; k++) {
            p.op(']');
        }
        for (int k = 0; k < n; k++) {
            p.op('a');
        }
        String m = refused(p.op(0x85).integer(2));
        assertTrue(m.contains("unhashable"), m);
    }

    @Test
    void deeplyNestedTupleKey() throws IOException {
        // ((((...),),),) 100,000 deep as a key: legal in Python; must not recurse in Java
        FuzzPthTest.P p = new FuzzPthTest.P().op(')');
        for (int k = 0; k < 100_000; k++) {
            p.op(0x85);
        }
        String m = refused(p.integer(2));
        assertTrue(m.contains("is not a string"), m);
    }

    @Test
    void zeroStrideViewOfBillionsOfElements() throws IOException {
        // 2^30 float32 elements (4 GiB as float32) viewing one 16-element storage through stride 0
        String m = refused(tensor("w", new long[] {1L << 30}, new long[] {0}));
        assertTrue(m.contains("elements"), m);
        m = refused(tensor("w", new long[] {46_341, 46_341}, new long[] {0, 0}));
        assertTrue(m.contains("elements"), m);
    }

    @Test
    void smallBroadcastViewIsRead() throws IOException {
        // torch.zeros(4).expand(3, 4) saved as is: 12 elements over a 16-element storage is fine
        StateDict sd = StateDict.read(pth(tensor("w", new long[] {3, 4}, new long[] {0, 1})));
        assertEquals(12, sd.tensor("w").size());
    }

    @Test
    void hugeLengths() throws IOException {
        String m = refused(new FuzzPthTest.P().op('X').le32(0xffff_ffffL));
        assertTrue(m.contains("truncated"), m);
        m = refused(new FuzzPthTest.P().op(0x8d).le64(Long.MIN_VALUE));
        assertTrue(m.contains("larger than the pickle"), m);
        m = refused(new FuzzPthTest.P().op('(', 'h', 9));
        assertTrue(m.contains("never stored"), m);
    }

    @Test
    void stackCapBoundsMemory() throws IOException {
        // 2^20 + 1 empty dicts pushed (a 1 MiB pickle): refused at the stack cap, having allocated
        // about 64 bytes per entry, not more
        FuzzPthTest.P p = new FuzzPthTest.P();
        for (int k = 0; k < (1 << 20) + 1; k++) {
            p.op('}');
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        Path f = pth(p);
        long before = mx.getCurrentThreadAllocatedBytes();
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> StateDict.read(f));
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(e.getMessage().contains("stack deeper than " + (1 << 20)), e.getMessage());
        assertTrue(allocated < 256L << 20, allocated + " bytes allocated");
    }

    @Test
    void markCap() throws IOException {
        FuzzPthTest.P p = new FuzzPthTest.P();
        for (int k = 0; k < (1 << 20) + 1; k++) {
            p.op('(');
        }
        String m = refused(p);
        assertTrue(m.contains("open MARKs"), m);
    }

    /** Runs {@code read} on {@code f}: it must be refused within 10 s, naming the file. */
    private static String refusedQuickly(Path f) {
        WeightsFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(WeightsFormatException.class, () -> StateDict.read(f)));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void bigTupleKeyUsedManyTimesIsLinear() throws IOException {
        // t = (0, 1, ..., 19999); {(t, i): i for i in range(50000)}, a 400 KB pickle: re-walking t at
        // each insert was quadratic (10^9 steps); hashed once, it is instant
        FuzzPthTest.P p = new FuzzPthTest.P().op('(');
        for (int k = 0; k < 20_000; k++) {
            p.integer(k);
        }
        p.op('t', 'q', 7).integer(0).op(0x86).integer(0);      // t in memo 7; key (t, 0), value 0
        for (int k = 1; k < 50_000; k++) {
            p.op('h', 7).integer(k).op(0x86).integer(k);       // key (t, k), value k: 10^9 steps if t is re-walked
        }
        String m = refusedQuickly(pth(p));
        assertTrue(m.contains("is not a string"), m);
    }

    @Test
    void equalDeepTuplesBuiltTwiceCompareWithoutRecursion() throws IOException {
        // the same 100,000-deep tuple built twice (two distinct objects) and both used as keys:
        // comparing them element by element would recurse 100,000 deep
        FuzzPthTest.P p = new FuzzPthTest.P();
        for (int copy = 0; copy < 2; copy++) {
            p.op(')');
            for (int k = 0; k < 100_000; k++) {
                p.op(0x85);
            }
            p.integer(copy);
        }
        String m = refused(p);
        assertTrue(m.contains("is not a string"), m);
    }

    @Test
    void doublingTupleDagIsNotExpanded() throws IOException {
        // t0 = (); t(k+1) = (tk, tk), 200 levels: 2^200 leaves if walked as a tree; built twice
        FuzzPthTest.P p = new FuzzPthTest.P();
        for (int copy = 0; copy < 2; copy++) {
            p.op(')');
            for (int k = 0; k < 200; k++) {
                p.op('q', 9, 'h', 9, 0x86);
            }
            p.integer(copy);
        }
        String m = refused(p);
        assertTrue(m.contains("is not a string"), m);
    }

    @Test
    void noneInsideATupleKey() throws IOException {
        // {(None,): 1} is valid Python; it gave a NullPointerException
        String m = refused(new FuzzPthTest.P().op('N', 0x85).integer(1));
        assertTrue(m.contains("state_dict key (None,) is not a string"), m);
    }

    @Test
    void cyclicAndDeepPersistentIdsPrintBounded() throws IOException {
        // BINPERSID of ('storage', l) where l = [l]; then of a list nested 100,000 deep: the message
        // printed the whole object (toString recursed: StackOverflowError)
        String m = refused(new FuzzPthTest.P().unicode("k").op('(').unicode("storage")
                .op(']', 'q', 4, 'h', 4, 'a').unicode("0").unicode("cpu").integer(1).op('t', 'Q'));
        assertTrue(m.contains("a list of 1 items, not a typed torch storage class"), m);
        FuzzPthTest.P deep = new FuzzPthTest.P().unicode("k").op('(');
        for (int k = 0; k <= 100_000; k++) {
            deep.op(']');
        }
        for (int k = 0; k < 100_000; k++) {
            deep.op('a');
        }
        m = refused(deep.op('t', 'Q'));
        assertTrue(m.contains("persistent id (list,) is not"), m);
        assertTrue(m.length() < 400, m);
    }

    @Test
    void controlCharactersAndLongNamesAreEscaped() throws IOException {
        // a key holding ESC[2J (clear screen) and 100,000 characters: escaped and cut in the message
        String key = "\u001b[2J" + "x".repeat(100_000);
        String m = refused(new FuzzPthTest.P().unicode(key).op('N'));
        assertTrue(m.contains("\\x1b[2J"), m);
        assertTrue(!m.contains("\u001b") && m.length() < 400, m);
        m = refused(new FuzzPthTest.P().unicode("k").global("os\u001b[2J", "system"));
        assertTrue(m.contains("global os\\x1b[2J.system is not allowed"), m);
    }

    @Test
    void deflatedEntriesInflatingFarBeyondTheFileAreRefused() throws IOException {
        // 1,000 storages of 128 KiB of zeros, deflated to about 150 bytes each: each entry alone fits
        // the file size check, together they inflate 125 MiB from a file of about 400 KB
        FuzzPthTest.P p = new FuzzPthTest.P();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (int k = 0; k < 1000; k++) {
            p.unicode("w" + k).global("torch._utils", "_rebuild_tensor_v2").op('(');
            p.op('(').unicode("storage").global("torch", "FloatStorage").unicode("s" + k).unicode("cpu")
                    .integer(1 << 15).op('t', 'Q');
            p.integer(0).op('(').integer(1 << 15).op('t', '(').integer(1).op('t', 0x89)
                    .global("collections", "OrderedDict").op(')', 'R', 't', 'R');
            entries.put("bomb/data/s" + k, new byte[1 << 17]);
        }
        FuzzPthTest.P pickle = new FuzzPthTest.P().op(0x80, 2).global("collections", "OrderedDict").op(')', 'R', '(');
        pickle.raw(p.bytes()).op('u', '.');
        Map<String, byte[]> all = new LinkedHashMap<>();
        all.put("bomb/data.pkl", pickle.bytes());
        all.putAll(entries);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : all.entrySet()) {
                z.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));   // DEFLATED
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        Path f = dir.resolve("bomb.pth");
        Files.write(f, bytes.toByteArray());
        assertTrue(Files.size(f) < 600_000, Files.size(f) + " bytes");
        String m = refusedQuickly(f);
        assertTrue(m.contains("more than 16 times the file's"), m);
    }

    @Test
    void negativeStorageOffsetIsRefusedAtRead() throws IOException {
        FuzzPthTest.P p = new FuzzPthTest.P().unicode("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
        p.op('(').unicode("storage").global("torch", "FloatStorage").unicode("0").unicode("cpu").integer(16).op('t', 'Q');
        p.integer(-4).op('(').integer(4).op('t', '(').integer(1).op('t', 0x89)
                .global("collections", "OrderedDict").op(')', 'R', 't', 'R');
        String m = refusedQuickly(pth(p));
        assertTrue(m.contains("negative storage offset -4"), m);
    }

    @Test
    void broadcastViewsAreBoundedAcrossTheFile() throws IOException {
        // 40 tensors of 2^22 elements each, all stride 0 over one 16-element storage: each is under
        // the per-tensor cap, together 2^27.3 elements (672 MB as float32) from a file of a few KB
        FuzzPthTest.P p = new FuzzPthTest.P();
        for (int k = 0; k < 40; k++) {
            p.raw(tensor("w" + k, new long[] {1 << 11, 1 << 11}, new long[] {0, 0}).bytes());
        }
        String m = refusedQuickly(pth(p));
        assertTrue(m.contains("40 tensors view 167772160 elements in all"), m);
    }
}
