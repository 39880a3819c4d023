package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.HasStateDict;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/** Both readers against the committed fixtures written by PyTorch (weights/fixtures, version 1). */
class FixturesTest extends LibraryTest {
    static final String VERSION = "1";
    static final String HINT = "re-run /usr/bin/python3 weights/python/make_fixtures.py";

    @BeforeAll
    static void fixturesHaveOurVersion() throws IOException {
        String v = Files.readString(Fixtures.file("VERSION")).trim();
        if (!v.equals("vecnet-fixtures " + VERSION)) {
            fail("weights/fixtures/VERSION says '" + v + "', these tests expect 'vecnet-fixtures " + VERSION + "'; " + HINT);
        }
    }

    /** Reads a fixture safetensors file and checks its version metadata. */
    static StateDict fixture(String name) throws IOException {
        StateDict sd = StateDict.read(Fixtures.file(name));
        String v = sd.metadata().get("vecnet_fixtures");
        if (!VERSION.equals(v)) {
            fail(name + " has __metadata__ vecnet_fixtures=" + v + ", expected " + VERSION + "; " + HINT);
        }
        return sd;
    }

    /** Every tensor of {@code expected} is in {@code actual} with the same dtype, shape and bytes. */
    static void sameTensors(String what, StateDict expected, StateDict actual) {
        assertEquals(new HashSet<>(expected.keys()), new HashSet<>(actual.keys()), what + ": key sets");
        for (String k : expected.keys()) {
            assertEquals(expected.dtype(k), actual.dtype(k), what + " " + k + " dtype");
            assertArrayEquals(expected.shape(k), actual.shape(k), what + " " + k + " shape");
            assertArrayEquals(expected.raw(k).bytes(), actual.raw(k).bytes(), what + " " + k + " bytes");
            Check.identical(what + " " + k, expected.tensor(k).data(), actual.tensor(k).data());
        }
    }

    /** The order safetensors files are written in: dtype (by the README's list), then name. */
    private static final List<DType> WRITER_DTYPE_ORDER = List.of(DType.I64, DType.F64, DType.F32, DType.I32,
            DType.BF16, DType.F16, DType.I16, DType.I8, DType.U8, DType.BOOL);

    @Test
    void tinyFusionPthAndSafetensorsHoldTheSameTensors() throws IOException {
        StateDict pth = StateDict.read(Fixtures.file("tiny_fusion.pth"));
        StateDict st = fixture("tiny_fusion.safetensors");
        assertEquals(127, pth.size());
        assertEquals(127, st.size());
        sameTensors("tiny_fusion", st, pth);
        // .pth keeps state_dict order: resnet.* (120 here), embedding, lstm (4), fc (2)
        List<String> keys = pth.keys();
        assertEquals("resnet.0.weight", keys.get(0));
        assertEquals("resnet.1.weight", keys.get(1));
        assertEquals("resnet.1.num_batches_tracked", keys.get(5));
        assertEquals(List.of("embedding.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0",
                "lstm.bias_hh_l0", "fc.weight", "fc.bias"), keys.subList(120, 127));
        // safetensors keeps its file (JSON) order, which the writer sorted by dtype then name
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(Comparator.comparing((String k) -> WRITER_DTYPE_ORDER.indexOf(pth.dtype(k))).thenComparing(k -> k));
        assertEquals(sorted, st.keys());
        // contents the README states
        assertArrayEquals(new int[] {}, pth.shape("resnet.7.1.bn2.num_batches_tracked"));
        assertEquals(DType.I64, pth.dtype("resnet.7.1.bn2.num_batches_tracked"));
        assertArrayEquals(new long[] {1234}, pth.longs("resnet.7.1.bn2.num_batches_tracked"));
        Check.identical("num_batches_tracked as float", new float[] {1234f}, pth.tensor("resnet.1.num_batches_tracked").data());
        assertArrayEquals(new int[] {50, 12}, pth.shape("embedding.weight"));
        assertArrayEquals(new int[] {5, 80}, pth.shape("fc.weight"));
        assertArrayEquals(new int[] {8, 3, 7, 7}, pth.shape("resnet.0.weight"));
    }

    @Test
    void viewsMatchTheirExpectedContiguousCopies() throws IOException {
        StateDict expected = fixture("views_expected.safetensors");
        StateDict views = StateDict.read(Fixtures.file("views.pth"));
        assertEquals(List.of("base", "row1", "col2", "transposed", "block", "half", "half_special", "bf16", "f64",
                "special", "count", "i64", "i32", "i16", "i8", "u8", "bool", "param"), views.keys());
        sameTensors("views.pth", expected, views);
    }

