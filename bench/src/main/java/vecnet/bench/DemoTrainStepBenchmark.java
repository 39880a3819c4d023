package vecnet.bench;

import java.io.IOException;
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
import vecnet.layers.train.Adam;
import vecnet.layers.train.CrossEntropyLoss;
import vecnet.layers.train.Optimizer;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.FusionTrainer;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.internal.ShapesTraining;
import vecnet.multimodal.train.Example;

/**
 * One optimizer step of the demo-size fusion model trained end to end, as {@code vecnet demo --train}
 * and {@code weights/python/train_demo.py} take it: ResNet-18 layout at widths 8-16-32-64 in training
 * mode (batch statistics) → 64-d features, embedding 32 → LSTM 32 (each question's output at its own
 * last word), {@code Linear(96, 8)}, cross-entropy, the backward through the whole network (no image
 * gradient), Adam (lr 3e-3) over every parameter, and the refresh of the packed weights. Batch 32:
 * the first batch of the demo's training data (samples 0..31 of {@code ShapesDataset(1)}, 224² after
 * the crop, questions of 4 to 9 words). The learning-rate schedule is left out (a scalar per step).
 * {@code bench/python/demo_train_step_torch.py} times the same step in PyTorch on the same batch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g", "-XX:ObjectAlignmentInBytes=64"})
public class DemoTrainStepBenchmark {
    @Param({"1", "2"})
    public int threads;

    ComputePool pool;
    FusionModel model;
    Gradients grads;
    Optimizer optimizer;
    FusionTrainer head;
    Tensor images;
    int[][] ids;
    int[] labels;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        pool = ComputePool.create(threads);
        model = ShapesTraining.newModel(0, pool);
        List<Example> batch = ShapesTraining.examples(1);
        int n = batch.size();
        images = Tensor.zeros(n, 3, 224, 224);
        ids = new int[n][];
        labels = new int[n];
        int per = 3 * 224 * 224;
        for (int i = 0; i < n; i++) {
            Tensor one = batch.get(i).image().load();
            System.arraycopy(one.data(), 0, images.data(), i * per, per);
            ids[i] = batch.get(i).tokenIds();
            labels[i] = batch.get(i).label();
        }
        List<Tensor> params = new ArrayList<>(model.resnet().parameters());
        params.addAll(FusionTrainer.trainableOf(model));
        grads = new Gradients().trackAll(params);
        model.resnet().train(true);
        optimizer = Adam.adam(grads, params, ShapesTraining.LR);
        head = new FusionTrainer(model, grads, optimizer, new CrossEntropyLoss());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float step() {
        grads.zero();
        ResNet18.Trace trace = model.resnet().trace(images, true);
        FusionTrainer.Step s = head.forwardBackward(trace.output(), ids, labels);
        trace.backward(s.imageFeatureGradient(), grads, pool, false);
        optimizer.step();
        head.weightsChanged();
        model.resnet().weightsChanged();
        return s.loss();
    }
}
