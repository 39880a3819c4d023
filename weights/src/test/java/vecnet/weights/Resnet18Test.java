package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.testing.Torch;

/**
 * A full-size torchvision resnet18 written by PyTorch at test time (weights/python/make_resnet18.py,
 * about 47 MB, not committed): the .pth and safetensors copies must load identically. Skipped, with
 * the reason, when {@code /usr/bin/python3} with torch is not available.
 */
class Resnet18Test extends LibraryTest {
    private static final Path PYTHON = Torch.PYTHON;

    @TempDir
    Path dir;

    @Test
    void fullSizeResnet18LoadsIdenticallyFromBothFormats() throws Exception {
        Path script = Fixtures.dir().getParent().resolve("python").resolve("make_resnet18.py");
        assumeTrue(Files.exists(script), "skipped: " + script + " not found");
        assumeTrue(Torch.available(), "skipped: /usr/bin/python3 with torch and torchvision is not available");
        Path pth = dir.resolve("resnet18.pth");
        Path st = dir.resolve("resnet18.safetensors");
        Path log = dir.resolve("make_resnet18.log");
        Process p = new ProcessBuilder(PYTHON.toString(), script.toString(), pth.toString(), st.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "make_resnet18.py did not finish in 10 minutes");
        assertEquals(0, p.exitValue(), "make_resnet18.py failed: " + Files.readString(log));

        StateDict a = StateDict.read(pth);
        StateDict b = StateDict.read(st);
        assertEquals(122, a.size());
        assertEquals(new HashSet<>(a.keys()), new HashSet<>(b.keys()));
        List<String> keys = a.keys();
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                "bn1.num_batches_tracked", "layer1.0.conv1.weight"), keys.subList(0, 7));
        assertEquals(List.of("fc.weight", "fc.bias"), keys.subList(120, 122));
        assertArrayEquals(new int[] {64, 3, 7, 7}, a.shape("conv1.weight"));
        assertArrayEquals(new int[] {1000, 512}, a.shape("fc.weight"));
        assertArrayEquals(new int[] {128, 64, 1, 1}, a.shape("layer2.0.downsample.0.weight"));
        long elements = 0;
        for (String k : keys) {
            assertEquals(a.dtype(k), b.dtype(k), k);
            assertArrayEquals(a.shape(k), b.shape(k), k);
            float[] x = a.tensor(k).data();
            Check.identical(k, x, b.tensor(k).data());
            elements += x.length;
        }
        // 11,689,512 parameters; buffers: running_mean and running_var of 4,800 BN channels
        // (64 + 4·64 + 5·128 + 5·256 + 5·512) and 20 num_batches_tracked
        assertEquals(11_689_512 + 2 * 4_800 + 20, elements, "elements of the resnet18 state_dict");
    }
}
