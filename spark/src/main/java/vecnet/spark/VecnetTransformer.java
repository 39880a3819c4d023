package vecnet.spark;

import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that scores (image, text) rows with a vecnet model: it fits in a
 * {@code Pipeline}, and saves and loads with it (its params only: the model stays where
 * {@link #modelPath()} points, and is loaded on the executors when the pipeline runs).
 *
 * <pre>{@code
 * VecnetTransformer t = new VecnetTransformer().setModelPath("hdfs:///models/shapes").setImageCol("content");
 * PipelineModel p = new Pipeline().setStages(new PipelineStage[] {t}).fit(df);
 * p.write().save("hdfs:///pipelines/shapes");
 * PipelineModel.load("hdfs:///pipelines/shapes").transform(df);  // + label, top, probabilities, error
 * }</pre>
 *
 * Same columns, same results, same bad-row handling as {@link VecnetScorer#predict}, which does the
 * work.
 */
public final class VecnetTransformer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> modelPath, vocabPath, labelsPath, imageCol, textCol, labelCol, topCol, probabilitiesCol,
            errorCol;
    private final IntParam topK, batchSize;

    public VecnetTransformer() {
        this(Identifiable.randomUID("vecnet"));
    }

    /** The constructor {@code DefaultParamsReader} calls when loading. */
    public VecnetTransformer(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "the model folder or weights file, on any Hadoop path");
        vocabPath = new Param<>(this, "vocabPath", "the vocabulary, when modelPath is a weights file ('' to look in the folder)");
        labelsPath = new Param<>(this, "labelsPath", "the class names, one per line ('' to look in the folder)");
        imageCol = new Param<>(this, "imageCol", "input column: the encoded image (binary) or its path (string)");
        textCol = new Param<>(this, "textCol", "input column: the text (string)");
        labelCol = new Param<>(this, "labelCol", "output column: the winning class name");
        topCol = new Param<>(this, "topCol", "output column: the topK classes and probabilities, best first");
        probabilitiesCol = new Param<>(this, "probabilitiesCol", "output column: the softmax, in class order");
        errorCol = new Param<>(this, "errorCol", "output column: why a row could not be scored, null when it was");
        topK = new IntParam(this, "topK", "how many classes the top column lists (>= 1)");
        batchSize = new IntParam(this, "batchSize", "rows per model call inside a task (>= 1)");
        setDefault(vocabPath, "");
        setDefault(labelsPath, "");
        setDefault(imageCol, VecnetScorer.IMAGE);
        setDefault(textCol, VecnetScorer.TEXT);
        setDefault(labelCol, VecnetScorer.LABEL);
        setDefault(topCol, VecnetScorer.TOP);
        setDefault(probabilitiesCol, VecnetScorer.PROBABILITIES);
        setDefault(errorCol, VecnetScorer.ERROR);
        setDefault(topK, 5);
        setDefault(batchSize, 16);
    }

    @Override
    public String uid() {
        return uid;
    }

    // Params are found by reflection (public methods returning a Param), as Spark's own transformers.

    public Param<String> modelPath() {
        return modelPath;
    }

    public Param<String> vocabPath() {
        return vocabPath;
    }

    public Param<String> labelsPath() {
        return labelsPath;
    }

    public Param<String> imageCol() {
        return imageCol;
    }

    public Param<String> textCol() {
        return textCol;
    }

    public Param<String> labelCol() {
        return labelCol;
    }

    public Param<String> topCol() {
        return topCol;
    }

    public Param<String> probabilitiesCol() {
        return probabilitiesCol;
    }

    public Param<String> errorCol() {
        return errorCol;
    }

    public IntParam topK() {
        return topK;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public VecnetTransformer setModelPath(String v) {
        set(modelPath, v);
        return this;
    }

    public VecnetTransformer setVocabPath(String v) {
        set(vocabPath, v);
        return this;
    }

    public VecnetTransformer setLabelsPath(String v) {
        set(labelsPath, v);
        return this;
    }

    public VecnetTransformer setImageCol(String v) {
        set(imageCol, v);
        return this;
    }

    public VecnetTransformer setTextCol(String v) {
        set(textCol, v);
        return this;
    }

    public VecnetTransformer setLabelCol(String v) {
        set(labelCol, v);
        return this;
    }

    public VecnetTransformer setTopCol(String v) {
        set(topCol, v);
        return this;
    }

    public VecnetTransformer setProbabilitiesCol(String v) {
        set(probabilitiesCol, v);
        return this;
    }

    public VecnetTransformer setErrorCol(String v) {
        set(errorCol, v);
        return this;
    }

    public VecnetTransformer setTopK(int v) {
        if (v < 1) {
            throw new IllegalArgumentException("topK must be at least 1, got " + v);
        }
        set(topK, v);
        return this;
    }

    public VecnetTransformer setBatchSize(int v) {
        if (v < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + v);
        }
        set(batchSize, v);
        return this;
    }

    /** The Dataset API configured with this transformer's params. */
    public VecnetScorer scorer() {
        if (!isDefined(modelPath)) {
            throw new IllegalArgumentException("VecnetTransformer " + uid + ": modelPath is not set");
        }
        return VecnetScorer.of(new ModelSource(getOrDefault(modelPath), getOrDefault(vocabPath), getOrDefault(labelsPath)))
                .withImageCol(getOrDefault(imageCol))
                .withTextCol(getOrDefault(textCol))
                .withOutputCols(getOrDefault(labelCol), getOrDefault(topCol), getOrDefault(probabilitiesCol),
                        getOrDefault(errorCol))
                .withTopK((Integer) getOrDefault(topK))
                .withBatchSize((Integer) getOrDefault(batchSize));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        return scorer().predict(dataset.toDF());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return scorer().predictSchema(schema);
    }

    @Override
    public VecnetTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Reads a transformer saved with {@code write().save(path)}; also what {@code PipelineModel.load} calls. */
    public static MLReader<VecnetTransformer> read() {
        return new DefaultParamsReader<>();
    }

    public static VecnetTransformer load(String path) {
        return read().load(path);
    }
}
