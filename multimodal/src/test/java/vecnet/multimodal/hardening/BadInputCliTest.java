package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.cli.CliRun;
import vecnet.testing.Fixtures;

/**
 * The same bad inputs as {@link BadInputTest}, through the {@code vecnet} command run in-process:
 * each gives exit status 1 and exactly one error line that names the problem (no stack trace), or,
 * for the 100,000-token text and the 1×1 picture, a normal answer. Not a {@code LibraryTest}: the
 * command prints by design, on the streams it is given.
 */
class BadInputCliTest {
    @TempDir
    static Path dir;
    private static Path weights, vocab, picture;

    static CliRun.Result run(String... args) {
        return CliRun.run(args);
    }

    @BeforeAll
    static void files() {
        weights = Fixtures.file("tiny_fusion.safetensors");
        vocab = Fixtures.file("vocab.json");
        picture = Fixtures.file("src_port.png");
    }

    private static CliRun.Result predict(Path image, String text) {
        return run("predict", "--weights", weights.toString(), "--vocab", vocab.toString(), "--image", image.toString(),
                "--text", text, "--threads", "1");
    }

    /** Status 1 and one error line containing every one of {@code parts}. */
    private static void fails(CliRun.Result r, String... parts) {
        assertEquals(1, r.status(), r.err());
        String line = r.oneErrorLine();
        for (String p : parts) {
            assertTrue(line.contains(p), "'" + p + "' not in: " + line);
        }
    }

    @Test
    void badImages() throws IOException {
        fails(predict(Fixtures.file("truncated.jpg"), "the cat"), "truncated.jpg", "truncated");
        Path empty = Files.createFile(dir.resolve("empty.png"));
        fails(predict(empty, "the cat"), "empty.png", "empty");
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "hello, not a picture");
        fails(predict(text, "the cat"), "notes.png", "look like text");
        Path bomb = dir.resolve("bomb.png");
        Files.write(bomb, BadInputTest.png(20_000, 20_000, 60_001));
        fails(predict(bomb, "the cat"), "bomb.png", "20000x20000", "more than the limit");
        Path strip = dir.resolve("strip.png");
        Files.write(strip, BadInputTest.png(1, 4000, 16_000));
        fails(predict(strip, "the cat"), "1x4000", "limit");
        fails(run("preprocess", "--image", bomb.toString(), "--out", dir.resolve("x.safetensors").toString()),
                "more than the limit");
    }

    @Test
    void onePixelPicture() throws IOException {
        Path one = dir.resolve("one.png");
        Files.write(one, BadInputTest.png(1, 1, 4));
        CliRun.Result r = predict(one, "the cat");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("one.png"), r.out());
    }

    @Test
    void badTexts() {
        fails(predict(picture, ""), "at least one word");
        fails(predict(picture, " \t\u3000"), "at least one word");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            sb.append(i % 2 == 0 ? "cat " : "unknownword ");
        }
        CliRun.Result r = predict(picture, sb.toString());
        assertEquals(0, r.status(), r.err());
    }

    @Test
    void vocabularyWithIdsOutsideTheModel() throws IOException {
        Path big = dir.resolve("big_vocab.json");
        Files.writeString(big, "{\"<unk>\": 0, \"cat\": 1, \"dog\": 50}");
        CliRun.Result r = run("predict", "--weights", weights.toString(), "--vocab", big.toString(), "--image", picture.toString(),
                "--text", "the cat", "--threads", "1");
        fails(r, "ids up to 50", "only 50 rows");
        Path broken = dir.resolve("broken_vocab.json");
        Files.writeString(broken, "{\"cat\": 1, \"cat\": 2}");
        fails(run("predict", "--weights", weights.toString(), "--vocab", broken.toString(), "--image", picture.toString(),
                "--text", "the cat"), "broken_vocab.json", "duplicate");
    }

    @Test
    void badWeights() throws IOException {
        // the fusion model given to classify, and a plain dict of other tensors given to predict
        fails(run("classify", "--weights", weights.toString(), "--image", picture.toString()), "has no classifier",
                "use vecnet predict");
        fails(run("predict", "--weights", Fixtures.file("views.pth").toString(), "--vocab", vocab.toString(),
                "--image", picture.toString(), "--text", "the cat"), "unexpected key");
        // a pickle that calls os.system
        Path evil = dir.resolve("evil.pth");
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        byte[] pkl = ("\u0080\u0002cos\nsystem\nX\u0004\u0000\u0000\u0000echo\u0085R.").getBytes(StandardCharsets.ISO_8859_1);
        entries.put("evil/data.pkl", pkl);
        entries.put("evil/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        Files.write(evil, zip(entries));
        fails(run("predict", "--weights", evil.toString(), "--vocab", vocab.toString(), "--image", picture.toString(),
                "--text", "the cat"), "evil.pth", "global os.system is not allowed");
        // a shape mismatch: the tiny model's safetensors with fc.weight of another width
        Path mismatch = dir.resolve("mismatch.safetensors");
        vecnet.weights.StateDict sd = vecnet.weights.StateDict.read(weights);
        Map<String, vecnet.engine.Tensor> m = new java.util.LinkedHashMap<>();
        for (String k : sd.keys()) {
            m.put(k, k.equals("lstm.weight_hh_l0") ? vecnet.engine.Tensor.zeros(64, 17) : sd.tensor(k));
        }
        vecnet.weights.SafeTensors.write(mismatch, m, null);
        fails(run("predict", "--weights", mismatch.toString(), "--vocab", vocab.toString(), "--image", picture.toString(),
                "--text", "the cat"), "lstm.weight_hh_l0");
    }

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(bo)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bo.toByteArray();
    }
}
