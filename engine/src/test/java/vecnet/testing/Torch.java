package vecnet.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's PyTorch, for the few tests that build full-size models at test time. They are skipped,
 * saying why, when it is absent (CI need not install torch): {@code assumeTrue(Torch.available(), ...)}.
 */
public final class Torch {
    /** Debian's interpreter, which sees python3-torch (the first {@code python3} on PATH may not). */
    public static final Path PYTHON = Path.of("/usr/bin/python3");

    private static Boolean available;

    private Torch() {
    }

    /** True when {@link #PYTHON} can import torch and torchvision (checked once). */
    public static synchronized boolean available() {
        if (available == null) {
            available = probe();
        }
        return available;
    }

    private static boolean probe() {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, torchvision")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
