package vecnet.weights.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * {@link StateDict} is documented immutable and thread-safe: 16 threads reading every tensor of one
 * shared state_dict (a memory-mapped safetensors file, and a .pth whose views share storages with
 * offsets and strides) 50 times each, started together, must all get the values a single thread reads.
 */
class ConcurrentReadTest extends LibraryTest {
    private static void sharedReads(String fixture) throws Exception {
        StateDict sd = StateDict.read(Fixtures.file(fixture));
        Map<String, float[]> expected = new LinkedHashMap<>();
        for (String k : sd.keys()) {
            expected.put(k, sd.tensor(k).data());
        }
        ExecutorService exec = Executors.newFixedThreadPool(16);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                final int thread = t;
                futures.add(exec.submit(() -> {
                    start.await();
                    int n = 0;
                    for (int round = 0; round < 50; round++) {
                        for (String k : sd.keys()) {
                            Check.identical(fixture + " thread " + thread + " " + k, expected.get(k), sd.tensor(k).data());
                            n++;
                        }
                    }
                    return n;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : futures) {
                total += f.get();
            }
            assertEquals(16 * 50 * sd.size(), total);
        } finally {
            exec.shutdownNow();
        }
    }

    @Test
    void safetensors() throws Exception {
        sharedReads("tiny_fusion.safetensors");
    }

    @Test
    void pthViews() throws Exception {
        sharedReads("views.pth");
    }

    @Test
    void pthModel() throws Exception {
        sharedReads("tiny_fusion.pth");
    }
}
