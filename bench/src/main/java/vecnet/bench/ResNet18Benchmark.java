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
import vecnet.multimodal.ResNet18;
import vecnet.weights.StateDict;

/**
 * ResNet-18 forward at 224², torchvision topology with its fc (1000 logits), random weights.
 * Run: {@code java -jar bench/target/benchmarks.jar ResNet18 -prof gc} for the allocation per forward;
 * add {@code -jvmArgsAppend -Dvecnet.vectorBits=256} to time the AVX2 code paths on an AVX-512 host.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g", "-XX:ObjectAlignmentInBytes=64"})
public class ResNet18Benchmark {
    @Param({"1", "8"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    ResNet18 model;
    Tensor images;
    ComputePool pool;

    @Setup(Level.Trial)
    public void setup() {
        pool = ComputePool.create(threads);
        model = ResNet18.fromStateDict(StateDict.of(RandomModels.resnet18("", true, 1))).withPool(pool);
        images = RandomModels.images(batch, 2);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public Tensor forward() {
        return model.classify(images);
    }
}
