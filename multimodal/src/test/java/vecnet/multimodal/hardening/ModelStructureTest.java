package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ResNet18;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;
import vecnet.weights.StateDictMismatchException;

/**
 * Weights that load without a word but answer wrongly, each built in the test from the tiny fusion
 * fixture: a missing {@code fc.bias}, BasicBlock or stage; NaN, ±Inf and non-positive
 * {@code running_var}; and the LSTM keys whose errors were blamed on the wrong key.
 */
class ModelStructureTest extends LibraryTest {
    private static Map<String, Tensor> fusion;

    @BeforeAll
    static void load() throws IOException {
        StateDict sd = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        fusion = new LinkedHashMap<>();
        for (String k : sd.keys()) {
            fusion.put(k, sd.tensor(k));
        }
    }

    private static Map<String, Tensor> fusion() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        fusion.forEach((k, v) -> m.put(k, Tensor.of(v.data().clone(), v.shape())));
        return m;
    }

    /** The ResNet part of the fixture under torchvision's names, with a 5-class fc. */
    private static Map<String, Tensor> torchvision() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        String[] children = {"conv1.", "bn1.", null, null, "layer1.", "layer2.", "layer3.", "layer4."};
        fusion().forEach((k, v) -> {
            if (k.startsWith("resnet.")) {
                String rest = k.substring("resnet.".length());
                int dot = rest.indexOf('.');
                m.put(children[Integer.parseInt(rest.substring(0, dot))] + rest.substring(dot + 1), v);
            }
        });
        int features = m.get("layer4.0.conv1.weight").dim(0);
        m.put("fc.weight", Tensor.zeros(5, features));
        m.put("fc.bias", Tensor.zeros(5));
        return m;
    }

    private static StateDictMismatchException mismatch(Runnable load) {
        return assertThrows(StateDictMismatchException.class, load::run);
    }

    @Test
    void theFixtureLoads() {
        FusionModel.fromStateDict(StateDict.of(fusion()));
        ResNet18 net = ResNet18.fromStateDict(StateDict.of(torchvision()));
        assertEquals(5, net.classes());
    }

    @Test
    void missingFcBias() {
        Map<String, Tensor> m = fusion();
        m.remove("fc.bias");
        StateDictMismatchException e = mismatch(() -> FusionModel.fromStateDict(StateDict.of(m)));
        assertEquals(List.of("fc.bias"), e.missingKeys(), e.getMessage());
        Map<String, Tensor> tv = torchvision();
        tv.remove("fc.bias");
        e = mismatch(() -> ResNet18.fromStateDict(StateDict.of(tv)));
        assertEquals(List.of("fc.bias"), e.missingKeys(), e.getMessage());
    }

    @Test
    void missingBasicBlock() {
        Map<String, Tensor> m = fusion();
        m.keySet().removeIf(k -> k.startsWith("resnet.4.1."));
        StateDictMismatchException e = mismatch(() -> FusionModel.fromStateDict(StateDict.of(m)));
        assertEquals(12, e.missingKeys().size(), e.getMessage());
        assertTrue(e.missingKeys().contains("resnet.4.1.conv2.weight"), e.getMessage());
        Map<String, Tensor> tv = torchvision();
        tv.keySet().removeIf(k -> k.startsWith("layer3.1."));
        e = mismatch(() -> ResNet18.fromStateDict(StateDict.of(tv)));
        assertTrue(e.missingKeys().contains("layer3.1.bn2.running_var") && e.unexpectedKeys().isEmpty(), e.getMessage());
    }

    @Test
    void extraBlockOrMissingDownsample() {
        Map<String, Tensor> tv = torchvision();
        Map<String, Tensor> extra = new LinkedHashMap<>(tv);
        tv.forEach((k, v) -> {
            if (k.startsWith("layer2.1.")) {
                extra.put("layer2.2." + k.substring("layer2.1.".length()), v);
            }
        });
        StateDictMismatchException e = mismatch(() -> ResNet18.fromStateDict(StateDict.of(extra)));
        assertTrue(e.unexpectedKeys().contains("layer2.2.conv1.weight") && e.missingKeys().isEmpty(), e.getMessage());
        tv.keySet().removeIf(k -> k.startsWith("layer4.0.downsample."));
        e = mismatch(() -> ResNet18.fromStateDict(StateDict.of(tv)));
        assertTrue(e.missingKeys().contains("layer4.0.downsample.0.weight"), e.getMessage());
    }

    @Test
    void widthsInconsistentWithTheStem() {
        // a stage twice as wide as ResNet-18 at this stem width: named, before any allocation
        Map<String, Tensor> tv = torchvision();
        int[] shape = tv.get("layer1.0.conv1.weight").shape();
        tv.put("layer1.0.conv1.weight", Tensor.zeros(shape[0] * 2, shape[1], 3, 3));
        StateDictMismatchException e = mismatch(() -> ResNet18.fromStateDict(StateDict.of(tv)));
        assertEquals(List.of("layer1.0.conv1.weight"), e.shapeMismatches(), e.getMessage());
    }

    @Test
    void wrongHiddenShapeIsBlamedOnItsKeyAlone() {
        Map<String, Tensor> m = fusion();
        int[] whh = m.get("lstm.weight_hh_l0").shape();
        m.put("lstm.weight_hh_l0", Tensor.zeros(whh[0], whh[1] + 1));
        StateDictMismatchException e = mismatch(() -> FusionModel.fromStateDict(StateDict.of(m)));
        assertEquals(List.of("lstm.weight_hh_l0"), e.shapeMismatches(), e.getMessage());
        assertTrue(e.missingKeys().isEmpty() && e.unexpectedKeys().isEmpty(), e.getMessage());
    }

    @Test
    void missingInputBiasIsReportedMissing() {
        Map<String, Tensor> m = fusion();
        m.remove("lstm.bias_ih_l0");
        StateDictMismatchException e = mismatch(() -> FusionModel.fromStateDict(StateDict.of(m)));
        assertEquals(List.of("lstm.bias_ih_l0"), e.missingKeys(), e.getMessage());
        assertTrue(e.unexpectedKeys().isEmpty() && e.shapeMismatches().isEmpty(), e.getMessage());
    }

    @Test
    void secondLstmLayerIsUnexpected() {
        Map<String, Tensor> m = fusion();
        m.put("lstm.weight_ih_l1", m.get("lstm.weight_hh_l0"));
        StateDictMismatchException e = mismatch(() -> FusionModel.fromStateDict(StateDict.of(m)));
        assertEquals(List.of("lstm.weight_ih_l1"), e.unexpectedKeys(), e.getMessage());
    }

    @Test
    void nanAndInfinityAreRefusedNamingKeyAndIndex() {
        Map<String, Tensor> m = fusion();
        m.get("fc.bias").data()[1] = Float.POSITIVE_INFINITY;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FusionModel.fromStateDict(StateDict.of(m)));
        assertTrue(e.getMessage().startsWith("weights \"fc.bias\" hold Infinity at index 1 "), e.getMessage());
        FusionModel allowed = FusionModel.fromStateDict(StateDict.of(m).allowingNonFinite());
        assertEquals(Float.POSITIVE_INFINITY, allowed.namedTensors().get("fc.bias").data()[1]);

        Map<String, Tensor> n = fusion();
        n.get("resnet.5.0.conv2.weight").data()[7] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> FusionModel.fromStateDict(StateDict.of(n)));
        assertTrue(e.getMessage().startsWith("weights \"resnet.5.0.conv2.weight\" hold NaN at index 7 "), e.getMessage());
        Map<String, Tensor> tv = torchvision();
        tv.get("fc.weight").data()[3] = Float.NEGATIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> ResNet18.fromStateDict(StateDict.of(tv)));
        assertTrue(e.getMessage().startsWith("weights \"fc.weight\" hold -Infinity at index 3 "), e.getMessage());
    }

    @Test
    void nonPositiveRunningVarIsRefused() {
        for (float bad : new float[] {-0.5f, 0f}) {
            Map<String, Tensor> m = fusion();
            m.get("resnet.4.1.bn1.running_var").data()[2] = bad;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FusionModel.fromStateDict(StateDict.of(m)));
            assertTrue(e.getMessage().startsWith("weights \"resnet.4.1.bn1.running_var\" hold " + bad + " at index 2 "),
                    e.getMessage());
            assertTrue(e.getMessage().contains("running_var must be positive"), e.getMessage());
        }
    }
}
