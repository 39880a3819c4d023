package vecnet.multimodal.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.parquet.ParquetFile;
import vecnet.multimodal.parquet.ParquetFormatException;
import vecnet.weights.internal.Json;

/**
 * Training rows from the Parquet that the Spark job writes with {@code --features} (or
 * {@code VecnetScorer.features}): each row's image features, computed on the cluster by the image
 * branch, with its text and label, so that {@code vecnet train --features} trains the text branch
 * and the head on one machine without the pictures.
 *
 * <pre>
 *   image_features  array&lt;float&gt;  F_img values (512 for ResNet-18); null on a bad row
 *   text            string        the caption; the text branch is trained on it
 *   label           string        the class name
 *   error           string        optional: why the job could not read the row (null on good rows)
 *   path            string        optional: the picture, for messages
 * </pre>
 *
 * The job also records which image branch computed the features ({@link #imageBranch}), so that
 * training on them with another model's image branch is refused. Other columns (such as
 * {@code text_features}) are ignored. {@code path} is one Parquet file or a
 * folder of them (Spark's output: its {@code part-*} files are read in name order, files starting
 * with {@code _} or {@code .} skipped), so the rows come in the order the job wrote them.
 * A row whose error is set, or that lacks features, a text or a label, is a {@link Manifest.Bad}
 * with its place ({@code file:row}) and its picture, as a bad line of a manifest is.
 */
public final class FeaturesFile {
    /**
     * The key, in the metadata of the {@code image_features} column (Spark keeps a column's metadata
     * in the Parquet footer), of {@link #imageBranchDigest} of the model that computed the features.
     */
    public static final String DIGEST_KEY = "vecnet_image_branch";
    private static final String SPARK_SCHEMA = "org.apache.spark.sql.parquet.row.metadata";

    /** Column names, as the Spark job writes them. */
    public static final String IMAGE_FEATURES = "image_features", TEXT = "text", LABEL = "label", ERROR = "error",
            PATH = "path";

    /** One good row: the image features, the text, the label name, and where it is ({@code file:row}, rows from 1). */
    public record Row(float[] features, String text, String label, String where) {
    }

    private final List<Row> rows;
    private final List<Manifest.Bad> bad;
    private final String imageBranch;

    private FeaturesFile(List<Row> rows, List<Manifest.Bad> bad, String imageBranch) {
        this.rows = List.copyOf(rows);
        this.bad = List.copyOf(bad);
        this.imageBranch = imageBranch;
    }

    /**
     * The digest of the image branch that computed the features, when the file records it (the
     * Spark job does), so that a trainer can check that its model's image branch is that one.
     */
    public java.util.Optional<String> imageBranch() {
        return java.util.Optional.ofNullable(imageBranch);
    }

    /** What identifies an image branch: the first 16 hex digits of a SHA-256 over the ResNet's tensors (names and values). */
    public static String imageBranchDigest(FusionModel model) {
        return Trainer.resnetDigest(model.resnet());
    }

    /** The good rows, in file order. */
    public List<Row> rows() {
        return rows;
    }

    /** The bad rows, in file order. */
    public List<Manifest.Bad> bad() {
        return bad;
    }

    /** Reads a Parquet file or a folder of them; see the class comment. */
    public static FeaturesFile read(Path path) throws IOException {
        List<Path> files = parts(path);
        if (files.isEmpty()) {
            throw new IOException(path + ": a folder without *.parquet files");
        }
        List<Row> rows = new ArrayList<>();
        List<Manifest.Bad> bad = new ArrayList<>();
        String digest = null;
        for (Path f : files) {
            ParquetFile p = ParquetFile.open(f);
            String d = digest(p);
            if (d != null && digest != null && !d.equals(digest)) {
                throw new ParquetFormatException(f, "features of image branch " + d + ", but " + files.get(0)
                        + " holds those of " + digest + ": files of two models in one folder");
            }
            digest = d != null ? d : digest;
            for (String c : List.of(IMAGE_FEATURES, TEXT, LABEL)) {
                if (!p.has(c)) {
                    throw new ParquetFormatException(f, "no column '" + c + "'" + (c.equals(LABEL)
                            ? " (give the Spark job a captions CSV with a label column)" : "") + "; the columns are "
                            + p.columns().stream().map(ParquetFile.Column::field).distinct().toList());
                }
            }
            List<float[]> features = p.floatLists(IMAGE_FEATURES);
            List<String> texts = p.strings(TEXT), labels = p.strings(LABEL);
            List<String> errors = p.has(ERROR) ? p.strings(ERROR) : null;
            List<String> pictures = p.has(PATH) ? p.strings(PATH) : null;
            for (int i = 0; i < features.size(); i++) {
                String where = f + ":" + (i + 1);
                String picture = pictures != null && pictures.get(i) != null ? pictures.get(i) + ": " : "";
                String text = texts.get(i), label = labels.get(i);
                if (errors != null && errors.get(i) != null) {
                    bad.add(new Manifest.Bad(where, picture + errors.get(i)));
                } else if (features.get(i) == null) {
                    bad.add(new Manifest.Bad(where, picture + "no image features"));
                } else if (text == null || text.isBlank()) {
                    bad.add(new Manifest.Bad(where, picture + "empty text"));
                } else if (label == null || label.isBlank()) {
                    bad.add(new Manifest.Bad(where, picture + "no label"));
                } else {
                    rows.add(new Row(features.get(i), text, label.strip(), where));
                }
            }
        }
        return new FeaturesFile(rows, bad, digest);
    }

    /** The digest Spark's schema (footer metadata) records for the image_features column, or null. */
    private static String digest(ParquetFile p) throws ParquetFormatException {
        String schema = p.metadata().get(SPARK_SCHEMA);
        if (schema == null) {
            return null;
        }
        try {
            Object fields = ((Map<?, ?>) Json.parse(schema)).get("fields");
            for (Object o : (List<?>) fields) {
                Map<?, ?> field = (Map<?, ?>) o;
                if (IMAGE_FEATURES.equals(field.get("name")) && field.get("metadata") instanceof Map<?, ?> m
                        && m.get(DIGEST_KEY) != null) {
                    return String.valueOf(m.get(DIGEST_KEY));
                }
            }
            return null;
        } catch (RuntimeException e) { // not JSON, or not Spark's layout of a schema
            throw new ParquetFormatException(p.file(), "Spark's schema in the footer cannot be read: " + e.getMessage());
        }
    }

    /** The Parquet files of {@code path}: itself (a file), or a folder's {@code *.parquet} files in name order. */
    private static List<Path> parts(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                return s.filter(p -> {
                    String n = p.getFileName().toString();
                    return n.endsWith(".parquet") && !n.startsWith("_") && !n.startsWith(".") && Files.isRegularFile(p);
                }).sorted().toList();
            }
        }
        if (!Files.exists(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString());
        }
        return List.of(path);
    }
}
