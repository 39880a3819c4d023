package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.LibraryTest;

/**
 * A {@code vecnet train} process stopped by a signal (SIGTERM, which runs the shutdown hooks as
 * Ctrl-C's SIGINT does) finishes its step, saves the checkpoint, and {@code --resume} then ends with
 * the same bits as a run never stopped.
 */
class TrainInterruptTest extends LibraryTest {
    @TempDir
    Path dir;

    @Test
    void aSignalSavesAndResumeReachesTheSameBits() throws Exception {
        String cp = System.getProperty("java.class.path");
        assumeTrue(cp != null && cp.contains("classes"), "the test class path is not visible to start a JVM");
        TrainCliTest.dir = dir;
        TrainCliTest.shapesAndASmallModel();
        String[] common = {"--data", TrainCliTest.data.resolve("train.csv").toString(), "--init",
            TrainCliTest.init.toString(), "--batch", "1", "--threads", "1", "--epochs", "300", "--seed", "3"};
        Path whole = dir.resolve("whole"), parts = dir.resolve("parts");
        assertEquals(0, run(whole, common, false).status, "uninterrupted");

        Result stopped = run(parts, common, true);
        assertTrue(stopped.err.contains("stopped; checkpoint saved to"), stopped.err);
        assertTrue(Files.isRegularFile(parts.resolve("checkpoint.safetensors")));

        List<String> resume = new ArrayList<>(List.of(common));
        resume.add("--resume");
        Result r = run(parts, resume.toArray(new String[0]), false);
        assertEquals(0, r.status, r.err);
        assertArrayEquals(Files.readAllBytes(whole.resolve("model.safetensors")),
                Files.readAllBytes(parts.resolve("model.safetensors")));
    }

    private record Result(int status, String err) {
    }

    /** Runs vecnet train in its own JVM; with {@code stop}, sends SIGTERM once epoch 2 is reported. */
    private static Result run(Path out, String[] args, boolean stop) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "vecnet.multimodal.cli.Cli", "train", "--out", out.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        StringBuilder err = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                err.append(line).append('\n');
                if (stop && line.startsWith("epoch 2/")) {
                    p.toHandle().destroy(); // SIGTERM (streams kept open): the hook asks the loop to stop after its step
                }
            }
        }
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "vecnet train did not end");
        return new Result(p.exitValue(), err.toString());
    }
}
