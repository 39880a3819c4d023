package vecnet.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import vecnet.engine.Kernels;
import vecnet.testing.LibraryTest;

/**
 * Issue 15, blocker 6: with {@code vecnet.engine} on the module path, the Vector API is optional
 * ({@code requires static}). Without {@code --add-modules jdk.incubator.vector} the JVM prints no
 * incubator warning and vecnet falls back to the scalar kernels, as on the class path; with the flag
 * it uses the Vector API.
 */
class ModulePathTest extends LibraryTest {

    private record Run(int status, String out, String err) {}

    private static Run java(String... options) throws IOException, InterruptedException, URISyntaxException {
        Path engine = Path.of(Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path probe = Path.of(KernelsProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("--module-path", engine.toString(), "--add-modules", "vecnet.engine",
                "-cp", probe.toString(), KernelsProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe JVM did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void withoutTheFlagTheModuleFallsBackToScalarSilentlyAboutIncubators() throws Exception {
        Run r = java();
        assertEquals(0, r.status(), r.err());
        assertEquals("kernels=scalar", r.out().strip(), r.err());
        assertFalse(r.err().contains("incubator modules"), "the JVM printed its incubator warning:\n" + r.err());
        assertTrue(r.err().contains("--add-modules jdk.incubator.vector"), "one line names the flag:\n" + r.err());
    }

    @Test
    void withTheFlagTheModuleUsesTheVectorApi() throws Exception {
        Run r = java("--add-modules", "jdk.incubator.vector");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().strip().startsWith("kernels=vector-"), r.out() + r.err());
    }
}
