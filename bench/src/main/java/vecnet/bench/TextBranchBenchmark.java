package vecnet.bench;

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
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.multimodal.TextEncoder;

/** The seed's text branch alone: Embedding(10000,300) → LSTM(300,256) → last step, batch 1. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g", "-XX:ObjectAlignmentInBytes=64"})
public class TextBranchBenchmark {
    @Param({"16", "128"})
    public int tokens;

    @Param({"1"})
    public int threads;

    TextEncoder text;
    int[][] ids;
    ComputePool pool;

    @Setup(Level.Trial)
    public void setup() {
        pool = ComputePool.create(threads);
        text = TextEncoder.fromStateDict(RandomModels.fusion(1));
        ids = RandomModels.tokens(1, tokens, 3);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public Tensor encode() {
        return text.encode(ids, pool);
    }
}
