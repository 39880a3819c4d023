package vecnet.bench.peers;

import ai.onnxruntime.OrtException;
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

/**
 * ONNX Runtime (Java API) on the {@link Cases cases} of bench/compare.sh, with the ONNX files torch
 * exported from the same weights; session options in {@link OrtCase#options}. The timed call includes
 * copying the (small) output into a Java array, as a Java caller would.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class OrtBenchmark {
    /** One of {@link Cases#NAMES} except gemm_1024. */
    @Param({"resnet18_b1"})
    public String name;

    @Param({"1"})
    public int threads;

    /** The directory written by bench/python/compare_export.py. */
    @Param({"bench/target/compare"})
    public String dir;

    OrtCase run;

    @Setup(Level.Trial)
    public void setup() throws IOException, OrtException {
        run = new OrtCase(Path.of(dir), name, threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws OrtException {
        run.close();
    }

    @Benchmark
    public float[] forward() throws OrtException {
        return run.run();
    }
}
