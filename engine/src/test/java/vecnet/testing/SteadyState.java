package vecnet.testing;

import java.lang.management.ManagementFactory;

/**
 * Allocation checks for code that must allocate nothing once the JIT has compiled it (Vector API
 * kernels: interpreted or C1-compiled code boxes every vector; only C2 with the intrinsics inlined
 * keeps them in registers).
 *
 * <p>Counting warm-up calls is not enough: compilation runs in background threads, and on a loaded
 * machine (or after a deoptimisation and recompilation) a fixed number of calls can still run
 * interpreted. That made a check fail once in eight runs. Instead, {@link #allocation} repeats
 * windows of calls until one window allocates at most the budget (the code is compiled), within a
 * generous time bound, and then measures the next window: the value a test asserts on. Code that
 * allocates even when compiled never reaches the budget, so the test still fails, after the bound.
 */
public final class SteadyState {
    /** How long to wait for the JIT before giving up; far above the ~1 s it takes on an idle machine. */
    static final long MAX_WAIT_NANOS = 120_000_000_000L;

    private SteadyState() {
    }

    /**
     * The bytes the current thread allocates over {@code windowCalls} calls of {@code call}, measured
     * once a window has allocated at most {@code budget} bytes. If no window gets there within the
     * time bound, returns the last window's bytes (so the caller's assertion fails with them).
     */
    public static long allocation(Runnable call, int windowCalls, long budget) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        bean.getCurrentThreadAllocatedBytes(); // the first call may allocate inside the bean
        long deadline = System.nanoTime() + MAX_WAIT_NANOS;
        long allocated;
        do {
            allocated = window(bean, call, windowCalls);
        } while (allocated > budget && System.nanoTime() - deadline < 0);
        return allocated > budget ? allocated : window(bean, call, windowCalls);
    }

    private static long window(com.sun.management.ThreadMXBean bean, Runnable call, int calls) {
        long before = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        return bean.getCurrentThreadAllocatedBytes() - before;
    }
}
