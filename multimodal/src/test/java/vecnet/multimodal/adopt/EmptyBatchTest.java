package vecnet.multimodal.adopt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.ResNet18;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * Issue 15, blocker 5: a batch of zero pictures gives an empty result, the same on both kernel sets
 * (the Vector API path used to divide by zero in its convolution, the scalar one to refuse).
 */
class EmptyBatchTest extends LibraryTest {

    static Stream<Kernels> kernels() {
        return Stream.of(Kernels.scalar(), Kernels.get());
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void fusionModelGivesNoPredictions(Kernels kernels) throws IOException {
        FusionModel model = FusionModel.fromStateDict(StateDict.read(Fixtures.file("tiny_fusion.safetensors")), kernels);
        Tensor logits = model.predict(Tensor.zeros(0, 3, 224, 224), new int[0][]);
        assertArrayEquals(new int[] {0, model.numClasses()}, logits.shape());
        List<Prediction> none = model.classify(Tensor.zeros(0, 3, 224, 224), new int[0][]);
        assertTrue(none.isEmpty(), none.toString());
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void resnetFeaturesOfNoPicture(Kernels kernels) throws IOException {
        StateDict sd = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        ResNet18 resnet = ResNet18.fromStateDict(sd.withoutPrefix("resnet."), kernels);
        assertArrayEquals(new int[] {0, resnet.featureSize()}, resnet.features(Tensor.zeros(0, 3, 64, 64)).shape());
        assertEquals(1, resnet.features(Tensor.zeros(1, 3, 64, 64)).dim(0)); // and a batch of one still runs
    }
}
