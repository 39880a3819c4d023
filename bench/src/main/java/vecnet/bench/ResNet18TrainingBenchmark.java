package vecnet.bench;

import java.util.IdentityHashMap;
import java.util.Map;
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
import vecnet.multimodal.ResNet18;
import vecnet.weights.StateDict;

/**
 * One training step of ResNet-18 at 224² (torchvision topology, 1000-class fc, random weights), in
 * training mode: zero the gradients, traced forward, cross-entropy, backward (no image gradient,
 * as in PyTorch where the input does not require one), SGD with momentum 0.9 over every parameter,
 * {@link ResNet18#weightsChanged()}. {@code bench/python/resnet18_train_step_torch.py} times the same step
 * in PyTorch. The fc, the loss and the SGD update are plain loops here (a few ms of the step) until
 * the Linear backward and the optimizers of the other half of issue 11 are merged.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
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
    Map<Tensor, float[]> momentum;

    @Setup(Level.Trial)
    public void setup() {
        pool = ComputePool.create(threads);
        model = ResNet18.fromStateDict(StateDict.of(RandomModels.resnet18("", true, 1))).withPool(pool);
        model.train(true);
        images = RandomModels.images(batch, 2);
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = (i * 131) % 1000;
        }
        grads = new Gradients().trackAll(model.parameters()).track(model.fc.weight).track(model.fc.bias);
        momentum = new IdentityHashMap<>();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float step() {
        grads.zero();
        ResNet18.Trace t = model.trace(images);
        Tensor features = t.output();
        Tensor logits = model.fc.forward(features, pool);
        int n = logits.dim(0), classes = logits.dim(1), feat = features.dim(1);
        float[] z = logits.data(), f = features.data(), w = model.fc.weight.data();
        float[] dW = grads.of(model.fc.weight), dB = grads.of(model.fc.bias);
        float[] dFeat = new float[f.length];
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, z[i * classes + c]);
            }
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[i * classes + c] - max);
            }
            loss -= (z[i * classes + labels[i]] - max - Math.log(sum)) / n;
            for (int c = 0; c < classes; c++) {
                float dz = (float) ((Math.exp(z[i * classes + c] - max) / sum - (c == labels[i] ? 1 : 0)) / n);
                dB[c] += dz;
                for (int k = 0; k < feat; k++) {
                    dW[c * feat + k] += dz * f[i * feat + k];
                    dFeat[i * feat + k] += dz * w[c * feat + k];
                }
            }
        }
        t.backward(Tensor.of(dFeat, n, feat), grads, pool, false);
        for (Tensor p : grads.parameters()) {
            float[] g = grads.of(p), pd = p.data();
            float[] buf = momentum.get(p);
            if (buf == null) {
                momentum.put(p, buf = g.clone());
            } else {
                for (int i = 0; i < buf.length; i++) {
                    buf[i] = 0.9f * buf[i] + g[i];
                }
            }
            for (int i = 0; i < pd.length; i++) {
                pd[i] -= 1e-4f * buf[i];
            }
        }
        model.weightsChanged();
        return (float) loss;
    }
}
