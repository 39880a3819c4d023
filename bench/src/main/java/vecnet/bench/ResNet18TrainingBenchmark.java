package vecnet.bench;

import java.util.ArrayList;
import java.util.List;
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
import vecnet.layers.Traced;
import vecnet.layers.train.CrossEntropyLoss;
import vecnet.layers.train.Optimizer;
import vecnet.layers.train.SGD;
import vecnet.multimodal.ResNet18;
import vecnet.weights.StateDict;

/**
 * One training step of ResNet-18 at 224² (torchvision topology, 1000-class fc, random weights), in
 * training mode: zero the gradients, traced forward, cross-entropy, backward (no image gradient,
 * as in PyTorch where the input does not require one), SGD (lr 1e-4, momentum 0.9) over every
 * parameter, {@link ResNet18#weightsChanged()}. {@code bench/python/resnet18_train_step_torch.py} times
 * the same step in PyTorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g", "-XX:ObjectAlignmentInBytes=64"})
public class ResNet18TrainingBenchmark {
    @Param({"8"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    ResNet18 model;
    Tensor images;
    int[] labels;
    ComputePool pool;
    Gradients grads;
    CrossEntropyLoss loss;
    Optimizer optimizer;
    Linear fc;

    @Setup(Level.Trial)
    public void setup() {
        pool = ComputePool.create(threads);
        StateDict weights = StateDict.of(RandomModels.resnet18("", true, 1));
        model = ResNet18.fromStateDict(weights).withPool(pool);
        fc = new Linear(model.featureSize(), model.classes(), true); // the model's fc, trained beside it
        weights.loadInto(fc, "fc.");
        model.train(true);
        images = RandomModels.images(batch, 2);
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = (i * 131) % 1000;
        }
        List<Tensor> params = new ArrayList<>(model.parameters());
        params.add(fc.weight);
        params.add(fc.bias);
        grads = new Gradients().trackAll(params);
        loss = new CrossEntropyLoss();
        optimizer = SGD.of(grads, params, 1e-4, 0.9);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float step() {
        grads.zero();
        ResNet18.Trace t = model.trace(images);
        Traced head = fc.trace(t.output(), pool);
        CrossEntropyLoss.Result l = loss.compute(head.output(), labels);
        t.backward(head.backward(l.gradient(), grads, pool), grads, pool, false);
        optimizer.step();
        model.weightsChanged();
        fc.weightsChanged();
        return l.loss();
    }
}
