package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.testing.Torch;
import vecnet.weights.StateDict;

/**
 * The real topology: torchvision's {@code resnet18()} (64-128-256-512, fc 1000) with randomized
 * batch-norm, written by PyTorch at test time ({@code weights/python/make_resnet18.py}'s {@code build},
 * 47 MB, not committed) together with its features and logits for a seeded input, and the seed's
 * full-size fusion model the same way. Skipped, with the
 * reason, when {@code /usr/bin/python3} with torch and torchvision is not available.
 */
class ResNetFullSizeParityTest extends LibraryTest {
    private static final Path PYTHON = Torch.PYTHON;

    /** Builds the model, saves it with torch.save, runs it in eval mode on a seeded (2, 3, 112, 96) input. */
    private static final String SCRIPT = String.join("\n",
            "import sys, torch",
            "sys.path.insert(0, sys.argv[1])",
            "import make_resnet18, safetensors_io",
            "torch.set_num_threads(1)",
            "m = make_resnet18.build(False, 0, True)",
            "torch.save(m.state_dict(), sys.argv[2])",
            "x = torch.randn(2, 3, 112, 96, generator=torch.Generator().manual_seed(5))",
            "with torch.no_grad():",
            "    f = m.layer4(m.layer3(m.layer2(m.layer1(m.maxpool(m.relu(m.bn1(m.conv1(x))))))))",
            "    feat = torch.flatten(m.avgpool(f), 1)",
            "    logits = m(x)",
            "safetensors_io.save_file({'x': x, 'features': feat, 'logits': logits}, sys.argv[3], {'format': 'pt'})",
            "");

    /** The seed's full-size MultimodalModel(num_classes=10) (127 keys, vocab 10000, LSTM 300 -> 256) on 40-token texts. */
    private static final String FUSION_SCRIPT = String.join("\n",
            "import sys, torch",
            "sys.path.insert(0, sys.argv[1])",
            "import make_resnet18, safetensors_io",
            "torch.set_num_threads(1)",
            "m = make_resnet18.build(True, 0, True)",
            "torch.save(m.state_dict(), sys.argv[2])",
            "g = torch.Generator().manual_seed(6)",
            "x = torch.randn(2, 3, 112, 96, generator=g)",
            "ids = torch.randint(0, 10000, (2, 40), generator=g)",
            "with torch.no_grad():",
            "    logits = m(x, ids)",
            "    out, (h, c) = m.text_features(ids)",
            "safetensors_io.save_file({'x': x, 'ids': ids, 'logits': logits, 'h': h}, sys.argv[3], {'format': 'pt'})",
            "");

    @TempDir
    Path dir;

    /** Runs {@code script} with arguments (python dir, model.pth, io.safetensors); returns the io file. */
    private Path runTorch(String script, Path pth) throws Exception {
        Path python = Fixtures.dir().getParent().resolve("python");
        assumeTrue(Files.exists(python.resolve("make_resnet18.py")), "skipped: " + python + "/make_resnet18.py not found");
        assumeTrue(Torch.available(), "skipped: /usr/bin/python3 with torch and torchvision is not available");
        Path io = dir.resolve("io.safetensors"), log = dir.resolve("log.txt");
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", script, python.toString(), pth.toString(), io.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "the torch script did not finish in 10 minutes");
        assertEquals(0, p.exitValue(), "the torch script failed: " + Files.readString(log));
        return io;
    }

    @Test
    void seedFusionModelFullSizeLogits() throws Exception {
        Path pth = dir.resolve("fusion.pth");
        StateDict ref = StateDict.read(runTorch(FUSION_SCRIPT, pth));
        try (ComputePool pool = ComputePool.create(2)) {
            FusionModel model = FusionModel.load(pth, Kernels.get()).withPool(pool);
            assertEquals(127, model.namedTensors().size());
            assertEquals(10, model.numClasses());
            long[] flat = ref.longs("ids");
            int[][] ids = new int[2][40];
            for (int i = 0; i < 80; i++) {
                ids[i / 40][i % 40] = Math.toIntExact(flat[i]);
            }
            ParityFixtures.closeToTorch("seed model text features (h_n)", ref.tensor("h"), model.text.run(ids, pool).h_n());
            Tensor logits = model.predict(ref.tensor("x"), ids);
            ParityFixtures.closeToTorch("seed model logits", ref.tensor("logits"), logits);
            assertArrayEquals(ParityFixtures.argmax(ref.tensor("logits")), ParityFixtures.argmax(logits), "argmax");
        }
    }

    @Test
    void torchvisionResNet18FeaturesAndLogits() throws Exception {
        Path pth = dir.resolve("resnet18.pth");
        StateDict ref = StateDict.read(runTorch(SCRIPT, pth));
        try (ComputePool pool = ComputePool.create(2)) {
            ResNet18 net = ResNet18.load(pth, Kernels.get()).withPool(pool);
            assertEquals(512, net.featureSize());
            assertTrue(net.hasClassifier());
            Tensor x = ref.tensor("x");
            ParityFixtures.closeToTorch("resnet18 features", ref.tensor("features"), net.features(x));
            Tensor logits = net.classify(x);
            ParityFixtures.closeToTorch("resnet18 logits", ref.tensor("logits"), logits);
            assertArrayEquals(ParityFixtures.argmax(ref.tensor("logits")), ParityFixtures.argmax(logits), "argmax");
        }
    }
}
