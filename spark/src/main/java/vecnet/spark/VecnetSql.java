package vecnet.spark;

import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;

/**
 * The SQL function {@code vecnet_predict(image, text)}: after one {@link #register} call,
 *
 * <pre>{@code
 * VecnetSql.register(spark, VecnetScorer.of("hdfs:///models/shapes").withTopK(3));
 * spark.sql("SELECT path, vecnet_predict(content, text).label FROM pictures");
 * }</pre>
 *
 * {@code image} is the encoded image ({@code binary}) or its path ({@code string}); the result is
 * a {@code struct<label: string, top: array<struct<label, probability>>, probabilities: array<float>,
 * error: string>}, with the same values as {@link VecnetScorer#predict} (bad rows: nulls and the
 * reason in {@code error}). A SQL function sees one row per call, so each call is a batch of one; the
 * model is still loaded once per executor JVM.
 */
public final class VecnetSql {
    /** The function's name. */
    public static final String FUNCTION = "vecnet_predict";

    private VecnetSql() {
    }

    /** Registers {@value #FUNCTION} in {@code spark} for the scorer's model and top-k (its column settings are not used). */
    public static void register(SparkSession spark, VecnetScorer scorer) {
        HadoopConf conf = scorer.checkedConf(spark);
        UDF2<Object, String, Object> predict = (image, text) -> RowFactory.create(scorer.scoreOne(image, text, conf.get()));
        spark.udf().register(FUNCTION, predict, scorer.resultType());
    }

    /** As {@link #register(SparkSession, VecnetScorer)} with the model folder or file at {@code model}. */
    public static void register(SparkSession spark, String model) {
        register(spark, VecnetScorer.of(model));
    }
}
