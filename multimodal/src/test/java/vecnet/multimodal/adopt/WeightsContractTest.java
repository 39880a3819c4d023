package vecnet.multimodal.adopt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import vecnet.engine.ComputePool;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.Layer;
import vecnet.multimodal.Classifier;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.TextEncoder;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * Issue 15, "no way to mutate a model's weights that is silently ignored". Layers pack their weights
 * on first use, so a write into a weight tensor is seen only through the one contract of
 * {@link HasStateDict}: change the tensors of {@code namedTensors()}, then {@code weightsChanged()}
 * ({@code StateDict.loadInto} does both). Models hand out no layer, so there is no other way in.
 */
class WeightsContractTest extends LibraryTest {

    static Stream<Kernels> kernels() {
        return Stream.of(Kernels.scalar(), Kernels.get());
    }

    private static StateDict fixture() throws IOException {
        return StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
    }

    private static Tensor image() {
        SplittableRandom rnd = new SplittableRandom(15);
        float[] x = new float[3 * 64 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return Tensor.of(x, 1, 3, 64, 64);
    }

    private static int[][] ids(FusionModel m) {
        return new int[][] {{1 % m.vocabularyRows(), 2 % m.vocabularyRows(), 3 % m.vocabularyRows()}};
    }

    /** A copy of every tensor of {@code m}, with one value changed in each kind of packed weight. */
    private static Map<String, Tensor> changed(FusionModel m) {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        m.namedTensors().forEach((k, t) -> copy.put(k, t.copy()));
        copy.get("resnet.0.weight").data()[0] += 0.5f;   // the stem convolution (packed)
        copy.get("resnet.1.weight").data()[0] += 0.5f;   // its batch-norm (folded into the convolution)
        copy.get("lstm.weight_hh_l0").data()[0] += 0.5f; // the LSTM's recurrent weight (packed)
        copy.get("fc.weight").data()[0] += 100f;         // the head (packed)
        return copy;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void loadingIntoAModelThatAlreadyRanChangesItsAnswers(Kernels kernels) throws IOException {
        FusionModel m = FusionModel.fromStateDict(fixture(), kernels);
        float[] before = m.predict(image(), ids(m)).data();           // packs every weight
        Map<String, Tensor> other = changed(m);
        float[] want = FusionModel.fromStateDict(StateDict.of(other), kernels).predict(image(), ids(m)).data();
        assertFalse(Arrays.equals(before, want), "the change must show in a fresh model");

        StateDict.of(other).loadInto(m);
        assertArrayEquals(want, m.predict(image(), ids(m)).data(), "loadInto a model that ran");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void writingThroughNamedTensorsThenWeightsChangedIsSeen(Kernels kernels) throws IOException {
        FusionModel m = FusionModel.fromStateDict(fixture(), kernels);
        FusionModel sibling = m.withPool(ComputePool.sequential()); // shares the weights
        m.predict(image(), ids(m));
        sibling.predict(image(), ids(m));
        Map<String, Tensor> other = changed(m);
        float[] want = FusionModel.fromStateDict(StateDict.of(other), kernels).predict(image(), ids(m)).data();

        other.forEach((k, t) -> System.arraycopy(t.data(), 0, m.namedTensors().get(k).data(), 0, t.size()));
        m.weightsChanged();
        assertArrayEquals(want, m.predict(image(), ids(m)).data(), "the model");
        assertArrayEquals(want, sibling.predict(image(), ids(m)).data(), "its withPool copy, sharing the weights");
    }

    @Test
    void theBranchesKeepTheSameContract() throws IOException {
        FusionModel m = FusionModel.fromStateDict(fixture());
        Tensor features = m.resnet().features(image());
        m.resnet().namedTensors().get("0.weight").data()[0] += 0.5f;
        m.resnet().weightsChanged();
        assertFalse(Arrays.equals(features.data(), m.resnet().features(image()).data()), "ResNet18");

        Tensor text = m.text().encode(ids(m), m.pool());
        m.text().namedTensors().get("lstm.weight_ih_l0").data()[0] += 0.5f;
        m.text().weightsChanged();
        assertFalse(Arrays.equals(text.data(), m.text().encode(ids(m), m.pool()).data()), "TextEncoder");
    }

    /** The only way to a model's weights is {@code namedTensors()}: no public field, no method handing out a layer. */
    @Test
    void modelsHandOutNoLayer() {
        for (Class<?> model : List.of(FusionModel.class, ResNet18.class, TextEncoder.class, Classifier.class)) {
            List<String> leaks = new ArrayList<>();
            for (Field f : model.getFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    leaks.add("field " + f.getName());
                }
            }
            for (Method me : model.getMethods()) {
                Class<?> r = me.getReturnType();
                if (Layer.class.isAssignableFrom(r) || (HasStateDict.class.isAssignableFrom(r)
                        && r.getPackageName().equals("vecnet.layers"))) {
                    leaks.add("method " + me.getName() + " returns a " + r.getSimpleName());
                }
            }
            assertEquals(List.of(), leaks, model.getSimpleName());
        }
        assertTrue(HasStateDict.class.isAssignableFrom(FusionModel.class));
    }
}
