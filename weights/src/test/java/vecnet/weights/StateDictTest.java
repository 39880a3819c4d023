package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import vecnet.engine.HasStateDict;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

class StateDictTest extends LibraryTest {
    private static StateDict sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("fc.weight", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        m.put("fc.bias", Tensor.of(new float[] {7, 8}, 2));
        m.put("bn.num_batches_tracked", Tensor.of(new float[] {3}));
        return StateDict.of(m);
    }

    @Test
    void ofKeepsOrderAndCopies() {
        float[] w = {1, 2};
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("z", Tensor.of(w, 2));
        m.put("a", Tensor.of(new float[] {3}));
        StateDict sd = StateDict.of(m);
        w[0] = 99;
        assertEquals(List.of("z", "a"), sd.keys());
        Check.identical("z", new float[] {1, 2}, sd.tensor("z").data());
        assertEquals(DType.F32, sd.dtype("z"));
        assertArrayEquals(new int[] {}, sd.shape("a"));
        // every call returns a fresh tensor: changing one does not change the state_dict
        Tensor t = sd.tensor("z");
        t.data()[1] = -1;
        assertNotSame(t.data(), sd.tensor("z").data());
        Check.identical("z again", new float[] {1, 2}, sd.tensor("z").data());
    }

    @Test
    void missingKeyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sample().tensor("fc.wieght"));
        assertTrue(e.getMessage().contains("'fc.wieght'"), e.getMessage());
        assertFalse(sample().contains("fc.wieght"));
        assertThrows(IllegalArgumentException.class, () -> sample().longs("fc.bias"));
    }

    @Test
    void withoutPrefixSelectsAndStrips() {
        StateDict fc = sample().withoutPrefix("fc.");
        assertEquals(List.of("weight", "bias"), fc.keys());
        Check.identical("bias", new float[] {7, 8}, fc.tensor("bias").data());
    }

    @Test
    void loadIntoCopiesWhenEverythingMatches() {
        Map<String, Tensor> live = new LinkedHashMap<>();
        live.put("fc.weight", Tensor.zeros(2, 3));
        live.put("fc.bias", Tensor.zeros(2));
        live.put("bn.num_batches_tracked", Tensor.zeros());
        HasStateDict target = () -> live;
        sample().loadInto(target);
        Check.identical("fc.weight", new float[] {1, 2, 3, 4, 5, 6}, live.get("fc.weight").data());
        Check.identical("bn", new float[] {3}, live.get("bn.num_batches_tracked").data());
    }

    @Test
    void loadIntoReportsEveryProblemByNameAndCopiesNothing() {
        Map<String, Tensor> live = new LinkedHashMap<>();
        live.put("fc.weight", Tensor.zeros(3, 2));          // shape mismatch
        live.put("fc.bias", Tensor.zeros(2));               // fine, but must stay untouched
        live.put("head.weight", Tensor.zeros(4));           // missing from the file
        live.put("head.bias", Tensor.zeros(4));             // missing from the file
        HasStateDict target = () -> live;
        StateDictMismatchException e = assertThrows(StateDictMismatchException.class, () -> sample().loadInto(target));
        assertEquals(List.of("head.weight", "head.bias"), e.missingKeys());
        assertEquals(List.of("bn.num_batches_tracked"), e.unexpectedKeys());
        assertEquals(List.of("fc.weight"), e.shapeMismatches());
        String msg = e.getMessage();
        assertTrue(msg.contains("Missing key(s) in state_dict: \"head.weight\", \"head.bias\"."), msg);
        assertTrue(msg.contains("Unexpected key(s) in state_dict: \"bn.num_batches_tracked\"."), msg);
        assertTrue(msg.contains("size mismatch for fc.weight: copying a param with shape torch.Size([2, 3]) from checkpoint,"
                + " the shape in current model is torch.Size([3, 2])."), msg);
        Check.identical("untouched", new float[] {0, 0}, live.get("fc.bias").data());
    }

    @Test
    void concurrentReadsSeeTheSameValues() throws Exception {
        float[] big = new float[100_003];
        java.util.Random rnd = new java.util.Random(5);
        for (int i = 0; i < big.length; i++) {
            big[i] = rnd.nextFloat();
        }
        StateDict sd = StateDict.of(Map.of("w", Tensor.of(big, big.length)));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                results.add(pool.submit(() -> sd.tensor("w").data()));
            }
            for (Future<float[]> f : results) {
                Check.identical("concurrent", big, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
