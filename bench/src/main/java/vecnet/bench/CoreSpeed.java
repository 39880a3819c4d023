package vecnet.bench;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * How fast the thread that runs it computes, two figures: vector FMA throughput in GFLOP/s (twelve
 * independent chains of fused multiply-adds on the preferred species, no memory traffic) and the rate
 * at which it reads a 512 KB array that stays in its core's L2 cache, in GB/s. Run once per logical CPU
 * ({@code taskset -c N java --add-modules jdk.incubator.vector -cp ... vecnet.bench.CoreSpeed}), it
 * shows whether the CPUs of a virtual machine compute alike: on this project's 2-vCPU VMs one of
 * them was measured 1.4× slower than the other for minutes at a time on work that touches memory
 * (a loop allocating a boxed vector per operation), while its FMA throughput matched the other's
 * (its physical core shared with another tenant's busy thread, presumably), and the two halves of one
 * convolution, pinned one to each CPU, took 400-455 and 545-630 µs. Such spells come and go within a
 * JVM (ResNet-18 at batch 1 on one thread, 2 s iterations of one fork: 27.7, 23.0, 18.9, 18.9, 23.3 ms)
 * and cap what a second thread adds to evenly split work. {@code bench/compare.sh} records both figures
 * before and after timing.
 *
 * <p>Why twelve chains: a chain waits for its previous FMA, so the figure is the ceiling only with
 * enough chains in flight. On AMD Zen 5 (AVX-512), eight chains gave 199 GFLOP/s with 512-bit vectors
 * and 100 with 256-bit ones, twelve or sixteen 231 and 116. Twelve chains and the two constants fit
 * AVX2's sixteen vector registers, so nothing spills there.
 *
 * <p>Usage: {@code CoreSpeed [seconds]} (default 1, per figure); prints "GFLOP/s GB/s".
 */
public final class CoreSpeed {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int STEPS = 1 << 16, CHAINS = 12;

    private CoreSpeed() {
    }

    /** {@code STEPS} rounds of twelve independent FMAs; returns a value that depends on all of them. */
    static float chains(float seed) {
        FloatVector b = FloatVector.broadcast(S, 0.999f), c = FloatVector.broadcast(S, 1e-3f);
        FloatVector v0 = FloatVector.broadcast(S, seed), v1 = v0, v2 = v0, v3 = v0, v4 = v0, v5 = v0;
        FloatVector v6 = v0, v7 = v0, v8 = v0, v9 = v0, v10 = v0, v11 = v0;
        for (int i = 0; i < STEPS; i++) {
            v0 = v0.fma(b, c);
            v1 = v1.fma(b, c);
            v2 = v2.fma(b, c);
            v3 = v3.fma(b, c);
            v4 = v4.fma(b, c);
            v5 = v5.fma(b, c);
            v6 = v6.fma(b, c);
            v7 = v7.fma(b, c);
            v8 = v8.fma(b, c);
            v9 = v9.fma(b, c);
            v10 = v10.fma(b, c);
            v11 = v11.fma(b, c);
        }
        return v0.add(v1).add(v2).add(v3).add(v4).add(v5).add(v6).add(v7).add(v8).add(v9).add(v10).add(v11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** The sum of {@code a}, four vectors at a time. */
    static float sum(float[] a) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int vl = S.length();
        for (int i = 0; i + 4 * vl <= a.length; i += 4 * vl) {
            s0 = s0.add(FloatVector.fromArray(S, a, i));
            s1 = s1.add(FloatVector.fromArray(S, a, i + vl));
            s2 = s2.add(FloatVector.fromArray(S, a, i + 2 * vl));
            s3 = s3.add(FloatVector.fromArray(S, a, i + 3 * vl));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 1;
        float[] a = new float[128 * 1024];
        for (int i = 0; i < a.length; i++) {
            a[i] = i & 1023;
        }
        System.out.printf("%.1f %.1f%n", median(seconds, false, a), median(seconds, true, a));
    }

    /** The median of five windows of {@code seconds / 5}, after half a second of warm-up: GFLOP/s, or GB/s read from {@code a}. */
    private static double median(double seconds, boolean read, float[] a) {
        double[] rates = new double[5];
        float sink = 0;
        long warm = System.nanoTime() + 500_000_000L; // until C2 has compiled the loop
        while (System.nanoTime() < warm) {
            sink += read ? sum(a) : chains(sink * 1e-9f);
        }
        for (int w = 0; w < rates.length; w++) {
            long calls = 0, start = System.nanoTime(), end = start + (long) (seconds / rates.length * 1e9);
            long now;
            do {
                sink += read ? sum(a) : chains(sink * 1e-9f);
                calls++;
                now = System.nanoTime();
            } while (now < end);
            double work = read ? 4.0 * a.length * calls : 2.0 * CHAINS * S.length() * STEPS * calls;
            rates[w] = work / (now - start);
        }
        Arrays.sort(rates);
        return rates[rates.length / 2] + (sink == 42f ? 1e-9 : 0); // uses sink, so the loops cannot be dropped
    }
}
