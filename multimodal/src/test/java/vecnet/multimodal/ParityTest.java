package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static vecnet.multimodal.ParityFixtures.argmax;
import static vecnet.multimodal.ParityFixtures.closeToFloat64;
import static vecnet.multimodal.ParityFixtures.closeToTorch;
import static vecnet.multimodal.ParityFixtures.ids;
import static vecnet.multimodal.ParityFixtures.rows;
import static vecnet.multimodal.ParityFixtures.tensor;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.Conv2d;
import vecnet.layers.LSTM;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/**
 * The tiny fusion model against PyTorch ({@code weights/python/make_fixtures.py}): every ResNet
 * stage (a failure names the first child that differs), the LSTM's outputs and states, features and
 * logits for a 224×224 and an odd 97×83 batch, with {@link Kernels#get()} and the scalar kernels, on
 * 1 and 2 threads (which must agree bit for bit).
 */
class ParityTest extends LibraryTest {
    private static ComputePool one, two;
    private static FusionModel vector, scalar;

    @BeforeAll
    static void load() throws IOException {
        one = ComputePool.sequential();
        two = ComputePool.create(2);
        vector = FusionModel.load(Fixtures.file("tiny_fusion.safetensors"), Kernels.get());
        scalar = FusionModel.load(Fixtures.file("tiny_fusion.safetensors"), Kernels.scalar());
    }

    @AfterAll
    static void close() {
        two.close();
    }

    private static FusionModel model(String kernels) {
        return kernels.equals("scalar") ? scalar : vector;
    }

