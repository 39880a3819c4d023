package vecnet.bench.peers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import vecnet.engine.Tensor;

/**
 * vecnet on the {@link Cases cases} of bench/compare.sh, with the weights PyTorch exported (the same
 * bytes ONNX Runtime and PyTorch run). compare.sh runs one case per JVM:
 * {@code java -jar bench/target/benchmarks.jar peers.VecnetBenchmark -p name=resnet18_b8 -p threads=1,2 -p dir=...}.
 * The {@code gemm_1024} case is the sgemm of {@code GemmBenchmark.vector} at 1024³.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g", "-XX:ObjectAlignmentInBytes=64"})
public class VecnetBenchmark {
    /** One of {@link Cases#NAMES}. */
    @Param({"resnet18_b1"})
    public String name;

    @Param({"1"})
    public int threads;

    /** The directory written by bench/python/compare_export.py. */
    @Param({"bench/target/compare"})
    public String dir;

    /**
     * Seconds of untimed calls in each trial's setup (each thread count), before JMH's own warm-up. The
     * Vector API kernels run slowly (boxed vectors) until C2 has compiled them, which takes seconds of
     * calls (the LSTM at 16 tokens needs about 4 s to reach its steady state); JMH's short warm-up
     * iterations, the same for every peer, would otherwise time the compiler. A trial on two threads
     * after one on one thread compiles the pool's two-thread paths anew: measured (ResNet-18, batch 1),
     * its first iterations took 17 and 14 ms, where a JVM that ran two threads only took 10.5-10.9. 0 disables it.
     */
    @Param({"0"})
    public double jitWarmup;

    VecnetCase run;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        run = new VecnetCase(Path.of(dir), name, threads, false);
        long end = System.nanoTime() + (long) (jitWarmup * 1e9);
        while (System.nanoTime() < end) {
            run.run();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        run.close();
    }

    @Benchmark
    public Tensor forward() {
        return run.run();
    }
}
