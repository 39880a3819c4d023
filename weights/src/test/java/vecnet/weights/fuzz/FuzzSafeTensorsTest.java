package vecnet.weights.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.Fixtures;
import vecnet.testing.FuzzHarness;
import vecnet.testing.LibraryTest;
import vecnet.weights.DType;
import vecnet.weights.StateDict;
import vecnet.weights.WeightsFormatException;

/**
 * Fuzzes the safetensors reader through {@link StateDict#read}: byte mutations of a real file
 * (every dtype, written by the Python reference writer), and headers generated field by field with
 * hostile values (unknown dtypes, negative, 2^31, 2^63 and overflowing shapes, offsets past the end,
 * overlapping and reversed, duplicated keys, deep nesting, header lengths of 0, −1, 2^31, 2^63).
 * Every accepted file is then read completely (each tensor as floats, raw bytes and, for integer
 * dtypes, longs). Property (see {@link FuzzHarness}): a valid state_dict or a
 * {@link WeightsFormatException} with a message, nothing else, with bounded time and allocation.
 */
class FuzzSafeTensorsTest extends LibraryTest {
    private static final long SEED = FuzzHarness.seed(0x5afe_7e45L);
    private static final long MAX_ALLOC = 16L << 20;   // 16 MiB per input: the inputs are a few KiB

    @TempDir
    Path dir;

    private FuzzHarness.Input readAll(byte[] bytes, int i) throws IOException {
        Path f = dir.resolve("in" + i + ".safetensors");
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

    @Test
    void mutatedRealFile() throws IOException {
        byte[] seedFile = Files.readAllBytes(Fixtures.file("views_expected.safetensors"));
        int n = FuzzHarness.iterations(1500);
        FuzzHarness.Stats s = FuzzHarness.run("safetensors-bytes", SEED, n, Duration.ofSeconds(60 + n / 20), MAX_ALLOC,
                t -> t instanceof WeightsFormatException,
                (i, rnd, label) -> readAll(FuzzHarness.mutate(seedFile, rnd, label), i));
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.refused > n / 2, "most byte mutations must be refused: " + s);
    }

