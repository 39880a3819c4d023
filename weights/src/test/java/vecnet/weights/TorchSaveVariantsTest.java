package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * Files written by the real {@code torch.save} at test time in the ways people save models: protocol
 * 2 and 4, a training checkpoint with an optimizer, a whole module, a TorchScript archive. Skipped,
 * with the reason, when {@code /usr/bin/python3} with torch is not available.
 */
class TorchSaveVariantsTest extends LibraryTest {
    @TempDir
    static Path dir;

    private static final String SCRIPT = String.join("\n",
            "import sys, torch, torch.nn as nn",
            "d = sys.argv[1]",
            "torch.manual_seed(0)",
            "m = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))",
            "sd = m.state_dict()",
            "torch.save(sd, d + '/p2.pth')",
            "torch.save(sd, d + '/p4.pth', pickle_protocol=4)",
            "opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)",
            "m(torch.randn(2, 3, 3, 3)).sum().backward(); opt.step()",
            "sd = m.state_dict()",
            "torch.save(sd, d + '/after.pth')",
            "torch.save({'epoch': 3, 'model': sd, 'optimizer': opt.state_dict(), 'best': None, 'lr': 0.1,",
            "            'tags': {1, 2}, 'big': 2 ** 70}, d + '/ckpt.pth')",
            "torch.save(m, d + '/whole.pth')",
            "torch.jit.save(torch.jit.script(m), d + '/scripted.pt')",
            "open(d + '/weight.bin', 'wb').write(sd['3.weight'].numpy().tobytes())",
            "open(d + '/conv.bin', 'wb').write(sd['0.weight'].contiguous().numpy().tobytes())",
            "");

    private static boolean ready;
    private static String skipReason = "";

    @BeforeAll
    static void writeWithTorch() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            skipReason = "skipped: /usr/bin/python3 not found";
            return;
        }
        Path script = dir.resolve("save.py");
        Files.writeString(script, SCRIPT);
        Path log = dir.resolve("save.log");
        Process p = new ProcessBuilder(python.toString(), script.toString(), dir.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            skipReason = "skipped: the torch script did not finish in 5 minutes";
            return;
        }
        String out = Files.readString(log);
        if (p.exitValue() != 0 && out.contains("No module named 'torch'")) {
            skipReason = "skipped: /usr/bin/python3 has no torch";
            return;
        }
        assertEquals(0, p.exitValue(), "the torch script failed: " + out);
        ready = true;
    }

    private static float[] floats(Path f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    @Test
    void protocol2And4GiveTheSameStateDict() throws IOException {
        assumeTrue(ready, skipReason);
        StateDict p2 = StateDict.read(dir.resolve("p2.pth"));
        StateDict p4 = StateDict.read(dir.resolve("p4.pth"));
        assertEquals(List.of("0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked", "3.weight", "3.bias"), p2.keys());
        assertEquals(p2.keys(), p4.keys());
        for (String k : p2.keys()) {
            assertArrayEquals(p2.raw(k).bytes(), p4.raw(k).bytes(), k);
        }
    }

    @Test
    void checkpointWithOptimizerYieldsTheModelWeights() throws IOException {
        assumeTrue(ready, skipReason);
        StateDict ckpt = StateDict.read(dir.resolve("ckpt.pth"));
        StateDict after = StateDict.read(dir.resolve("after.pth"));
        assertEquals(after.keys(), ckpt.keys());
        Check.identical("3.weight vs numpy bytes", floats(dir.resolve("weight.bin")), ckpt.tensor("3.weight").data());
        Check.identical("0.weight vs numpy bytes", floats(dir.resolve("conv.bin")), ckpt.tensor("0.weight").data());
        assertArrayEquals(new int[] {4, 3, 3, 3}, ckpt.shape("0.weight"));
        assertArrayEquals(new long[] {1}, ckpt.longs("1.num_batches_tracked"));
    }

    @Test
    void wholeModuleAndTorchScriptAreRefusedWithAdvice() {
        assumeTrue(ready, skipReason);
        WeightsFormatException whole = assertThrows(WeightsFormatException.class,
                () -> StateDict.read(dir.resolve("whole.pth")));
        assertTrue(whole.getMessage().contains("model.state_dict()"), whole.getMessage());
        assertTrue(whole.getMessage().contains("torch.nn.modules."), whole.getMessage());
        WeightsFormatException script = assertThrows(WeightsFormatException.class,
                () -> StateDict.read(dir.resolve("scripted.pt")));
        assertTrue(script.getMessage().contains("TorchScript"), script.getMessage());
    }
}
