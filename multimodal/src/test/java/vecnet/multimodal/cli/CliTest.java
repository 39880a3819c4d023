package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.engine.Tensor;
import vecnet.layers.Conv2d;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.Tokenizer;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;
import vecnet.weights.internal.Json;

/**
 * The {@code vecnet} command, run in-process with captured streams: every command, its JSON output
 * read back and compared with the library's own results, and every error path (one line, the right
 * exit status, no stack trace unless {@code --verbose}). Not a {@code LibraryTest}: the CLI prints by
 * design, on the streams it is given.
 */
class CliTest {
    @TempDir
    static Path dir;
    private static Path demoWeights, demoVocab, demoPicture, resnetWeights, pictures;

    static CliRun.Result run(String... args) {
        return CliRun.run(args);
    }

    @BeforeAll
    static void files() throws IOException {
        demoWeights = resource("demo_model.safetensors");
        demoVocab = resource("demo_vocab.json");
        demoPicture = resource("sample_0.png");
        resnetWeights = tinyTorchvisionResNet(dir.resolve("resnet_tiny_tv.safetensors"));
        pictures = Files.createDirectories(dir.resolve("pictures"));
        for (String name : List.of("src_land.png", "src_port.png", "photo.jpg")) {
            Files.copy(Fixtures.file(name), pictures.resolve(name));
        }
        Files.writeString(pictures.resolve("notes.txt"), "not a picture, and not listed as one");
    }