    /** Each stage in order; the first one out of tolerance fails the test with its child index and name. */
    private static void checkStages(String what, List<Tensor> stages, String prefix, int first) {
        for (int i = first; i <= 8; i++) {
            closeToTorch(what + ": resnet." + i + " (" + ResNet18.CHILD_NAMES.get(i) + ", the first stage that differs)",
                    tensor(prefix + i), stages.get(i));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "scalar"})
    void everyResNetStage(String kernels) {
        for (ComputePool pool : new ComputePool[] {one, two}) {
            ResNet18 net = model(kernels).resnet.withPool(pool);
            String what = kernels + " kernels, " + pool.threads() + " thread(s)";
            checkStages(what + ", image_odd", net.stages(tensor("image_odd")), "stage_odd.", 0);
            checkStages(what + ", image224", net.stages(tensor("image224")), "stage_224.", 3);
        }
        List<Tensor> a = model(kernels).resnet.withPool(one).stages(tensor("image_odd"));
        List<Tensor> b = model(kernels).resnet.withPool(two).stages(tensor("image_odd"));
        for (int i = 0; i <= 8; i++) {
            Check.identical(kernels + " resnet." + i + " 1 vs 2 threads", a.get(i).data(), b.get(i).data());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "scalar"})
    void featuresFusedEqualTheUnfusedStagesAndTorch(String kernels) {
        for (String c : new String[] {"224", "odd"}) {
            Tensor image = tensor(c.equals("224") ? "image224" : "image_odd");
            ResNet18 net = model(kernels).resnet.withPool(one);
            Tensor feat = net.features(image);
            closeToTorch(kernels + " feat_" + c, tensor("feat_" + c), feat);
            closeToFloat64(kernels + " feat_" + c, tensor("feat_" + c + "_f64"), feat);
            Check.identical(kernels + " feat_" + c + " fused vs stages", net.stages(image).get(8).data(), feat.data());
            Check.identical(kernels + " feat_" + c + " 1 vs 2 threads", feat.data(), model(kernels).resnet.withPool(two).features(image).data());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "scalar"})
    void theDirectAlgorithmAgreesWithTorchToo(String kernels) {
        FusionModel direct = model(kernels).withAlgorithm(Conv2d.Algorithm.DIRECT);
        assertEquals(Conv2d.Algorithm.DIRECT, direct.withPool(two).resnet().algorithm(), "withPool keeps the algorithm");
        for (String c : new String[] {"224", "odd"}) {
            Tensor image = tensor(c.equals("224") ? "image224" : "image_odd");
            Tensor feat = direct.withPool(one).resnet().features(image);
            closeToTorch(kernels + " direct feat_" + c, tensor("feat_" + c), feat);
            closeToFloat64(kernels + " direct feat_" + c, tensor("feat_" + c + "_f64"), feat);
            Tensor a = direct.withPool(one).predict(image, ids("text"));
            Tensor b = direct.withPool(two).predict(image, ids("text"));
            Check.identical(kernels + " direct logits_" + c + " 1 vs 2 threads", a.data(), b.data());
            closeToTorch(kernels + " direct logits_" + c, tensor("logits_" + c), a);
            closeToFloat64(kernels + " direct logits_" + c, tensor("logits_" + c + "_f64"), a);
            assertArrayEquals(argmax(tensor("logits_" + c)), argmax(a), kernels + " direct argmax " + c);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "scalar"})
    void lstmOutputsAndStates(String kernels) {
        TextEncoder text = model(kernels).text;
        for (ComputePool pool : new ComputePool[] {one, two}) {
            LSTM.Result r = text.run(ids("text"), pool);
            String what = kernels + ", " + pool.threads() + " thread(s): ";
            closeToTorch(what + "lstm_out", tensor("lstm_out"), r.output());
            closeToTorch(what + "lstm_h", tensor("lstm_h"), r.h_n());
            closeToTorch(what + "lstm_c", tensor("lstm_c"), r.c_n());
            closeToTorch(what + "text_feat", tensor("text_feat"), text.encode(ids("text"), pool));
            closeToTorch(what + "lstm_out_len1", tensor("lstm_out_len1"), text.run(ids("text_len1"), pool).output());
        }
        Check.identical(kernels + " lstm 1 vs 2 threads", text.run(ids("text"), one).output().data(),
                text.run(ids("text"), two).output().data());
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "scalar"})
    void logitsAndArgmax(String kernels) {
        for (String c : new String[] {"224", "odd"}) {
            Tensor image = tensor(c.equals("224") ? "image224" : "image_odd");
            Tensor a = model(kernels).withPool(one).predict(image, ids("text"));
            Tensor b = model(kernels).withPool(two).predict(image, ids("text"));
            Check.identical(kernels + " logits_" + c + " 1 vs 2 threads", a.data(), b.data());
            closeToTorch(kernels + " logits_" + c, tensor("logits_" + c), a);
            closeToFloat64(kernels + " logits_" + c, tensor("logits_" + c + "_f64"), a);
            assertArrayEquals(argmax(tensor("logits_" + c + "_f64")), argmax(a), kernels + " argmax " + c);
            assertArrayEquals(argmax(tensor("logits_" + c)), argmax(a), kernels + " argmax " + c);
        }
        Tensor len1 = model(kernels).withPool(one).predict(rows(tensor("image224"), 0, 1), ids("text_len1"));
        closeToTorch(kernels + " logits_len1_224", tensor("logits_len1_224"), len1);
    }

    @Test
    void textsOfDifferentLengthsInOneBatchEachUseTheirOwnLastStep() {
        // sample 0: image224[0] with the 1-token text (torch: logits_len1_224); sample 1: image224[1] with text[1] (logits_224[1])
        int[][] mixed = {ids("text_len1")[0], ids("text")[1]};
        Tensor logits = vector.withPool(two).predict(tensor("image224"), mixed);
        closeToTorch("mixed batch row 0", tensor("logits_len1_224"), rows(logits, 0, 1));
        closeToTorch("mixed batch row 1", rows(tensor("logits_224"), 1, 2), rows(logits, 1, 2));
    }

    @Test
    void pthAndSafetensorsGiveTheSameModel() throws IOException {
        FusionModel pth = FusionModel.load(Fixtures.file("tiny_fusion.pth"), Kernels.get()).withPool(one);
        Check.identical("logits from .pth vs .safetensors", vector.withPool(one).predict(tensor("image_odd"), ids("text")).data(),
                pth.predict(tensor("image_odd"), ids("text")).data());
        assertArrayEquals(vector.namedTensors().keySet().toArray(), pth.namedTensors().keySet().toArray());
    }
}
