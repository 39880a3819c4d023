package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    void eachThreadStartsWithItsOwnShareOfTheTasks() {
        // 4 tasks on 2 threads: the caller's share is {0, 1}, the worker's {2, 3}. A thread helps with
        // the other's share only once its own is all claimed, so whatever the timing, the first task
        // a thread runs (if it runs any) lies in its own share.
        try (ComputePool pool = ComputePool.create(2)) {
            Thread caller = Thread.currentThread();
            for (int round = 0; round < 200; round++) {
                AtomicInteger firstOnCaller = new AtomicInteger(-1), firstOnWorker = new AtomicInteger(-1);
                AtomicIntegerArray hits = new AtomicIntegerArray(4);
                pool.parallelFor(4, i -> {
                    hits.incrementAndGet(i);
                    (Thread.currentThread() == caller ? firstOnCaller : firstOnWorker).compareAndSet(-1, i);
                });
                for (int i = 0; i < 4; i++) {
                    assertEquals(1, hits.get(i), "task " + i);
                }
                int c = firstOnCaller.get(), w = firstOnWorker.get();
                assertTrue(c == -1 || c < 2, "round " + round + ": the caller began with task " + c);
                assertTrue(w == -1 || w >= 2, "round " + round + ": the worker began with task " + w);
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

    @Test
    void aTeamRunsItsPartsAtOnceOnDistinctThreads() {
        try (ComputePool pool = ComputePool.create(3)) {
            // (no more parts than processors: a team's members spin, and would take turns on fewer)
            for (int parts = 1; parts <= Math.min(3, Runtime.getRuntime().availableProcessors()); parts++) {
                int n = parts;
                int[] slot = new int[n];
                Thread[] ran = new Thread[n];
                long[] sums = new long[n];
                boolean formed = false;
                // a busy host (or a new pool whose threads are still starting) may keep a worker away
                // for the whole join window; then the call runs nothing and returns false
                for (int attempt = 0; attempt < ATTEMPTS && !formed; attempt++) {
                    pauseIf(attempt > 0);
                    formed = pool.together(n, (part, barrier) -> {
                        ran[part] = Thread.currentThread();
                        for (int step = 1; step <= 100; step++) {
                            slot[part] = step * (part + 1);
                            barrier.await();
                            long sum = 0;
                            for (int q = 0; q < n; q++) {
                                sum += slot[q]; // every part's value of this step, written before the barrier
                            }
                            sums[part] += sum;
                            barrier.await();
                        }
                    });
                }
                assertTrue(formed, parts + " parts on a pool of 3 threads");
                long expected = 0;
                for (int step = 1; step <= 100; step++) {
                    expected += (long) step * n * (n + 1) / 2;
                }
                for (int part = 0; part < n; part++) {
                    assertEquals(expected, sums[part], "part " + part + " of " + n);
                    for (int q = 0; q < part; q++) {
                        assertNotSame(ran[q], ran[part], "parts " + q + " and " + part);
                    }
                }
                assertSame(Thread.currentThread(), ran[0]);
            }
        }
    }

    @Test
    void aTeamLargerThanThePoolOrWithoutIdleWorkersDoesNotRun() throws Exception {
        try (ComputePool pool = ComputePool.create(2)) {
            AtomicInteger calls = new AtomicInteger();
            assertFalse(pool.together(3, (part, barrier) -> calls.incrementAndGet()));
            // the only worker is held inside a task: the team cannot form, and the call returns
            CountDownLatch held = new CountDownLatch(1), release = new CountDownLatch(1);
            ExecutorService caller = Executors.newSingleThreadExecutor();
            Future<?> busy = caller.submit(() -> pool.parallelFor(2, i -> {
                try {
                    if (Thread.currentThread().getName().startsWith("vecnet-")) {
                        held.countDown();
                        release.await();
                    } else {
                        held.await(10, TimeUnit.SECONDS); // so that the worker, not the caller, takes the other task
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            assertTrue(held.await(10, TimeUnit.SECONDS));
            assertFalse(pool.together(2, (part, barrier) -> calls.incrementAndGet()));
            release.countDown();
            busy.get();
            caller.shutdown();
            assertEquals(0, calls.get(), "no part of a team that did not form runs");
        }
    }

    @Test
    void aFailingPartReleasesTheOthersAndIsRethrown() {
        try (ComputePool pool = ComputePool.create(2)) {
            IllegalArgumentException thrown = null;
            for (int attempt = 0; attempt < ATTEMPTS && thrown == null; attempt++) { // again only if no team formed
                pauseIf(attempt > 0);
                try {
                    pool.together(2, (part, barrier) -> {
                        if (part == 1) {
                            throw new IllegalArgumentException("part 1 failed");
                        }
                        barrier.await(); // would wait forever for part 1 without the failure
                    });
                } catch (IllegalArgumentException e) {
                    thrown = e;
                }
            }
            assertNotNull(thrown, "the team never formed");
            assertEquals("part 1 failed", thrown.getMessage());
        }
    }

    /** Calls of {@code together} a test makes, 5 ms apart, before it concludes that no team forms. */
    private static final int ATTEMPTS = 200;

    private static void pauseIf(boolean pause) {
        if (pause) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    @Test
    void sharesCoverEveryUnitOnceInAtMostOneRangeAThread() {
        for (double[] weights : UnequalShares.WEIGHTS) {
            for (int units : new int[] {1, 2, 3, 7, 100}) {
                try (ComputePool pool = UnequalShares.pool(weights)) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(units);
                    AtomicInteger ranges = new AtomicInteger();
                    pool.parallelForShares(units, (from, to) -> {
                        assertTrue(from < to, "an empty range run: " + from + ", " + to);
                        ranges.incrementAndGet();
                        for (int i = from; i < to; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < units; i++) {
                        assertEquals(1, hits.get(i), UnequalShares.name(weights) + ", unit " + i + " of " + units);
                    }
                    assertTrue(ranges.get() <= Math.min(units, weights.length), units + " units: " + ranges + " ranges");
                }
            }
        }
    }

    @Test
    void theCutsFollowTheWeights() {
        ComputePool.Speeds speeds = new ComputePool.Speeds(3);
        speeds.set(0.2, 0.3, 0.5);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 20, 50, 100}, speeds.cuts(100, 3));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 1, 2, 4}, speeds.cuts(4, 3));
        speeds.set(0.01, 0.01, 0.98); // a range may be empty, never negative
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 0, 0, 3}, speeds.cuts(3, 3));
    }

    @Test
    void weightsMoveTowardsTheThreadThatFinishedFirst() {
        ComputePool.Speeds speeds = new ComputePool.Speeds(2);
        // Even cuts, the caller done at 100 µs, the worker at 150: the caller is 1.5 times as fast.
        speeds.update(new int[] {0, 50, 100}, new long[] {1_100_000, 1_150_000}, 1_000_000);
        double[] w = speeds.weights();
        assertEquals(0.5 + ComputePool.Speeds.RATE * (0.6 - 0.5), w[0], 1e-12);
        assertEquals(1.0, w[0] + w[1], 1e-12);
        for (int i = 0; i < 200; i++) { // the same speeds again and again: the cuts reach 60/40
            int[] cuts = speeds.cuts(100, 2);
            long caller = cuts[1] * 2_000L, worker = (100 - cuts[1]) * 3_000L;
            speeds.update(cuts, new long[] {caller, worker}, 0);
        }
        assertEquals(60, speeds.cuts(100, 2)[1], 1);
    }

    @Test
    void oneSlowMeasurementMovesTheWeightsALittle() {
        ComputePool.Speeds speeds = new ComputePool.Speeds(2);
        // The worker woke up late: 100 times slower by this call's clock. It counts as MAX_RATIO slower.
        speeds.update(new int[] {0, 50, 100}, new long[] {100, 10_000}, 0);
        double[] w = speeds.weights();
        double target = ComputePool.Speeds.MAX_RATIO / (ComputePool.Speeds.MAX_RATIO + 1);
        assertEquals(0.5 + ComputePool.Speeds.RATE * (target - 0.5), w[0], 1e-12);
        for (int i = 0; i < 500; i++) { // always that slow: the worker keeps a quarter of the units
            speeds.update(speeds.cuts(100, 2), new long[] {100, 10_000}, 0);
        }
        assertEquals(1 / (ComputePool.Speeds.MAX_RATIO + 1), speeds.weights()[1], 1e-9);
        assertEquals(1.0, speeds.weights()[0] + speeds.weights()[1], 1e-9);
    }
}
