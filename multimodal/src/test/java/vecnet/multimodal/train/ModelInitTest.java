package vecnet.multimodal.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

class ModelInitTest extends LibraryTest {
    private static final ModelInit.Sizes SIZES = new ModelInit.Sizes(new int[] {8, 16, 32, 64}, 50, 12, 16, 5);

    @Test
    void theSeedsKeysAndPyTorchsDistributions() {
        FusionModel m = ModelInit.create(SIZES, 3);
        Map<String, Tensor> t = m.namedTensors();
        assertEquals(127, t.size());
        // kaiming_normal_(fan_out, relu): std sqrt(2 / (C_out k k)); layer4's conv2 has 64·3·3 = 576 fan-out
        float[] w = t.get("resnet.7.1.conv2.weight").data();
        double sq = 0;
        for (float v : w) {
            sq += v * v;
        }
        assertEquals(Math.sqrt(2.0 / 576), Math.sqrt(sq / w.length), 0.05 * Math.sqrt(2.0 / 576));
        assertBounded(t.get("lstm.weight_hh_l0").data(), 1 / Math.sqrt(16));
        assertBounded(t.get("fc.weight").data(), 1 / Math.sqrt(64 + 16));
        float[] emb = t.get("embedding.weight").data();
        double s2 = 0;
        for (float v : emb) {
            s2 += v * v;
        }
        assertEquals(1, s2 / emb.length, 0.15); // N(0, 1), 600 draws
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, t.get("resnet.1.weight").data());
        assertArrayEquals(t.get("fc.weight").data(), ModelInit.create(SIZES, 3).namedTensors().get("fc.weight").data(), "seeded");
    }

    private static void assertBounded(float[] v, double bound) {
        double max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        assertTrue(max <= bound && max > 0.9 * bound, max + " vs " + bound);
    }

    @Test
    void torchvisionWeightsBecomeTheImageBranch() {
        FusionModel source = ModelInit.create(SIZES, 1);
        Map<String, Tensor> tv = new LinkedHashMap<>();
        String[] names = {"conv1", "bn1", "", "", "layer1", "layer2", "layer3", "layer4"};
        for (Map.Entry<String, Tensor> e : source.namedTensors().entrySet()) {
            String k = e.getKey();
            if (k.startsWith("resnet.")) {
                String rest = k.substring("resnet.".length());
                int dot = rest.indexOf('.');
                tv.put(names[Integer.parseInt(rest.substring(0, dot))] + rest.substring(dot), e.getValue());
            }
        }
        tv.put("fc.weight", Tensor.zeros(1000, 64));
        tv.put("fc.bias", Tensor.zeros(1000));
        FusionModel m = ModelInit.fromTorchvision(StateDict.of(tv), SIZES, 9);
        assertEquals(5, m.numClasses());
        for (Map.Entry<String, Tensor> e : source.namedTensors().entrySet()) {
            if (e.getKey().startsWith("resnet.")) {
                assertArrayEquals(e.getValue().data(), m.namedTensors().get(e.getKey()).data(), e.getKey());
            }
        }
    }
}