    /**
     * Writes a torchvision-layout ResNet (the tiny fusion fixture's widths) with a seeded 1000-class
     * fc to {@code file}: a small stand-in for resnet18.pth. Returns {@code file}.
     */
    static Path tinyTorchvisionResNet(Path file) throws IOException {
        StateDict tiny = StateDict.read(Fixtures.file("tiny_fusion.safetensors")).withoutPrefix("resnet.");
        Map<String, Tensor> tv = new LinkedHashMap<>();
        Map<String, String> rename = Map.of("0.", "conv1.", "1.", "bn1.", "4.", "layer1.", "5.", "layer2.", "6.", "layer3.",
                "7.", "layer4.");
        for (String k : tiny.keys()) {
            String head = k.substring(0, k.indexOf('.') + 1);
            tv.put(rename.get(head) + k.substring(head.length()), tiny.tensor(k));
        }
        Random rnd = new Random(8);
        float[] w = new float[1000 * 64], b = new float[1000];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian() * 0.01f;
        }
        tv.put("fc.weight", Tensor.of(w, 1000, 64));
        tv.put("fc.bias", Tensor.of(b, 1000));
        SafeTensors.write(file, tv, Map.of());
        return file;
    }

    private static Path resource(String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = CliTest.class.getResourceAsStream("/vecnet/demo/" + name)) {
            Files.copy(in, target);
        }
        return target;
    }

    // ------------------------------------------------------------------------------- help

    @Test
    void helpForTheToolAndEachCommand() {
        CliRun.Result r = run("--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("Usage: vecnet <command>"), r.out());
        for (String c : List.of("demo", "predict", "classify", "preprocess")) {
            CliRun.Result h = run(c, "--help");
            assertEquals(0, h.status(), c);
            assertTrue(h.out().startsWith("Usage: vecnet " + c), h.out());
            assertEquals("", h.err());
        }
    }

    @Test
    void noCommandOrAnUnknownOneIsAUsageError() {
        assertEquals(2, run().status());
        CliRun.Result r = run("fly");
        assertEquals(2, r.status());
        assertTrue(r.oneErrorLine().contains("unknown command 'fly'"), r.err());
    }

    // ------------------------------------------------------------------------------- demo

    @Test
    void demoAnswersTheBundledSamplesAndReportsAccuracyAndTimes() {
        CliRun.Result r = run("demo", "--samples", "40", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("8 of 8 bundled samples answered right"), r.out());
        assertTrue(r.out().contains("Accuracy on 40 fresh pictures"), r.out());
        for (String stage : List.of("load", "preprocess", "image branch", "text branch", "head")) {
            assertTrue(r.out().contains("  " + stage), "no time for stage " + stage + ":\n" + r.out());
        }
        assertEquals("", r.err());
    }

    @Test
    void demoJsonIsOneObjectPerSampleThenTheAccuracies() {
        CliRun.Result r = run("demo", "--json", "--samples", "20", "--seed", "77");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.outLines();
        assertEquals(9, lines.size(), r.out());
        for (String line : lines.subList(0, 8)) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(line);
            assertEquals(8, ((List<?>) m.get("logits")).size());
            assertTrue(m.containsKey("input") && m.containsKey("text") && m.containsKey("top"), line);
        }
        Map<?, ?> eval = (Map<?, ?>) ((Map<?, ?>) Json.parse(lines.get(8))).get("evaluation");
        assertEquals(20L, eval.get("samples"));
    }

    @Test
    void demoOnYourOwnPictureNeedsAQuestion() {
        CliRun.Result ok = run("demo", "--image", demoPicture.toString(), "--text", "what shape is it", "--samples", "0");
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().contains("sample_0.png"), ok.out());
        CliRun.Result missing = run("demo", "--image", demoPicture.toString());
        assertEquals(2, missing.status());
        assertTrue(missing.oneErrorLine().contains("--text"), missing.err());
    }

    // ------------------------------------------------------------------------------- predict

    @Test
    void predictJsonLogitsReadBackToTheLibrarysFloats() throws IOException {
        Path land = Fixtures.file("src_land.png");
        CliRun.Result r = run("predict", "--weights", demoWeights.toString(), "--vocab", demoVocab.toString(), "--image",
                demoPicture.toString(), land.toString(), "--text", "what colour is the shape", "--json", "--top", "2",
                "--threads", "1");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.outLines();
        assertEquals(2, lines.size(), r.out());

        // two pictures: --algorithm auto runs the direct convolutions (see Cli.DIRECT_UP_TO)
        FusionModel model = FusionModel.load(demoWeights).withAlgorithm(Conv2d.Algorithm.DIRECT);
        int[] ids = Tokenizer.load(demoVocab).encode("what colour is the shape");
        Tensor expected = model.predict(ImagePreprocessor.imagenet().preprocess(List.of(demoPicture, land)),
                new int[][] {ids, ids});
        for (int i = 0; i < 2; i++) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(lines.get(i));
            assertEquals(i == 0 ? demoPicture.toString() : land.toString(), m.get("input"));
            List<?> logits = (List<?>) m.get("logits");
            float[] got = new float[logits.size()];
            for (int k = 0; k < got.length; k++) {
                got[k] = (float) ((Number) logits.get(k)).doubleValue();
            }
            float[] want = new float[8];
            System.arraycopy(expected.data(), i * 8, want, 0, 8);
            Check.identical("logits of picture " + i, want, got);
            List<?> top = (List<?>) m.get("top");
            assertEquals(2, top.size());
            Map<?, ?> best = (Map<?, ?>) top.get(0);
            int index = ((Number) best.get("index")).intValue();
            assertEquals("class" + index, best.get("label")); // no --labels given
            for (int k = 0; k < 8; k++) {
                assertTrue(want[index] >= want[k], "top index " + index + " is not the largest logit");
            }
        }
    }

    @Test
    void predictReadsTheSeedsPthWithItsVocabulary() throws IOException {
        Path weights = Fixtures.file("tiny_fusion.pth"), vocab = Fixtures.file("vocab.json");
        CliRun.Result r = run("predict", "--weights", weights.toString(), "--vocab", vocab.toString(), "--image",
                Fixtures.file("src_port.png").toString(), "--text", "a picture of words maybe unknown");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("1. class"), r.out());
        assertEquals(4, r.outLines().size(), r.out()); // the input line and the top 3
    }

    @Test
    void predictWithLabelsFileNamesTheClasses() throws IOException {
        Path labels = dir.resolve("labels8.txt");
        Files.writeString(labels, "R\nG\nB\nY\nC\nS\nT\n*\n");
        CliRun.Result r = run("predict", "--weights", demoWeights.toString(), "--vocab", demoVocab.toString(), "--image",
                demoPicture.toString(), "--text", "what shape is it", "--labels", labels.toString(), "--top", "8");
        assertEquals(0, r.status(), r.err());
        assertEquals(9, r.outLines().size(), r.out());
        Path wrong = dir.resolve("labels3.txt");
        Files.writeString(wrong, "a\nb\nc\n");
        CliRun.Result bad = run("predict", "--weights", demoWeights.toString(), "--vocab", demoVocab.toString(), "--image",
                demoPicture.toString(), "--text", "what shape is it", "--labels", wrong.toString());
        assertEquals(1, bad.status());
        assertTrue(bad.oneErrorLine().contains("3 lines but the model has 8 classes"), bad.err());
    }

    // ------------------------------------------------------------------------------- classify

    @ParameterizedTest
    @CsvSource({"auto, DIRECT", "direct, DIRECT", "fastest, FASTEST"}) // auto: three pictures are few, see Cli.DIRECT_UP_TO
    void classifyAFolderShowsProgressAndMatchesTheLibrary(String option, Conv2d.Algorithm algorithm) throws IOException {
        CliRun.Result r = CliRun.onTerminal("classify", "--weights", resnetWeights.toString(), "--image", pictures.toString(),
                "--json", "--logits", "all", "--top", "5", "--algorithm", option);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("3/3 images"), "no progress bar on stderr: " + r.err());
        List<String> lines = r.outLines();
        assertEquals(3, lines.size(), r.out()); // notes.txt is not a picture
        List<Path> files = List.of(pictures.resolve("photo.jpg"), pictures.resolve("src_land.png"), pictures.resolve("src_port.png"));
        // one batch of 3, as the CLI's default --batch 8 (logits may differ in the last bits with other batchings)
        Tensor logits = ResNet18.load(resnetWeights).withAlgorithm(algorithm).classify(ImagePreprocessor.imagenet().preprocess(files));
        List<String> names = Cli.imagenetClasses();
        for (int i = 0; i < 3; i++) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(lines.get(i));
            assertEquals(files.get(i).toString(), m.get("input"));
            List<?> l = (List<?>) m.get("logits");
            assertEquals(1000, l.size());
            float[] got = new float[1000], want = new float[1000];
            for (int k = 0; k < 1000; k++) {
                got[k] = (float) ((Number) l.get(k)).doubleValue();
            }
            System.arraycopy(logits.data(), i * 1000, want, 0, 1000);
            Check.identical("logits of " + files.get(i), want, got);
            Map<?, ?> best = (Map<?, ?>) ((List<?>) m.get("top")).get(0);
            int index = ((Number) best.get("index")).intValue();
            assertEquals(names.get(index), best.get("label"));
            assertEquals(5, ((List<?>) m.get("top")).size());
        }
    }

    @Test
    void anUnknownAlgorithmIsAUsageError() {
        CliRun.Result r = run("classify", "--weights", resnetWeights.toString(), "--image", demoPicture.toString(),
                "--algorithm", "winograd");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.oneErrorLine().contains("--algorithm must be auto, direct or fastest"), r.err());
    }

    @Test
    void theBundledImagenetNamesAreTorchvisionsInOrder() throws IOException {
        List<String> names = Cli.imagenetClasses();
        assertEquals(1000, names.size());
        assertEquals("tench", names.get(0));
        assertEquals("goldfish", names.get(1));
        assertEquals("toilet tissue", names.get(999));
    }

    @Test
    void classifyRefusesWeightsWithoutClassifier() {
        CliRun.Result r = run("classify", "--weights", demoWeights.toString(), "--image", demoPicture.toString());
        assertEquals(1, r.status());
        assertTrue(r.oneErrorLine().contains("no classifier"), r.err());
    }

    @Test
    void classifyAnEmptyFolderIsAnError() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        CliRun.Result r = run("classify", "--weights", resnetWeights.toString(), "--image", empty.toString());
        assertEquals(1, r.status());
        assertTrue(r.oneErrorLine().contains("has no pictures"), r.err());
    }

    // ------------------------------------------------------------------------------- preprocess

    @Test
    void preprocessWritesTorchvisionsTensor() throws IOException {
        Path out = dir.resolve("noop.safetensors");
        CliRun.Result r = run("preprocess", "--image", Fixtures.file("src_noop.png").toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        StateDict sd = StateDict.read(out);
        assertEquals(List.of("image"), sd.keys());
        Tensor got = sd.tensor("image");
        assertTrue(got.hasShape(1, 3, 224, 224));
        Tensor torchvision = StateDict.read(Fixtures.file("pre_noop.safetensors")).tensor("image");
        Check.identical("preprocess src_noop.png vs torchvision", torchvision.data(), got.data());
    }

    @Test
    void exifTransposeIsAnOptInFlag() throws IOException {
        Path photo = Fixtures.dir().resolve("images/exif_6.jpg");   // stored sideways, orientation 6
        Path plain = dir.resolve("exif_plain.safetensors"), upright = dir.resolve("exif_upright.safetensors");
        assertEquals(0, run("preprocess", "--image", photo.toString(), "--out", plain.toString()).status());
        CliRun.Result r = run("preprocess", "--exif-transpose", "--image", photo.toString(), "--out", upright.toString());
        assertEquals(0, r.status(), r.err());
        Check.identical("--exif-transpose = ImagePreprocessor.Builder.exifTranspose(true)",
                ImagePreprocessor.builder().exifTranspose(true).build().preprocess(photo).data(),
                StateDict.read(upright).tensor("image").data());
        Check.identical("without the flag, the picture as stored", ImagePreprocessor.imagenet().preprocess(photo).data(),
                StateDict.read(plain).tensor("image").data());
    }

    // ------------------------------------------------------------------------------- errors

    @Test
    void missingWeightsFile() {
        CliRun.Result r = run("predict", "--weights", dir.resolve("nope.pth").toString(), "--vocab", demoVocab.toString(),
                "--image", demoPicture.toString(), "--text", "what shape is it");
        assertEquals(1, r.status());
        String line = r.oneErrorLine();
        assertTrue(line.contains("not found") && line.contains("nope.pth"), line);
    }

    @Test
    void missingImageFile() {
        CliRun.Result r = run("classify", "--weights", resnetWeights.toString(), "--image", dir.resolve("ghost.png").toString());
        assertEquals(1, r.status());
        String line = r.oneErrorLine();
        assertTrue(line.contains("not found") && line.contains("ghost.png"), line);
    }

    @Test
    void unknownWeightsFormat() throws IOException {
        Path text = dir.resolve("weights.bin");
        Files.writeString(text, "these are not weights, just some words in a file");
        CliRun.Result r = run("predict", "--weights", text.toString(), "--vocab", demoVocab.toString(), "--image",
                demoPicture.toString(), "--text", "what shape is it");
        assertEquals(1, r.status());
        assertTrue(r.oneErrorLine().contains("weights.bin"), r.err());
    }

    @Test
    void shapeMismatchNamesTheKeyAndBothShapes() throws IOException {
        StateDict sd = StateDict.read(demoWeights);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String k : sd.keys()) {
            tensors.put(k, sd.tensor(k));
        }
        int[] right = sd.shape("lstm.bias_hh_l0");
        tensors.put("lstm.bias_hh_l0", Tensor.zeros(right[0] + 4));
        Path broken = dir.resolve("broken.safetensors");
        SafeTensors.write(broken, tensors, Map.of());
        CliRun.Result r = run("predict", "--weights", broken.toString(), "--vocab", demoVocab.toString(), "--image",
                demoPicture.toString(), "--text", "what shape is it");
        assertEquals(1, r.status());
        String line = r.oneErrorLine();
        assertTrue(line.contains("bias_hh_l0"), line);
        assertTrue(line.contains(String.valueOf(right[0])) && line.contains(String.valueOf(right[0] + 4)), line);
    }

    @Test
    void unreadableImage() throws IOException {
        Path bad = dir.resolve("bad.png");
        Files.writeString(bad, "this is text, not a PNG");
        CliRun.Result r = run("predict", "--weights", demoWeights.toString(), "--vocab", demoVocab.toString(), "--image",
                bad.toString(), "--text", "what shape is it");
        assertEquals(1, r.status());
        assertTrue(r.oneErrorLine().contains("bad.png"), r.err());
        CliRun.Result p = run("preprocess", "--image", bad.toString(), "--out", dir.resolve("bad.safetensors").toString());
        assertEquals(1, p.status());
        assertTrue(p.oneErrorLine().contains("bad.png"), p.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "\t\n"})
    void emptyText(String text) {
        CliRun.Result r = run("predict", "--weights", demoWeights.toString(), "--vocab", demoVocab.toString(), "--image",
                demoPicture.toString(), "--text", text);
        assertEquals(1, r.status());
        assertTrue(r.oneErrorLine().contains("--text"), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"predict", "classify", "demo"})
    void threadsZeroIsRefused(String command) {
        List<String> args = new java.util.ArrayList<>(List.of(command, "--threads", "0"));
        if (!command.equals("demo")) {
            args.addAll(List.of("--weights", demoWeights.toString(), "--image", demoPicture.toString()));
        }
        if (command.equals("predict")) {
            args.addAll(List.of("--vocab", demoVocab.toString(), "--text", "what shape is it"));
        }
        CliRun.Result r = run(args.toArray(String[]::new));
        assertEquals(2, r.status());
        assertTrue(r.oneErrorLine().contains("--threads must be at least 1, got 0"), r.err());
    }

    @Test
    void threadsNotANumber() {
        CliRun.Result r = run("demo", "--threads", "many");
        assertEquals(2, r.status());
        assertTrue(r.oneErrorLine().contains("--threads must be an integer, got 'many'"), r.err());
    }

    @Test
    void unknownOptionAndMissingRequiredOption() {
        CliRun.Result r = run("preprocess", "--image", demoPicture.toString(), "--output", "x.safetensors");
        assertEquals(2, r.status());
        assertTrue(r.oneErrorLine().contains("unknown option --output"), r.err());
        CliRun.Result m = run("preprocess", "--image", demoPicture.toString());
        assertEquals(2, m.status());
        assertTrue(m.oneErrorLine().contains("missing required option --out"), m.err());
    }

    @Test
    void verboseAddsTheStackTrace() {
        CliRun.Result r = run("predict", "--weights", dir.resolve("nope.pth").toString(), "--vocab", demoVocab.toString(),
                "--image", demoPicture.toString(), "--text", "x", "--verbose");
        assertEquals(1, r.status());
        assertTrue(r.err().lines().count() > 1 && r.err().contains("\tat "), r.err());
    }

    @Test
    void textsMustMatchPictures() {
        CliRun.Result r = run("predict", "--weights", demoWeights.toString(), "--vocab", demoVocab.toString(), "--image",
                demoPicture.toString(), demoPicture.toString(), demoPicture.toString(), "--text", "a", "b");
        assertEquals(2, r.status());
        assertFalse(r.err().isEmpty());
    }
}
