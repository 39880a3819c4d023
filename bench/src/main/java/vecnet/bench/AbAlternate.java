package vecnet.bench;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Two builds of vecnet timed in one JVM, alternated: the way to see a change of a few per cent on a
 * host whose speed moves by more than that from one minute to the next (see bench/RESULTS.md). Each
 * build's jar gets its own class loader (so its own copy of every vecnet class and its own compiled
 * code), with {@link AbSubject} loaded next to it from {@code subjectDir}. Both builds are warmed up,
 * then each round times a block of calls of one build, then of the other (the order flips from
 * round to round), and takes each block's median. It prints each round's pair and the median, lowest
 * and highest of the rounds' ratios B / A. Run by bench/ab.sh.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp benchmarks.jar vecnet.bench.AbAlternate \
 *       SUBJECT_DIR JAR_A JAR_B CASE[,CASE...] THREADS [ROUNDS [BATCH [CALLS]]]
 * </pre>
 */
public final class AbAlternate {
    private AbAlternate() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: AbAlternate SUBJECT_DIR JAR_A JAR_B CASE[,CASE...] THREADS [ROUNDS [BATCH [CALLS]]]");
            System.exit(2);
        }
        Path subject = Path.of(args[0]);
        String[] jars = {args[1], args[2]};
        String[] cases = args[3].split(",");
        int threads = Integer.parseInt(args[4]);
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 9;
        int batch = args.length > 6 ? Integer.parseInt(args[6]) : 1;
        int calls = args.length > 7 ? Integer.parseInt(args[7]) : 40;
        for (String name : cases) {
            Runnable[] run = new Runnable[2];
            for (int v = 0; v < 2; v++) {
                ClassLoader loader = new URLClassLoader(new URL[] {subject.toUri().toURL(), Path.of(jars[v]).toUri().toURL()},
                        ClassLoader.getPlatformClassLoader());
                run[v] = (Runnable) loader.loadClass("vecnet.bench.AbSubject")
                        .getMethod("make", String.class, int.class, int.class).invoke(null, name, threads, batch);
            }
            for (int i = 0; i < 10 * calls; i++) { // warm-up: C2 compiles both builds' kernels
                run[0].run();
                run[1].run();
            }
            double[] ratios = new double[rounds];
            List<String> pairs = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                double[] median = new double[2];
                for (int i = 0; i < 2; i++) {
                    int v = r % 2 == 0 ? i : 1 - i;
                    median[v] = medianMillis(run[v], calls);
                }
                ratios[r] = median[1] / median[0];
                pairs.add(String.format("%.3f/%.3f", median[0], median[1]));
            }
            Arrays.sort(ratios);
            System.out.printf("%s threads %d batch %d: B/A median %.3f (rounds %.3f-%.3f); ms A/B per round %s%n", name,
                    threads, batch, ratios[rounds / 2], ratios[0], ratios[rounds - 1], String.join(" ", pairs));
        }
        System.exit(0); // the pools' threads
    }

    private static double medianMillis(Runnable call, int calls) {
        long[] t = new long[calls];
        for (int i = 0; i < calls; i++) {
            long start = System.nanoTime();
            call.run();
            t[i] = System.nanoTime() - start;
        }
        Arrays.sort(t);
        return t[calls / 2] / 1e6;
    }
}