    @Test
    void generatedHeaders() throws IOException {
        int n = FuzzHarness.iterations(1500);
        FuzzHarness.Stats s = FuzzHarness.run("safetensors-header", SEED + 1, n, Duration.ofSeconds(60 + n / 20), MAX_ALLOC,
                t -> t instanceof WeightsFormatException,
                (i, rnd, label) -> readAll(generate(rnd, label), i));
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > n / 20 && s.refused > n / 20, "the generator must produce both kinds: " + s);
    }

    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL",
        "F8_E4M3", "F8_E5M2", "U16", "U32", "U64", "C64", "Q4_0", "f32", "", "\\u0000"};
    private static final String[] NAMES = {"w", "layer.0.weight", "", "__metadata__", "\u00e9t\u00e9", "a\\\"b",
        "a\\u0000b", "\\ud800", "w"};

    /** A safetensors file from random entries, mostly consistent, each field mutated with some probability. */
    static byte[] generate(Random rnd, StringBuilder label) {
        int count = rnd.nextInt(4);
        StringBuilder json = new StringBuilder("{");
        if (rnd.nextInt(4) == 0) {
            json.append(rnd.nextBoolean() ? "\"__metadata__\":{\"k\":\"v\"}," : rnd.nextBoolean()
                    ? "\"__metadata__\":{\"k\":1}," : "\"__metadata__\":[\"v\"],");
        }
        long offset = 0;
        List<Long> lengths = new ArrayList<>();
        for (int e = 0; e < count; e++) {
            String dt = rnd.nextInt(5) == 0 ? DTYPES[rnd.nextInt(DTYPES.length)] : DTYPES[rnd.nextInt(10)];
            DType dtype = dtFor(dt);
            int size = dtype == null ? 4 : dtype.size();
            long[] shape = new long[rnd.nextInt(4)];
            long numel = 1;
            for (int k = 0; k < shape.length; k++) {
                shape[k] = rnd.nextInt(5);
                numel *= shape[k];
            }
            String shapeText = join(shape);
            switch (rnd.nextInt(12)) {
                case 0: shapeText = "[" + FuzzHarness.INTERESTING[rnd.nextInt(FuzzHarness.INTERESTING.length)] + "]"; break;
                case 1: shapeText = "[-1]"; break;
                case 2: shapeText = "[9223372036854775808]"; break;           // 2^63, not a long
                case 3: shapeText = "[65536, 65536, 65536, 65536]"; break;    // numel overflows
                case 4: shapeText = "[46341, 46341]"; break;                  // > 2^31 elements
                case 5: shapeText = "[1.5]"; break;
                case 6: shapeText = "[" + "[".repeat(rnd.nextInt(300)) + "]"; break;   // deep nesting, unbalanced
                case 7: shapeText = "\"2,3\""; break;
                default: break;
            }
            long len = numel * size;
            long begin = offset, end = offset + len;
            switch (rnd.nextInt(14)) {
                case 0: end = begin + len + 1; break;
                case 1: begin = end = FuzzHarness.INTERESTING[rnd.nextInt(FuzzHarness.INTERESTING.length)]; break;
                case 2: end = begin - 1; break;
                case 3: begin = Math.max(0, begin - 1); break;                // overlap with the previous tensor
                case 4: begin = 0; end = Long.MAX_VALUE; break;
                case 5: begin += 8; end += 8; break;                          // a hole
                default: break;
            }
            String offsets = rnd.nextInt(25) == 0 ? "[" + begin + "]" : "[" + begin + "," + end + "]";
            String name = rnd.nextInt(6) == 0 ? NAMES[rnd.nextInt(NAMES.length)] : "t" + e;
            json.append(e == 0 ? "" : ",").append('"').append(name).append("\":{");
            List<String> fields = new ArrayList<>(List.of("\"dtype\":\"" + dt + "\"", "\"shape\":" + shapeText,
                    "\"data_offsets\":" + offsets));
            if (rnd.nextInt(15) == 0) {
                fields.remove(rnd.nextInt(fields.size()));
            }
            if (rnd.nextInt(15) == 0) {
                fields.add(fields.get(0));                                    // duplicated field
            }
            json.append(String.join(",", fields)).append('}');
            lengths.add(Math.max(0, Math.min(len, 4096)));
            offset += Math.max(0, Math.min(len, 4096));
        }
        json.append('}');
        if (rnd.nextInt(20) == 0) {
            json.setLength(0);
            json.append("[".repeat(1000 + rnd.nextInt(100_000)));             // deep nesting
        }
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        int pad = rnd.nextInt(3) == 0 ? (8 - header.length % 8) % 8 : 0;
        long n = header.length + pad;
        if (rnd.nextInt(8) == 0) {
            n = FuzzHarness.INTERESTING[rnd.nextInt(FuzzHarness.INTERESTING.length)];
        }
        long data = offset + (rnd.nextInt(10) == 0 ? rnd.nextInt(17) - 8 : 0);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + pad + (int) Math.max(0, data)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(header);
        for (int k = 0; k < pad; k++) {
            b.put((byte) ' ');
        }
        while (b.hasRemaining()) {
            b.put((byte) rnd.nextInt(256));
        }
        label.append(json.length() > 300 ? json.substring(0, 300) + "..." : json).append(" n=").append(n);
        return b.array();
    }

    private static DType dtFor(String dt) {
        for (DType d : DType.values()) {
            if (d.name().equals(dt)) {
                return d;
            }
        }
        return null;
    }

    private static String join(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < shape.length; k++) {
            sb.append(k == 0 ? "" : ",").append(shape[k]);
        }
        return sb.append(']').toString();
    }
}
