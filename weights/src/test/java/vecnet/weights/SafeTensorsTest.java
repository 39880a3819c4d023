package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.weights.internal.Json;

/** safetensors: write → read round trips for every dtype, and every validation refusal on a crafted file. */
class SafeTensorsTest extends LibraryTest {
    @TempDir
    Path dir;

    private static RawTensor randomRaw(Random rnd, DType t, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        byte[] b = new byte[(int) n * t.size()];
        rnd.nextBytes(b);
        if (t == DType.BOOL) {
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (b[i] & 1);
            }
        }
        return RawTensor.of(t, b, shape);
    }

    @Test
    void everyDtypeRoundTripsBitExactly() throws IOException {
        Random rnd = new Random(42);
        Map<String, RawTensor> in = new LinkedHashMap<>();
        int i = 0;
        for (DType t : DType.values()) {
            in.put("t" + (i++) + "." + t, randomRaw(rnd, t, 3, 5));
        }
        in.put("scalar", RawTensor.ofLongs(DType.I64, new long[] {-5}));
        in.put("empty", RawTensor.ofFloats(new float[0], 0, 3));
        in.put("u8odd", randomRaw(rnd, DType.U8, 7));
        Path f = dir.resolve("all.safetensors");
        SafeTensors.writeRaw(f, in, Map.of("format", "pt", "note", "quote \" and \\ and \u00e9"));
        StateDict sd = SafeTensors.read(f);
        assertEquals(List.copyOf(in.keySet()), sd.keys(), "the JSON keeps the map order");
        assertEquals(Map.of("format", "pt", "note", "quote \" and \\ and \u00e9"), sd.metadata());
        for (Map.Entry<String, RawTensor> e : in.entrySet()) {
            RawTensor got = sd.raw(e.getKey());
            assertEquals(e.getValue().dtype(), sd.dtype(e.getKey()), e.getKey());
            assertArrayEquals(e.getValue().shape(), sd.shape(e.getKey()), e.getKey());
            assertArrayEquals(e.getValue().bytes(), got.bytes(), e.getKey());
        }
        assertArrayEquals(new int[] {}, sd.shape("scalar"));
        assertArrayEquals(new long[] {-5}, sd.longs("scalar"));
        assertEquals(0, sd.tensor("empty").size());
    }

    @Test
    void everyDtypeConvertsToFloat32AsDefined() throws IOException {
        Random rnd = new Random(7);
        Map<String, RawTensor> in = new LinkedHashMap<>();
        for (DType t : DType.values()) {
            in.put(t.name(), randomRaw(rnd, t, 4, 6));
        }
        Path f = dir.resolve("conv.safetensors");
        SafeTensors.writeRaw(f, in, null);
        StateDict sd = StateDict.read(f);
        for (DType t : DType.values()) {
            ByteBuffer b = ByteBuffer.wrap(in.get(t.name()).bytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] expected = new float[24];
            long[] exact = new long[24];
            for (int k = 0; k < 24; k++) {
                switch (t) {
                    case F64: expected[k] = (float) b.getDouble(8 * k); break;
                    case F32: expected[k] = b.getFloat(4 * k); break;
                    case F16: expected[k] = Float16.toFloat(b.getShort(2 * k)); break;
                    case BF16: expected[k] = Float.intBitsToFloat((b.getShort(2 * k) & 0xffff) << 16); break;
                    case I64: exact[k] = b.getLong(8 * k); expected[k] = exact[k]; break;
                    case I32: exact[k] = b.getInt(4 * k); expected[k] = exact[k]; break;
                    case I16: exact[k] = b.getShort(2 * k); expected[k] = exact[k]; break;
                    case I8: exact[k] = b.get(k); expected[k] = exact[k]; break;
                    case U8: exact[k] = b.get(k) & 0xff; expected[k] = exact[k]; break;
                    default: exact[k] = b.get(k); expected[k] = exact[k]; break;
                }
            }
            Check.identical(t.name(), expected, sd.tensor(t.name()).data());
            if (t.isFloatingPoint()) {
                assertThrows(IllegalArgumentException.class, () -> sd.longs(t.name()));
            } else {
                assertArrayEquals(exact, sd.longs(t.name()), t.name());
            }
        }
    }

    @Test
    void float32TensorsRoundTripAndTheLayoutIsAligned() throws IOException {
        Random rnd = new Random(3);
        Map<String, Tensor> in = new LinkedHashMap<>();
        float[] a = new float[2 * 3 * 5];
        for (int k = 0; k < a.length; k++) {
            a[k] = (float) rnd.nextGaussian();
        }
        in.put("w", Tensor.of(a, 2, 3, 5));
        in.put("b", Tensor.of(new float[] {1.5f}, 1));
        Path f = dir.resolve("f32.safetensors");
        SafeTensors.write(f, in, Map.of());
        StateDict sd = SafeTensors.read(f);
        Check.identical("w", a, sd.tensor("w").data());
        assertArrayEquals(new int[] {2, 3, 5}, sd.tensor("w").shape());

        // mixed sizes: every tensor must start at a multiple of its element size, the header end at a multiple of 8
        Map<String, RawTensor> mixed = new LinkedHashMap<>();
        mixed.put("byte", RawTensor.ofLongs(DType.U8, new long[] {1, 2, 3}, 3));
        mixed.put("long", RawTensor.ofLongs(DType.I64, new long[] {4}, 1));
        mixed.put("half", RawTensor.of(DType.F16, new byte[] {0, 0x3c}, 1));
        mixed.put("double", RawTensor.ofDoubles(new double[] {2.5}, 1));
        Path g = dir.resolve("mixed.safetensors");
        SafeTensors.writeRaw(g, mixed, null);
        byte[] bytes = Files.readAllBytes(g);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "header padded to a multiple of 8");
        Map<?, ?> header = (Map<?, ?>) Json.parse(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        for (String k : mixed.keySet()) {
            long begin = (Long) ((List<?>) ((Map<?, ?>) header.get(k)).get("data_offsets")).get(0);
            assertEquals(0, begin % mixed.get(k).dtype().size(), k + " aligned");
        }
        StateDict back = SafeTensors.read(g);
        assertArrayEquals(new long[] {1, 2, 3}, back.longs("byte"));
        Check.identical("double", new float[] {2.5f}, back.tensor("double").data());
        Check.identical("half", new float[] {1f}, back.tensor("half").data());
    }

    /** A file: u64 header length, the header, then {@code dataLen} zero bytes. */
    private Path craft(String name, String header, int dataLen) throws IOException {
        return craft(name, header.getBytes(StandardCharsets.UTF_8), header.length(), dataLen);
    }

    private Path craft(String name, byte[] header, long claimedLength, int dataLen) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataLen).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(claimedLength).put(header);
        Path f = dir.resolve(name + ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private static void refused(Path f, String fragment) {
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> StateDict.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' expected in: " + e.getMessage());
    }

    private static String one(String dtype, String shape, long begin, long end) {
        return "\"x\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void acceptsWhatTheReferenceAccepts() throws IOException {
        // a leading space, no padding, an I64 at the unaligned offset 4, and a zero-size tensor
        String h = " {\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[4,12]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[12,12]}}";
        Path f = craft("quirks", h, 12);
        StateDict sd = StateDict.read(f);
        assertEquals(List.of("a", "b", "e"), sd.keys());
        assertArrayEquals(new long[] {0}, sd.longs("b"));
        Path empty = craft("empty", "{}", 0);
        assertEquals(0, StateDict.read(empty).size());
    }

    @Test
    void refusesHeaderLargerThanTheLimit() throws IOException {
        refused(craft("huge", "{}".getBytes(StandardCharsets.UTF_8), 100_000_001L, 0), "exceeds the limit");
    }

    @Test
    void refusesHeaderLongerThanTheFile() throws IOException {
        refused(craft("long", "{}".getBytes(StandardCharsets.UTF_8), 5000, 0), "runs past the end of the file");
    }

    @Test
    void refusesClaimsOfTwoToTheSixtyBytesWithoutAllocatingThem() throws IOException {
        Path header = craft("h60", "{}".getBytes(StandardCharsets.UTF_8), 1L << 60, 0);
        Path tensor = craft("t60", "{" + one("U8", "[1152921504606846976]", 0, 1L << 60) + "}", 0);
        Path shape = craft("s60", "{" + one("F32", "[268435456,1073741824]", 0, 1L << 60) + "}", 0);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
        refused(header, "exceeds the limit");
        refused(tensor, "too large");
        refused(shape, "outside the data section");
        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        assertTrue(allocated < 8 << 20, "refusing three 2^60-byte claims allocated " + allocated + " bytes");
    }

    @Test
    void refusesOffsetsOutsideTheData() throws IOException {
        refused(craft("outside", "{" + one("F32", "[2]", 0, 8) + "}", 4), "outside the data section");
    }

    @Test
    void refusesOverlap() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        refused(craft("overlap", h, 12), "overlap tensor 'a'");
    }

    @Test
    void refusesHole() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        refused(craft("hole", h, 12), "not fully covered: bytes [4, 8)");
    }

    @Test
    void refusesTrailingBytes() throws IOException {
        refused(craft("trailing", "{" + one("F32", "[1]", 0, 4) + "}", 8), "end at byte 4 of a data section of 8");
    }

    @Test
    void refusesSizeMismatch() throws IOException {
        refused(craft("size", "{" + one("F32", "[3]", 0, 8) + "}", 8), "needs 12 bytes");
    }

    @Test
    void refusesBadJson() throws IOException {
        refused(craft("json", "{\"x\":{\"dtype\":\"F32\",}}", 0), "not valid JSON");
        refused(craft("array", "[1,2]", 0), "not a JSON object");
    }

    @Test
    void refusesInvalidUtf8Header() throws IOException {
        byte[] h = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        refused(craft("utf8", h, h.length, 0), "UTF-8");
    }

    @Test
    void refusesNegativeShape() throws IOException {
        refused(craft("neg", "{" + one("F32", "[-1]", 0, 0) + "}", 0), "negative dimension");
    }

    @Test
    void refusesShapeWhoseSizeOverflows() throws IOException {
        refused(craft("ovf", "{" + one("F64", "[2147483647,2147483647,2147483647]", 0, 8) + "}", 8), "overflows");
    }

    @Test
    void refusesMissingFieldsAndUnknownDtypes() throws IOException {
        refused(craft("nooff", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "has no \"data_offsets\"");
        refused(craft("nodtype", "{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "has no \"dtype\"");
        refused(craft("f8", "{" + one("F8_E4M3", "[4]", 0, 4) + "}", 4), "unsupported dtype F8_E4M3");
        refused(craft("shape", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "not an integer");
        refused(craft("notobj", "{\"x\":3}", 0), "is not an object");
    }

    @Test
    void refusesNonStringMetadata() throws IOException {
        refused(craft("meta", "{\"__metadata__\":{\"epoch\":3}}", 0), "__metadata__ value of \"epoch\" is not a string");
    }

    @Test
    void refusesTinyFile() throws IOException {
        Path f = dir.resolve("tiny.safetensors");
        Files.write(f, new byte[] {2, 0, 0});
        refused(f, "too small");
    }

    @Test
    void sniffsSafetensorsWithoutTheExtension() throws IOException {
        Path f = craft("named", "{" + one("F32", "[1]", 0, 4) + "}", 4);
        Path renamed = Files.move(f, dir.resolve("weights.bin"));
        assertEquals(List.of("x"), StateDict.read(renamed).keys());
    }
}
