package vecnet.bench;

import java.util.List;
import java.util.SplittableRandom;
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
import vecnet.layers.Gradients;
import vecnet.layers.Linear;
import vecnet.layers.train.Adam;
import vecnet.layers.train.CrossEntropyLoss;
import vecnet.layers.train.Optimizer;
import vecnet.layers.train.SGD;
import vecnet.multimodal.FusionTrainer;
import vecnet.multimodal.TextEncoder;
import vecnet.weights.StateDict;

/**
 * One optimizer step of the seed's fusion model with the ResNet frozen, on precomputed 512-d image
 * features: zero_grad, Embedding(10000,300) → LSTM(300,256) → last step → cat → Linear(768,10) →
 * cross-entropy, the backward through all of it, the update, and the refresh of the packed weights.
 * Batch 32, 16 tokens. {@code bench/python/fusion_train_step_torch.py} times the same step in PyTorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g", "-XX:ObjectAlignmentInBytes=64"})
public class TrainStepBenchmark {
    @Param({"1", "2"})
    public int threads;

    @Param({"sgd", "adam"})
    public String optimizer;

    FusionTrainer trainer;
    Tensor features;
    int[][] ids;
    int[] labels;
    ComputePool pool;

    @Setup(Level.Trial)
    public void setup() {
        pool = ComputePool.create(threads);
        StateDict sd = RandomModels.fusion(1);
        TextEncoder text = TextEncoder.fromStateDict(sd);
        Linear fc = new Linear(768, 10, true);
        sd.loadInto(fc, "fc.");
        List<Tensor> params = FusionTrainer.trainableOf(text, fc);
        Gradients grads = new Gradients().trackAll(params);
        Optimizer opt = optimizer.equals("sgd") ? SGD.of(grads, params, 0.01, 0.9) : Adam.adam(grads, params, 1e-3);
        trainer = new FusionTrainer(text, fc, grads, opt, new CrossEntropyLoss(), pool);
        SplittableRandom rnd = new SplittableRandom(7);
        features = Tensor.zeros(32, 512);
        for (int i = 0; i < features.size(); i++) {
            features.data()[i] = (float) Math.max(0, rnd.nextGaussian());
        }
        ids = RandomModels.tokens(32, 16, 3);
        labels = new int[32];
        for (int i = 0; i < 32; i++) {
            labels[i] = rnd.nextInt(10);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float step() {
        return trainer.step(features, ids, labels).loss();
    }
}
