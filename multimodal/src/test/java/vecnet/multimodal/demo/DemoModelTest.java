package vecnet.multimodal.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vecnet.multimodal.Prediction;
import vecnet.testing.LibraryTest;
import vecnet.weights.internal.Json;

/**
 * The bundled demo model: on fresh pictures generated in Java it must answer right (≥ 95 %), and
 * each ablation must break it (≤ 60 %), which shows that the fusion uses the picture AND the question.
 */
class DemoModelTest extends LibraryTest {
    private static DemoModel demo;

    @BeforeAll
    static void load() throws IOException {
        demo = DemoModel.load();
    }

    @Test
    void answersFreshJavaPicturesAndNeedsBothInputs() {
        // seed 424242: neither the training set (1) nor Python's held-out set (2) nor the samples (3)
        DemoModel.Evaluation e = demo.evaluate(new ShapesDataset(424242), 200);
        assertEquals(200, e.samples());
        assertTrue(e.accuracy() >= 0.95, "held-out accuracy " + e.accuracy());
        assertTrue(e.imageZeroed() <= 0.60, "accuracy with the image zeroed " + e.imageZeroed());
        assertTrue(e.questionUnknown() <= 0.60, "accuracy with the question made of unknown words " + e.questionUnknown());
    }

    @Test
    void bundledSamplesGiveTorchsAnswersAndProbabilities() throws IOException {
        List<DemoModel.BundledSample> samples = DemoModel.samples();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> recorded = (List<Map<String, Object>>) Json.parse(DemoModel.readText("demo_samples.json"));
        for (int i = 0; i < samples.size(); i++) {
            DemoModel.BundledSample s = samples.get(i);
            Prediction p = demo.predict(s.image(), s.question());
            String torchAnswer = (String) recorded.get(i).get("torch_prediction");
            double torchProbability = ((Number) recorded.get(i).get("torch_probability")).doubleValue();
            assertEquals(torchAnswer, demo.labels().get(p.label()), s.file());
            // torch's probability was rounded to 4 decimals
            assertEquals(torchProbability, p.confidence(), 1e-3, s.file());
        }
    }

    @Test
    void labelsAreTheEightAnswersInTheGeneratorsOrder() {
        assertEquals(ShapesDataset.LABELS, demo.labels());
        assertEquals(8, demo.model().numClasses());
    }
}
