package vecnet.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.cli.Cli;
import vecnet.multimodal.parquet.ParquetFile;
import vecnet.multimodal.train.FeaturesFile;

/**
 * The Parquet the job writes with {@code --features} is what {@code vecnet train --features} reads:
 * training on it gives the same bits as training on the pictures; and the library's own Parquet
 * reader reads what Spark writes in each layout (codecs, dictionary or not, page v1 or v2, many
 * pages and row groups) as Spark itself reads it back.
 */
class TrainFromFeaturesTest {
    @TempDir
    static Path dir;

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTests.session();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private record Run(int status, String err) {
    }

    private static Run vecnet(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(o, true, StandardCharsets.UTF_8);
             PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8)) {
            status = new Cli(out, err, new ByteArrayInputStream(new byte[0]), false).run(args);
        }
        return new Run(status, e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void trainingOnTheJobsFeaturesGivesTheSameBitsAsTrainingOnThePictures() throws IOException {
        Path model = DemoFiles.writeModel(dir.resolve("model"));
        Path images = dir.resolve("data/images"), captions = dir.resolve("data/captions.csv");
        DemoFiles.writePictures(images, captions, 26, 5, "png"); // shape_025 has no caption, broken.png is text
        Path features = dir.resolve("features.parquet");
        VecnetSparkJob.Summary s = VecnetSparkJob.run(spark, "--model", model.toString(), "--images", images + "/*.png",
                "--captions", captions.toString(), "--out", features.toString(), "--features", "--batch", "5");
        assertEquals(27, s.rows());
        assertEquals(1, s.bad()); // broken.png; image features alone do not read the text, so no caption is no error here

        // what the file holds: rows sorted by path, the captions' label beside the features
        FeaturesFile read = FeaturesFile.read(features);
        assertEquals(25, read.rows().size());
        assertEquals(2, read.bad().size(), read.bad().toString());
        List<String> lines = Files.readAllLines(captions).subList(1, 26);
        for (int i = 0; i < 25; i++) {
            String[] want = lines.get(i).split(",");
            assertEquals(want[1], read.rows().get(i).text(), "row " + i);
            assertEquals(want[2], read.rows().get(i).label(), "row " + i);
            assertEquals(64, read.rows().get(i).features().length);
        }

        List<String> common = List.of("--init", model.toString(), "--epochs", "2", "--batch", "4", "--lr", "0.01",
                "--seed", "7", "--val-fraction", "0.2", "--skip-bad", "--threads", "2", "--quiet");
        Path fromPictures = dir.resolve("from-pictures"), fromFeatures = dir.resolve("from-features");
        Run a = vecnet(args(List.of("train", "--data", captions.toString(), "--out", fromPictures.toString()), common));
        Run b = vecnet(args(List.of("train", "--features", features.toString(), "--out", fromFeatures.toString()), common));
        assertEquals(0, a.status(), a.err());
        assertEquals(0, b.status(), b.err());
        assertTrue(a.err().contains("skipped 2 bad rows") && b.err().contains("skipped 2 bad rows"), a.err() + b.err());
        assertTrue(b.err().contains("shape_025.png: empty text") && b.err().contains("broken.png: bad image"), b.err());
        for (String f : List.of("model.safetensors", "vocab.json", "labels.txt")) {
            assertArrayEquals(Files.readAllBytes(fromPictures.resolve(f)), Files.readAllBytes(fromFeatures.resolve(f)), f);
        }
        assertFalse(Arrays.equals(Files.readAllBytes(model.resolve("model.safetensors")),
                Files.readAllBytes(fromFeatures.resolve("model.safetensors"))), "training changed nothing");

        // the model folder vecnet train wrote (model.safetensors and model.pth) is one the job reads
        VecnetSparkJob.Summary again = VecnetSparkJob.run(spark, "--model", fromFeatures.toString(), "--images",
                images + "/shape_00*.png", "--captions", captions.toString(), "--out", dir.resolve("scored").toString());
        assertEquals(10, again.rows());
        assertEquals(0, again.bad());
    }

    private static String[] args(List<String> first, List<String> rest) {
        List<String> all = new ArrayList<>(first);
        all.addAll(rest);
        return all.toArray(new String[0]);
    }

    @Test
    void theReaderReadsWhatSparkWritesInEachLayoutAsSparkReadsItBack() throws IOException {
        Dataset<Row> df = ParquetFixtures.awkward(spark, 500, 70);
        for (Map.Entry<String, Map<String, String>> layout : ParquetFixtures.LAYOUTS.entrySet()) {
            Path out = dir.resolve(layout.getKey());
            df.write().options(layout.getValue()).parquet(out.toString());
            Path part = ParquetFixtures.part(out);
            List<Row> want = spark.read().parquet(part.toString()).collectAsList();
            ParquetFile file = ParquetFile.open(part);
            String what = "layout " + layout.getValue();
            assertEquals(want.size(), file.rows(), what);
            List<String> s = file.strings("s");
            List<float[]> f = file.floatLists("f"), g = file.floatLists("g");
            for (int i = 0; i < want.size(); i++) {
                Row w = want.get(i);
                assertEquals(w.getString(0), s.get(i), what + ", row " + i);
                for (int c = 1; c <= 2; c++) {
                    float[] got = (c == 1 ? f : g).get(i);
                    if (w.isNullAt(c)) {
                        assertNull(got, what + ", row " + i);
                        continue;
                    }
                    List<Float> list = w.getList(c);
                    assertEquals(list.size(), got.length, what + ", row " + i);
                    for (int k = 0; k < got.length; k++) {
                        assertEquals(Float.floatToRawIntBits(list.get(k)), Float.floatToRawIntBits(got[k]),
                                what + ", row " + i + " [" + k + "]");
                    }
                }
            }
        }
    }
}
