package vecnet.engine;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * vecnet's own thread pool: a fixed number of threads that the caller chooses.
 *
 * <p>{@link #parallelFor} splits work into numbered tasks. Which thread runs which task does not
 * matter for the result, because kernels cut their work so that every output element is computed
 * whole inside one task, always in the same order: results are bit-identical for any thread count.
 * It matters for speed: each thread first runs its own contiguous share of the tasks (the caller
 * the first), then helps with the others', so that a thread mostly reads what it wrote in the layer
 * before (see {@code Job}). {@link #parallelForShares} gives each thread one range of the work, sized
 * to how fast that thread has been running lately: for kernels that cannot be cut finer without doing
 * some of the work twice.
 *
 * <p>The calling thread works too, so a pool of {@code n} threads owns {@code n - 1} workers.
 * Many threads may call one pool at once (each call is its own job), and a task may itself call
 * {@code parallelFor}: callers always drain their own job, so nothing deadlocks.
 *
 * <p>{@link #together} is the other way to use the threads: a team whose parts run at the same time
 * and wait for each other at a {@link Barrier}, for chains of short dependent steps (an LSTM's time
 * steps at batch 1). It runs only when idle workers join it at once, and otherwise tells the caller,
 * who then computes another way: a team never waits for a thread that may not come.
 *
 * <p>Why not an {@code ExecutorService}: a model's forward pass is a chain of a few dozen short
 * parallel steps, and waking a parked thread costs tens of microseconds (more in a virtual
 * machine), which at batch 1 ate most of the second core's gain. So an idle worker first spins for
 * {@link #SPIN_NANOS} looking for the next job, as OpenMP runtimes do, and only then parks.
 */
public final class ComputePool implements AutoCloseable {
    /** How long an idle worker keeps looking for work before it parks: about one layer's gap. */
    static final long SPIN_NANOS = 200_000;
    /** How long {@link #together} waits at most for its members to join: enough to wake parked workers. */
    static final long JOIN_NANOS = 2_000_000;
    /** How long {@link #together} waits while too few workers are free (busy with other work). */
    static final long BUSY_NANOS = 20_000;

    private static final AtomicInteger POOL_IDS = new AtomicInteger();
    private static volatile ComputePool shared;

    private final int threads;
    private final Worker[] workers;
    private final ConcurrentLinkedQueue<Work> jobs = new ConcurrentLinkedQueue<>();
    private final Speeds speeds;
    private volatile boolean closed;

    private ComputePool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.speeds = new Speeds(threads);
        this.workers = new Worker[threads - 1];
        int id = POOL_IDS.incrementAndGet();
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
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
        Job job = new Job(tasks, Math.min(tasks, threads), body, Thread.currentThread());
        post(job, tasks - 1);
        job.drain(0);
        jobs.remove(job);
        job.awaitAll();
        rethrow(job.failure.get());
    }

    /** A body that runs units {@code [from, to)} of a {@link #parallelForShares}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over {@code [0, units)} cut into one contiguous range per thread (fewer if there
     * are fewer units), thread {@code p}'s range sized to its recent speed, and returns when all are done.
     * Empty ranges are not run.
     *
     * <p>For the steps of a pass at batch 1, which split their work in as many parts as threads: a part
     * more would copy or transform the same input twice. Split evenly, a step lasts as long as its
     * slower thread, and the threads of a virtual machine are often not alike: measured on two vCPUs
     * (ResNet-18 at batch 1), one thread's shares took 1.1-1.7× as long as the other's, for seconds at
     * a time, and which one was slow changed from minute to minute. So the pool times each part (from
     * the call to the part's end, which counts a worker's late start too) and moves units towards the
     * thread that finished first, a little at each call ({@link Speeds}).
     *
     * <p>Only for kernels whose result does not depend on where the cuts fall (every output computed
     * whole inside one range, the same way in any range): the cuts depend on timing.
     */
    public void parallelForShares(int units, RangeTask body) {
        int parts = Math.min(units, threads);
        if (parts <= 1 || closed) {
            if (units > 0) {
                body.run(0, units);
            }
            return;
        }
        int[] cuts = speeds.cuts(units, parts);
        long start = System.nanoTime();
        Job job = new Job(parts, parts, i -> {
            if (cuts[i] < cuts[i + 1]) { // a thread measured much slower may get no unit at all
                body.run(cuts[i], cuts[i + 1]);
            }
        }, Thread.currentThread());
        job.timeParts();
        post(job, parts - 1);
        job.drain(0);
        jobs.remove(job);
        job.awaitAll();
        rethrow(job.failure.get());
        if (parts == threads && job.eachRanItsOwn()) {
            speeds.update(cuts, job.ends, start);
        }
    }

    /** Sets the threads' weights that {@link #parallelForShares} cuts by (tests: unequal cuts on demand). */
    void speeds(double... weights) {
        speeds.set(weights);
    }

    /** A body run by each member of a team ({@link #together}). */
    @FunctionalInterface
    public interface TeamTask {
        /**
         * @param part    this member's number, in {@code [0, parts)}
         * @param barrier where the members wait for each other
         */
        void run(int part, Barrier barrier);
    }

    /**
     * Runs {@code body} for parts {@code 0 … parts−1} at the same time, each on its own thread (part 0
     * on the caller), so that the parts may wait for each other at the team's {@link Barrier}: for a
     * chain of short dependent steps (an LSTM's time steps) one barrier per step costs far less than
     * one {@link #parallelFor} per step.
     *
     * <p>That needs {@code parts − 1} idle workers. If they have not joined within {@link #JOIN_NANOS}
     * (the pool is smaller, or busy with other callers' work, or this call comes from inside one of its
     * tasks), nothing runs and this returns false: the caller then computes another way, so a team
     * never waits for a thread that may never come.
     *
     * @return whether the team ran; the first exception thrown by a part is rethrown here
     */
    public boolean together(int parts, TeamTask body) {
        if (parts < 1) {
            throw new IllegalArgumentException("a team needs at least 1 part, got " + parts);
        }
        if (parts > threads || closed) {
            return false;
        }
        Team team = new Team(parts, body);
        if (parts > 1) {
            post(team, parts - 1);
            boolean formed = team.awaitMembers(this);
            jobs.remove(team);
            if (!formed) {
                return false;
            }
        }
        team.runPart(0);
        team.awaitAll();
        rethrow(team.failure.get());
        return true;
    }

    /** Workers not running a task now (spinning or parked). */
    private int freeWorkers() {
        int free = 0;
        for (Worker w : workers) {
            if (!w.busy) {
                free++;
            }
        }
        return free;
    }

    /** Queues {@code work} and wakes up to {@code helpers} parked workers for it. */
    private void post(Work work, int helpers) {
        jobs.add(work);
        int wake = Math.min(workers.length, helpers);
        for (Worker w : workers) {
            if (wake-- == 0) {
                break;
            }
            if (w.parked) {
                LockSupport.unpark(w.thread);
            }
        }
    }

    private static void rethrow(Throwable failure) {
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
        /** Which share of each job's tasks this worker takes first ({@link Job#drain(int)}); the caller's is 0. */
        final int part;
        Thread thread;
        volatile boolean parked;
        /** Running a task (or a part of a team), so not free to join a team. */
        volatile boolean busy;

        Worker(int part) {
            this.part = part;
        }

        void loop() {
            long idleSince = System.nanoTime();
            while (!closed) {
                Work job = jobs.peek();
                if (job != null) {
                    if (job.exhausted()) {
                        jobs.remove(job);
                    } else {
                        busy = true;
                        job.drain(part);
                        busy = false;
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

    /** What the workers take from the queue: a {@link Job}'s tasks or a place in a {@link Team}. */
    private abstract static class Work {
        /** Nothing left for a worker to take. */
        abstract boolean exhausted();

        /**
         * Called by a worker that found this at the head of the queue: takes part, or returns.
         *
         * @param part the worker's number, from 1 (the caller of the pool is 0)
         */
        abstract void drain(int part);
    }

    /**
     * A {@link #parallelFor}: its tasks are cut into {@code parts} contiguous shares, and thread
     * {@code p} (the caller 0, worker {@code w} its number) runs share {@code p} first, then helps with
     * the others' (claiming their tasks from the front). Most kernels cut their work the same way
     * from layer to layer (the same rows of pixels, the same planes), so each thread mostly reads
     * what it wrote itself: with one shared counter, which thread ran which task changed from call to
     * call, and on two threads a layer read about half its input from the other core's cache
     * (measured on ResNet-18's layer1 at 2 threads: a convolution 0.59 ms when its input had just been
     * written by both threads, 0.42 ms on an input both cores had cached). Who runs a task never
     * changes what it computes.
     */
    private static final class Job extends Work {
        final int tasks;
        final int parts;
        final Task body;
        final Thread owner;
        /** The next task to claim in each share. */
        final AtomicIntegerArray next;
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** For {@link #timeParts}: when each task ended, and which thread's part ran it. */
        long[] ends;
        int[] ranBy;

        Job(int tasks, int parts, Task body, Thread owner) {
            this.tasks = tasks;
            this.parts = parts;
            this.body = body;
            this.owner = owner;
            this.next = new AtomicIntegerArray(parts);
            for (int p = 1; p < parts; p++) {
                next.set(p, splitStart(tasks, parts, p));
            }
        }

        /** Records when each task ends and who ran it (one task a part: {@link #parallelForShares}). */
        void timeParts() {
            ends = new long[tasks];
            ranBy = new int[tasks];
        }

        /** Whether every task ran on the thread whose part it was (nobody took over a late part). */
        boolean eachRanItsOwn() {
            for (int i = 0; i < tasks; i++) {
                if (ranBy[i] != i) {
                    return false;
                }
            }
            return true;
        }

        @Override
        boolean exhausted() {
            for (int p = 0; p < parts; p++) {
                if (next.get(p) < splitStart(tasks, parts, p + 1)) {
                    return false;
                }
            }
            return true;
        }

        /** Claims and runs tasks, its own share first, until none is left to claim. */
        @Override
        void drain(int part) {
            for (int k = 0; k < parts; k++) {
                int share = (part + k) % parts, end = splitStart(tasks, parts, share + 1), i;
                while ((i = next.getAndIncrement(share)) < end) {
                    try {
                        if (failure.get() == null) {
                            body.run(i);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        if (ends != null) {
                            ends[i] = System.nanoTime();
                            ranBy[i] = part;
                        }
                        if (done.incrementAndGet() == tasks) {
                            LockSupport.unpark(owner);
                        }
                    }
                }
            }
        }

        /** Waits until every claimed task has finished. */
        void awaitAll() {
            awaitCount(done, tasks);
        }
    }

    /**
     * The owner's wait for {@code done} to reach {@code count}: spinning briefly, then parking (whoever
     * brings it to {@code count} unparks the owner; the park's timeout covers a missed unpark).
     */
    private static void awaitCount(AtomicInteger done, int count) {
        long start = System.nanoTime();
        while (done.get() < count) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(done, 100_000);
            }
        }
    }

    /**
     * A {@link #together} call. Workers join by raising {@code members} (the caller is member 0); the
     * caller waits for all of them and then sets {@code state} to {@code RUN}, or gives up, taking
     * {@code members} to {@code CLOSED} so that nobody else joins, and sets {@code CANCELLED}. Members
     * that joined wait for that decision, so none runs a part of a team that does not run.
     */
    private static final class Team extends Work {
        static final int CLOSED = -1;
        static final int PENDING = 0, RUN = 1, CANCELLED = 2;
        final int parts;
        final TeamTask body;
        final Thread owner = Thread.currentThread();
        final Barrier barrier;
        final AtomicInteger members = new AtomicInteger(1);
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile int state = PENDING;

        Team(int parts, TeamTask body) {
            this.parts = parts;
            this.body = body;
            this.barrier = new Barrier(parts);
        }

        @Override
        boolean exhausted() {
            int m = members.get();
            return m == CLOSED || m >= parts;
        }

        @Override
        void drain(int part) { // a team's members take the parts in the order they join
            int m;
            do {
                m = members.get();
                if (m == CLOSED || m >= parts) {
                    return;
                }
            } while (!members.compareAndSet(m, m + 1));
            int s;
            while ((s = state) == PENDING) { // the caller decides within JOIN_NANOS
                Thread.onSpinWait();
            }
            if (s == RUN) {
                runPart(m);
            }
        }

        /**
         * The caller's wait for its members: true once all have joined; false, and closed, when too few
         * workers have been free for {@link #BUSY_NANOS}, or after {@link #JOIN_NANOS} in any case (a
         * parked worker takes a while to wake up, a busy one may not come for long).
         */
        boolean awaitMembers(ComputePool pool) {
            long start = System.nanoTime(), freeSeen = start;
            while (true) {
                int m = members.get();
                if (m >= parts) {
                    state = RUN;
                    return true;
                }
                long now = System.nanoTime();
                if (pool.freeWorkers() >= parts - m) {
                    freeSeen = now;
                }
                if ((now - freeSeen >= BUSY_NANOS || now - start >= JOIN_NANOS) && members.compareAndSet(m, CLOSED)) {
                    state = CANCELLED;
                    return false;
                }
                if (now - start < BUSY_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // a worker woken up, or more threads than processors: let it run
                }
            }
        }

        void runPart(int part) {
            try {
                body.run(part, barrier);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                barrier.breakFor(t);
            } finally {
                if (done.incrementAndGet() == parts) {
                    LockSupport.unpark(owner);
                }
            }
        }

        /** Waits until every part has returned. */
        void awaitAll() {
            awaitCount(done, parts);
        }
    }

    /**
     * Each thread's share of a {@link #parallelForShares}: weights that sum to 1, thread 0 the caller.
     * After a call in which every thread ran its own range, each thread's speed is its units over the
     * time from the call to its range's end, and each weight moves a tenth of the way to its thread's
     * part of the summed speeds. A thread measured more than {@link #MAX_RATIO} times slower than the
     * fastest counts as that much slower: one late wake-up, or one step whose parts are not alike, must
     * not throw the next steps off, and no thread's share falls to nothing.
     */
    static final class Speeds {
        static final double RATE = 0.1, MAX_RATIO = 3;
        private final double[] weights;

        Speeds(int threads) {
            weights = new double[threads];
            java.util.Arrays.fill(weights, 1.0 / threads);
        }

        /** Where {@code parts} ranges of {@code [0, units)} start, by the weights, and {@code units} last. */
        synchronized int[] cuts(int units, int parts) {
            int[] cuts = new int[parts + 1];
            double sum = 0, total = 0;
            for (int p = 0; p < parts; p++) {
                total += weights[p];
            }
            for (int p = 1; p < parts; p++) {
                sum += weights[p - 1];
                cuts[p] = Math.max(cuts[p - 1], (int) Math.round(units * sum / total));
            }
            cuts[parts] = units;
            return cuts;
        }

        /** Moves the weights towards the speeds of the call that started at {@code start}. */
        synchronized void update(int[] cuts, long[] ends, long start) {
            int parts = ends.length;
            double[] speed = new double[parts];
            double fastest = 0;
            for (int p = 0; p < parts; p++) {
                speed[p] = (cuts[p + 1] - cuts[p]) / (double) Math.max(1, ends[p] - start);
                fastest = Math.max(fastest, speed[p]);
            }
            double sum = 0;
            for (int p = 0; p < parts; p++) {
                speed[p] = Math.max(speed[p], fastest / MAX_RATIO);
                sum += speed[p];
            }
            for (int p = 0; p < parts; p++) {
                weights[p] += RATE * (speed[p] / sum - weights[p]);
            }
        }

        synchronized void set(double... w) {
            if (w.length != weights.length) {
                throw new IllegalArgumentException(w.length + " weights for " + weights.length + " threads");
            }
            System.arraycopy(w, 0, weights, 0, w.length);
        }

        synchronized double[] weights() {
            return weights.clone();
        }
    }

    /**
     * Where the members of a {@link #together} team wait for each other: {@link #await} returns once
     * every member has called it as many times. The members are running on their own threads, so it
     * spins (then yields); if a member fails, the others' {@code await} throws instead of waiting
     * forever.
     */
    public static final class Barrier {
        private final int parties;
        private final AtomicInteger arrived = new AtomicInteger();
        private volatile int generation;
        private volatile Throwable broken;

        Barrier(int parties) {
            this.parties = parties;
        }

        /** Waits for the other members; throws {@link IllegalStateException} if one of them failed. */
        public void await() {
            int g = generation;
            if (arrived.incrementAndGet() == parties) {
                arrived.set(0);
                generation = g + 1;
                return;
            }
            long start = System.nanoTime();
            while (generation == g) {
                if (broken != null) {
                    throw new IllegalStateException("another part of the team failed", broken);
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void breakFor(Throwable cause) {
            broken = cause;
        }
    }
}
