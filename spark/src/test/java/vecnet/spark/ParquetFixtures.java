package vecnet.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Parquet written by Spark, for the tests of the library's own reader ({@code vecnet.multimodal.parquet},
 * which cannot run Spark): the same awkward rows in each layout Spark writes, and the output folder
 * of the job's {@code --features} run on 6 demo pictures. Committed under {@code multimodal/src/test/resources/vecnet/parquet/}; regenerate with
 * {@code spark/write-parquet-fixtures}. {@code ParquetFileTest} recomputes the rows from the same
 * formula ({@link #awkward}) and compares.
 */
final class ParquetFixtures {
    /** Each layout: file name → the writer options (Spark passes them to parquet-java). */
    static final Map<String, Map<String, String>> LAYOUTS = layouts();

    private ParquetFixtures() {
    }

    private static Map<String, Map<String, String>> layouts() {
        Map<String, Map<String, String>> m = new LinkedHashMap<>();
        m.put("snappy-dictionary.parquet", Map.of()); // Spark's default: snappy, dictionaries, data pages v1
        m.put("gzip-plain.parquet", Map.of("compression", "gzip", "parquet.enable.dictionary", "false"));
        m.put("uncompressed-pages.parquet", Map.of("compression", "none", "parquet.page.size", "1024",
                "parquet.block.size", "8192", "parquet.page.size.row.check.min", "5",
                "parquet.block.size.row.check.min", "5", "parquet.block.size.row.check.max", "20"));
        m.put("v2-pages.parquet", Map.of("parquet.writer.version", "PARQUET_2_0", "parquet.page.size", "2048",
                "parquet.page.size.row.check.min", "5"));
        return m;
    }

    /**
     * {@code n} rows of {@code (s string, f array<float> (no null element), g array<float> (null
     * elements allowed, none present))}: row {@code i}'s s is null when {@code i % 7 == 3}, f is null
     * when {@code i % 11 == 5} and empty when {@code i % 13 == 0}, g is null when {@code i % 5 == 2};
     * the rest drawn from {@code SplittableRandom(11)} in row order (see the code, which
     * {@code ParquetFileTest} repeats).
     */
    static List<Object[]> awkwardValues(int n, int maxLength) {
        SplittableRandom r = new SplittableRandom(11);
        String[] words = {"", "a", "naïve ✓ 𝄞", "what colour is the shape", "x,y \"quoted\""};
        float[] specials = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE};
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String s = i % 7 == 3 ? null : words[r.nextInt(words.length)] + (r.nextInt(3) == 0 ? "-" + i : "");
            float[] f = null;
            if (i % 11 != 5) {
                f = new float[i % 13 == 0 ? 0 : 1 + r.nextInt(maxLength)];
                for (int k = 0; k < f.length; k++) {
                    f[k] = r.nextInt(10) == 0 ? specials[r.nextInt(specials.length)] : (float) r.nextGaussian();
                }
            }
            float[] g = i % 5 == 2 ? null : new float[] {i, i % 3};
            rows.add(new Object[] {s, f, g});
        }
        return rows;
    }

    static Dataset<Row> awkward(SparkSession spark, int n, int maxLength) {
        List<Row> rows = new ArrayList<>();
        for (Object[] r : awkwardValues(n, maxLength)) {
            rows.add(RowFactory.create(r));
        }
        StructType schema = new StructType().add("s", DataTypes.StringType, true)
                .add("f", DataTypes.createArrayType(DataTypes.FloatType, false), true)
                .add("g", DataTypes.createArrayType(DataTypes.FloatType, true), true);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 1), schema);
    }

    /** The one part file Spark wrote into {@code folder}. */
    static Path part(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> parts = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
            if (parts.size() != 1) {
                throw new IOException(folder + " holds " + parts.size() + " part files, expected 1");
            }
            return parts.get(0);
        }
    }

    /** Writes the fixtures into {@code args[0]} (multimodal/src/test/resources/vecnet/parquet). */
    public static void main(String[] args) throws IOException {
        Path out = Files.createDirectories(Path.of(args[0]));
        Path tmp = Files.createTempDirectory("vecnet-parquet-fixtures");
        SparkSession spark = SparkTests.session();
        try {
            Dataset<Row> df = awkward(spark, 300, 20);
            for (Map.Entry<String, Map<String, String>> e : LAYOUTS.entrySet()) {
                Path folder = tmp.resolve(e.getKey());
                df.write().options(e.getValue()).parquet(folder.toString());
                Files.copy(part(folder), out.resolve(e.getKey()), StandardCopyOption.REPLACE_EXISTING);
            }
            // the job's features (image features of the demo model, 64 values), sorted by path, with the label
            Path model = DemoFiles.writeModel(tmp.resolve("model"));
            DemoFiles.writePictures(tmp.resolve("images"), tmp.resolve("captions.csv"), 6, 7, "png");
            Path features = tmp.resolve("features");
            VecnetSparkJob.run(spark, "--model", model.toString(), "--images", tmp.resolve("images") + "/*.png",
                    "--captions", tmp.resolve("captions.csv").toString(), "--out", features.toString(), "--features",
                    "--text-features");
            Path target = Files.createDirectories(out.resolve("features.parquet"));
            try (Stream<Path> old = Files.list(target)) { // a re-run replaces the folder: no part file of an older run stays
                for (Path f : old.toList()) {
                    Files.delete(f);
                }
            }
            try (Stream<Path> files = Files.list(features)) { // Spark's output folder: part files and _SUCCESS (no .crc)
                for (Path f : files.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
                    Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.copy(tmp.resolve("captions.csv"), out.resolve("features-captions.csv"), StandardCopyOption.REPLACE_EXISTING);
        } finally {
            spark.stop();
        }
        System.out.println("wrote " + LAYOUTS.size() + " layouts and features.parquet to " + out);
    }
}
