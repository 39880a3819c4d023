package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.demo.DemoModel;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.weights.StateDict;
import vecnet.weights.internal.Json;

/**
 * Issue 15, blockers 2 and 9: the command goes on past bad pictures, draws its progress bar only
 * on a terminal, reads and writes '-', controls its JSON, reads pairs from a CSV, warns about texts
 * it cannot read, and names missing folders; and it takes a model as one folder or one file.
 */
class AdoptCliTest {
    @TempDir
    static Path dir;
    private static Path weights, vocab, labels, oneFile, mixed;

    @BeforeAll
    static void files() throws IOException {
        weights = resource("demo_model.safetensors");
        vocab = resource("demo_vocab.json");
        labels = resource("demo_labels.txt");
        oneFile = dir.resolve("demo_one_file.safetensors");
        DemoModel.bundle().write(oneFile);
        // three good pictures and three bad ones: an empty file, a text file named .png, a truncated JPEG
        mixed = Files.createDirectories(dir.resolve("mixed"));
        for (String name : List.of("src_land.png", "src_port.png", "photo.jpg", "truncated.jpg")) {
            Files.copy(Fixtures.file(name), mixed.resolve(name));
        }
        Files.write(mixed.resolve("empty.jpg"), new byte[0]);
        Files.writeString(mixed.resolve("notes.png"), "a text file, named like a picture");
    }

