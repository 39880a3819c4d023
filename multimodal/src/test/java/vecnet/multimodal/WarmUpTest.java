package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static vecnet.multimodal.ParityFixtures.ids;
import static vecnet.multimodal.ParityFixtures.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/**
 * {@code warmUp()} changes nothing a caller can see (and never prints: {@link LibraryTest} fails a
 * test that does), may run on several threads at once, and the untrained twins have the shapes
 * PyTorch's models have. How fast it makes the first call is measured, not asserted here.
 */
class WarmUpTest extends LibraryTest {

    @Test
    void warmingUpLeavesTheAnswersAsTheyWere() throws Exception {
        try (ComputePool pool = ComputePool.create(2)) {
            FusionModel model = FusionModel.load(Fixtures.file("tiny_fusion.safetensors")).withPool(pool);
            Tensor image = tensor("image_odd");
            int[][] text = ids("text");
            float[] before = model.predict(image, text).data();
            float[] featuresBefore = model.resnet.features(image).data();
            ExecutorService callers = Executors.newFixedThreadPool(3);
            try {
                List<Future<?>> warming = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    warming.add(callers.submit(t == 0 ? model.resnet::warmUp : model::warmUp));
                }
                for (Future<?> f : warming) {
                    f.get();
                }
            } finally {
                callers.shutdownNow();
            }
            Check.identical("fusion logits after warmUp", before, model.predict(image, text).data());
            Check.identical("resnet features after warmUp", featuresBefore, model.resnet.features(image).data());
        }
    }

    @Test
    void warmingUpTrainingChangesNoOtherModel() {
        // warmUpTraining trains a network of its own on the given pool; a model trained on the same pool
        // before and after it gets the same gradients and running statistics, bit for bit.
        vecnet.weights.StateDict weights = ActivationBuffersTest.randomResNet(8);
        Tensor x = ActivationBuffersTest.picture(48, 2, 48);
        try (ComputePool pool = ComputePool.create(2)) {
            float[][] before = trainingStep(ResNet18.fromStateDict(weights).withPool(pool), x);
            ResNet18.warmUpTraining(pool);
            ResNet18.warmUpTraining(ComputePool.sequential());
            float[][] after = trainingStep(ResNet18.fromStateDict(weights).withPool(pool), x);
            for (int i = 0; i < before.length; i++) {
                Check.identical("training step, tensor " + i + ", after warmUpTraining", before[i], after[i]);
            }
        }
    }

    /** The parameter gradients and running means of one traced training step of {@code net} on {@code x}. */
    private static float[][] trainingStep(ResNet18 net, Tensor x) {
        vecnet.layers.Gradients grads = new vecnet.layers.Gradients().trackAll(net.parameters());
        ResNet18.Trace t = net.trace(x, true);
        Tensor d = Tensor.zeros(t.output().shape());
        for (int i = 0; i < d.size(); i++) {
            d.data()[i] = (i % 7 - 3) * 0.01f;
        }
        t.backward(d, grads, net.pool(), false);
        List<float[]> out = new ArrayList<>();
        for (Tensor p : net.parameters()) {
            out.add(grads.of(p).clone());
        }
        out.add(net.namedTensors().get("layer1.0.bn1.running_mean").data().clone());
        out.add(t.output().data().clone());
        return out.toArray(new float[0][]);
    }

    @Test
    void preparingChangesNoResult() {
        // prepare() makes each layer's packed and Winograd-transformed weights ahead of the first call:
        // at 64² (F(4×4) on layer1, F(2×2) on layers 2-3, direct on layer4) and at 112², on both kernel sets.
        vecnet.weights.StateDict weights = ActivationBuffersTest.randomResNet(8);
        for (vecnet.engine.Kernels kernels : new vecnet.engine.Kernels[] {vecnet.engine.Kernels.scalar(), vecnet.engine.Kernels.get()}) {
            for (int side : new int[] {64, 112}) {
                Tensor x = ActivationBuffersTest.picture(side, 1, side);
                float[] expected = ResNet18.fromStateDict(weights, kernels).features(x).data();
                ResNet18 prepared = ResNet18.fromStateDict(weights, kernels);
                prepared.prepare(side, side);
                prepared.prepare(side, side); // again: nothing changes
                Check.identical(kernels + " prepared at " + side, expected, prepared.features(x).data());
            }
        }
    }

    @Test
    void untrainedResNetHasTorchvisionResnet18Shapes() {
        // torchvision.models.resnet18().state_dict(): 122 entries, 11,699,132 elements
        // (as torch 1.13 / torchvision 0.14 print it: 11,689,512 parameters and 9,620 BatchNorm buffer elements)
        Map<String, Tensor> sd = ResNet18.untrained(1000).namedTensors();
        assertEquals(122, sd.size());
        assertEquals(11_699_132L, sd.values().stream().mapToLong(Tensor::size).sum());
        assertArrayEquals(new int[] {64, 3, 7, 7}, sd.get("conv1.weight").shape());
        assertArrayEquals(new int[] {128, 64, 1, 1}, sd.get("layer2.0.downsample.0.weight").shape());
        assertArrayEquals(new int[] {512, 512, 3, 3}, sd.get("layer4.1.conv2.weight").shape());
        assertArrayEquals(new int[] {1000, 512}, sd.get("fc.weight").shape());
        assertEquals(120, ResNet18.untrained(0).namedTensors().size());
        assertThrows(IllegalArgumentException.class, () -> ResNet18.untrained(-1));
    }

    @Test
    void untrainedFusionModelHasTheSeedModelsShapes() {
        // MultimodalModel(num_classes=10).state_dict(): 127 entries, 14,765,214 elements (same reference)
        FusionModel model = FusionModel.untrained(10);
        Map<String, Tensor> sd = model.namedTensors();
        assertEquals(127, sd.size());
        assertEquals(14_765_214L, sd.values().stream().mapToLong(Tensor::size).sum());
        assertArrayEquals(new int[] {10000, 300}, sd.get("embedding.weight").shape());
        assertArrayEquals(new int[] {1024, 256}, sd.get("lstm.weight_hh_l0").shape());
        assertArrayEquals(new int[] {10, 768}, sd.get("fc.weight").shape());
        assertThrows(IllegalArgumentException.class, () -> FusionModel.untrained(0));
    }
}
