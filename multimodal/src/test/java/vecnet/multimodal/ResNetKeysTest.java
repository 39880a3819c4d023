package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vecnet.multimodal.ParityFixtures.closeToTorch;
import static vecnet.multimodal.ParityFixtures.tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/** Both key layouts of ResNet-18 (torchvision's and the seed's nn.Sequential), the fc head, and refusals. */
class ResNetKeysTest extends LibraryTest {

    /** The fixture's resnet.* keys renamed the torchvision way: 0→conv1, 1→bn1, 4..7→layer1..4. */
    private static Map<String, Tensor> torchvisionKeys(StateDict fusion) {
        String[] children = {"conv1", "bn1", "", "", "layer1", "layer2", "layer3", "layer4"};
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String k : fusion.keys()) {
            if (k.startsWith("resnet.")) {
                String rest = k.substring("resnet.".length());
                int dot = rest.indexOf('.');
                m.put(children[Integer.parseInt(rest.substring(0, dot))] + rest.substring(dot), fusion.tensor(k));
            }
        }
        return m;
    }

    @Test
    void torchvisionKeysLoadTheSameNetworkAndClassify() throws IOException {
        StateDict fusion = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        Map<String, Tensor> tv = torchvisionKeys(fusion);
        ResNet18 headless = ResNet18.fromStateDict(StateDict.of(tv)).withPool(ComputePool.sequential());
        assertFalse(headless.hasClassifier());
        assertEquals(64, headless.featureSize());
        closeToTorch("torchvision keys: feat_odd", tensor("feat_odd"), headless.features(tensor("image_odd")));
        assertEquals(new java.util.TreeSet<>(tv.keySet()), new java.util.TreeSet<>(headless.namedTensors().keySet()));

        Random r = new Random(5);
        float[] w = new float[7 * 64], b = new float[7];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        tv.put("fc.weight", Tensor.of(w, 7, 64));
        tv.put("fc.bias", Tensor.of(b, 7));
        ResNet18 net = ResNet18.fromStateDict(StateDict.of(tv)).withPool(ComputePool.sequential());
        assertTrue(net.hasClassifier());
        Tensor feat = tensor("feat_odd");
        Tensor logits = net.classify(tensor("image_odd"));
        assertArrayEquals(new int[] {2, 7}, logits.shape());
        float[] expected = new float[14];
        for (int n = 0; n < 2; n++) {
            for (int o = 0; o < 7; o++) {
                double acc = b[o];
                for (int p = 0; p < 64; p++) {
                    acc += (double) w[o * 64 + p] * feat.data()[n * 64 + p];
                }
                expected[n * 7 + o] = (float) acc;
            }
        }
        Check.close("fc(features) against torch features", expected, logits.data(), 1e-4 * Check.scale(expected), 0);

        // The same network on files, two at a time, reporting progress after each batch.
        List<Path> files = List.of(Fixtures.file("src_land.png"), Fixtures.file("src_port.png"),
                Fixtures.file("src_noop.png"));
        List<String> heard = new java.util.ArrayList<>();
        List<Prediction> ps = net.classifyFiles(files, ImagePreprocessor.imagenet(), 2, (done, total) -> heard.add(done + "/" + total));
        assertEquals(List.of("2/3", "3/3"), heard);
        assertEquals(3, ps.size());
        // land and port are image224 of the fixtures: the same logits as classifying that batch directly
        Tensor direct = net.classify(tensor("image224"));
        for (int i = 0; i < 2; i++) {
            Check.close("classifyFiles vs classify, file " + i, java.util.Arrays.copyOfRange(direct.data(), i * 7, i * 7 + 7),
                    ps.get(i).logits(), 1e-6, 1e-6);
        }
        assertThrows(IllegalArgumentException.class, () -> net.classifyFiles(files, ImagePreprocessor.imagenet(), 0, Progress.NONE));

        // A bad picture in a later batch (decoded ahead, on another thread) fails with its own name,
        // after the batches before it were run and reported.
        List<Path> withBad = List.of(files.get(0), files.get(1), Fixtures.file("truncated.jpg"));
        List<String> beforeFailure = new java.util.ArrayList<>();
        IOException bad = assertThrows(IOException.class, () -> net.classifyFiles(withBad, ImagePreprocessor.imagenet(), 2,
                (done, total) -> beforeFailure.add(done + "/" + total)));
        assertTrue(bad.getMessage().contains("truncated.jpg"), bad.getMessage());
        assertEquals(List.of("2/3"), beforeFailure);
    }

    @Test
    void seedSequentialKeysWithAndWithoutPrefix() throws IOException {
        StateDict fusion = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        ResNet18 prefixed = ResNet18.fromStateDict(fusion).withPool(ComputePool.sequential());
        ResNet18 bare = ResNet18.fromStateDict(fusion.withoutPrefix("resnet.")).withPool(ComputePool.sequential());
        assertEquals(120, bare.namedTensors().size()); // 127 keys minus embedding, 4 lstm, 2 fc
        assertTrue(bare.namedTensors().containsKey("5.0.downsample.1.running_var"));
        Check.identical("prefixed vs bare", prefixed.features(tensor("image_odd")).data(), bare.features(tensor("image_odd")).data());
        assertThrows(IllegalStateException.class, () -> bare.classify(tensor("image_odd")));
    }

    @Test
    void aFullSizeResNet18LoadsAndGives1000Logits() {
        // torchvision's real topology (64-128-256-512, fc 1000) with seeded random weights: loading and shapes.
        Map<String, Tensor> m = new LinkedHashMap<>();
        Random r = new Random(1);
        int[] widths = {64, 128, 256, 512};
        put(m, r, "conv1.weight", 64, 3, 7, 7);
        bn(m, r, "bn1.", 64);
        int cin = 64;
        for (int l = 0; l < 4; l++) {
            for (int b = 0; b < 2; b++) {
                String p = "layer" + (l + 1) + "." + b + ".";
                int in = b == 0 ? cin : widths[l];
                put(m, r, p + "conv1.weight", widths[l], in, 3, 3);
                bn(m, r, p + "bn1.", widths[l]);
                put(m, r, p + "conv2.weight", widths[l], widths[l], 3, 3);
                bn(m, r, p + "bn2.", widths[l]);
                if (b == 0 && l > 0) {
                    put(m, r, p + "downsample.0.weight", widths[l], in, 1, 1);
                    bn(m, r, p + "downsample.1.", widths[l]);
                }
            }
            cin = widths[l];
        }
        put(m, r, "fc.weight", 1000, 512);
        put(m, r, "fc.bias", 1000);
        assertEquals(122, m.size());
        ResNet18 net = ResNet18.fromStateDict(StateDict.of(m), Kernels.get());
        Tensor logits = net.classify(Tensor.zeros(1, 3, 64, 64));
        assertArrayEquals(new int[] {1, 1000}, logits.shape());
        assertEquals(512, net.featureSize());
    }

    private static void put(Map<String, Tensor> m, Random r, String key, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = (float) (r.nextGaussian() * 0.05);
        }
        m.put(key, t);
    }

    private static void bn(Map<String, Tensor> m, Random r, String p, int c) {
        put(m, r, p + "weight", c);
        put(m, r, p + "bias", c);
        put(m, r, p + "running_mean", c);
        Tensor var = Tensor.zeros(c);
        java.util.Arrays.fill(var.data(), 1f);
        m.put(p + "running_var", var);
        m.put(p + "num_batches_tracked", Tensor.zeros());
    }

    @Test
    void missingAndMisshapenKeysAreNamed() throws IOException {
        StateDict fusion = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        Map<String, Tensor> m = torchvisionKeys(fusion);
        m.remove("layer3.1.bn2.running_var");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResNet18.fromStateDict(StateDict.of(m)));
        assertTrue(e.getMessage().contains("layer3.1.bn2.running_var"), e.getMessage());
        Map<String, Tensor> m2 = torchvisionKeys(fusion);
        m2.put("layer2.0.downsample.0.weight", Tensor.zeros(16, 8, 3, 3));
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> ResNet18.fromStateDict(StateDict.of(m2)));
        assertTrue(e2.getMessage().contains("layer2.0.downsample.0.weight"), e2.getMessage());
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
                () -> ResNet18.fromStateDict(StateDict.of(Map.of("foo.weight", Tensor.zeros(1)))));
        assertTrue(e3.getMessage().contains("conv1.weight"), e3.getMessage());
    }
}
