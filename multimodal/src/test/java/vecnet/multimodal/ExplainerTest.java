package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.layers.testing.VersionedFixtures;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * {@link Explainer} on the bundled demo model against {@code weights/python/make_explain_fixtures.py}
 * ({@code explain.safetensors}), which computes every quantity directly in PyTorch (no captum), and
 * the identities the explanations rest on.
 */
class ExplainerTest extends LibraryTest {
    /** split, CAM and Grad-CAM: {@code |vecnet − torch| ≤ 1e-4 · max(1, |ref|)}. */
    private static final double MAPS = 1e-4;
    /** integrated gradients and leave-one-out: {@code ≤ 1e-3 · max(1, |ref|)}. */
    private static final double TOKENS = 1e-3;

    private static DemoModel demo;
    private static StateDict ref;

    @BeforeAll
    static void load() throws IOException {
        demo = DemoModel.load();
        ref = VersionedFixtures.read("explain.safetensors", "vecnet_fixtures", "1", "make_explain_fixtures.py");
    }

    private static Tensor image(int c) {
        long seed = ref.longs("case" + c + ".seed")[0], index = ref.longs("case" + c + ".index")[0];
        return demo.preprocessor().preprocess(new ShapesDataset(seed).sample(index).image());
    }

    private static int[] ids(int c) {
        long[] l = ref.longs("case" + c + ".ids");
        int[] ids = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            ids[i] = Math.toIntExact(l[i]);
        }
        return ids;
    }

    @Test
    void matchesPyTorchOnTheDemoModel() {
        int steps = Integer.parseInt(ref.metadata().get("steps"));
        for (int c = 0; ref.contains("case" + c + ".ids"); c++) {
            Tensor image = image(c);
            int[] ids = ids(c);
            if (ref.metadata().containsKey("case" + c + ".question")) { // the fixture's text is the question the metadata names
                assertArrayEquals(demo.tokenizer().encode(ref.metadata().get("case" + c + ".question")), ids);
            }
            long[] cl = ref.longs("case" + c + ".classes");
            int[] classes = {(int) cl[0], (int) cl[1]};
            for (int layer : new int[] {3, 2}) {
                List<Explanation> es = Explainer.of(demo.model()).withSteps(steps).withGradCam(layer).explain(image, ids, classes);
                for (Explanation e : es) {
                    String k = "case" + c + ".c" + e.classIndex() + ".";
                    String what = "case " + c + " class " + e.classIndex();
                    close(what + " logit", new float[] {ref.tensor("case" + c + ".logits").data()[e.classIndex()]},
                            new float[] {e.logit()}, MAPS);
                    close(what + " split", ref.tensor(k + "split").data(),
                            new float[] {(float) e.split().image(), (float) e.split().text(), (float) e.split().bias()}, MAPS);
                    close(what + " cam", ref.tensor(k + "cam").data(), e.cam().values(), MAPS);
                    assertEquals(7, e.cam().height());
                    Tensor gc = ref.tensor(k + "gradcam_layer" + layer);
                    assertEquals(gc.dim(0), e.gradCam().height(), what + " Grad-CAM height");
                    close(what + " Grad-CAM layer" + layer, gc.data(), e.gradCam().values(), MAPS);
                    close(what + " integrated gradients", ref.tensor(k + "ig").data(), e.attributions(), TOKENS);
                    close(what + " leave-one-out", ref.tensor(k + "loo").data(), e.leaveOneOut(), TOKENS);
                    close(what + " text delta", ref.tensor(k + "delta").data(), new float[] {(float) e.textDelta()}, TOKENS);
                }
            }
        }
    }

    @Test
    void theSplitSumsToTheLogitAndTheCamToTheImagePart() {
        for (int c = 0; ref.contains("case" + c + ".ids"); c++) {
            Tensor image = image(c);
            int[] ids = ids(c);
            float[] logits = demo.model().predict(image, new int[][] {ids}).data();
            List<Explanation> all = Explainer.of(demo.model()).explain(image, ids, new int[] {0, 1, 2, 3, 4, 5, 6, 7});
            assertArrayEquals(all.get(2).attributions(), demo.model().explain(image, ids, 2).attributions());
            for (int k = 0; k < logits.length; k++) {
                Explanation e = all.get(k);
                assertEquals(logits[k], e.logit(), 0f, "the explained logit is the model's, bit for bit");
                // relative to the parts' size: a logit near 0 is a cancellation, and the float32 logit is the inexact one
                double scale = Math.max(Math.abs(logits[k]),
                        Math.abs(e.split().image()) + Math.abs(e.split().text()) + Math.abs(e.split().bias()));
                assertEquals(logits[k], e.split().total(), 1e-5 * scale, "split of class " + k);
                assertEquals(e.split().image(), e.cam().sum(), 1e-5 * Math.max(1, Math.abs(e.split().image())), "CAM sum");
                double sum = 0;
                for (float a : e.attributions()) {
                    sum += a;
                }
                assertTrue(e.completeness() < 0.01, "case " + c + " class " + k + ": attributions sum to " + sum
                        + ", text part - baseline " + e.textDelta() + ", completeness " + e.completeness());
                assertEquals(e.textDelta(), sum, 0.01 * Math.abs(e.textDelta()), "IG completeness of class " + k);
                // the margin is split the same way, and the runner-up is the next highest logit
                int r = e.runnerUp();
                assertTrue(r != k && r >= 0);
                for (int j = 0; j < logits.length; j++) {
                    assertTrue(j == k || logits[j] <= logits[r]);
                }
                assertEquals(logits[k] - logits[r], e.margin().total(), 1e-4 * Math.max(1, Math.abs(logits[k])));
            }
        }
    }

    @Test
    void integratedGradientsRefineTheirStepsUntilComplete() {
        // case 1 at 64 midpoint steps misses completeness by about 18 % (measured; PyTorch's midpoint sum agrees)
        Tensor image = image(1);
        int[] ids = ids(1);
        Explanation fixed = Explainer.of(demo.model()).withSteps(64).explain(image, ids, 0);
        assertEquals(64, fixed.steps());
        assertTrue(fixed.completeness() > 0.05, "64 steps: " + fixed.completeness());
        Explanation refined = Explainer.of(demo.model()).explain(image, ids, 0);
        assertTrue(refined.steps() > 64 && refined.completeness() <= Explainer.COMPLETENESS,
                refined.steps() + " steps: " + refined.completeness());
        assertArrayEquals(Explainer.of(demo.model()).withSteps(refined.steps()).explain(image, ids, 0).attributions(),
                refined.attributions());
    }

    @Test
    void resnetCamAndThreadCountIndependence() {
        Tensor image = image(0);
        int[] ids = ids(0);
        Explanation one = Explainer.of(demo.model().withPool(ComputePool.sequential())).withGradCam(3).explain(image, ids, 2);
        try (ComputePool two = ComputePool.create(2)) {
            Explanation par = Explainer.of(demo.model().withPool(two)).withGradCam(3).explain(image, ids, 2);
            assertArrayEquals(one.cam().values(), par.cam().values());
            assertArrayEquals(one.gradCam().values(), par.gradCam().values());
            assertArrayEquals(one.attributions(), par.attributions());
            assertArrayEquals(one.leaveOneOut(), par.leaveOneOut());
        }
        float[] w = new float[demo.model().resnet.featureSize()];
        System.arraycopy(demo.model().fc.weight.data(), 2 * demo.model().fc.inFeatures(), w, 0, w.length);
        assertArrayEquals(one.cam().values(), demo.model().resnet.cam(image, w).values());
    }

    private static Explanation withMargin(int runnerUp, double image, double text) {
        Explanation.Grid g = new Explanation.Grid(1, 1, new float[1]);
        return new Explanation(0, 0f, new Explanation.Split(0, 0, 0), runnerUp, new Explanation.Split(image, text, 0.1), g,
                null, 0, new int[0], new float[0], new float[0], 0, 0, 0);
    }

    @Test
    void theModalityThatDecided() {
        assertEquals("image", withMargin(1, 2, 1).decidedBy(), "ahead mostly by the picture");
        assertEquals("text", withMargin(1, 1, 3).decidedBy(), "ahead mostly by the words");
        assertEquals("image", withMargin(1, -3, -0.1).decidedBy(), "behind mostly because of the picture");
        assertEquals("text", withMargin(1, 0.5, -3).decidedBy(), "behind because of the words");
        assertEquals("none", withMargin(-1, 1, 1).decidedBy(), "a single class has no runner-up");
    }

    @Test
    void refusesWhatItCannotExplain() {
        Tensor image = image(0);
        assertThrows(IllegalArgumentException.class, () -> demo.model().explain(image, ids(0), 8));
        assertThrows(IllegalArgumentException.class, () -> demo.model().explain(image, new int[0], 0));
        assertThrows(IllegalArgumentException.class, () -> Explainer.of(demo.model()).withGradCam(4));
        assertThrows(IllegalArgumentException.class, () -> Explainer.of(demo.model()).withSteps(0));
        assertThrows(IllegalArgumentException.class, () -> demo.model().explain(image, new int[] {999}, 0));
    }

    /** {@code |actual − expected| ≤ rel · max(1, |expected|)} element by element, reporting the worst. */
    private static void close(String what, float[] expected, float[] actual, double rel) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        if (worst > rel) {
            fail(String.format(Locale.ROOT, "%s: element %d is %s, PyTorch %s (scaled difference %.3g > %.1g)", what, at,
                    actual[at], expected[at], worst, rel));
        }
    }
}
