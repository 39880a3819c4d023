package vecnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.demo.ShapesDataset;

/**
 * 200 fresh demo pictures scored through the Dataset API, the ML Transformer (in a Pipeline saved
 * and loaded back) and the SQL function give DemoModel's predictions in plain Java, bit for bit.
 */
class ThreeApisTest {
    private static final long SEED = 2027; // not the training seed (1), not the demo's (2026)
    private static final int N = 200;

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static Dataset<Row> pictures;
    private static List<Prediction> reference;
    private static String model;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTests.session();
        model = SparkTests.demoModelFolder(dir).toString();
        pictures = SparkTests.pictures(spark, SEED, N, 5).cache();
        reference = SparkTests.reference(SEED, N);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** Rows sorted by id, each checked against DemoModel's prediction for that picture. */
    private static void assertMatchesDemoModel(String api, List<Row> rows, int topK) {
        assertEquals(N, rows.size(), api + ": rows");
        rows = rows.stream().sorted((a, b) -> Integer.compare(a.getInt(a.fieldIndex("id")), b.getInt(b.fieldIndex("id"))))
                .toList();
        for (int i = 0; i < N; i++) {
            assertEquals(i, rows.get(i).getInt(rows.get(i).fieldIndex("id")));
            SparkTests.assertSame(api + ", picture " + i, reference.get(i), rows.get(i), ShapesDataset.LABELS, topK);
        }
    }

    @Test
    void datasetApiGivesDemoModelsPredictionsAndLoadsTheModelOncePerJvm() {
        int before = ModelCache.loads();
        VecnetScorer scorer = VecnetScorer.of(model).withTopK(3).withBatchSize(7);
        List<Row> rows = scorer.predict(pictures).collectAsList();
        assertMatchesDemoModel("Dataset API", rows, 3);
        int after = ModelCache.loads();
        assertTrue(after - before <= 1, "5 partitions loaded the model " + (after - before) + " times");
        // another job, another batch size: same answers, no new load
        assertMatchesDemoModel("Dataset API, batch 1", scorer.withBatchSize(1).predict(pictures).collectAsList(), 3);
        assertEquals(after, ModelCache.loads(), "a second job loaded the model again");
        assertTrue(after >= 1);
    }

    @Test
    void transformerInAPipelineSavedAndLoadedGivesDemoModelsPredictions() throws IOException {
        VecnetTransformer t = new VecnetTransformer().setModelPath(model).setTopK(4).setBatchSize(16);
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {t}).fit(pictures);
        String saved = dir.resolve("pipeline").toString();
        fitted.write().overwrite().save(saved);

        PipelineModel loaded = PipelineModel.load(saved);
        assertEquals(1, loaded.stages().length);
        VecnetTransformer back = assertInstanceOf(VecnetTransformer.class, loaded.stages()[0]);
        assertEquals(t.uid(), back.uid());
        assertEquals(model, back.getOrDefault(back.modelPath()));
        assertEquals(4, back.getOrDefault(back.topK()));
        assertMatchesDemoModel("Transformer (loaded Pipeline)", loaded.transform(pictures).collectAsList(), 4);

        // the transformer alone saves and loads too
        String alone = dir.resolve("transformer").toString();
        t.write().overwrite().save(alone);
        assertEquals(t.extractParamMap().toString(), VecnetTransformer.load(alone).extractParamMap().toString());
    }

    @Test
    void sqlFunctionGivesDemoModelsPredictions() {
        VecnetSql.register(spark, VecnetScorer.of(model).withTopK(2));
        pictures.createOrReplaceTempView("pictures");
        List<Row> rows = spark.sql("SELECT id, p.label, p.top, p.probabilities, p.error"
                + " FROM (SELECT id, vecnet_predict(image, text) AS p FROM pictures)").collectAsList();
        assertMatchesDemoModel("SQL function", rows, 2);
    }
}
