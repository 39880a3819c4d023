package vecnet.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.ArraySeq;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.train.FeaturesFile;

/**
 * The plain Dataset API: scores a DataFrame of (image, text) rows with a vecnet model, or extracts
 * their features, adding columns and keeping the input's.
 *
 * <pre>{@code
 * Dataset<Row> scored = VecnetScorer.of("hdfs:///models/shapes")      // a model folder (see ModelSource)
 *         .withImageCol("content").withTextCol("text").withTopK(3)
 *         .predict(df);   // + label string, top array<struct<label, probability>>, probabilities array<float>, error string
 * Dataset<Row> features = VecnetScorer.of(model).features(df, true);  // + image_features, text_features, error
 * }</pre>
 *
 * The image column holds either the encoded bytes ({@code binary}, e.g. {@code content} of Spark's
 * {@code binaryFile} source) or a path ({@code string}) that the executors open with Hadoop. Each
 * task loads nothing itself: it takes the model from its JVM's {@link ModelCache} and works through
 * its partition in batches of {@link #batchSize()} rows.
 *
 * <p><b>Bad rows</b> never fail the job: no image, an image that cannot be read or decoded, or an
 * empty text gives null results and the reason in the error column. The error column is null on
 * good rows, so {@code df.where(col("error").isNotNull()).count()} counts the bad ones.
 *
 * <p>Immutable; the {@code with...} methods return a copy. Serializable: it travels with the tasks.
 */
