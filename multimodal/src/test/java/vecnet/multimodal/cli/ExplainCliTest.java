package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageNet;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.demo.DemoModel;
import vecnet.weights.internal.Json;

/** {@code vecnet explain} and {@code vecnet demo --explain}, run in-process: JSON read back, PNGs opened. */
class ExplainCliTest {
    private static final Set<String> REQUIRED = Set.of("input", "text", "class", "logit", "split", "cam", "tokens",
            "completeness");
    private static final Pattern WROTE = Pattern.compile("wrote (\\S+) \\((\\d+)×(\\d+) PNG\\)");

    @TempDir
    static Path dir;
    private static Path weights, vocab, labels, picture, resnet;

    @BeforeAll
    static void files() throws IOException {
        weights = resource("demo_model.safetensors");
        vocab = resource("demo_vocab.json");
        labels = resource("demo_labels.txt");
        picture = resource("sample_2.png");
        resnet = CliTest.tinyTorchvisionResNet(dir.resolve("resnet_tiny_tv.safetensors"));
    }

    private static Path resource(String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = ExplainCliTest.class.getResourceAsStream("/vecnet/demo/" + name)) {
            Files.copy(in, target);
        }
        return target;
    }

    private static List<Map<?, ?>> jsonLines(String out) {
        List<Map<?, ?>> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                lines.add((Map<?, ?>) Json.parse(line));
            }
        }
        return lines;
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    /** The JSON line's own identities: the split sums to the logit, the 7×7 CAM to the image part. */
    private static void checkLine(Map<?, ?> j) {
        assertTrue(j.keySet().containsAll(REQUIRED), "keys " + j.keySet());
        Map<?, ?> split = (Map<?, ?>) j.get("split");
        double image = num(split.get("image")), text = num(split.get("text")), bias = num(split.get("bias"));
        double logit = num(j.get("logit"));
        assertEquals(logit, image + text + bias, 1e-5 * (Math.abs(image) + Math.abs(text) + Math.abs(bias)));
        List<?> cam = (List<?>) j.get("cam");
        assertEquals(7, cam.size());
        double sum = 0;
        for (Object row : cam) {
            assertEquals(7, ((List<?>) row).size());
            for (Object v : (List<?>) row) {
                sum += num(v);
            }
        }
        assertEquals(image, sum, 1e-5 * Math.max(1, Math.abs(image)), "CAM sums to split.image");
    }

    @Test
    void explainsTheFusionModelAsJsonAndAsAPicture() throws IOException {
        Path png = dir.resolve("a.explain.png");
        String question = "what is the shape of the object";
        CliRun.Result r = CliRun.run("explain", "--weights", weights.toString(), "--vocab", vocab.toString(), "--image",
                picture.toString(), "--text", question, "--labels", labels.toString(), "--top", "3", "--json", "--layer", "layer2", "--out", png.toString());
        assertEquals(0, r.status(), r.err());
        List<Map<?, ?>> lines = jsonLines(r.out());
        assertEquals(3, lines.size());
        DemoModel demo = DemoModel.load();
        Tensor image = ImagePreprocessor.imagenet().preprocess(picture);
        int[] ids = demo.tokenizer().encode(question);
        float[] logits = demo.model().predict(image, new int[][] {ids}).data();
        int[] top = Cli.topK(logits, 3);
        List<String> words = Tokenizer.words(question);
        for (int i = 0; i < 3; i++) {
            Map<?, ?> j = lines.get(i);
            checkLine(j);
            assertEquals(picture.toString(), j.get("input"));
            assertEquals(question, j.get("text"));
            assertEquals(demo.labels().get(top[i]), j.get("class"));
            assertEquals(logits[top[i]], (float) num(j.get("logit")), 0f, "the model's own logit");
            List<?> tokens = (List<?>) j.get("tokens");
            assertEquals(words.size(), tokens.size());
            double attributions = 0;
            for (int t = 0; t < tokens.size(); t++) {
                Map<?, ?> tok = (Map<?, ?>) tokens.get(t);
                assertEquals(Set.of("token", "id", "attribution", "leave_one_out"), tok.keySet());
                assertEquals(words.get(t), tok.get("token"));
                assertEquals(ids[t], ((Number) tok.get("id")).intValue());
                attributions += num(tok.get("attribution"));
            }
            assertTrue(num(j.get("completeness")) <= 0.01, "completeness " + j.get("completeness"));
            assertTrue(Math.abs(attributions) > 0);
            Map<?, ?> gradCam = (Map<?, ?>) j.get("gradcam");
            assertEquals(28, ((List<?>) gradCam.get("grid")).size(), "layer2 of a 224×224 input is 28×28");
        }
        BufferedImage drawn = ImageIO.read(png.toFile());
        assertNotNull(drawn, "the PNG opens as an image");
        assertTrue(drawn.getWidth() >= 3 * 224 && drawn.getHeight() >= 3 * 224, drawn.getWidth() + "×" + drawn.getHeight());
    }

    @Test
    void theTerminalShowsTheSplitAndTheWordsAndStatesThePicturesSize() throws IOException {
        Path png = dir.resolve("terminal.png");
        CliRun.Result r = CliRun.run("explain", "--weights", weights.toString(), "--vocab", vocab.toString(), "--image",
                picture.toString(), "--text", "what colour is it", "--labels", labels.toString(), "--class", "red", "--out", png.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("red (class 0): logit "), r.out());
        assertTrue(r.out().contains("decided by the "), r.out());
        assertTrue(r.out().contains("leave-one-out"), r.out());
        assertTrue(r.out().contains("colour "), r.out());
        Matcher m = WROTE.matcher(r.out());
        assertTrue(m.find(), r.out());
        BufferedImage drawn = ImageIO.read(Path.of(m.group(1)).toFile());
        assertEquals(Integer.parseInt(m.group(2)), drawn.getWidth());
        assertEquals(Integer.parseInt(m.group(3)), drawn.getHeight());
    }

    @Test
    void aModelFileAFolderAndAnImageClassifier() throws IOException {
        Path bundle = dir.resolve("demo.safetensors");
        DemoModel.bundle().write(bundle);
        CliRun.Result r = CliRun.run("explain", "--model", bundle.toString(), "--image", picture.toString(), "--text",
                "what shape is it", "--json");
        assertEquals(0, r.status(), r.err());
        checkLine(jsonLines(r.out()).get(0));

        Path folder = Files.createDirectories(dir.resolve("model-folder"));
        Files.copy(weights, folder.resolve("model.safetensors"));
        Files.copy(vocab, folder.resolve("vocab.json"));
        Files.copy(labels, folder.resolve("labels.txt"));
        CliRun.Result f = CliRun.run("explain", "--model", folder.toString(), "--image", picture.toString(), "--text",
                "what shape is it", "--class", "star", "--json");
        assertEquals(0, f.status(), f.err());
        assertEquals("star", jsonLines(f.out()).get(0).get("class"), "labels.txt of the folder");

        CliRun.Result c = CliRun.run("explain", "--weights", resnet.toString(), "--image", picture.toString(), "--json");
        assertEquals(0, c.status(), c.err());
        Map<?, ?> j = jsonLines(c.out()).get(0);
        checkLine(j);
        assertNull(j.get("text"));
        assertEquals(List.of(), j.get("tokens"));
        float[] logits = ResNet18.load(resnet).classify(ImagePreprocessor.imagenet().preprocess(picture)).data();
        assertEquals(ImageNet.classNames().get(Cli.topK(logits, 1)[0]), j.get("class"), "the class map comes from fc");
    }

    @Test
    void mistakesAreOneLine() {
        assertEquals(2, CliRun.run("explain", "--weights", weights.toString(), "--vocab", vocab.toString(), "--image",
                picture.toString()).status(), "the fusion model needs --text");
        assertEquals(2, CliRun.run("explain", "--weights", weights.toString(), "--vocab", vocab.toString(), "--image",
                picture.toString(), "--text", "what", "--class", "purple").status());
        assertEquals(2, CliRun.run("explain", "--weights", weights.toString(), "--vocab", vocab.toString(), "--image",
                picture.toString(), "--text", "what", "--layer", "layer4").status());
        assertEquals(2, CliRun.run("explain", "--weights", resnet.toString(), "--image", picture.toString(), "--text",
                "what").status());
        CliRun.Result r = CliRun.run("explain", "--weights", dir.resolve("ghost.pth").toString(), "--image", picture.toString());
        assertEquals(1, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void demoExplainWritesTheEightSamples() throws IOException {
        Path out = dir.resolve("demo-explain");
        CliRun.Result r = CliRun.run("demo", "--explain", out.toString());
        assertEquals(0, r.status(), r.err());
        for (int i = 0; i < 8; i++) {
            BufferedImage drawn = ImageIO.read(out.resolve("sample_" + i + ".explain.png").toFile());
            assertNotNull(drawn, "sample_" + i);
        }
        assertArrayEquals(new int[] {8}, new int[] {(int) WROTE.matcher(r.out()).results().count()});
    }
}
