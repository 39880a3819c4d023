package vecnet.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Kernels;
import vecnet.testing.LibraryTest;

/**
 * Issue 15, blocker 6: with {@code vecnet.engine} on the module path, the Vector API is optional,
 * and a consumer module compiles with {@code -Werror} (javac sees no incubator module). Without {@code --add-modules jdk.incubator.vector} the JVM prints no
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
    void aConsumerModuleCompilesWithWerrorWithoutTheIncubatorWarning(@TempDir Path dir) throws Exception {
        Path engine = Path.of(Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path src = Files.createDirectories(dir.resolve("src/app"));
        Files.writeString(src.resolve("module-info.java"), "module app { requires vecnet.engine; }");
        Files.writeString(Files.createDirectories(src.resolve("app")).resolve("Main.java"),
                "package app; public class Main { String k = vecnet.engine.Kernels.scalar().name(); }");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter messages = new StringWriter();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(messages, files, null,
                    List.of("-Xlint:all", "-Werror", "--module-path", engine.toString(), "-d", dir.resolve("out").toString()),
                    null, files.getJavaFileObjects(src.resolve("module-info.java"), src.resolve("app/Main.java"))).call();
            assertTrue(ok, "javac -Werror failed:\n" + messages);
        }
        assertFalse(messages.toString().contains("incubating"), messages.toString());
    }

    @Test
    void withTheFlagTheModuleUsesTheVectorApi() throws Exception {
        Run r = java("--add-modules", "jdk.incubator.vector");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().strip().startsWith("kernels=vector-"), r.out() + r.err());
    }
}
