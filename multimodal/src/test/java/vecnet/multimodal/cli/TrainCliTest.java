package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.Vocabulary;
import vecnet.multimodal.demo.ShapesDataset;
import vecnet.multimodal.train.ModelFiles;
import vecnet.multimodal.train.ModelInit;
import vecnet.multimodal.train.VocabularyBuilder;
import vecnet.testing.LibraryTest;

/** {@code vecnet train} end to end on exported shapes pictures, from a small fusion model (--init). */
class TrainCliTest extends LibraryTest {
    @TempDir
    static Path dir;
    static Path data, init;

    @BeforeAll
    static void shapesAndASmallModel() throws IOException { // also used by TrainInterruptTest
        data = dir.resolve("shapes");
        CliRun.Result r = CliRun.run("demo", "--export-shapes", data.toString(), "--count", "20");
        assertEquals(0, r.status(), r.err());
        List<String> texts = Files.readAllLines(data.resolve("train.csv")).stream().skip(1)
                .map(l -> l.split(",")[1]).toList();
        Vocabulary vocab = VocabularyBuilder.build(texts, 40, 1);
        init = dir.resolve("init");
        ModelFiles.write(init, ModelInit.create(new ModelInit.Sizes(new int[] {1, 2, 4, 8}, 40, 6, 8, 8), 1), vocab,
                ShapesDataset.LABELS);
    }

    static CliRun.Result train(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--data", data.resolve("train.csv").toString(),
                "--init", init.toString(), "--out", out.toString(), "--batch", "4", "--threads", "2", "--lr", "0.01"));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(new String[0]));
    }

    @Test
    void trainsWritesAFolderThatPredictReads() throws IOException {
        Path out = dir.resolve("m1");
        CliRun.Result r = train(out, "--val-data", data.resolve("val.csv").toString(), "--epochs", "2", "--json");
        assertEquals(0, r.status(), r.err());
        assertEquals(2, r.outLines().size(), r.out());
        assertTrue(r.outLines().get(1).startsWith("{\"epoch\":2,\"epochs\":2,"), r.out());
        for (String f : List.of("model.safetensors", "model.pth", "vocab.json", "labels.txt", "checkpoint.safetensors")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(ShapesDataset.LABELS, Files.readAllLines(out.resolve("labels.txt")));
        CliRun.Result p = CliRun.run("predict", "--model", out.toString(), "--image",
                data.resolve("images/shape_0000.png").toString(), "--text", "what shape is it");
        assertEquals(0, p.status(), p.err());

        CliRun.Result again = train(out, "--epochs", "1");
        assertEquals(2, again.status());
        assertTrue(again.oneErrorLine().contains("already holds a model; use --force"), again.err());
        assertEquals(0, train(out, "--epochs", "1", "--force", "--quiet").status());
    }

    @Test
    void validationFractionAndTheTerminalBar() {
        Path out = dir.resolve("m3");
        CliRun.Result r = CliRun.onTerminal("train", "--data", data.resolve("train.csv").toString(), "--init",
                init.toString(), "--out", out.toString(), "--batch", "4", "--threads", "1", "--epochs", "1",
                "--val-fraction", "0.25");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("12 training and 4 validation samples"), r.err());
        assertTrue(r.err().contains("\repoch 1 [") && r.err().contains("samples/s ETA"), r.err());
        assertTrue(r.err().contains("validation ") && r.err().contains("(best)"), r.err());
        CliRun.Result plain = CliRun.run("train", "--data", data.resolve("train.csv").toString(), "--init",
                init.toString(), "--out", out.toString(), "--batch", "4", "--threads", "1", "--epochs", "1", "--force");
        assertEquals(0, plain.status(), plain.err());
        assertFalse(plain.err().contains("\r"), "no carriage return without a terminal");
    }

    @Test
    void aResumedRunWritesTheSameBits() throws IOException {
        Path whole = dir.resolve("whole"), parts = dir.resolve("parts");
        assertEquals(0, train(whole, "--epochs", "3", "--seed", "4", "--quiet").status());
        assertEquals(0, train(parts, "--epochs", "1", "--seed", "4", "--quiet").status());
        CliRun.Result r = train(parts, "--epochs", "3", "--seed", "4", "--resume");
        assertEquals(0, r.status(), r.err());
        assertFalse(r.err().contains("epoch 1/3"), "epoch 1 is not run again:\n" + r.err());
        assertArrayEquals(Files.readAllBytes(whole.resolve("model.safetensors")),
                Files.readAllBytes(parts.resolve("model.safetensors")));
    }

    @Test
    void badRowsAreReportedWithFileAndLineThenSkippedOnRequest() throws IOException {
        Path bad = dir.resolve("bad");
        Files.createDirectories(bad);
        Files.write(bad.resolve("broken.png"), new byte[] {1, 2, 3});
        String rows = Files.readString(data.resolve("train.csv")).replace("images/", data.resolve("images").toString() + "/");
        Path csv = bad.resolve("train.csv");
        Files.writeString(csv, rows + "broken.png,what shape is it,star\nnothere.png,what,red\n");
        Path val = bad.resolve("val.csv");
        Files.writeString(val, "image,text,label\n" + data.resolve("images/shape_0000.png") + ",what is it,purple\n");
        String[] args = {"train", "--data", csv.toString(), "--val-data", val.toString(), "--init", init.toString(),
                "--out", bad.resolve("m").toString(), "--epochs", "1", "--batch", "4", "--threads", "1"};
        CliRun.Result r = CliRun.run(args);
        assertEquals(1, r.status());
        assertTrue(r.err().contains(csv + ":19: image not found"), r.err());
        assertTrue(r.err().contains(csv + ":18: image " + bad.resolve("broken.png") + ": not an image"), r.err());
        assertTrue(r.err().indexOf(":18: ") < r.err().indexOf(":19: "), "in line order");
        assertTrue(r.err().contains(val + ":2: label not seen in training (unknown): 'purple'"), r.err());
        assertTrue(r.err().contains("3 bad rows; fix them or use --skip-bad"), r.err());
        assertFalse(Files.exists(bad.resolve("m/model.safetensors")));

        String[] skip = java.util.Arrays.copyOf(args, args.length + 1);
        skip[args.length] = "--skip-bad";
        CliRun.Result s = CliRun.run(skip);
        assertEquals(0, s.status(), s.err());
        assertTrue(s.err().contains("skipped 3 bad rows"), s.err());
        assertTrue(Files.isRegularFile(bad.resolve("m/model.safetensors")));
    }
}