    private static Path resource(String name) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = AdoptCliTest.class.getResourceAsStream("/vecnet/demo/" + name)) {
            Files.copy(in, target);
        }
        return target;
    }

    private static CliRun.Result predict(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("predict", "--weights", weights.toString(), "--vocab",
                vocab.toString(), "--labels", labels.toString(), "--threads", "1"));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(String[]::new));
    }

    @Test
    void aFolderWithBadPicturesReportsEachAndGoesOn() {
        CliRun.Result r = predict("--image", mixed.toString(), "--text", "what colour is the shape", "--json");
        assertEquals(1, r.status(), r.err());
        assertEquals(3, r.outLines().size(), r.out());               // every good picture answered
        List<String> errors = r.err().lines().toList();
        assertEquals(4, errors.size(), r.err());                     // one line per bad picture, then the summary
        assertTrue(errors.get(0).contains("skipped") && errors.get(0).contains("empty.jpg"),
                errors.get(0));
        assertTrue(errors.get(1).contains("notes.png"), errors.get(1));
        assertTrue(errors.get(2).contains("truncated.jpg") && errors.get(2).contains("truncated"), errors.get(2));
        assertEquals("vecnet predict: 3 of 6 pictures done, 3 failed", errors.get(3));

        CliRun.Result fast = predict("--image", mixed.toString(), "--text", "what colour is the shape", "--fail-fast");
        assertEquals(1, fast.status());
        assertTrue(fast.oneErrorLine().contains("empty.jpg"), fast.err());
        assertEquals("", fast.out());

        CliRun.Result good = predict("--image", mixed.resolve("src_land.png").toString(), mixed.resolve("photo.jpg").toString(),
                "--text", "what colour is the shape");
        assertEquals(0, good.status(), good.err());
        assertEquals("", good.err());
    }

    @Test
    void theProgressBarIsDrawnOnlyOnATerminalAndNotWhenQuiet() {
        String[] args = {"predict", "--weights", weights.toString(), "--vocab", vocab.toString(), "--image",
            mixed.resolve("src_land.png").toString(), mixed.resolve("photo.jpg").toString(), "--text", "what shape"};
        CliRun.Result redirected = CliRun.run(args);
        assertEquals(0, redirected.status(), redirected.err());
        assertFalse(redirected.err().contains("\r"), redirected.err());
        CliRun.Result terminal = CliRun.onTerminal(args);
        assertTrue(terminal.err().contains("\r[") && terminal.err().contains("2/2 images"), terminal.err());
        String[] quiet = java.util.Arrays.copyOf(args, args.length + 1);
        quiet[args.length] = "--quiet";
        assertEquals("", CliRun.onTerminal(quiet).err());
    }

    @Test
    void versionAndHelpOfACommand() {
        CliRun.Result v = CliRun.run("--version");
        assertEquals(0, v.status());
        assertTrue(v.out().strip().matches("vecnet \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), v.out());
        CliRun.Result h = CliRun.run("help", "predict");
        assertEquals(0, h.status());
        assertEquals(Cli.PREDICT_HELP, h.out().strip());
        assertEquals(2, CliRun.run("help", "fly").status());
        assertEquals(TrainCommand.HELP, CliRun.run("help", "train").out().strip());
    }

    @Test
    void dashReadsStdinAndWritesStdout() throws IOException {
        byte[] png = Files.readAllBytes(Fixtures.file("src_noop.png"));
        CliRun.Result r = CliRun.run(png, false, "preprocess", "--image", "-", "--out", "-");
        assertEquals(0, r.status(), r.err());
        StateDict written = StateDict.read(r.outBytes());
        Check.identical("preprocess - -", StateDict.read(Fixtures.file("pre_noop.safetensors")).tensor("image").data(),
                written.tensor("image").data());
        assertFalse(Files.exists(Path.of("-")), "a file named '-' was written");

        CliRun.Result p = CliRun.run(Files.readAllBytes(mixed.resolve("src_land.png")), false, "predict", "--weights",
                weights.toString(), "--vocab", vocab.toString(), "--image", "-", "--text", "what shape", "--json");
        assertEquals(0, p.status(), p.err());
        CliRun.Result f = predict("--image", mixed.resolve("src_land.png").toString(), "--text", "what shape", "--json");
        assertEquals(((Map<?, ?>) Json.parse(f.out())).get("logits"), ((Map<?, ?>) Json.parse(p.out())).get("logits"));
    }

    @Test
    void logitsNoneTopOrAll() {
        String image = mixed.resolve("src_land.png").toString();
        Map<?, ?> all = (Map<?, ?>) Json.parse(predict("--image", image, "--text", "what shape", "--json").out());
        assertEquals(8, ((List<?>) all.get("logits")).size());
        Map<?, ?> top = (Map<?, ?>) Json.parse(predict("--image", image, "--text", "what shape", "--json", "--logits", "top",
                "--top", "2").out());
        assertFalse(top.containsKey("logits") || top.containsKey("probabilities"), top.toString());
        List<?> entries = (List<?>) top.get("top");
        assertEquals(2, entries.size());
        int best = ((Number) ((Map<?, ?>) entries.get(0)).get("index")).intValue();
        assertEquals(((List<?>) all.get("logits")).get(best), ((Map<?, ?>) entries.get(0)).get("logit"));
        Map<?, ?> none = (Map<?, ?>) Json.parse(predict("--image", image, "--text", "what shape", "--json", "--logits",
                "none").out());
        assertFalse(((Map<?, ?>) ((List<?>) none.get("top")).get(0)).containsKey("logit"), none.toString());
        assertEquals(2, predict("--image", image, "--text", "x", "--logits", "some").status());
    }

    @Test
    void pairsFromACsvMatchTheSameRunFromTheCommandLine() throws IOException {
        Path csv = mixed.resolve("pairs.csv");
        Files.writeString(csv, "image,text\nsrc_land.png,what colour is the shape\n"
                + "photo.jpg,\"what shape, or which colour\"\n");
        CliRun.Result r = predict("--pairs", csv.toString(), "--json");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.outLines();
        assertEquals(2, lines.size(), r.out());
        CliRun.Result one = predict("--image", mixed.resolve("photo.jpg").toString(), "--text", "what shape, or which colour",
                "--json");
        Map<?, ?> fromCsv = (Map<?, ?>) Json.parse(lines.get(1)), direct = (Map<?, ?>) Json.parse(one.out());
        assertEquals("what shape, or which colour", fromCsv.get("text"));
        assertEquals(direct.get("logits"), fromCsv.get("logits"));
    }

    @Test
    void aTextWithNoKnownWordIsWarnedAbout() {
        CliRun.Result r = predict("--image", mixed.resolve("src_land.png").toString(), "--text", "zyzzyva quux");
        assertEquals(0, r.status(), r.err());
        String line = r.oneErrorLine();
        assertTrue(line.contains("warning") && line.contains("zyzzyva quux"), line);
        assertEquals("", predict("--image", mixed.resolve("src_land.png").toString(), "--text", "what quux").err());
    }

    @Test
    void missingFoldersAreNamedAsFolders() {
        CliRun.Result out = CliRun.run("preprocess", "--image", mixed.resolve("src_land.png").toString(), "--out",
                "/missing/dir/x.safetensors");
        assertEquals(1, out.status());
        String line = out.oneErrorLine();
        assertTrue(line.contains("the folder /missing/dir does not exist"), line);
        CliRun.Result in = predict("--image", dir.resolve("no-such-folder") + "/", "--text", "what shape");
        assertEquals(1, in.status());
        assertTrue(in.oneErrorLine().contains("folder not found"), in.err());
    }

    @Test
    void aModelAsOneFileOrOneFolderAnswersAsItsParts() throws IOException {
        String image = mixed.resolve("src_port.png").toString();
        CliRun.Result parts = predict("--image", image, "--text", "what colour is the shape");
        CliRun.Result file = CliRun.run("predict", "--model", oneFile.toString(), "--image", image, "--text",
                "what colour is the shape", "--threads", "1");
        Path folder = Files.createDirectories(dir.resolve("model-folder"));
        Files.copy(weights, folder.resolve("model.safetensors"));
        Files.copy(vocab, folder.resolve("vocab.json"));
        Files.copy(labels, folder.resolve("labels.txt"));
        CliRun.Result fromFolder = CliRun.run("predict", "--model", folder.toString(), "--image", image, "--text",
                "what colour is the shape", "--threads", "1");
        CliRun.Result fromStdin = CliRun.run(Files.readAllBytes(oneFile), false, "predict", "--model", "-", "--image", image,
                "--text", "what colour is the shape", "--threads", "1");
        assertEquals(0, parts.status(), parts.err());
        for (CliRun.Result r : List.of(file, fromFolder, fromStdin)) {
            assertEquals(0, r.status(), r.err());
            assertEquals(parts.out(), r.out());
        }
    }
}
