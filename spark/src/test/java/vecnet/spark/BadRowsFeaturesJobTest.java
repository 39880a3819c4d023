package vecnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;

/** Bad rows get the error column and never fail a job; features go to Parquet; the job runs end to end. */
class BadRowsFeaturesJobTest {
    private static final long SEED = 31;

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static String model;
    private static DemoModel demo;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTests.session();
        model = SparkTests.demoModelFolder(dir).toString();
        demo = DemoModel.load(ComputePool.sequential());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static Dataset<Row> frame(StructType schema, List<Row> rows, int partitions) {
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions),
                schema);
    }

    private static byte[] png(int index) {
        return DemoFiles.encode(new ShapesDataset(SEED).sample(index).image(), "png");
    }

    private static String question(int index) {
        return new ShapesDataset(SEED).sample(index).question();
    }

    private static Prediction reference(int index) {
        ShapesDataset.Sample s = new ShapesDataset(SEED).sample(index);
        return demo.predict(s.image(), s.question());
    }

    /** Each bad row beside good ones in one partition, with the reason its error must contain (null: a good row). */
    private static final Object[][] BYTE_ROWS = {
        {0, png(0), question(0), null},
        {1, "this is not a picture".getBytes(StandardCharsets.UTF_8), question(1), "bad image"},
        {2, Arrays.copyOf(png(2), 900), question(2), "bad image"},
        {3, new byte[0], question(3), "bad image"},
        {4, null, question(4), "no image"},
        {5, png(5), "", "empty text"},
        {6, png(6), " \t ", "empty text"},
        {7, png(7), null, "no text"},
        {8, png(8), question(8), null},
    };

    private static Dataset<Row> badBytes() {
        List<Row> rows = new ArrayList<>();
        for (Object[] r : BYTE_ROWS) {
            rows.add(RowFactory.create(r[0], r[1], r[2]));
        }
        return frame(SparkTests.PICTURES, rows, 1);
    }

    private static void assertBadRows(String api, List<Row> rows) {
        assertEquals(BYTE_ROWS.length, rows.size(), api);
        Map<Integer, Row> byId = new HashMap<>();
        rows.forEach(r -> byId.put(r.getInt(r.fieldIndex("id")), r));
        for (Object[] want : BYTE_ROWS) {
            int id = (Integer) want[0];
            Row got = byId.get(id);
            String reason = (String) want[3];
            if (reason == null) {
                SparkTests.assertSame(api + ", good row " + id, reference(id), got, ShapesDataset.LABELS, 5);
            } else {
                String error = got.getAs("error");
                assertNotNull(error, api + ", row " + id + " should be bad (" + reason + ")");
                assertTrue(error.startsWith(reason), api + ", row " + id + ": error '" + error + "' should start with '"
                        + reason + "'");
                assertNull(got.getAs("label"), api + ", row " + id);
                assertTrue(got.isNullAt(got.fieldIndex("top")) && got.isNullAt(got.fieldIndex("probabilities")), api);
            }
        }
    }

    @Test
    void badRowsGetNullResultsAndTheReasonThroughTheDatasetApiAndSql() {
        Dataset<Row> df = badBytes();
        assertBadRows("Dataset API", VecnetScorer.of(model).predict(df).collectAsList());

        VecnetSql.register(spark, VecnetScorer.of(model));
        df.createOrReplaceTempView("bad_pictures");
        assertBadRows("SQL function", spark.sql("SELECT id, p.* FROM (SELECT id, vecnet_predict(image, text) AS p"
                + " FROM bad_pictures)").collectAsList());
        String truncated = VecnetScorer.of(model).predict(df).where("id = 2").first().getAs("error");
        assertFalse(truncated.contains("vecnet-spark-"), "the error names the temporary file: " + truncated);
    }

    @Test
    void pathsAreReadOnTheExecutorsAndAMissingFileIsABadRow() throws IOException {
        Path pictures = Files.createDirectories(dir.resolve("by-path"));
        Files.write(pictures.resolve("good.png"), png(0));
        Files.writeString(pictures.resolve("text.png"), "not a picture");
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("image", DataTypes.StringType)
                .add("text", DataTypes.StringType);
        Dataset<Row> df = frame(schema, List.of(
                RowFactory.create(0, pictures.resolve("good.png").toUri().toString(), question(0)),
                RowFactory.create(1, pictures.resolve("text.png").toString(), question(1)),
                RowFactory.create(2, pictures.resolve("missing.png").toString(), question(2))), 2);
        Map<Integer, Row> byId = new HashMap<>();
        VecnetScorer.of(model).predict(df).collectAsList().forEach(r -> byId.put(r.getInt(0), r));
        SparkTests.assertSame("picture by path", reference(0), byId.get(0), ShapesDataset.LABELS, 5);
        assertTrue(byId.get(1).<String>getAs("error").startsWith("bad image"), byId.get(1).toString());
        String missing = byId.get(2).getAs("error");
        assertTrue(missing.startsWith("cannot read the image") && missing.contains("missing.png"), missing);
    }

    @Test
    void featuresGoToParquetAsTheModelsBranchesComputeThem() {
        Dataset<Row> df = badBytes().where("id IN (0, 1, 5, 8)");
        String out = dir.resolve("features.parquet").toString();
        VecnetScorer.of(model).features(df, true).drop("image").write().parquet(out);
        List<Row> rows = spark.read().parquet(out).orderBy("id").collectAsList();
        assertEquals(List.of(0, 1, 5, 8), rows.stream().map(r -> r.getInt(r.fieldIndex("id"))).toList());
        for (int i : new int[] {0, 8}) {
            Row r = rows.stream().filter(x -> x.getInt(0) == i).findFirst().orElseThrow();
            ShapesDataset.Sample s = new ShapesDataset(SEED).sample(i);
            Tensor image = demo.model().resnet().features(demo.preprocessor().preprocess(s.image()));
            Tensor text = demo.model().text().encode(new int[][] {demo.tokenizer().encode(s.question())}, ComputePool.sequential());
            assertBits("image features of " + i, image.data(), r.getList(r.fieldIndex("image_features")));
            assertBits("text features of " + i, text.data(), r.getList(r.fieldIndex("text_features")));
            assertEquals(64, image.data().length); // the demo model's widths: 64 image, 32 text
        }
        Row bad = rows.stream().filter(x -> x.getInt(0) == 1).findFirst().orElseThrow();
        assertTrue(bad.isNullAt(bad.fieldIndex("image_features")) && bad.<String>getAs("error").startsWith("bad image"));
        Row emptyText = rows.stream().filter(x -> x.getInt(0) == 5).findFirst().orElseThrow();
        assertTrue(emptyText.<String>getAs("error").startsWith("empty text"));

        // image features alone: the text is not read, so an empty one is no error
        Dataset<Row> imageOnly = VecnetScorer.of(model).features(df, false);
        assertFalse(Arrays.asList(imageOnly.columns()).contains("text_features"));
        Row five = imageOnly.where("id = 5").first();
        assertNull(five.getAs("error"));
        assertEquals(64, five.getList(five.fieldIndex("image_features")).size());
    }

    private static void assertBits(String what, float[] want, List<Float> got) {
        assertEquals(want.length, got.size(), what);
        for (int k = 0; k < want.length; k++) {
            assertEquals(Float.floatToRawIntBits(want[k]), Float.floatToRawIntBits(got.get(k)), what + " [" + k + "]");
        }
    }

    @Test
    void theJobScoresAGlobOfPicturesWithCaptionsAndCountsTheBadRows() throws IOException {
        Path images = dir.resolve("job/images");
        Path captions = dir.resolve("job/captions.csv");
        DemoFiles.writePictures(images, captions, 12, SEED, "png"); // sample 11's caption is empty; broken.png is text
        String out = dir.resolve("job/out.parquet").toString();
        VecnetSparkJob.Summary s = VecnetSparkJob.run(spark, "--model", model, "--images", images + "/*.png",
                "--captions", captions.toString(), "--out", out, "--top", "2");
        assertEquals(13, s.rows());
        assertEquals(2, s.bad());
        assertEquals(2, s.examples().size(), s.examples().toString());

        List<Row> rows = spark.read().parquet(out).collectAsList();
        assertEquals(List.of("path", "text", "label", "top", "probabilities", "error"), Arrays.asList(rows.get(0).schema()
                .fieldNames()));
        int good = 0;
        for (Row r : rows) {
            String file = Path.of(r.getString(0)).getFileName().toString();
            if (file.equals("broken.png")) {
                assertTrue(r.<String>getAs("error").startsWith("bad image"), r.toString());
            } else if (file.equals("shape_011.png")) {
                assertEquals("no text", r.getAs("error")); // Spark's CSV reader reads an empty field as null
            } else {
                int i = Integer.parseInt(file.substring(6, 9));
                SparkTests.assertSame(file, reference(i), r, ShapesDataset.LABELS, 2);
                good++;
            }
        }
        assertEquals(11, good);

        VecnetSparkJob.Summary f = VecnetSparkJob.run(spark, "--model", model, "--images", images + "/*.png",
                "--captions", captions.toString(), "--out", dir.resolve("job/features.parquet").toString(), "--features",
                "--text-features");
        assertEquals(13, f.rows());
        assertEquals(2, f.bad());

        // a wrong model path fails on the driver, before any task, with one clear line
        String noModel = dir.resolve("no-such-model").toString();
        RuntimeException e = assertThrows(UncheckedIOException.class, () -> VecnetSparkJob.run(spark, "--model", noModel,
                "--images", images + "/*.png", "--captions", captions.toString(), "--out",
                dir.resolve("job/never.parquet").toString()));
        assertEquals("model " + noModel + " does not exist", e.getMessage());
    }

    @Test
    void theJobRefusesABadCommandLineWithOneClearLine() {
        assertEquals("--out is required", assertThrows(IllegalArgumentException.class,
                () -> VecnetSparkJob.Options.parse("--model", "m", "--images", "x")).getMessage());
        assertEquals("--top must be a whole number >= 1, got '0'", assertThrows(IllegalArgumentException.class,
                () -> VecnetSparkJob.Options.parse("--model", "m", "--images", "x", "--out", "o", "--top", "0")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VecnetSparkJob.Options.parse("--model", "m",
                "--images", "x", "--out", "o")).getMessage().startsWith("--captions is required"));
        // image features need no captions
        assertNull(VecnetSparkJob.Options.parse("--model", "m", "--images", "x", "--out", "o", "--features").captions());
    }

    @Test
    void aGlobInTheLastPartIsReadAsItsFolderWithAFilter() {
        assertEquals(List.of("hdfs:///data/pics", "*.jpg"), Arrays.asList(VecnetSparkJob.globInName("hdfs:///data/pics/*.jpg")));
        assertEquals(List.of("/tmp/x", "{a,b}?.png"), Arrays.asList(VecnetSparkJob.globInName("/tmp/x/{a,b}?.png")));
        assertEquals(List.of("s3a://bucket", "*"), Arrays.asList(VecnetSparkJob.globInName("s3a://bucket/*")));
        for (String asGiven : new String[] {"/tmp/x/a.jpg", "/tmp/x", "/tmp/x/", "*.jpg", "/*.jpg", "/tmp/*/a.jpg",
                "/tmp/x*/*.jpg", "/tmp/{a/b,c}/*.jpg", "file:/*.jpg", "/tmp//*.jpg"}) {
            assertNull(VecnetSparkJob.globInName(asGiven), asGiven);
        }
    }

    @Test
    void theFolderWithAFilterReadsTheFilesTheGlobNames() throws IOException {
        Path pics = Files.createDirectories(dir.resolve("glob-pictures"));
        for (String name : new String[] {"a.jpg", "b.png", "c.jpg", "dd.jpg"}) {
            Files.write(pics.resolve(name), name.getBytes(StandardCharsets.UTF_8));
        }
        for (String glob : new String[] {"*.jpg", "?.jpg", "{a,b}.*", "*"}) {
            String images = pics + "/" + glob;
            assertNotNull(VecnetSparkJob.globInName(images));
            List<String> filtered = VecnetSparkJob.pictures(spark, images).select("path").orderBy("path")
                    .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
            List<String> globbed = spark.read().format("binaryFile").load(images).select("path").orderBy("path")
                    .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
            assertEquals(globbed, filtered, glob);
            assertFalse(filtered.isEmpty(), glob);
        }
        // a folder inside is not read into (a glob would list every file of a folder whose name matches it)
        Files.write(Files.createDirectories(pics.resolve("e.jpg")).resolve("f.png"), new byte[] {1});
        List<String> names = VecnetSparkJob.pictures(spark, pics + "/*.jpg").select("path").orderBy("path")
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        assertEquals(3, names.size(), names.toString());
        assertTrue(names.get(0).endsWith("/a.jpg") && names.get(1).endsWith("/c.jpg") && names.get(2).endsWith("/dd.jpg"), names.toString());
        // a partition-style folder beside another: Spark refuses the folder, so the glob is read as given
        Files.write(Files.createDirectories(pics.resolve("k=1")).resolve("g.jpg"), new byte[] {2});
        List<String> mixed = VecnetSparkJob.pictures(spark, pics + "/*.jpg").select("path").orderBy("path")
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        List<String> globbed = spark.read().format("binaryFile").load(pics + "/*.jpg").select("path").orderBy("path")
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        assertEquals(globbed, mixed);
        assertTrue(mixed.stream().anyMatch(p -> p.endsWith("/a.jpg")), mixed.toString());
    }
}
