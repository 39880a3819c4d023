package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vecnet.multimodal.ParityFixtures.ids;
import static vecnet.multimodal.ParityFixtures.rows;
import static vecnet.multimodal.ParityFixtures.tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import vecnet.weights.StateDict;

/** The fusion model as a service: many threads on one shared instance, key handling, refusals. */
class FusionModelTest extends LibraryTest {

    @Test
    void sixteenThreadsTimesTwentyPredictionsOnOneSharedModel() throws Exception {
        try (ComputePool pool = ComputePool.create(2)) {
            FusionModel model = FusionModel.load(Fixtures.file("tiny_fusion.safetensors")).withPool(pool);
            // small crops keep 320 predictions cheap on a 2-core machine; both samples of A, one of B
            Tensor imageA = crop(tensor("image_odd"), 45, 37), imageB = crop(rows(tensor("image_odd"), 1, 2), 33, 50);
            int[][] textA = ids("text"), textB = ids("text_len1");
            float[] expectedA = model.withPool(ComputePool.sequential()).predict(imageA, textA).data();
            float[] expectedB = model.withPool(ComputePool.sequential()).predict(imageB, textB).data();
            ExecutorService callers = Executors.newFixedThreadPool(16);
            try {
                List<Future<float[][]>> futures = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    int thread = t;
                    futures.add(callers.submit(() -> {
                        float[][] out = new float[20][];
                        for (int i = 0; i < 20; i++) {
                            boolean a = (thread + i) % 2 == 0;
                            out[i] = model.predict(a ? imageA : imageB, a ? textA : textB).data();
                        }
                        return out;
                    }));
                }
                for (int t = 0; t < 16; t++) {
                    float[][] out = futures.get(t).get();
                    for (int i = 0; i < 20; i++) {
                        boolean a = (t + i) % 2 == 0;
                        Check.identical("thread " + t + " prediction " + i, a ? expectedA : expectedB, out[i]);
                    }
                }
            } finally {
                callers.shutdown();
            }
        }
    }

    /** The top-left {@code h × w} of every image of a batch. */
    private static Tensor crop(Tensor images, int h, int w) {
        int n = images.dim(0), c = images.dim(1), ih = images.dim(2), iw = images.dim(3);
        Tensor out = Tensor.zeros(n, c, h, w);
        for (int p = 0; p < n * c; p++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(images.data(), (p * ih + y) * iw, out.data(), (p * h + y) * w, w);
            }
        }
        return out;
    }

    @Test
    void eachSampleOfABatchEqualsItsPredictionAlone() throws IOException {
        FusionModel model = FusionModel.load(Fixtures.file("tiny_fusion.safetensors")).withPool(ComputePool.sequential());
        Tensor images = tensor("image_odd");
        int[][] texts = {ids("text")[0], ids("text_len1")[0]};
        Tensor both = model.predict(images, texts);
        for (int i = 0; i < 2; i++) {
            Tensor alone = model.predict(rows(images, i, i + 1), new int[][] {texts[i]});
            Check.identical("sample " + i + " alone vs in a batch of 2", rows(both, i, i + 1).data(), alone.data());
        }
    }

    @Test
    void keysAndSizesComeFromTheWeights() throws IOException {
        FusionModel model = FusionModel.load(Fixtures.file("tiny_fusion.safetensors"));
        StateDict sd = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        assertEquals(127, model.namedTensors().size());
        assertEquals(new java.util.TreeSet<>(sd.keys()), new java.util.TreeSet<>(model.namedTensors().keySet()));
        assertEquals(5, model.numClasses());
        assertEquals(16, model.text.featureSize());
        assertEquals(64, model.resnet.featureSize());
        List<Prediction> p = model.classify(tensor("image_odd"), ids("text"));
        assertEquals(2, p.size());
        float sum = 0;
        for (float v : p.get(0).probabilities()) {
            sum += v;
        }
        assertEquals(1f, sum, 1e-5f);
    }

    @Test
    void refusesBadTextsAndMismatchedBatches() throws IOException {
        FusionModel model = FusionModel.load(Fixtures.file("tiny_fusion.safetensors")).withPool(ComputePool.sequential());
        Tensor image = rows(tensor("image_odd"), 0, 1);
        IndexOutOfBoundsException high = assertThrows(IndexOutOfBoundsException.class, () -> model.predict(image, new int[][] {{3, 50}}));
        assertTrue(high.getMessage().contains("50") && high.getMessage().contains("vocabulary of 50"), high.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> model.predict(image, new int[][] {{-1}}));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> model.predict(image, new int[][] {{}}));
        assertTrue(empty.getMessage().contains("larger than 0"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.predict(image, new int[][] {{1}, {2}}));
        // id 49 (the last of the vocabulary) and id 0 (unknown) are ordinary tokens
        assertArrayEquals(new int[] {1, 5}, model.predict(image, new int[][] {{0, 49}}).shape());
    }

    @Test
    void unexpectedOrMissingKeysAreNamed() throws IOException {
        StateDict sd = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String k : sd.keys()) {
            m.put(k, sd.tensor(k));
        }
        m.put("classifier.weight", Tensor.zeros(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FusionModel.fromStateDict(StateDict.of(m)));
        assertTrue(e.getMessage().contains("classifier.weight"), e.getMessage());
        m.remove("classifier.weight");
        m.remove("lstm.bias_hh_l0");
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> FusionModel.fromStateDict(StateDict.of(m)));
        assertTrue(e2.getMessage().contains("bias_hh_l0"), e2.getMessage());
    }
}