public final class VecnetScorer implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Default column names, as the {@link VecnetTransformer}'s params. */
    public static final String IMAGE = "image", TEXT = "text", LABEL = "label", TOP = "top", PROBABILITIES = "probabilities",
            ERROR = "error", IMAGE_FEATURES = "image_features", TEXT_FEATURES = "text_features";

    /** {@code array<struct<label: string, probability: float>>}, best first. */
    public static final DataType TOP_TYPE = DataTypes.createArrayType(DataTypes.createStructType(new StructField[] {
        DataTypes.createStructField("label", DataTypes.StringType, false),
        DataTypes.createStructField("probability", DataTypes.FloatType, false)}), false);
    /** {@code array<float>}, in class order. */
    public static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);

    private final ModelSource source;
    private final String imageCol, textCol, labelCol, topCol, probabilitiesCol, errorCol;
    private final int topK, batchSize;

    private VecnetScorer(ModelSource source, String imageCol, String textCol, String labelCol, String topCol,
                         String probabilitiesCol, String errorCol, int topK, int batchSize) {
        this.source = Objects.requireNonNull(source, "source");
        this.imageCol = imageCol;
        this.textCol = textCol;
        this.labelCol = labelCol;
        this.topCol = topCol;
        this.probabilitiesCol = probabilitiesCol;
        this.errorCol = errorCol;
        if (topK < 1) {
            throw new IllegalArgumentException("top-k must be at least 1, got " + topK);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.topK = topK;
        this.batchSize = batchSize;
    }

    /** A scorer of the model folder or file at {@code model} (any Hadoop path; see {@link ModelSource}). */
    public static VecnetScorer of(String model) {
        return of(ModelSource.of(model));
    }

    public static VecnetScorer of(ModelSource source) {
        return new VecnetScorer(source, IMAGE, TEXT, LABEL, TOP, PROBABILITIES, ERROR, 5, 16);
    }

    public VecnetScorer withSource(ModelSource s) {
        return new VecnetScorer(s, imageCol, textCol, labelCol, topCol, probabilitiesCol, errorCol, topK, batchSize);
    }

    /** The input column holding the encoded image ({@code binary}) or its path ({@code string}); default {@value #IMAGE}. */
    public VecnetScorer withImageCol(String c) {
        return new VecnetScorer(source, c, textCol, labelCol, topCol, probabilitiesCol, errorCol, topK, batchSize);
    }

    /** The input column holding the text ({@code string}); default {@value #TEXT}. */
    public VecnetScorer withTextCol(String c) {
        return new VecnetScorer(source, imageCol, c, labelCol, topCol, probabilitiesCol, errorCol, topK, batchSize);
    }

    /** The output columns: label, top-k, probabilities, error; defaults {@value #LABEL}, {@value #TOP}, ... */
    public VecnetScorer withOutputCols(String label, String top, String probabilities, String error) {
        return new VecnetScorer(source, imageCol, textCol, label, top, probabilities, error, topK, batchSize);
    }

    /** How many classes the top column lists (fewer if the model has fewer); default 5. */
    public VecnetScorer withTopK(int k) {
        return new VecnetScorer(source, imageCol, textCol, labelCol, topCol, probabilitiesCol, errorCol, k, batchSize);
    }

    /** Rows per model call inside a task; default 16. Results do not depend on it. */
    public VecnetScorer withBatchSize(int n) {
        return new VecnetScorer(source, imageCol, textCol, labelCol, topCol, probabilitiesCol, errorCol, topK, n);
    }

    public ModelSource source() {
        return source;
    }

    public String imageCol() {
        return imageCol;
    }

    public String textCol() {
        return textCol;
    }

    public int topK() {
        return topK;
    }

    public int batchSize() {
        return batchSize;
    }

    // ------------------------------------------------------------------------------- predict

    /** The input schema plus label, top, probabilities and error; checks the input columns' types. */
    public StructType predictSchema(StructType in) {
        imageIsPath(in);
        requireType(in, textCol, DataTypes.StringType);
        return add(in, DataTypes.createStructField(labelCol, DataTypes.StringType, true),
                DataTypes.createStructField(topCol, TOP_TYPE, true),
                DataTypes.createStructField(probabilitiesCol, FLOATS, true),
                DataTypes.createStructField(errorCol, DataTypes.StringType, true));
    }

    /** {@code df} with label, top, probabilities and error columns added (see the class comment). */
    public Dataset<Row> predict(Dataset<Row> df) {
        StructType out = predictSchema(df.schema());
        HadoopConf conf = checkedConf(df.sparkSession());
        return df.mapPartitions(new Scoring(this, conf, df.schema(), false, false), Encoders.row(out));
    }

    // ------------------------------------------------------------------------------- features

    /** The input schema plus image_features, text_features (when {@code withText}) and error. */
    public StructType featuresSchema(StructType in, boolean withText) {
        imageIsPath(in);
        if (withText) {
            requireType(in, textCol, DataTypes.StringType);
            return add(in, DataTypes.createStructField(IMAGE_FEATURES, FLOATS, true),
                    DataTypes.createStructField(TEXT_FEATURES, FLOATS, true),
                    DataTypes.createStructField(errorCol, DataTypes.StringType, true));
        }
        return add(in, DataTypes.createStructField(IMAGE_FEATURES, FLOATS, true),
                DataTypes.createStructField(errorCol, DataTypes.StringType, true));
    }

    /**
     * {@code df} with the image branch's features (512 floats for the seed model) in
     * {@value #IMAGE_FEATURES}, the text branch's (256) in {@value #TEXT_FEATURES} when {@code withText},
     * and the error column. Without text, the text column is not read. The model is loaded on the
     * driver too, once, to record which image branch computes the features: the
     * {@value #IMAGE_FEATURES} column's metadata holds its digest under
     * {@code FeaturesFile.DIGEST_KEY}, which {@code vecnet train --features} checks against its
     * {@code --init}.
     */
    public Dataset<Row> features(Dataset<Row> df, boolean withText) {
        StructType out = featuresSchema(df.schema(), withText);
        HadoopConf conf = checkedConf(df.sparkSession());
        // which image branch computed them, in the column's metadata (Parquet keeps it): vecnet train checks its --init
        String digest = ModelCache.get(source, conf.get()).imageBranchDigest();
        return df.mapPartitions(new Scoring(this, conf, df.schema(), true, withText), Encoders.row(out))
                .withMetadata(IMAGE_FEATURES, new MetadataBuilder().putString(FeaturesFile.DIGEST_KEY, digest).build());
    }

    /**
     * The session's Hadoop configuration, once the model's files are found with it: a wrong model
     * path fails here, on the driver, in one line, rather than in every task.
     */
    HadoopConf checkedConf(SparkSession spark) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            source.resolve(conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        return new HadoopConf(conf);
    }

    // ------------------------------------------------------------------------------- one row (the SQL function)

    /** The struct the SQL function returns: label, top, probabilities, error. */
    StructType resultType() {
        return DataTypes.createStructType(new StructField[] {
            DataTypes.createStructField(LABEL, DataTypes.StringType, true),
            DataTypes.createStructField(TOP, TOP_TYPE, true),
            DataTypes.createStructField(PROBABILITIES, FLOATS, true),
            DataTypes.createStructField(ERROR, DataTypes.StringType, true)});
    }

    /** One row scored alone: image bytes or a path, and a text; the values of {@link #resultType()}. */
    Object[] scoreOne(Object image, String text, Configuration conf) {
        VecnetModel model = ModelCache.get(source, conf);
        VecnetModel.Input in = input(image, text, conf);
        return resultValues(model, model.classify(List.of(in)).get(0));
    }

    // ------------------------------------------------------------------------------- inside a task

    /** The function each task runs on its partition: rows in, rows with the new columns out, a batch at a time. */
    private static final class Scoring implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;

        private final VecnetScorer scorer;
        private final HadoopConf conf;
        private final int image, text;
        private final boolean imageIsPath, features, withText;

        Scoring(VecnetScorer scorer, HadoopConf conf, StructType in, boolean features, boolean withText) {
            this.scorer = scorer;
            this.conf = conf;
            this.image = in.fieldIndex(scorer.imageCol);
            this.imageIsPath = scorer.imageIsPath(in);
            this.text = !features || withText ? in.fieldIndex(scorer.textCol) : -1;
            this.features = features;
            this.withText = withText;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new Batches(rows, scorer.batchSize, batch -> {
                VecnetModel model = ModelCache.get(scorer.source, conf.get()); // loaded by the first batch of this JVM
                List<VecnetModel.Input> inputs = new ArrayList<>(batch.size());
                for (Row r : batch) {
                    Object img = r.isNullAt(image) ? null : imageIsPath ? r.getString(image) : r.get(image);
                    inputs.add(input(img, text < 0 || r.isNullAt(text) ? null : r.getString(text), conf.get()));
                }
                List<Row> out = new ArrayList<>(batch.size());
                if (features) {
                    List<VecnetModel.Features> f = model.features(inputs, withText);
                    for (int i = 0; i < batch.size(); i++) {
                        VecnetModel.Features x = f.get(i);
                        out.add(withText ? append(batch.get(i), seq(x.image()), seq(x.text()), x.error())
                                : append(batch.get(i), seq(x.image()), x.error()));
                    }
                } else {
                    List<VecnetModel.Scored> s = model.classify(inputs);
                    for (int i = 0; i < batch.size(); i++) {
                        out.add(append(batch.get(i), scorer.resultValues(model, s.get(i))));
                    }
                }
                return out;
            });
        }
    }

    /** Pulls {@code size} rows at a time from {@code in}, hands them to {@code work}, and yields its rows. */
    private static final class Batches implements Iterator<Row> {
        interface Work {
            List<Row> apply(List<Row> batch);
        }

        private final Iterator<Row> in;
        private final int size;
        private final Work work;
        private final ArrayDeque<Row> ready = new ArrayDeque<>();

        Batches(Iterator<Row> in, int size, Work work) {
            this.in = in;
            this.size = size;
            this.work = work;
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && in.hasNext()) {
                List<Row> batch = new ArrayList<>(size);
                while (batch.size() < size && in.hasNext()) {
                    batch.add(in.next());
                }
                ready.addAll(work.apply(batch));
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }
    }

    /** A row's image (bytes, or a path read here) and text; a path that cannot be read makes a bad row. */
    private static VecnetModel.Input input(Object image, String text, Configuration conf) {
        if (image instanceof String path) {
            try {
                return new VecnetModel.Input(read(path, conf), text);
            } catch (IOException | RuntimeException e) {
                return new VecnetModel.Input(null, text, e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
        return new VecnetModel.Input((byte[]) image, text);
    }

    private static byte[] read(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            return in.readAllBytes();
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException("no such file " + path);
        }
    }

    /** label, top, probabilities, error of one result. */
    private Object[] resultValues(VecnetModel model, VecnetModel.Scored s) {
        if (s.error() != null) {
            return new Object[] {null, null, null, s.error()};
        }
        Prediction p = s.prediction();
        int[] best = topK(p.probabilities(), topK);
        Row[] top = new Row[best.length];
        for (int r = 0; r < best.length; r++) {
            top[r] = RowFactory.create(model.labels().get(best[r]), p.probabilities()[best[r]]);
        }
        return new Object[] {model.labels().get(p.label()), seq(top), seq(p.probabilities().clone()), null};
    }

    /** The indices of the {@code k} largest values, largest first; ties to the lower index. */
    static int[] topK(float[] values, int k) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(values[b], values[a])); // stable: equal values keep index order
        int[] out = new int[Math.min(k, order.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[i];
        }
        return out;
    }

    /** An array as the Scala {@code Seq} that Spark's row encoder wants for an {@code array<...>} value (no copy). */
    private static Object seq(Object array) {
        return array == null ? null : ArraySeq.unsafeWrapArray(array);
    }

    private static Row append(Row row, Object... values) {
        Object[] all = new Object[row.size() + values.length];
        for (int i = 0; i < row.size(); i++) {
            all[i] = row.get(i);
        }
        System.arraycopy(values, 0, all, row.size(), values.length);
        return RowFactory.create(all);
    }

    private static StructType add(StructType in, StructField... fields) {
        StructType out = in;
        for (StructField f : fields) {
            if (Arrays.asList(in.fieldNames()).contains(f.name())) {
                throw new IllegalArgumentException("the input already has a column '" + f.name() + "'; choose another"
                        + " output column name");
            }
            out = out.add(f);
        }
        return out;
    }

    /** True if the image column holds paths (string), false if bytes (binary); refuses other types. */
    private boolean imageIsPath(StructType in) {
        DataType t = type(in, imageCol);
        if (t.equals(DataTypes.BinaryType) || t.equals(DataTypes.StringType)) {
            return t.equals(DataTypes.StringType);
        }
        throw new IllegalArgumentException("image column '" + imageCol + "' must be binary (the encoded image) or string"
                + " (its path), not " + t.simpleString());
    }

    private static void requireType(StructType in, String col, DataType want) {
        DataType t = type(in, col);
        if (!t.equals(want)) {
            throw new IllegalArgumentException("column '" + col + "' must be " + want.simpleString() + ", not " + t.simpleString());
        }
    }

    private static DataType type(StructType in, String col) {
        if (!Arrays.asList(in.fieldNames()).contains(col)) {
            throw new IllegalArgumentException("no column '" + col + "' in " + in.simpleString());
        }
        return in.apply(col).dataType();
    }
}
