package vecnet.testing;

import java.lang.management.ManagementFactory;

/**
 * Allocation checks for code that must allocate nothing once the JIT has compiled it (Vector API
 * kernels: interpreted or C1-compiled code boxes every vector; only C2 with the intrinsics inlined
 * keeps them in registers).
 *
 * <p>Counting warm-up calls is not enough: compilation runs in background threads, and on a loaded
 * machine a fixed number of calls can still run interpreted (a check failed once in eight runs that
 * way). Instead, {@link #allocation} repeats windows of calls until one window allocates at most the
 * budget, within a generous time bound. Code that allocates even when compiled never gets there, so
 * the check still fails, after the bound.
 *
 * <p>The time bound is the calling thread's CPU time, not the wall clock: a process that is
 * suspended (SIGSTOP, a paused container) for longer than the bound while the kernel was still
 * being compiled must not fail with the allocation of the interpreted window the pause fell in
 * (seen on the shared development machine). A kernel that allocates in every window keeps this
 * thread busy, so it still fails after the bound. Where thread CPU time is not available, the wall clock.
 *
 * <p>It does not then demand that the next window be clean as well: a later recompilation (after a
 * deoptimisation, or of the calling loop) runs a few calls in the interpreter again, which is not the
 * compiled kernel's doing. Measured: 1 run in 50 saw 2,456 bytes in the window after a clean one.
 */
public final class SteadyState {
    /** This thread's CPU time to wait for the JIT before giving up; far above the ~1-5 s it takes on a busy machine. */
    static final long MAX_WAIT_NANOS = 120_000_000_000L;

    private SteadyState() {
    }

    /**
     * The bytes the current thread allocates over {@code windowCalls} calls of {@code call}, in the
     * first window that allocates at most {@code budget} bytes; if none does within the time bound,
     * the last window's bytes (so the caller's assertion fails with them).
     */
    public static long allocation(Runnable call, int windowCalls, long budget) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        bean.getCurrentThreadAllocatedBytes(); // the first call may allocate inside the bean
        java.util.function.LongSupplier clock = bean.isCurrentThreadCpuTimeSupported() && bean.isThreadCpuTimeEnabled()
                ? bean::getCurrentThreadCpuTime : System::nanoTime;
        long deadline = clock.getAsLong() + MAX_WAIT_NANOS;
        long allocated;
        do {
            allocated = window(bean, call, windowCalls);
        } while (allocated > budget && clock.getAsLong() - deadline < 0);
        return allocated;
    }

    private static long window(com.sun.management.ThreadMXBean bean, Runnable call, int calls) {
        long before = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        return bean.getCurrentThreadAllocatedBytes() - before;
    }
}
