package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vecnet.layers.testing.ConvTrainingFixtures.closeToTorch;
import static vecnet.layers.testing.ConvTrainingFixtures.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.Gradients;
import vecnet.layers.Traced;
import vecnet.layers.testing.ConvTrainingFixtures;
import vecnet.layers.train.Adam;
import vecnet.layers.train.CrossEntropyLoss;
import vecnet.layers.train.Optimizer;
import vecnet.layers.train.SGD;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * ResNet-18 at small widths, traced forward and backward, against PyTorch 1.13
 * ({@code conv_training.safetensors}, {@code weights/python/make_conv_training_fixtures.py}): every
 * parameter's and the image's gradient within 1e-4·max(1, |ref|), in training mode (widths
 * 8-16-32-64, the tiny fusion model's ResNet, with its running statistics after the step) and in eval
 * mode (widths 4-8-16-32); then 20 SGD-with-momentum steps of the 4-8-16-32 ResNet and its fc.
 */
class ResNetTrainingParityTest extends LibraryTest {
    private static final ComputePool TWO = ComputePool.create(2);
    private static final ComputePool THREE = ComputePool.create(3);

    @AfterAll
    static void close() {
        TWO.close();
        THREE.close();
    }

    /** torchvision's key ({@code layer2.0.conv1.weight}) as the seed's Sequential names it ({@code 5.0.conv1.weight}). */
    static String sequentialKey(String key) {
        if (key.startsWith("conv1.")) {
            return "0." + key.substring(6);
        }
        if (key.startsWith("bn1.")) {
            return "1." + key.substring(4);
        }
        return (key.charAt(5) - '0' + 3) + key.substring(6);
    }

    /** The 8-16-32-64 ResNet of the tiny fusion model (Sequential keys). */
    static ResNet18 resnet8(ComputePool pool) {
        try {
            return ResNet18.fromStateDict(StateDict.read(Fixtures.file("tiny_fusion.safetensors")), Kernels.get())
                    .withPool(pool);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 4-8-16-32 ResNet with its fc, from {@code rn4.param.*} (torchvision keys). */
    static ResNet18 resnet4(Kernels kernels, ComputePool pool) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        String pre = "rn4.param.";
        for (String k : ConvTrainingFixtures.get().keys()) {
            if (k.startsWith(pre)) {
                Tensor t = tensor(k);
                m.put(k.substring(pre.length()), k.endsWith("num_batches_tracked") ? Tensor.of(t.data()) : t);
            }
        }
        return ResNet18.fromStateDict(StateDict.of(m), kernels).withPool(pool);
    }

    /** The gradient of every tracked parameter, by its torchvision key, in state_dict order. */
    static Map<String, float[]> gradsByTorchvisionKey(ResNet18 net, Gradients grads, boolean sequential) {
        Map<String, float[]> out = new LinkedHashMap<>();
        Map<String, Tensor> named = net.namedTensors();
        List<String> tvKeys = new ArrayList<>();
        for (String k : ConvTrainingFixtures.get().keys()) {
            if (k.startsWith("rn4.param.") && !k.startsWith("rn4.param.fc.")) {
                tvKeys.add(k.substring("rn4.param.".length()));
            }
        }
        for (String tv : tvKeys) {
            Tensor t = named.get(sequential ? sequentialKey(tv) : tv);
            if (grads.tracks(t)) {
                out.put(tv, grads.of(t));
            }
        }
        return out;
    }

    @Test
    void trainingModeGradientsMatchPyTorch() {
        List<Map<String, float[]>> perPool = new ArrayList<>();
        List<Tensor> dxs = new ArrayList<>();
        for (ComputePool pool : new ComputePool[] {ComputePool.sequential(), TWO, THREE}) {
            ResNet18 net = resnet8(pool);
            Gradients grads = new Gradients().trackAll(net.parameters());
            ResNet18.Trace t = net.trace(tensor("rn8.x"), true);
            closeToTorch("rn8.features", t.output().data());
            for (int i = 1; i <= 4; i++) {
                closeToTorch("rn8.stage" + i, t.stage(i).data());
            }
            Tensor dx = t.backward(tensor("rn8.g"), grads, pool);
            closeToTorch("rn8.dx", dx.data());
            for (int i = 1; i <= 4; i++) {
                closeToTorch("rn8.dstage" + i, t.stageGradient(i).data());
            }
            Map<String, float[]> g = gradsByTorchvisionKey(net, grads, true);
            assertEquals(net.parameters().size(), g.size(), "every parameter has a gradient");
            g.forEach((k, v) -> closeToTorch("rn8.grad." + k, v));
            Map<String, Tensor> named = net.namedTensors();
            for (String k : ConvTrainingFixtures.get().keys()) {
                if (k.startsWith("rn8.after.")) {
                    String tv = k.substring("rn8.after.".length());
                    closeToTorch(k, named.get(sequentialKey(tv)).data());
                }
            }
            perPool.add(g);
            dxs.add(dx);
        }
        for (int p = 1; p < perPool.size(); p++) {
            Check.identical("rn8 dx, pool " + (p + 1), dxs.get(0).data(), dxs.get(p).data());
            for (String k : perPool.get(0).keySet()) {
                Check.identical("rn8 grad " + k + ", pool " + (p + 1), perPool.get(0).get(k), perPool.get(p).get(k));
            }
        }
    }

    @Test
    void evalModeGradientsMatchPyTorchAndTheTraceIsTheInferenceForward() {
        for (Kernels kernels : new Kernels[] {Kernels.scalar(), Kernels.get()}) {
            ResNet18 net = resnet4(kernels, TWO);
            Gradients grads = new Gradients().trackAll(net.parameters());
            Tensor x = tensor("rn4.x");
            ResNet18.Trace t = net.trace(x, false);
            Check.identical("eval trace = features()", net.features(x).data(), t.output().data());
            closeToTorch("rn4.features", t.output().data());
            closeToTorch("rn4.dx", t.backward(tensor("rn4.g"), grads, TWO).data());
            gradsByTorchvisionKey(net, grads, false).forEach((k, v) -> closeToTorch("rn4.grad." + k, v));
            closeToTorch("rn4.param.layer3.0.bn1.running_var", net.layers.get(2).get(0).bn1.running_var.data());
        }
    }

    @Test
    void frozenInEvalModeIsOneCall() {
        ResNet18 net = resnet4(Kernels.get(), TWO);
        Gradients grads = new Gradients().trackAll(net.parameters());
        net.freezeInEvalMode(grads);
        assertFalse(net.isTraining());
        assertTrue(grads.parameters().isEmpty(), "no ResNet parameter is trainable");
        ResNet18.Trace t = net.trace(tensor("rn4.x"));
        closeToTorch("rn4.features", t.output().data());
        closeToTorch("rn4.dx", t.backward(tensor("rn4.g"), grads, TWO).data());
        assertNull(t.backward(tensor("rn4.g"), grads, TWO, false), "nothing to compute without the image gradient");
        assertEquals(3f, net.bn1.num_batches_tracked.data()[0], "eval mode does not count batches");
        closeToTorch("rn4.param.bn1.running_mean", net.bn1.running_mean.data());
    }

    @Test
    void partlyFrozenNetworkGetsTheSameGradientsForWhatIsTrainable() {
        ResNet18 net = resnet4(Kernels.get(), TWO);
        Gradients grads = new Gradients().trackAll(net.parameters());
        List<Tensor> frozen = new ArrayList<>(List.of(net.conv1.weight, net.bn1.weight, net.bn1.bias));
        for (BasicBlock b : net.layers.get(0)) {
            frozen.addAll(b.namedTensors().values());
        }
        frozen.forEach(grads::untrack);
        ResNet18.Trace t = net.trace(tensor("rn4.x"), false);
        assertNull(t.backward(tensor("rn4.g"), grads, TWO, false), "no image gradient asked");
        Map<String, float[]> g = gradsByTorchvisionKey(net, grads, false);
        assertEquals(net.parameters().size() - 3 - 2 * 6, g.size(), "trainable: all but the stem and layer1");
        g.forEach((k, v) -> closeToTorch("rn4.grad." + k, v));
        for (Tensor f : frozen) {
            assertNull(grads.of(f));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 20 SGD steps. The linear head, the loss and the SGD update are written out here (torch.optim's
    // formulas, training-parity.md) because this branch has no Linear backward or optimizer yet.

    /** make_conv_training_fixtures.py's sgd_batch: exact float32 values from integer hashing. */
    static Tensor sgdImages(int step, int n, int c, int h, int w) {
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) {
            long hsh = ((i + step * 1000003L) * 2654435761L + 12345) % (1L << 32);
            hsh = ((hsh ^ (hsh >> 13)) * 1274126177L) % (1L << 32);
            x[i] = (float) ((((hsh >> 8) / (double) (1 << 24)) - 0.5) * 4.0);
        }
        return Tensor.of(x, n, c, h, w);
    }

    static int[] sgdLabels(int step, int n, int classes) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (i * 7 + step * 3) % classes;
        }
        return y;
    }

    @Test
    void theBatchesAreTheGeneratorsBatches() {
        Tensor x = sgdImages(7, 4, 3, 40, 36), ref = tensor("sgd.batch7.x");
        float[] part = new float[ref.size()];
        int q = 0;
        for (int nc = 0; nc < 12; nc++) {
            for (int hh = 0; hh < 2; hh++) {
                for (int ww = 0; ww < 3; ww++) {
                    part[q++] = x.data()[(nc * 40 + hh) * 36 + ww];
                }
            }
        }
        Check.identical("sgd batch 7 images", ref.data(), part);
        int[] y = sgdLabels(7, 4, 5);
        float[] yf = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            yf[i] = y[i];
        }
        Check.identical("sgd batch 7 labels", tensor("sgd.batch7.y").data(), yf);
    }

    @Test
    void twentySgdStepsMatchPyTorch() {
        float[] losses = null;
        Map<String, Tensor> first = null;
        for (ComputePool pool : new ComputePool[] {TWO, ComputePool.sequential(), THREE}) {
            ResNet18 net = resnet4(Kernels.get(), pool);
            float[] l = train(net, pool);
            closeToTorch("sgd.loss", l);
            net.namedTensors().forEach((k, v) -> closeToTorch("sgd.final." + k, v.data()));
            if (first == null) {
                losses = l;
                first = net.namedTensors();
            } else {
                Check.identical("losses, pool " + pool, losses, l);
                Map<String, Tensor> f = first;
                net.namedTensors().forEach((k, v) -> Check.identical(k + ", pool " + pool, f.get(k).data(), v.data()));
            }
        }
    }

    @Test
    void twentyAdamStepsMatchPyTorch() {
        ResNet18 net = resnet4(Kernels.get(), TWO);
        float[] losses = train(net, TWO, grads -> Adam.adam(grads, List.copyOf(grads.parameters()), 1e-3));
        closeToTorch("adam.loss", losses);
        net.namedTensors().forEach((k, v) -> Check.close("adam.final." + k, tensor("adam.final." + k).data(), v.data(), 1e-3, 0));
    }

    /**
     * 20 steps of SGD(lr 0.004, momentum 0.9) on the ResNet and its fc with CrossEntropyLoss(mean),
     * through the library's own traces, loss and optimizer; the losses.
     */
    private static float[] train(ResNet18 net, ComputePool pool) {
        return train(net, pool, grads -> SGD.of(grads, List.copyOf(grads.parameters()), 0.004, 0.9));
    }

    private static float[] train(ResNet18 net, ComputePool pool, Function<Gradients, Optimizer> optimizer) {
        net.train(true);
        Gradients grads = new Gradients().trackAll(net.parameters()).track(net.fc.weight).track(net.fc.bias);
        Optimizer opt = optimizer.apply(grads);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        int classes = net.fc.outFeatures(), n = 4;
        float[] losses = new float[20];
        for (int step = 0; step < 20; step++) {
            grads.zero();
            ResNet18.Trace t = net.trace(sgdImages(step, n, 3, 40, 36));
            Traced head = net.fc.trace(t.output(), pool);
            CrossEntropyLoss.Result loss = lossFn.compute(head.output(), sgdLabels(step, n, classes));
            losses[step] = loss.loss();
            t.backward(head.backward(loss.gradient(), grads, pool), grads, pool, false);
            opt.step();
            net.weightsChanged();
        }
        return losses;
    }

    @Test
    void afterTrainingInferenceSeesTheNewWeights() {
        ResNet18 net = resnet4(Kernels.get(), TWO);
        Tensor x = tensor("rn4.x");
        net.features(x);   // packs the weights
        train(net, TWO);
        net.train(false);
        Check.identical("features() after weightsChanged() = eval trace", net.trace(x).output().data(),
                net.features(x).data());
        assertArrayEquals(new int[] {2, 32}, net.features(x).shape());
    }
}
