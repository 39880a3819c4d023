package vecnet.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageRgb;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.train.FeaturesFile;

/**
 * The one class of {@code vecnet.spark} that calls the library: a fusion model with its tokenizer,
 * preprocessing and class names, scoring a batch of rows of (encoded image, text).
 *
 * <pre>
 *   image bytes (PNG, JPEG, ...) -> decode, Resize(256), CenterCrop(224), Normalize -> (1, 3, 224, 224)
 *   text -> lower().split() -> ids (T)
 *   a batch of good rows (N, 3, 224, 224) + N × (T_n) -> FusionModel -> logits (N, classes) -> softmax
 * </pre>
 *
 * Everything else in this module (the Dataset API, the Transformer, the SQL function, the job) goes
 * through this class, so switching to another predictor API means changing this file only.
 *
 * <p>A bad row (no image, bytes that do not decode, an empty text) gets an error message instead
 * of a result, and the other rows of its batch are scored as usual. A row's result does not depend
 * on the other rows of its batch, nor on the batch size: the library computes each output element
 * with the same chain of operations whatever the batch (checked by this module's tests against
 * {@code DemoModel.predict}, one picture at a time).
 *
 * <p>Computes on the calling thread ({@link ComputePool#sequential()}): in Spark a task is one
 * core, and Spark runs as many tasks at once as the executor has cores. Immutable and thread-safe:
 * one instance serves all the tasks of an executor JVM.
 */
public final class VecnetModel {
    private final FusionModel model;
    private final Tokenizer tokenizer;
    private final ImagePreprocessor preprocessor;
    private final List<String> labels;
    private volatile String imageBranch;

    /**
     * One row to score: the encoded image (or null), the text (or null), and why the image could not
     * be read when it came from a path that failed (or null).
     */
    public record Input(byte[] image, String text, String unreadable) {
        public Input(byte[] image, String text) {
            this(image, text, null);
        }
    }

    /** One row's result: a prediction, or the reason the row could not be scored (then {@code prediction} is null). */
    public record Scored(Prediction prediction, String error) {
    }

    /**
     * One row's features: {@code (F_img)} image features, {@code (F_txt)} text features when asked
     * for, or the reason the row could not be read (then both are null).
     */
    public record Features(float[] image, float[] text, String error) {
    }

    private VecnetModel(FusionModel model, Tokenizer tokenizer, List<String> labels) {
        this.model = model.withPool(ComputePool.sequential());
        this.tokenizer = tokenizer;
        this.preprocessor = ImagePreprocessor.imagenet();
        this.labels = List.copyOf(labels);
    }

