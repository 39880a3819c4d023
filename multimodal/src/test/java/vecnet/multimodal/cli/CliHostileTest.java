package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;

/**
 * The command on issue 18's files, built here: weights with an infinity (refused, loaded with
 * {@code --allow-nonfinite}), a FIFO and an empty vocabulary; and the messages themselves (the OOM
 * hint names the launcher's variable, terminal escapes are escaped, long messages are cut).
 */
class CliHostileTest {
    @TempDir
    static Path dir;
    private static Path weights, vocab, picture;

    @BeforeAll
    static void files() throws IOException {
        weights = resource("demo_model.safetensors");
        vocab = resource("demo_vocab.json");
        picture = resource("sample_0.png");
    }

    private static Path resource(String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = CliHostileTest.class.getResourceAsStream("/vecnet/demo/" + name)) {
            Files.copy(in, target);
        }
        return target;
    }

    private static CliRun.Result predict(Path w, Path v, String... extra) {
        String[] base = {"predict", "--weights", w.toString(), "--vocab", v.toString(), "--image", picture.toString(),
            "--text", "what shape is it"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.run(args);
    }

    @Test
    void infiniteWeightsAreRefusedUnlessAllowed() throws IOException {
        StateDict sd = StateDict.read(weights);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String k : sd.keys()) {
            m.put(k, sd.tensor(k));
        }
        m.get("fc.bias").data()[1] = Float.POSITIVE_INFINITY;
        Path inf = dir.resolve("inf.safetensors");
        SafeTensors.write(inf, m, Map.of());
        CliRun.Result r = predict(inf, vocab);
        assertEquals(1, r.status());
        String line = r.oneErrorLine();
        assertTrue(line.contains("weights \"fc.bias\" hold Infinity at index 1") && line.contains("--allow-nonfinite"), line);
        CliRun.Result allowed = predict(inf, vocab, "--allow-nonfinite");
        assertEquals(0, allowed.status(), allowed.err());
    }

    @Test
    void emptyAndSpecialVocabularies() throws Exception {
        Path empty = dir.resolve("empty.json");
        Files.writeString(empty, "{}");
        String line = predict(weights, empty).oneErrorLine();
        assertTrue(line.endsWith("the vocabulary is empty (no tokens): every word would be unknown"), line);
        Path fifo = dir.resolve("fifo.json");
        int status;
        try {
            status = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        } catch (IOException e) {
            status = -1;
        }
        assumeTrue(status == 0, "mkfifo is not available");
        CliRun.Result r = predict(weights, fifo);
        assertEquals(1, r.status());
        line = r.oneErrorLine();
        assertTrue(line.contains("the vocabulary file is a named pipe (FIFO), not a regular file"), line);
    }

    @Test
    void messages() {
        String oom = Cli.describe(new OutOfMemoryError("Java heap space"));
        assertTrue(oom.contains("VECNET_JAVA_OPTS=-Xmx4g") && !oom.contains(" JAVA_OPTS"), oom);
        String escaped = Cli.describe(new IOException("key \u001b[2J\u0007 and\nmore"));
        assertEquals("key \\x1b[2J\\x07 and more", escaped);
        String cut = Cli.describe(new IOException("x".repeat(100_000)));
        assertTrue(cut.length() < 2100 && cut.endsWith("... (100000 chars)"), cut.length() + " chars");
        assertFalse(cut.contains("\n"));
    }
}
