package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

class ComputePoolTest extends LibraryTest {

    @Test
    void runsEveryTaskExactlyOnce() {
        try (ComputePool pool = ComputePool.create(3)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(1000);
            pool.parallelFor(1000, hits::incrementAndGet);
            for (int i = 0; i < 1000; i++) {
                assertEquals(1, hits.get(i), "task " + i);
            }
        }
    }

    @Test
    void rethrowsTheFirstFailure() {
        try (ComputePool pool = ComputePool.create(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(50, i -> {
                if (i == 17) {
                    throw new IllegalStateException("task 17 failed");
                }
            }));
            assertEquals("task 17 failed", e.getMessage());
        }
    }

    @Test
    void refusesZeroThreads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComputePool.create(0));
        assertEquals("thread count must be at least 1, got 0", e.getMessage());
    }

    @Test
    void nestedAndConcurrentCallsDoNotDeadlock() throws Exception {
        try (ComputePool pool = ComputePool.create(2)) {
            ExecutorService callers = Executors.newFixedThreadPool(8);
            Future<?>[] futures = new Future<?>[8];
            AtomicIntegerArray sums = new AtomicIntegerArray(8);
            for (int c = 0; c < 8; c++) {
                int caller = c;
                futures[c] = callers.submit(() -> pool.parallelFor(10, i -> pool.parallelFor(10, j -> sums.incrementAndGet(caller))));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            callers.shutdown();
            for (int c = 0; c < 8; c++) {
                assertEquals(100, sums.get(c));
            }
        }
    }
}
