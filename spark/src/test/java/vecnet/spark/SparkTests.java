package vecnet.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import vecnet.engine.ComputePool;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What the Spark tests share: a small local session, the demo model as a folder, fresh pictures and their answers. */
final class SparkTests {
    /** Columns of the test DataFrames: a row number, the PNG bytes, the question. */
    static final StructType PICTURES = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("image", DataTypes.BinaryType, true)
            .add("text", DataTypes.StringType, true);

    private SparkTests() {
    }

    /** local[2], no UI, few shuffle partitions, bound to the loopback address. */
    static SparkSession session() {
        return SparkSession.builder()
                .appName("vecnet-spark-test")
                .master("local[2]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate();
    }

    /** The bundled demo model written out as a model folder. */
    static Path demoModelFolder(Path dir) throws IOException {
        return DemoFiles.writeModel(dir.resolve("model"));
    }

    /** Pictures {@code 0 .. n-1} of {@code ShapesDataset(seed)} as (id, PNG bytes, question) rows, in {@code partitions} partitions. */
    static Dataset<Row> pictures(SparkSession spark, long seed, int n, int partitions) {
        ShapesDataset data = new ShapesDataset(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ShapesDataset.Sample s = data.sample(i);
            rows.add(RowFactory.create(i, DemoFiles.encode(s.image(), "png"), s.question()));
        }
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions),
                PICTURES);
    }

    /** What DemoModel answers in plain Java, one picture at a time, for pictures {@code 0 .. n-1} of {@code seed}. */
    static List<Prediction> reference(long seed, int n) throws IOException {
        DemoModel demo = DemoModel.load(ComputePool.sequential());
        ShapesDataset data = new ShapesDataset(seed);
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ShapesDataset.Sample s = data.sample(i);
            out.add(demo.predict(s.image(), s.question()));
        }
        return out;
    }

    /**
     * Checks that {@code (label, probabilities, top)} of a scored row are the reference prediction's,
     * the probabilities bit for bit, and that the row has no error.
     */
    static void assertSame(String what, Prediction want, Row got, List<String> labels, int topK) {
        assertNull(got.getAs("error"), what + ": unexpected error");
        assertEquals(labels.get(want.label()), got.getAs("label"), what + ": label");
        List<Float> probabilities = got.getList(got.fieldIndex("probabilities"));
        float[] p = want.probabilities();
        assertEquals(p.length, probabilities.size(), what + ": number of probabilities");
        for (int k = 0; k < p.length; k++) {
            assertEquals(Float.floatToRawIntBits(p[k]), Float.floatToRawIntBits(probabilities.get(k)),
                    what + ": probability " + k + " is " + probabilities.get(k) + ", DemoModel says " + p[k]);
        }
        List<Row> top = got.getList(got.fieldIndex("top"));
        assertEquals(topK, top.size(), what + ": top-k length");
        assertEquals(labels.get(want.label()), top.get(0).getString(0), what + ": best of top");
        for (int r = 1; r < top.size(); r++) {
            if (top.get(r).getFloat(1) > top.get(r - 1).getFloat(1)) {
                throw new AssertionError(what + ": top is not sorted: " + top);
            }
        }
    }
}
