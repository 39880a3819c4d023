package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * Load and memory on one shared model (the tiny fusion fixture on the fixture inputs {@code image_odd}
 * and {@code text}, each sample alone): 16 threads × 200 predictions started together must each give
 * bit-for-bit the sequential answer; 2,000 predictions in a row must not grow the heap (used heap
 * after {@code System.gc()} sampled every 250 predictions). The measured heap numbers are written
 * to {@code target/hardening-memory.txt}.
 */
class LoadTest extends LibraryTest {
    private static FusionModel model;
    private static Tensor[] images;
    private static int[][][] texts;
    private static float[][] expected;

    @BeforeAll
    static void load() throws IOException {
        model = FusionModel.load(Fixtures.file("tiny_fusion.safetensors"));
        StateDict io = StateDict.read(Fixtures.file("tiny_fusion_io.safetensors"));
        Tensor odd = io.tensor("image_odd");                 // [2, 3, 97, 83]
        long[] ids = io.longs("text");                       // [2, 6]
        int plane = 3 * 97 * 83;
        images = new Tensor[2];
        texts = new int[2][][];
        expected = new float[2][];
        for (int s = 0; s < 2; s++) {
            images[s] = Tensor.of(Arrays.copyOfRange(odd.data(), s * plane, (s + 1) * plane), 1, 3, 97, 83);
            int[] t = new int[6];
            for (int k = 0; k < 6; k++) {
                t[k] = (int) ids[s * 6 + k];
            }
            texts[s] = new int[][] {t};
            expected[s] = model.predict(images[s], texts[s]).data();
        }
        // the sequential answers are the model's real outputs: they match PyTorch's logits_odd
        float[] torch = io.tensor("logits_odd").data();
        Check.close("sample 0 vs torch", Arrays.copyOfRange(torch, 0, 5), expected[0], 1e-4, 1e-4);
        Check.close("sample 1 vs torch", Arrays.copyOfRange(torch, 5, 10), expected[1], 1e-4, 1e-4);
    }

    @Test
    void sixteenThreadsShareOneModel() throws Exception {
        int threads = 16, per = 200;
        ExecutorService exec = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<float[][]>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int first = t;
                futures.add(exec.submit(() -> {
                    start.await();
                    float[][] out = new float[per][];
                    for (int i = 0; i < per; i++) {
                        int s = (first + i) % 2;
                        out[i] = model.predict(images[s], texts[s]).data();
                    }
                    return out;
                }));
            }
            start.countDown();
            int checked = 0;
            for (int t = 0; t < threads; t++) {
                float[][] out = futures.get(t).get();   // rethrows any exception of the thread
                for (int i = 0; i < per; i++) {
                    Check.identical("thread " + t + " prediction " + i, expected[(t + i) % 2], out[i]);
                    checked++;
                }
            }
            assertEquals(threads * per, checked);
        } finally {
            exec.shutdownNow();
        }
    }

    @Test
    void twoThousandPredictionsKeepTheHeapFlat() throws IOException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        List<Long> used = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            int s = i % 2;
            float[] out = model.predict(images[s], texts[s]).data();
            if (i % 100 == 0) {
                Check.identical("prediction " + i, expected[s], out);
            }
            if (i % 250 == 249) {
                used.add(usedAfterGc(mem));
            }
        }
        long first = used.get(0), last = used.get(used.size() - 1);
        long max = used.stream().mapToLong(Long::longValue).max().orElseThrow();
        StringBuilder line = new StringBuilder("LoadTest: used heap after GC every 250 of 2000 predictions (MiB):");
        for (long u : used) {
            line.append(String.format(" %.2f", u / 1048576.0));
        }
        line.append(String.format("; growth last - first %.2f MiB, max - first %.2f MiB", (last - first) / 1048576.0,
                (max - first) / 1048576.0));
        Path target = Path.of("target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("hardening-memory.txt"), line + System.lineSeparator(), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        assertTrue(last - first < 20L << 20, line.toString());
        assertTrue(max - first < 20L << 20, line.toString());
    }

    /** Used heap after a few full collections (System.gc is a request; the minimum of three readings is kept). */
    private static long usedAfterGc(MemoryMXBean mem) {
        long best = Long.MAX_VALUE;
        for (int k = 0; k < 3; k++) {
            System.gc();
            best = Math.min(best, mem.getHeapMemoryUsage().getUsed());
        }
        return best;
    }
}
