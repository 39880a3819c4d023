package vecnet.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * vecnet's own thread pool: a fixed number of threads that the caller chooses.
 *
 * <p>{@link #parallelFor} splits work into numbered tasks. Which thread runs which task does not
 * matter for the result, because kernels cut their work so that every output element is computed
 * whole inside one task, always in the same order: results are bit-identical for any thread count.
 *
 * <p>The calling thread works too, so a pool of {@code n} threads owns {@code n - 1} workers.
 * Many threads may call one pool at once (each call is its own job), and a task may itself call
 * {@code parallelFor}: callers always drain their own job, so nothing deadlocks.
 */
public final class ComputePool implements AutoCloseable {
    private static final AtomicInteger POOL_IDS = new AtomicInteger();
    private static volatile ComputePool shared;

    private final int threads;
    private final ExecutorService workers;

    private ComputePool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        if (threads == 1) {
            this.workers = null;
        } else {
            int id = POOL_IDS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            ThreadFactory factory = r -> {
                Thread t = new Thread(r, "vecnet-" + id + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            this.workers = new ThreadPoolExecutor(threads - 1, threads - 1, 60, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), factory);
        }
    }

    /** A pool of {@code threads} threads (the caller counts as one). */
    public static ComputePool create(int threads) {
        return new ComputePool(threads);
    }

    /** A process-wide pool with one thread per available processor, created on first use. */
    public static ComputePool shared() {
        ComputePool p = shared;
        if (p == null) {
            synchronized (ComputePool.class) {
                p = shared;
                if (p == null) {
                    shared = p = new ComputePool(Runtime.getRuntime().availableProcessors());
                }
            }
        }
        return p;
    }

    /** A single-threaded pool: everything runs on the caller. */
    public static ComputePool sequential() {
        return new ComputePool(1);
    }

    /** The number of threads, the caller included. */
    public int threads() {
        return threads;
    }

    /** A body that runs task {@code i} of a {@link #parallelFor}. */
    @FunctionalInterface
    public interface Task {
        void run(int i);
    }

    /**
     * Runs {@code body.run(i)} for every {@code i} in {@code [0, tasks)} and returns when all are
     * done. The first exception thrown by a task is rethrown here (wrapped if it is checked).
     */
    public void parallelFor(int tasks, Task body) {
        if (tasks <= 0) {
            return;
        }
        if (workers == null || tasks == 1) {
            for (int i = 0; i < tasks; i++) {
                body.run(i);
            }
            return;
        }
        Job job = new Job(tasks, body, Thread.currentThread());
        int helpers = Math.min(threads - 1, tasks - 1);
        for (int h = 0; h < helpers; h++) {
            workers.execute(job::drain);
        }
        job.drain();
        job.awaitAll();
        Throwable failure = job.failure.get();
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /** Splits {@code [0, n)} into at most {@code parts} contiguous ranges; returns range {@code i}'s start. */
    public static int splitStart(int n, int parts, int i) {
        return (int) ((long) n * i / parts);
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.shutdown();
        }
    }

    @Override
    public String toString() {
        return "ComputePool[threads=" + threads + "]";
    }

    private static final class Job {
        final int tasks;
        final Task body;
        final Thread owner;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int tasks, Task body, Thread owner) {
            this.tasks = tasks;
            this.body = body;
            this.owner = owner;
        }

        void drain() {
            int i;
            while ((i = next.getAndIncrement()) < tasks) {
                try {
                    if (failure.get() == null) {
                        body.run(i);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (done.incrementAndGet() == tasks) {
                        LockSupport.unpark(owner);
                    }
                }
            }
        }

        void awaitAll() {
            int spins = 0;
            while (done.get() < tasks) {
                if (++spins < 2000) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
        }
    }
}
