package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/** The .pth reader on hand-written archives: views it must rebuild and files it must refuse, with the reason. */
class PthTest extends LibraryTest {
    @TempDir
    Path dir;

    /** storage 0: six floats 0, 1.5, ..., 7.5. */
    private static final byte[] SIX = PickleBytes.floatsLE(0f, 1.5f, 3f, 4.5f, 6f, 7.5f);

    private static PickleBytes header() {
        return new PickleBytes().proto(2).global("collections", "OrderedDict").emptyTuple().reduce().mark();
    }

    private Path pth(String name, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Path f = dir.resolve(name);
        PickleBytes.pth(f, "archive", pickle, storages);
        return f;
    }

    private WeightsFormatException refused(Path f, String... fragments) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> StateDict.read(f));
        assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
        for (String frag : fragments) {
            assertTrue(e.getMessage().contains(frag), "message should contain '" + frag + "': " + e.getMessage());
        }
        return e;
    }

    /**
     * torch.save's uncompressed entries are memory-mapped at the offsets {@link Pth#storedData} reads
     * from the zip's directories: at each offset lie the entry's bytes as ZipFile reads them; and the
     * same entries deflated, which are read through ZipFile, give the same tensors, bit for bit.
     */
    @Test
    void mappedEntriesAreTheBytesZipFileReads() throws IOException {
        for (String name : List.of("tiny_fusion.pth", "views.pth", "checkpoint.pth", "dataparallel.pth")) {
            Path f = Fixtures.file(name);
            Map<String, byte[]> entries = new LinkedHashMap<>();
            Map<String, Long> dataAt;
            try (ZipFile z = new ZipFile(f.toFile()); FileChannel ch = FileChannel.open(f)) {
                dataAt = Pth.storedData(ch, Files.size(f));
                for (ZipEntry e : java.util.Collections.list(z.entries())) {
                    byte[] bytes;
                    try (InputStream in = z.getInputStream(e)) {
                        bytes = in.readAllBytes();
                    }
                    entries.put(e.getName(), bytes);
                    ByteBuffer there = ByteBuffer.allocate(bytes.length);
                    ch.read(there, dataAt.get(e.getName()));
                    assertArrayEquals(bytes, there.array(), name + ": " + e.getName() + " at " + dataAt.get(e.getName()));
                }
            }
            assertEquals(entries.keySet(), dataAt.keySet(), name + ": every entry is stored");
            Path deflated = dir.resolve("deflated-" + name);
            try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(deflated))) {
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    out.putNextEntry(new ZipEntry(e.getKey()));
                    out.write(e.getValue());
                    out.closeEntry();
                }
            }
            try (FileChannel ch = FileChannel.open(deflated)) {
                assertTrue(Pth.storedData(ch, Files.size(deflated)).isEmpty(), "nothing stored in " + deflated);
            }
            FixturesTest.sameTensors(name + " mapped vs deflated", StateDict.read(deflated), StateDict.read(f));
        }
    }

    @Test
    void negativeStorageOffsetIsRefusedWhenTheFileIsRead() throws IOException {
        // offset -1 with size 2: elements -1 and 0 of the storage; refused at read, not at tensor(...)
        byte[] pickle = header().tensorEntry("a", "FloatStorage", "0", 6, -1, new int[] {2}, new int[] {1})
                .setitems().stop().bytes();
        refused(pth("negative.pth", pickle, Map.of("0", SIX)), "negative storage offset -1");
        byte[] far = header().tensorEntry("b", "FloatStorage", "0", 6, -100_000, new int[] {3}, new int[] {50_000})
                .setitems().stop().bytes();
        refused(pth("negative2.pth", far, Map.of("0", SIX)), "negative storage offset -100000");
    }

    @Test
    void viewsOfOneStorageAreGatheredByHand() throws IOException {
        byte[] pickle = header()
                .tensorEntry("a", "FloatStorage", "0", 6, 0, new int[] {2, 3}, new int[] {3, 1})
                .tensorEntry("t", "FloatStorage", "0", 6, 0, new int[] {3, 2}, new int[] {1, 3})
                .tensorEntry("col", "FloatStorage", "0", 6, 1, new int[] {2}, new int[] {3})
                .tensorEntry("scalar", "FloatStorage", "0", 6, 5, new int[] {}, new int[] {})
                .tensorEntry("n", "LongStorage", "1", 1, 0, new int[] {}, new int[] {})
                .setitems().stop().bytes();
        Map<String, byte[]> st = new LinkedHashMap<>();
        st.put("0", SIX);
        st.put("1", new byte[] {(byte) 0xd2, 0x04, 0, 0, 0, 0, 0, 0});   // 1234 little-endian
        StateDict sd = StateDict.read(pth("views.pth", pickle, st));
        assertEquals(List.of("a", "t", "col", "scalar", "n"), sd.keys());
        // a[i,j] = storage[3i + j]; t[i,j] = storage[i + 3j]; col[i] = storage[1 + 3i]
        Check.identical("a", new float[] {0f, 1.5f, 3f, 4.5f, 6f, 7.5f}, sd.tensor("a").data());
        Check.identical("t", new float[] {0f, 4.5f, 1.5f, 6f, 3f, 7.5f}, sd.tensor("t").data());
        Check.identical("col", new float[] {1.5f, 6f}, sd.tensor("col").data());
        assertArrayEquals(new int[] {3, 2}, sd.shape("t"));
        assertArrayEquals(new int[] {}, sd.shape("scalar"));
        Check.identical("scalar", new float[] {7.5f}, sd.tensor("scalar").data());
        assertEquals(DType.I64, sd.dtype("n"));
        assertArrayEquals(new long[] {1234}, sd.longs("n"));
        assertEquals(0, sd.tensor("scalar").rank());
        // raw() gathers the transpose into C order, still float32 bytes
        assertArrayEquals(PickleBytes.floatsLE(0f, 4.5f, 1.5f, 6f, 3f, 7.5f), sd.raw("t").bytes());
    }

    @Test
    void checkpointModelKeyAndDataParallelPrefixAreUnwrapped() throws IOException {
        PickleBytes p = new PickleBytes().proto(2).emptyDict().mark()
                .binunicode("epoch").binint1(3)
                .binunicode("model").global("collections", "OrderedDict").emptyTuple().reduce().mark()
                .tensorEntry("module.fc.weight", "FloatStorage", "0", 6, 0, new int[] {2, 3}, new int[] {3, 1})
                .tensorEntry("module.fc.bias", "FloatStorage", "0", 6, 4, new int[] {2}, new int[] {1})
                .setitems()
                .setitems().stop();
        StateDict sd = StateDict.read(pth("ckpt.pth", p.bytes(), Map.of("0", SIX)));
        assertEquals(List.of("fc.weight", "fc.bias"), sd.keys());
        Check.identical("fc.bias", new float[] {6f, 7.5f}, sd.tensor("fc.bias").data());
    }

    @Test
    void refusesOsSystemGlobal() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).global("os", "system").mark().binunicode("echo hi").tuple()
                .reduce().stop().bytes();
        refused(pth("evil.pth", pickle, Map.of()), "os.system", "not allowed");
    }

    @Test
    void refusesBuiltinsEvalGlobalInProtocol4StackGlobal() throws IOException {
        byte[] pickle = new PickleBytes().proto(4).op(0x8c, 8).raw("builtins".getBytes(StandardCharsets.US_ASCII))
                .op(0x94).op(0x8c, 4).raw("eval".getBytes(StandardCharsets.US_ASCII)).op(0x94).op(0x93)
                .stop().bytes();
        refused(pth("evil4.pth", pickle, Map.of()), "builtins.eval");
    }

    @Test
    void refusesWholePickledModule() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).global("torch.nn.modules.conv", "Conv2d").op(')', 0x81)
                .stop().bytes();
        refused(pth("module.pth", pickle, Map.of()), "torch.nn.modules.conv.Conv2d", "model.state_dict()");
    }

    @Test
    void refusesNewObjOfAnAllowedLookingClass() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).global("collections", "OrderedDict").emptyTuple().op(0x81)
                .stop().bytes();
        refused(pth("newobj.pth", pickle, Map.of()), "NEWOBJ");
    }

    @Test
    void refusesLegacyFormatWithResaveHint() throws IOException {
        Path f = dir.resolve("legacy.pth");
        byte[] b = Arrays.copyOf(Pth.LEGACY_MAGIC, 64);
        Files.write(f, b);
        refused(f, "legacy", "torch.save(torch.load(f), f2)", "1.6");
    }

    @Test
    void refusesTarFormat() throws IOException {
        Path f = dir.resolve("old.tar.pth");
        byte[] b = new byte[1024];
        byte[] name = "sys_info".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, b, 0, name.length);
        byte[] ustar = "ustar\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(ustar, 0, b, 257, ustar.length);
        Files.write(f, b);
        refused(f, "tar", "torch.save(torch.load(f), f2)");
    }

    @Test
    void refusesTorchScriptArchive() throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put("model/data.pkl", header().setitems().stop().bytes());
        e.put("model/code/__torch__.py", "class M: pass\n".getBytes(StandardCharsets.US_ASCII));
        e.put("model/constants.pkl", new PickleBytes().proto(2).emptyTuple().stop().bytes());
        Path f = dir.resolve("scripted.pt");
        PickleBytes.zip(f, e);
        refused(f, "TorchScript");
    }

    @Test
    void refusesTruncatedPickle() throws IOException {
        byte[] pickle = header()
                .tensorEntry("a", "FloatStorage", "0", 6, 0, new int[] {6}, new int[] {1})
                .setitems().stop().bytes();
        refused(pth("cut.pth", Arrays.copyOf(pickle, pickle.length / 2), Map.of("0", SIX)), "data.pkl", "truncated");
    }

    @Test
    void refusesStringLongerThanThePickleWithoutAllocatingIt() throws IOException {
        byte[] pickle = new PickleBytes().proto(2).op('X').le32(0xFFFF_FFF0L).raw(new byte[] {'a', 'b'}).bytes();
        refused(pth("longstr.pth", pickle, Map.of()), "truncated", "4294967280");
    }

    @Test
    void refusesTruncatedZip() throws IOException {
        byte[] pickle = header()
                .tensorEntry("a", "FloatStorage", "0", 6, 0, new int[] {6}, new int[] {1})
                .setitems().stop().bytes();
        Path whole = pth("whole.pth", pickle, Map.of("0", SIX));
        byte[] b = Files.readAllBytes(whole);
        Path f = dir.resolve("truncated.pth");
        Files.write(f, Arrays.copyOf(b, b.length - 30));
        refused(f, "corrupt or truncated zip");
    }

    @Test
    void refusesCorruptZip() throws IOException {
        Path f = dir.resolve("corrupt.pth");
        byte[] b = new byte[300];
        new java.util.Random(7).nextBytes(b);
        b[0] = 'P';
        b[1] = 'K';
        b[2] = 3;
        b[3] = 4;
        Files.write(f, b);
        refused(f, "corrupt");
    }

    @Test
    void refusesStorageWhoseSizeIsNotNumelTimesElementSize() throws IOException {
        byte[] pickle = header()
                .tensorEntry("a", "FloatStorage", "0", 6, 0, new int[] {6}, new int[] {1})
                .setitems().stop().bytes();
        refused(pth("short.pth", pickle, Map.of("0", Arrays.copyOf(SIX, 20))), "data/0", "20 bytes", "24");
    }

    @Test
    void refusesViewOutsideItsStorage() throws IOException {
        byte[] pickle = header()
                .tensorEntry("a", "FloatStorage", "0", 6, 5, new int[] {2}, new int[] {1})
                .setitems().stop().bytes();
        refused(pth("outside.pth", pickle, Map.of("0", SIX)), "outside its storage", "element 6");
    }

    @Test
    void refusesMissingStorageEntry() throws IOException {
        byte[] pickle = header()
                .tensorEntry("a", "FloatStorage", "7", 6, 0, new int[] {6}, new int[] {1})
                .setitems().stop().bytes();
        refused(pth("nostorage.pth", pickle, Map.of("0", SIX)), "missing entry \"archive/data/7\"");
    }

    @Test
    void refusesZipWithoutDataPkl() throws IOException {
        Path f = dir.resolve("other.zip");
        PickleBytes.zip(f, Map.of("docs/readme.txt", "hello".getBytes(StandardCharsets.US_ASCII)));
        refused(f, "data.pkl");
    }

    @Test
    void refusesBarePickle() throws IOException {
        Path f = dir.resolve("bare.pkl");
        Files.write(f, new PickleBytes().proto(2).emptyDict().stop().bytes());
        refused(f, "bare Python pickle");
    }

    @Test
    void refusesNonWeightsFile() throws IOException {
        Path f = dir.resolve("notes.txt");
        Files.writeString(f, "these are not weights, just some text long enough to sniff\n");
        refused(f, "not a weights file");
    }

    @Test
    void refusesDictHoldingANonTensorEntry() throws IOException {
        byte[] pickle = header().binunicode("lr").binint1(1).setitems().stop().bytes();
        refused(pth("notensor.pth", pickle, Map.of()), "entry \"lr\" is ");
    }

    @Test
    void refusesBigEndianArchive() throws IOException {
        byte[] pickle = header().setitems().stop().bytes();
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put("archive/data.pkl", pickle);
        e.put("archive/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        Path f = dir.resolve("big.pth");
        PickleBytes.zip(f, e);
        refused(f, "'big'-endian");
    }

    @Test
    void refusesAbsurdStackDepth() throws IOException {
        PickleBytes p = new PickleBytes().proto(2);
        for (int i = 0; i <= Unpickler.MAX_STACK; i++) {
            p.op('N');
        }
        refused(pth("deep.pth", p.stop().bytes(), Map.of()), "stack deeper than " + Unpickler.MAX_STACK);
    }

    @Test
    void refusesStorageClaimsOfTwoToTheSixtyBytesWithoutAllocatingThem() throws IOException {
        // numel 2^58 floats = 2^60 bytes, against a 24-byte entry; and numel 2^62 floats, which overflows
        byte[] claim60 = header().binunicode("a").global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().binunicode("storage").global("torch", "FloatStorage").binunicode("0").binunicode("cpu")
                .op(0x8a, 8).raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 4}).tuple().binpersid()
                .binint1(0).ints(6).ints(1).newfalse().global("collections", "OrderedDict").emptyTuple().reduce()
                .tuple().reduce().setitems().stop().bytes();
        byte[] claim62 = header().binunicode("a").global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().binunicode("storage").global("torch", "FloatStorage").binunicode("0").binunicode("cpu")
                .op(0x8a, 8).raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 0x40}).tuple().binpersid()
                .binint1(0).ints(6).ints(1).newfalse().global("collections", "OrderedDict").emptyTuple().reduce()
                .tuple().reduce().setitems().stop().bytes();
        Path f60 = pth("claim60.pth", claim60, Map.of("0", SIX));
        Path f62 = pth("claim62.pth", claim62, Map.of("0", SIX));
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
        refused(f60, "storage needs 1152921504606846976");
        refused(f62, "overflows");
        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(allocated < 8 << 20, "refusing 2^60-byte storages allocated " + allocated + " bytes");
    }

    @Test
    void refusesRebuildTensorV3ByName() throws IOException {
        byte[] pickle = header().binunicode("a").global("torch._utils", "_rebuild_tensor_v3").stop().bytes();
        refused(pth("v3.pth", pickle, Map.of()), "torch._utils._rebuild_tensor_v3");
    }

    @Test
    void refusesOneStorageReadAsTwoTypes() throws IOException {
        byte[] pickle = header()
                .tensorEntry("a", "FloatStorage", "0", 6, 0, new int[] {6}, new int[] {1})
                .tensorEntry("b", "IntStorage", "0", 6, 0, new int[] {6}, new int[] {1})
                .setitems().stop().bytes();
        refused(pth("twotypes.pth", pickle, Map.of("0", SIX)), "two different types");
    }
}