    @Test
    void viewsHaveTheValuesTheGeneratorDefines() throws IOException {
        StateDict v = StateDict.read(Fixtures.file("views.pth"));
        float[] base = new float[16];
        for (int i = 0; i < 16; i++) {
            base[i] = i * 0.5f - 3.25f;                       // arange(16).reshape(4,4)*0.5 - 3.25, exact in float
        }
        Check.identical("base", base, v.tensor("base").data());
        float[] t = new float[16];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                t[i * 4 + j] = base[j * 4 + i];
            }
        }
        Check.identical("transposed", t, v.tensor("transposed").data());
        Check.identical("row1", new float[] {base[4], base[5], base[6], base[7]}, v.tensor("row1").data());
        Check.identical("col2", new float[] {base[2], base[6], base[10], base[14]}, v.tensor("col2").data());
        Check.identical("block", new float[] {base[5], base[6], base[9], base[10]}, v.tensor("block").data());
        float[] hs = v.tensor("half_special").data();
        Check.identical("half_special[3..6]", new float[] {65504f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f},
                new float[] {hs[3], hs[4], hs[5], hs[6]});
        Check.close("half_special[0] (subnormal)", new float[] {5.96e-8f}, new float[] {hs[0]}, 0, 1e-3);
        Check.close("half_special[7] (1/3)", new float[] {1 / 3f}, new float[] {hs[7]}, 0, 1e-3);
        Check.close("bf16 = base values 1.3*[1,4]-2.1", new float[] {-0.8f, 3.1f}, v.tensor("bf16").data(), 0, 1e-2);
        assertArrayEquals(new int[] {}, v.shape("count"));
        assertArrayEquals(new long[] {7}, v.longs("count"));
        assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MAX_VALUE, -1, 0}, v.longs("i64"));
        assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE, -7}, v.longs("i32"));
        assertArrayEquals(new long[] {-32768, 32767, 3}, v.longs("i16"));
        assertArrayEquals(new long[] {-128, 127, 0, -1}, v.longs("i8"));
        assertArrayEquals(new long[] {0, 255, 128}, v.longs("u8"));
        assertArrayEquals(new long[] {1, 0, 0, 1}, v.longs("bool"));
        Check.identical("param", new float[] {0.25f, -0.5f, 1.5f}, v.tensor("param").data());
        Check.identical("f64 to float", new float[] {1 / 3f, -0f, Float.POSITIVE_INFINITY, 0.1f, -0f, 7f},
                v.tensor("f64").data());
    }

    @Test
    void legacyViewsAreRefusedWithTheResaveHint() {
        Path f = Fixtures.file("views_legacy.pth");
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> StateDict.read(f));
        assertTrue(e.getMessage().contains("legacy"), e.getMessage());
        assertTrue(e.getMessage().contains("torch.save(torch.load(f), f2)"), e.getMessage());
        assertEquals(f, e.file());
    }

    @Test
    void checkpointAndDataParallelAreUnwrapped() throws IOException {
        StateDict expected = fixture("views_expected.safetensors");
        StateDict views = StateDict.read(Fixtures.file("views.pth"));
        StateDict ckpt = StateDict.read(Fixtures.file("checkpoint.pth"));
        StateDict dp = StateDict.read(Fixtures.file("dataparallel.pth"));
        assertEquals(views.keys(), ckpt.keys());
        assertEquals(views.keys(), dp.keys());
        sameTensors("checkpoint.pth", expected, ckpt);
        sameTensors("dataparallel.pth", expected, dp);
    }

    @Test
    void ioFixtureHasTheStatedTokenIds() throws IOException {
        StateDict io = fixture("tiny_fusion_io.safetensors");
        assertEquals(DType.I64, io.dtype("text"));
        assertArrayEquals(new int[] {2, 6}, io.shape("text"));
        assertArrayEquals(new long[] {1, 7, 0, 23, 49, 5, 49, 0, 12, 3, 3, 0}, io.longs("text"));
        assertArrayEquals(new long[] {17}, io.longs("text_len1"));
        assertArrayEquals(new int[] {2, 3, 224, 224}, io.shape("image224"));
        assertEquals(DType.F64, io.dtype("logits_224_f64"));
        // the float32 and float64 runs of the model agree to the README's measured 9.2e-7
        Check.close("logits_224 vs f64", io.tensor("logits_224_f64").data(), io.tensor("logits_224").data(), 1e-5, 0);
    }

    @Test
    void tinyFusionLoadsIntoAModelShapedTarget() throws IOException {
        StateDict sd = StateDict.read(Fixtures.file("tiny_fusion.pth"));
        Map<String, Tensor> live = new java.util.LinkedHashMap<>();
        for (String k : sd.keys()) {
            live.put(k, Tensor.zeros(sd.shape(k)));
        }
        HasStateDict model = () -> live;
        sd.loadInto(model);
        for (String k : sd.keys()) {
            Check.identical(k, sd.tensor(k).data(), live.get(k).data());
        }
        Check.identical("num_batches_tracked", new float[] {1234f}, live.get("resnet.4.0.bn1.num_batches_tracked").data());
    }
}
