package vecnet.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.split;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * The batch job: score (or extract the features of) every picture matched by a glob, each with its
 * caption, and write the result to Parquet.
 *
 * <pre>
 *   spark-submit --class vecnet.spark.VecnetSparkJob vecnet-spark.jar \
 *       --model M --images 'dir/*.jpg' --captions c.csv --out out.parquet
 * </pre>
 *
 * Pictures are read with Spark's {@code binaryFile} source (a glob in the file name, as above, as
 * its folder with a filter: see {@link #pictures}); {@code c.csv} has a header and the
 * columns {@code image} (the picture's file name, or a path ending with it) and {@code text}, and
 * for {@code --features} optionally {@code label}; other columns are ignored. Each picture is matched
 * to its captions by file name (a picture with two captions gives two rows; one with none gets the
 * error "no text"). Output columns: {@code path}, {@code text}, then
 * {@code label, top, probabilities, error}, or with {@code --features} the captions' {@code label}
 * (when they have one), {@code image_features} (and {@code text_features} with
 * {@code --text-features}) and {@code error}, the rows sorted by path, then text: the training rows
 * of {@code vecnet train --features}, in an order that does not depend on how Spark split the work.
 * Bad rows never stop the job: their count is printed at the end, with a few examples.
 *
 * <p>Without spark-submit ({@code java -cp ...}) the master is {@code local[*]} unless
 * {@code --master} says otherwise.
 */
public final class VecnetSparkJob {
    private static final String USAGE = String.join("\n",
            "Usage: VecnetSparkJob --model PATH --images GLOB [--captions CSV] --out PATH [options]",
            "  --model PATH       model folder (weights, *vocab*.json|txt, *labels*.txt) or weights file; any Hadoop path",
            "  --vocab PATH       vocabulary, when --model is a weights file",
            "  --labels PATH      class names, one per line (default: those in the model folder, else class0, class1, ...)",
            "  --images GLOB      pictures, e.g. 'hdfs:///data/pics/*.jpg' (quote it so the shell leaves it alone)",
            "  --captions CSV     header, then columns image (file name) and text (and label, kept by --features);",
            "                     required unless --features",
            "  --out PATH         Parquet output (must not exist unless --overwrite)",
            "  --features         write image_features (and with --text-features text_features) instead of predictions,",
            "                     rows sorted by path, then text: what `vecnet train --features` reads",
            "  --top K            classes listed in the top column (default 5)",
            "  --batch N          rows per model call inside a task (default 16)",
            "  --master URL       Spark master when not set by spark-submit (default local[*])",
            "  --overwrite        replace --out if it exists");

    /** The command line, parsed. */
    record Options(String model, String vocab, String labels, String images, String captions, String out, boolean features,
                   boolean textFeatures, int top, int batch, String master, boolean overwrite) {

        static Options parse(String... args) {
            String model = null, vocab = null, labels = null, images = null, captions = null, out = null, master = null;
            boolean features = false, textFeatures = false, overwrite = false;
            int top = 5, batch = 16;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--features" -> features = true;
                    case "--text-features" -> textFeatures = true;
                    case "--overwrite" -> overwrite = true;
                    case "--model", "--vocab", "--labels", "--images", "--captions", "--out", "--master", "--top", "--batch" -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(a + " needs a value");
                        }
                        String v = args[++i];
                        switch (a) {
                            case "--model" -> model = v;
                            case "--vocab" -> vocab = v;
                            case "--labels" -> labels = v;
                            case "--images" -> images = v;
                            case "--captions" -> captions = v;
                            case "--out" -> out = v;
                            case "--master" -> master = v;
                            case "--top" -> top = positive(a, v);
                            default -> batch = positive(a, v);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'");
                }
            }
            for (String[] required : new String[][] {{"--model", model}, {"--images", images}, {"--out", out}}) {
                if (required[1] == null) {
                    throw new IllegalArgumentException(required[0] + " is required");
                }
            }
            if (textFeatures && !features) {
                throw new IllegalArgumentException("--text-features goes with --features");
            }
            if (captions == null && (!features || textFeatures)) {
                throw new IllegalArgumentException("--captions is required (the model reads a text with each picture)");
            }
            return new Options(model, vocab, labels, images, captions, out, features, textFeatures, top, batch, master,
                    overwrite);
        }

        private static int positive(String option, String v) {
            try {
                int n = Integer.parseInt(v);
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException(option + " must be a whole number >= 1, got '" + v + "'");
        }
    }

    /**
     * What the job wrote: rows, bad rows, up to 5 examples of bad rows ({@code path: error}) and,
     * when scoring, the first 3 good ones ({@code file "text" -> label p %}).
     */
    public record Summary(String out, long rows, long bad, List<String> examples, List<String> scored) {
    }

    private VecnetSparkJob() {
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("VecnetSparkJob: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("vecnet-spark");
        if (o.master() != null) {
            builder.master(o.master());
        } else if (!new SparkConf().contains("spark.master")) {
            builder.master("local[*]");
        }
        SparkSession spark = builder.getOrCreate();
        int status = 0;
        try {
            print(run(spark, o), System.out);
        } catch (Exception e) { // SparkException is checked, and Scala throws it undeclared
            System.err.println("VecnetSparkJob: " + rootMessage(e));
            status = 1;
        } finally {
            spark.stop();
        }
        System.exit(status);
    }

    /** Runs the job in {@code spark} and reads back what it wrote to count the bad rows. */
    public static Summary run(SparkSession spark, String... args) {
        return run(spark, Options.parse(args));
    }

    static Summary run(SparkSession spark, Options o) {
        Dataset<Row> out = scored(spark, o), kept = null;
        if (o.features()) {
            // Sorting samples its input first: kept, the features are computed once, not twice.
            kept = out.persist(StorageLevel.MEMORY_AND_DISK());
            out = kept.orderBy(col("path"), col("text"));
        }
        try {
            out.write().mode(o.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(o.out());
        } finally {
            if (kept != null) {
                kept.unpersist();
            }
        }

        Dataset<Row> written = spark.read().parquet(o.out());
        Dataset<Row> bad = written.where(col(VecnetScorer.ERROR).isNotNull());
        List<String> examples = new ArrayList<>();
        for (Row r : bad.select("path", VecnetScorer.ERROR).limit(5).collectAsList()) {
            examples.add(r.getString(0) + ": " + r.getString(1));
        }
        List<String> firstGood = new ArrayList<>();
        if (!o.features()) {
            for (Row r : written.where(col(VecnetScorer.ERROR).isNull()).orderBy("path").limit(3).collectAsList()) {
                Row best = r.<Row>getList(r.fieldIndex(VecnetScorer.TOP)).get(0);
                firstGood.add(String.format(Locale.ROOT, "%s \"%s\" -> %s %.1f %%", r.getString(0).replaceAll(".*/", ""),
                        r.getString(1), best.getString(0), 100 * best.getFloat(1)));
            }
        }
        return new Summary(o.out(), written.count(), bad.count(), examples, firstGood);
    }

    /** The rows the job writes (before sorting): pictures joined to their captions, scored (or their features), without the bytes. */
    static Dataset<Row> scored(SparkSession spark, Options o) {
        Dataset<Row> pictures = pictures(spark, o.images())
                .select(col("path"), col("content"))
                .withColumn("file", element_at(split(col("path"), "/"), -1));
        Dataset<Row> rows;
        if (o.captions() != null) {
            Dataset<Row> captions = spark.read().option("header", "true").csv(o.captions());
            for (String c : List.of("image", "text")) {
                if (!Arrays.asList(captions.columns()).contains(c)) {
                    throw new IllegalArgumentException(o.captions() + " has no column '" + c + "' (its header: "
                            + String.join(",", captions.columns()) + ")");
                }
            }
            boolean label = o.features() && Arrays.asList(captions.columns()).contains(VecnetScorer.LABEL);
            captions = label
                    ? captions.select(element_at(split(col("image"), "/"), -1).as("file"), col("text"), col(VecnetScorer.LABEL))
                    : captions.select(element_at(split(col("image"), "/"), -1).as("file"), col("text"));
            rows = pictures.join(captions, pictures.col("file").equalTo(captions.col("file")), "left");
            rows = label ? rows.select(pictures.col("path"), pictures.col("content"), captions.col("text"),
                    captions.col(VecnetScorer.LABEL)) : rows.select(pictures.col("path"), pictures.col("content"),
                    captions.col("text"));
        } else {
            rows = pictures.select(col("path"), col("content"), lit(null).cast(DataTypes.StringType).as("text"));
        }
        VecnetScorer scorer = VecnetScorer.of(new ModelSource(o.model(), o.vocab(), o.labels()))
                .withImageCol("content").withTextCol("text").withTopK(o.top()).withBatchSize(o.batch());
        return (o.features() ? scorer.features(rows, o.textFeatures()) : scorer.predict(rows)).drop("content");
    }

    /**
     * The {@code binaryFile} rows of the pictures {@code images} names. A glob whose wildcards are all in
     * its last part ({@code dir/*.jpg}) is read as the folder with that part as Spark's
     * {@code pathGlobFilter}: the same files, those directly in the folder whose names match. Given as
     * a glob, the path expands to one path per file, and past 32 paths Spark lists them with a job of
     * its own, one task per file (each deserialising the Hadoop configuration): 10-16 s for 2,000
     * files on 2 local cores, against 0.1 s for the folder with the filter. The one difference: a
     * folder inside whose own name matches the glob is not read into. Where Spark cannot read the
     * folder so (partition-style subfolders such as {@code year=2024} beside others: "conflicting
     * directory structures"), and for any other path (a folder, one file, wildcards in a folder's
     * name), the path is loaded as given.
     */
    static Dataset<Row> pictures(SparkSession spark, String images) {
        String[] folderAndName = globInName(images);
        if (folderAndName != null) {
            try {
                return spark.read().format("binaryFile").option("pathGlobFilter", folderAndName[1]).load(folderAndName[0]);
            } catch (Exception e) { // Spark's own listing of the glob reads any layout; its error, if any, names the glob
            }
        }
        return spark.read().format("binaryFile").load(images);
    }

    /** {@code {folder, name pattern}} when {@code path}'s wildcards are all in its last part after a folder, else null. */
    static String[] globInName(String path) {
        int slash = path.lastIndexOf('/');
        if (slash <= 0 || slash == path.length() - 1) {
            return null;
        }
        String folder = path.substring(0, slash), name = path.substring(slash + 1);
        if (!hasWildcard(name) || hasWildcard(folder) || folder.endsWith("/") || folder.endsWith(":")) {
            return null;
        }
        return new String[] {folder, name};
    }

    /** Whether {@code s} has one of the characters of Hadoop's globs: * ? [ ] { } and the backslash. */
    private static boolean hasWildcard(String s) {
        for (int i = 0; i < s.length(); i++) {
            if ("*?[]{}\\".indexOf(s.charAt(i)) >= 0) {
                return true;
            }
        }
        return false;
    }

    static void print(Summary s, PrintStream out) {
        out.printf(Locale.ROOT, "vecnet-spark: wrote %d rows to %s: %d scored, %d bad (null results, reason in the error"
                + " column)%n", s.rows(), s.out(), s.rows() - s.bad(), s.bad());
        for (String e : s.scored()) {
            out.println("  " + e);
        }
        for (String e : s.examples()) {
            out.println("  bad: " + e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
