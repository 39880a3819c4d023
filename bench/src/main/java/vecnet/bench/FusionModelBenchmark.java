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
import vecnet.multimodal.FusionModel;

/**
 * The seed's fusion model, full size (ResNet-18 features + Embedding(10000,300) → LSTM(300,256) →
 * Linear(768,10)), batch 1, a 224² image and 16 tokens, random weights.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g", "-XX:ObjectAlignmentInBytes=64"})
public class FusionModelBenchmark {
    @Param({"1", "2"})
    public int threads;

    @Param({"16"})
    public int tokens;

    FusionModel model;
    Tensor image;
    int[][] ids;
    ComputePool pool;

    @Setup(Level.Trial)
    public void setup() {
        pool = ComputePool.create(threads);
        model = FusionModel.fromStateDict(RandomModels.fusion(1)).withPool(pool);
        image = RandomModels.images(1, 2);
        ids = RandomModels.tokens(1, tokens, 3);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public Tensor predict() {
        return model.predict(image, ids);
    }
}
