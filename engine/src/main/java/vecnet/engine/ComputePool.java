package vecnet.engine;

import java.util.concurrent.ConcurrentLinkedQueue;
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
 *
 * <p>Why not an {@code ExecutorService}: a model's forward pass is a chain of a few dozen short
 * parallel steps, and waking a parked thread costs tens of microseconds (more in a virtual
 * machine), which at batch 1 ate most of the second core's gain. So an idle worker first spins for
 * {@link #SPIN_NANOS} looking for the next job, as OpenMP runtimes do, and only then parks.
 */
public final class ComputePool implements AutoCloseable {
    /** How long an idle worker keeps looking for work before it parks: about one layer's gap. */
    static final long SPIN_NANOS = 200_000;

    private static final AtomicInteger POOL_IDS = new AtomicInteger();
    private static volatile ComputePool shared;

    private final int threads;
    private final Worker[] workers;
    private final ConcurrentLinkedQueue<Job> jobs = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private ComputePool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        int id = POOL_IDS.incrementAndGet();
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i]::loop, "vecnet-" + id + "-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
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
        if (workers.length == 0 || tasks == 1 || closed) {
            for (int i = 0; i < tasks; i++) {
                body.run(i);
            }
            return;
        }
        Job job = new Job(tasks, body, Thread.currentThread());
        jobs.add(job);
        int wake = Math.min(workers.length, tasks - 1);
        for (Worker w : workers) {
            if (wake-- == 0) {
                break;
            }
            if (w.parked) {
                LockSupport.unpark(w.thread);
            }
        }
        job.drain();
        jobs.remove(job);
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

    /** Stops the workers (they finish the task in hand); later calls run on the caller alone. */
    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }

    @Override
    public String toString() {
        return "ComputePool[threads=" + threads + "]";
    }

    /** A worker: takes tasks from the oldest unfinished job; spins a while when there is none, then parks. */
    private final class Worker {
        Thread thread;
        volatile boolean parked;

        void loop() {
            long idleSince = System.nanoTime();
            while (!closed) {
                Job job = jobs.peek();
                if (job != null) {
                    if (job.exhausted()) {
                        jobs.remove(job);
                    } else {
                        job.drain();
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;   // written before the queue is read; parallelFor adds, then reads this
                    if (jobs.isEmpty() && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
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

        boolean exhausted() {
            return next.get() >= tasks;
        }

        /** Claims and runs tasks until none is left to claim. */
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

        /** Waits, spinning briefly and then parking, until every claimed task has finished. */
        void awaitAll() {
            long start = System.nanoTime();
            while (done.get() < tasks) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
        }
    }
}
