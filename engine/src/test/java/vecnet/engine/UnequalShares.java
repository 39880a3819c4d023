package vecnet.engine;

/**
 * Pools whose threads take unequal shares of a {@link ComputePool#parallelForShares}, as they do when
 * one CPU is slower than the other: the kernels that use it must give the same bits whatever the cuts.
 */
final class UnequalShares {
    /** Weights for two and three threads, the caller's first: either side heavy, and uneven thirds. */
    static final double[][] WEIGHTS = {{0.2, 0.8}, {0.8, 0.2}, {0.37, 0.63}, {0.1, 0.3, 0.6}, {0.6, 0.1, 0.3}};

    private UnequalShares() {
    }

    /** A pool of {@code weights.length} threads that cuts by {@code weights} at its next call. */
    static ComputePool pool(double[] weights) {
        ComputePool pool = ComputePool.create(weights.length);
        pool.speeds(weights);
        return pool;
    }

    /** A name for a case: "shares 0.2/0.8". */
    static String name(double[] weights) {
        StringBuilder s = new StringBuilder("shares ");
        for (int i = 0; i < weights.length; i++) {
            s.append(i == 0 ? "" : "/").append(weights[i]);
        }
        return s.toString();
    }
}
