package vecnet.multimodal.adopt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import vecnet.multimodal.demo.DemoModel;
import vecnet.testing.LibraryTest;

/**
 * Issue 15, blocker 3: the bundled model loads with no temporary directory at all
 * ({@code -Djava.io.tmpdir=/nonexistent}), in a fresh JVM since the JDK reads that property once.
 */
class NoTempFilesTest extends LibraryTest {

    /** Loads the demo model and answers its first sample; run by the test in its own JVM. */
    public static void main(String[] args) throws Exception {
        DemoModel demo = DemoModel.load();
        DemoModel.BundledSample s = DemoModel.samples().get(0);
        System.out.println(demo.labels().get(demo.predict(s.image(), s.question()).label()) + " " + s.answer());
    }

    @Test
    void theDemoModelLoadsWithoutATemporaryDirectory() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=/nonexistent/vecnet", "-Dvecnet.simd=false",
                "-cp", System.getProperty("java.class.path"), NoTempFilesTest.class.getName())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String stderr = new String(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), stderr);
        List<String> words = List.of(new String(out, StandardCharsets.UTF_8).strip().split(" "));
        assertEquals(2, words.size(), stderr);
        assertEquals(words.get(1), words.get(0), "the answer to the first bundled sample");
    }
}