    /**
     * A model from its parts; {@code labels} names the classes in order, or is empty for
     * {@code class0, class1, ...}.
     */
    public static VecnetModel of(FusionModel model, Tokenizer tokenizer, List<String> labels) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        List<String> names = new ArrayList<>(labels);
        if (names.isEmpty()) {
            for (int i = 0; i < model.numClasses(); i++) {
                names.add("class" + i);
            }
        }
        if (names.size() != model.numClasses()) {
            throw new IllegalArgumentException(names.size() + " class names for a model of " + model.numClasses() + " classes");
        }
        return new VecnetModel(model, tokenizer, names);
    }

    /**
     * Loads local files: weights ({@code .safetensors} or {@code .pth}), vocabulary ({@code {token: id}}
     * JSON or one token per line) and class names (one per line; null for {@code class0, class1, ...}).
     */
    public static VecnetModel load(Path weights, Path vocab, Path labels) throws IOException {
        FusionModel model = FusionModel.load(weights);
        Tokenizer tokenizer = Tokenizer.load(vocab);
        List<String> names = new ArrayList<>();
        if (labels != null) {
            for (String line : Files.readString(labels, StandardCharsets.UTF_8).lines().toList()) {
                names.add(line.strip());
            }
            while (!names.isEmpty() && names.get(names.size() - 1).isEmpty()) {
                names.remove(names.size() - 1);
            }
            if (names.size() != model.numClasses()) {
                throw new IOException(labels + " has " + names.size() + " class names but the model has "
                        + model.numClasses() + " classes");
            }
        }
        return of(model, tokenizer, names);
    }

    public int numClasses() {
        return model.numClasses();
    }

    /** The class names in class order. */
    public List<String> labels() {
        return labels;
    }

    /** {@code F_img}: 512 for the seed's ResNet-18. */
    public int imageFeatureSize() {
        return model.resnet().featureSize();
    }

    /** {@code F_txt}: 256 for the seed's LSTM. */
    public int textFeatureSize() {
        return model.text().featureSize();
    }

    /** What identifies the image branch ({@code FeaturesFile.imageBranchDigest}); computed once. */
    public String imageBranchDigest() {
        String d = imageBranch;
        if (d == null) {
            d = FeaturesFile.imageBranchDigest(model);
            imageBranch = d;
        }
        return d;
    }

    /** Scores a batch: result {@code i} is row {@code i}'s prediction or error. */
    public List<Scored> classify(List<Input> rows) {
        Prepared p = prepare(rows, true);
        List<Scored> out = new ArrayList<>(rows.size());
        List<Prediction> predictions = p.good() == 0 ? List.of() : Prediction.of(model.predict(p.images(), p.ids()));
        for (int i = 0, g = 0; i < rows.size(); i++) {
            out.add(p.errors[i] != null ? new Scored(null, p.errors[i]) : new Scored(predictions.get(g++), null));
        }
        return out;
    }

    /**
     * Features of a batch: the image branch's {@code (F_img)} vector, and the text branch's
     * {@code (F_txt)} one when {@code withText} (otherwise the text is not read).
     */
    public List<Features> features(List<Input> rows, boolean withText) {
        Prepared p = prepare(rows, withText);
        float[] img = p.good() == 0 ? new float[0] : model.resnet().features(p.images()).data();
        float[] txt = p.good() == 0 || !withText ? null : model.text().encode(p.ids(), model.pool()).data();
        int fi = imageFeatureSize(), ft = textFeatureSize();
        List<Features> out = new ArrayList<>(rows.size());
        for (int i = 0, g = 0; i < rows.size(); i++) {
            if (p.errors[i] != null) {
                out.add(new Features(null, null, p.errors[i]));
            } else {
                float[] image = Arrays.copyOfRange(img, g * fi, (g + 1) * fi);
                float[] text = txt == null ? null : Arrays.copyOfRange(txt, g * ft, (g + 1) * ft);
                out.add(new Features(image, text, null));
                g++;
            }
        }
        return out;
    }

    /** The good rows of a batch stacked for the model; {@code errors[i]} is row i's reason, or null if it is good. */
    private record Prepared(float[] pixels, List<int[]> tokenIds, String[] errors, int crop) {
        int good() {
            return tokenIds.size();
        }

        Tensor images() {
            return Tensor.of(pixels, good(), 3, crop, crop);
        }

        int[][] ids() {
            return tokenIds.toArray(new int[0][]);
        }
    }

    private Prepared prepare(List<Input> rows, boolean withText) {
        int crop = preprocessor.cropSize(), plane = 3 * crop * crop;
        String[] errors = new String[rows.size()];
        List<float[]> images = new ArrayList<>();
        List<int[]> ids = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Input row = rows.get(i);
            try {
                int[] tokens = withText ? encode(row.text()) : new int[0];
                float[] image = preprocess(row);
                images.add(image);
                ids.add(tokens);
            } catch (BadRowException e) {
                errors[i] = e.getMessage();
            }
        }
        float[] pixels = new float[Math.multiplyExact(images.size(), plane)];
        for (int g = 0; g < images.size(); g++) {
            System.arraycopy(images.get(g), 0, pixels, g * plane, plane);
        }
        return new Prepared(pixels, ids, errors, crop);
    }

    private int[] encode(String text) throws BadRowException {
        if (text == null) {
            throw new BadRowException("no text");
        }
        try {
            return tokenizer.encode(text);
        } catch (IllegalArgumentException e) {
            throw new BadRowException("empty text: the model needs at least one word");
        }
    }

    /** Encoded image → the {@code (3, crop, crop)} values of the model input, decoded exactly as from a file. */
    private float[] preprocess(Input row) throws BadRowException {
        if (row.unreadable() != null) {
            throw new BadRowException("cannot read the image: " + row.unreadable());
        }
        byte[] bytes = row.image();
        if (bytes == null) {
            throw new BadRowException("no image");
        }
        ImageRgb image;
        Path tmp = null;
        try {
            // ImageDecoder reads files: its checks (format sniffing, truncation, pixel limit) apply as for a path
            tmp = Files.createTempFile("vecnet-spark-", ".img");
            Files.write(tmp, bytes);
            image = preprocessor.decode(tmp);
            return preprocessor.preprocess(image).data();
        } catch (IOException | RuntimeException e) { // whatever a hostile file does, it is this row's problem only
            throw new BadRowException("bad image: " + reason(e, tmp));
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** The exception's message without the temporary file's name, which the decoder puts first. */
    private static String reason(Exception e, Path tmp) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (tmp == null) {
            return m;
        }
        String name = tmp.toString();
        return (m.startsWith(name + ": ") ? m.substring(name.length() + 2) : m).replace(name, "the image");
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a leftover temporary file is not worth failing a row
            }
        }
    }

    /** A row that cannot be scored; the message is what the {@code error} column says. */
    private static final class BadRowException extends Exception {
        private static final long serialVersionUID = 1L;

        BadRowException(String reason) {
            super(reason, null, false, false);
        }
    }

    @Override
    public String toString() {
        return "VecnetModel(" + numClasses() + " classes, image features " + imageFeatureSize() + ", text features "
                + textFeatureSize() + ")";
    }
}
