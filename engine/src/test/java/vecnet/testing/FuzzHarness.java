package vecnet.testing;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Runs a seeded stream of fuzz inputs through a reader and checks the fuzzing property: each input
 * ends in a valid result or in a documented exception that carries a message, never in an
 * {@link OutOfMemoryError}, a {@link StackOverflowError}, any other throwable, a hang (the whole run
 * is under {@code assertTimeoutPreemptively}, whose message names the input being processed) or an
 * allocation out of proportion with the input (measured per input on the current thread with
 * {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}; an input over the limit is
 * run and measured once more, and fails if it is over the limit both times).
 *
 * <p>The number of inputs per test is {@code -Dvecnet.fuzz.iterations=N} (default given by each
 * test, a few hundred so CI stays fast); {@code bench/fuzz.sh} raises it. A failing input is written
 * to {@code target/fuzz-findings/} with its seed and index so it can be replayed and turned into a
 * regression test.
 *
 * <p>Each input must also finish within {@link #MAX_SECONDS_PER_INPUT} (a quadratic parser hides
 * well inside a whole run's timeout). Per run, the slowest input and the one that allocated most
 * are recorded with their labels in {@code target/fuzz-stats.txt}, with the JVM's peak resident
 * memory so far ({@code VmHWM}); with {@code -Dvecnet.fuzz.log=true} every input is also logged as
 * one line of {@code target/fuzz-inputs.tsv} (generator, seed, index, microseconds, bytes allocated,
 * outcome, microseconds of the thread's CPU time), which {@code bench/fuzz.sh} sorts to report the slowest and largest inputs.
 *
 * <p>Also the byte-level mutations shared by the fuzz tests: bit flips, truncation, interesting
 * integers (0, −1, 2^31, 2^32, 2^63 ...) written over 4 or 8 bytes, chunk duplication and deletion.
 */
public final class FuzzHarness {
    /** Interesting 64-bit values written over length and offset fields. */
    public static final long[] INTERESTING = {0, 1, -1, 7, 8, 255, 256, 0x7fff, 0xffff, Integer.MAX_VALUE,
        1L << 31, 0xffff_ffffL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, 100_000_001L, (1L << 31) - 8};

    /** One input's processing; returns normally for a valid result. */
    public interface Case {
        void run() throws Throwable;
    }

    private FuzzHarness() {
    }

    /** {@code -Dvecnet.fuzz.iterations}, or {@code dflt}. */
    public static int iterations(int dflt) {
        return Integer.getInteger("vecnet.fuzz.iterations", dflt);
    }

    /** The seed: {@code -Dvecnet.fuzz.seed}, or {@code dflt} (fixed so CI runs the same inputs every time). */
    public static long seed(long dflt) {
        return Long.getLong("vecnet.fuzz.seed", dflt);
    }

    /** The longest one input may take, in seconds (the issue's bound for a hostile file). */
    public static final int MAX_SECONDS_PER_INPUT = 10;

    /**
     * With {@code -Dvecnet.fuzz.cpuTime=true}, {@link #MAX_SECONDS_PER_INPUT} bounds the thread's CPU
     * time instead of the wall-clock time: on a shared machine whose run queue is many times its
     * cores, a 0.4 s input was seen to take 20 s of wall clock while its thread ran for 0.4 s.
     * Both are logged either way.
     */
    private static final boolean CPU_TIME = Boolean.getBoolean("vecnet.fuzz.cpuTime");

    /** What a run saw: how many inputs were accepted and how many refused with the documented exception. */
    public static final class Stats {
        public int valid, refused;
        public long maxAllocated;
        /** The slowest input's time in nanoseconds, and its label; the label of the largest allocation. */
        public long maxNanos;
        public String slowest = "", largest = "";

        @Override
        public String toString() {
            return valid + " valid, " + refused + " refused, max allocation " + maxAllocated / 1024 + " KiB";
        }
    }

    /** One input: its bytes (saved when it fails) and its processing. */
    public record Input(byte[] bytes, Case run) {
    }

    /** Produces input {@code i} of a run. */
    public interface Generator {
        /** Builds input {@code i} from {@code rnd}; {@code label} names it in a failure. */
        Input next(int i, Random rnd, StringBuilder label) throws IOException;
    }

    /**
     * Runs {@code n} inputs. {@code documented} says which throwables are the documented refusal; each
     * must also have a non-blank message. {@code maxBytes} bounds the allocation of one input.
     */
    public static Stats run(String name, long seed, int n, Duration timeout, long maxBytes,
                            Predicate<Throwable> documented, Generator gen) {
        Stats stats = new Stats();
        StringBuilder current = new StringBuilder();
        StringBuilder log = Boolean.getBoolean("vecnet.fuzz.log") ? new StringBuilder() : null;
        assertTimeoutPreemptively(timeout, () -> {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            Random rnd = new Random(seed);
            for (int i = 0; i < n; i++) {
                current.setLength(0);
                current.append(name).append(" seed ").append(seed).append(" input ").append(i).append(": ");
                Input in = gen.next(i, rnd, current);
                long before = mx.getCurrentThreadAllocatedBytes();
                long cpu0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                Throwable thrown = null;
                try {
                    in.run().run();
                } catch (Throwable t) {
                    thrown = t;
                }
                long nanos = System.nanoTime() - t0;
                long cpuNanos = mx.getCurrentThreadCpuTime() - cpu0;
                long allocated = mx.getCurrentThreadAllocatedBytes() - before;
                if (allocated > maxBytes) {
                    // Measured once more: what the JVM does once on this thread (a lazy cache, a class's
                    // first use) is not the input's. A CI run on -XX:UseAVX=2 saw 70-90 MB more than
                    // usual on one input of each of three generators (a 34 × 3 PNG at 85 MB where other
                    // runs measured under 5 MB), and no such jump in the same inputs in two other runs.
                    long again = mx.getCurrentThreadAllocatedBytes();
                    try {
                        in.run().run();
                    } catch (Throwable t) {
                        // the first run's outcome is the one checked below
                    }
                    allocated = Math.min(allocated, mx.getCurrentThreadAllocatedBytes() - again);
                }
                if (allocated > stats.maxAllocated) {
                    stats.maxAllocated = allocated;
                    stats.largest = current.toString();
                }
                if (nanos > stats.maxNanos) {
                    stats.maxNanos = nanos;
                    stats.slowest = current.toString();
                }
                if (log != null) {
                    log.append(name).append('\t').append(seed).append('\t').append(i).append('\t').append(nanos / 1000)
                            .append('\t').append(allocated).append('\t')
                            .append(thrown == null ? "valid" : thrown.getClass().getSimpleName()).append('\t')
                            .append(cpuNanos / 1000).append('\n');
                }
                if (thrown == null) {
                    stats.valid++;
                } else if (documented.test(thrown) && thrown.getMessage() != null && !thrown.getMessage().isBlank()) {
                    stats.refused++;
                } else {
                    fail(current + " threw an undocumented " + thrown + " (input saved as "
                            + save(name + "-" + seed + "-" + i, in.bytes()) + ")", thrown);
                }
                if ((CPU_TIME ? cpuNanos : nanos) > MAX_SECONDS_PER_INPUT * 1_000_000_000L) {
                    fail(current + " took " + nanos / 1_000_000 + " ms (" + cpuNanos / 1_000_000 + " ms of CPU), more than "
                            + MAX_SECONDS_PER_INPUT
                            + " s (input saved as " + save(name + "-" + seed + "-" + i, in.bytes()) + ")");
                }
                if (allocated > maxBytes) {
                    fail(current + " (input saved as " + save(name + "-" + seed + "-" + i, in.bytes()) + ")"
                            + " allocated " + allocated + " bytes, twice (limit " + maxBytes + "), outcome "
                            + (thrown == null ? "valid" : thrown.toString()));
                }
            }
        }, () -> "hung (no answer within " + timeout + ") on " + current);
        record(name + " seed " + seed + ": " + n + " inputs, " + stats + ", slowest " + stats.maxNanos / 1_000_000
                + " ms (" + cut(stats.slowest) + "), largest allocation: " + cut(stats.largest) + ", JVM peak RSS so far "
                + peakRssKiB() / 1024 + " MiB");
        if (log != null) {
            append("fuzz-inputs.tsv", log.toString());
        }
        return stats;
    }

    private static String cut(String label) {
        return label.length() > 160 ? label.substring(0, 160) + "..." : label;
    }

    /** The JVM's peak resident set ({@code VmHWM} of /proc/self/status) in KiB, or -1 where there is none. */
    public static long peakRssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /** Appends one line to target/fuzz-stats.txt (tests must not print; bench/fuzz.sh reads this file). */
    public static void record(String line) {
        append("fuzz-stats.txt", line + System.lineSeparator());
    }

    private static void append(String file, String text) {
        try {
            Path dir = Path.of("target");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(file), text, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // statistics are a convenience; the assertions are the test
        }
    }

    /** Saves a failing input under target/fuzz-findings for replay; returns its path. */
    public static Path save(String name, byte[] input) {
        try {
            Path dir = Path.of("target", "fuzz-findings");
            Files.createDirectories(dir);
            Path f = dir.resolve(name);
            Files.write(f, input);
            return f;
        } catch (IOException e) {
            return null;
        }
    }

    /** A random byte-level mutation of {@code in} (1 to 4 steps); appends what was done to {@code label}. */
    public static byte[] mutate(byte[] in, Random rnd, StringBuilder label) {
        byte[] b = in;
        int steps = 1 + rnd.nextInt(4);
        for (int s = 0; s < steps; s++) {
            b = mutateOnce(b, rnd, label);
        }
        return b;
    }

    public static byte[] mutateOnce(byte[] in, Random rnd, StringBuilder label) {
        if (in.length == 0) {
            label.append("append; ");
            return new byte[] {(byte) rnd.nextInt(256)};
        }
        int at = rnd.nextInt(in.length);
        switch (rnd.nextInt(8)) {
            case 0: case 1: {
                byte[] b = in.clone();
                b[at] ^= (byte) (1 << rnd.nextInt(8));
                label.append("flip@").append(at).append("; ");
                return b;
            }
            case 2: {
                byte[] b = in.clone();
                b[at] = (byte) new int[] {0, 0xff, 0x7f, 0x80, 1, '(', '[', '{', '"', '.'}[rnd.nextInt(10)];
                label.append("byte@").append(at).append("; ");
                return b;
            }
            case 3:
                label.append("truncate@").append(at).append("; ");
                return Arrays.copyOf(in, at);
            case 4: {
                byte[] b = in.clone();
                long v = INTERESTING[rnd.nextInt(INTERESTING.length)];
                int w = rnd.nextBoolean() ? 4 : 8;
                ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < w && at + k < b.length; k++) {
                    bb.put(at + k, (byte) (v >>> (8 * k)));
                }
                label.append("int").append(w * 8).append('=').append(v).append('@').append(at).append("; ");
                return b;
            }
            case 5: { // duplicate a chunk in place
                int len = 1 + rnd.nextInt(Math.min(64, in.length - at));
                byte[] b = new byte[in.length + len];
                System.arraycopy(in, 0, b, 0, at + len);
                System.arraycopy(in, at, b, at + len, in.length - at);
                label.append("dup").append(len).append('@').append(at).append("; ");
                return b;
            }
            case 6: { // delete a chunk
                int len = 1 + rnd.nextInt(Math.min(64, in.length - at));
                byte[] b = new byte[in.length - len];
                System.arraycopy(in, 0, b, 0, at);
                System.arraycopy(in, at + len, b, at, in.length - at - len);
                label.append("del").append(len).append('@').append(at).append("; ");
                return b;
            }
            default: { // random bytes over a window
                byte[] b = in.clone();
                int len = 1 + rnd.nextInt(Math.min(16, in.length - at));
                for (int k = 0; k < len; k++) {
                    b[at + k] = (byte) rnd.nextInt(256);
                }
                label.append("random").append(len).append('@').append(at).append("; ");
                return b;
            }
        }
    }
}
