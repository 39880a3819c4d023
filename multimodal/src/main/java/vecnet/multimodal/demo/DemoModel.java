package vecnet.multimodal.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImageDecoder;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageRgb;
import vecnet.multimodal.ModelBundle;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.Vocabulary;
import vecnet.weights.StateDict;
import vecnet.weights.internal.Json;

/**
 * The small fusion model bundled with vecnet (resources {@code vecnet/demo/}), trained in Java by
 * {@code vecnet demo --train} on {@link ShapesDataset} (as {@code weights/python/train_demo.py} trains
 * it in PyTorch, which wrote the vocabulary, answers and samples): its weights, vocabulary, answers
 * and sample pictures, and the measurements the demo shows.
 *
 * <pre>
 *   picture (256, 256, 3) uint8 -> preprocess -> (1, 3, 224, 224) -> resnet (widths 8-16-32-64) -> (1, 64)
 *   question -> lower().split() -> ids (T) -> embedding (T, 32) -> LSTM hidden 32 -> last step (1, 32)
 *   fc( [image 64, text 32] ) -> logits (1, 8): red, green, blue, yellow, circle, square, triangle, star
 * </pre>
 *
 * <p>Immutable and thread-safe once loaded; no file is needed besides the module's own resources.
 */
public final class DemoModel {
    /** Where the bundled files live on the class path (inside this module). */
    public static final String RESOURCES = "/vecnet/demo/";

    /** A bundled sample: its picture, its question, the expected answer, and where the generator made it. */
    public record BundledSample(String file, ImageRgb image, String question, String answer, long seed, long index) {}

    /** Accuracies on {@code samples} pictures: normal, with the image zeroed, with the question replaced by unknown words. */
    public record Evaluation(int samples, double accuracy, double imageZeroed, double questionUnknown) {}

    private final FusionModel model;
    private final Tokenizer tokenizer;
    private final List<String> labels;
    private final ImagePreprocessor preprocessor;

    private DemoModel(FusionModel model, Tokenizer tokenizer, List<String> labels) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.labels = labels;
        this.preprocessor = ImagePreprocessor.imagenet();
    }

    /** Loads the bundled model on {@link ComputePool#shared()}. */
    public static DemoModel load() throws IOException {
        return load(ComputePool.shared());
    }

    /** Loads the bundled model, computing on {@code pool}. */
    public static DemoModel load(ComputePool pool) throws IOException {
        Objects.requireNonNull(pool, "pool");
        // read from the jar straight into memory: no temporary file (java.io.tmpdir may not exist)
        FusionModel model = FusionModel.fromStateDict(StateDict.read(readBytes("demo_model.safetensors")), Kernels.get())
                .withPool(pool);
        Tokenizer tokenizer = new Tokenizer(Vocabulary.read(readBytes("demo_vocab.json"), "demo_vocab.json"));
        List<String> labels = readLines("demo_labels.txt");
        if (labels.size() != model.numClasses()) {
            throw new IOException("bundled demo_labels.txt has " + labels.size() + " answers but the model has "
                    + model.numClasses() + " classes");
        }
        return new DemoModel(model, tokenizer, List.copyOf(labels));
    }

    /** A demo model from other weights (e.g. trained in Java by {@code vecnet demo --train}) with the bundled vocabulary and answers. */
    public static DemoModel of(FusionModel model) throws IOException {
        Tokenizer tokenizer = new Tokenizer(Vocabulary.read(readBytes("demo_vocab.json"), "demo_vocab.json"));
        return new DemoModel(model, tokenizer, List.copyOf(readLines("demo_labels.txt")));
    }

    /**
     * The bundled model as a {@link ModelBundle} (weights, vocabulary and answers), for example to
     * write it in the one-file form with {@link ModelBundle#write}.
     */
    public static ModelBundle bundle() throws IOException {
        return ModelBundle.of(StateDict.read(readBytes("demo_model.safetensors")),
                Vocabulary.read(readBytes("demo_vocab.json"), "demo_vocab.json"), readLines("demo_labels.txt"));
    }

    public FusionModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The answers in class order. */
    public List<String> labels() {
        return labels;
    }

    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    /** The answer to {@code question} about {@code picture} (any size; preprocessed as the seed does). */
    public Prediction predict(ImageRgb picture, String question) {
        return model.classify(preprocessor.preprocess(picture), new int[][] {tokenizer.encode(question)}).get(0);
    }

    /**
     * Accuracy on samples {@code 0 .. n-1} of {@code data}, and the two ablations that show the model
     * needs both inputs: the image replaced by zeros (after normalization), and every word of the
     * question replaced by the unknown id 0 (same length).
     */
    public Evaluation evaluate(ShapesDataset data, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("need at least one sample, got " + n);
        }
        ComputePool pool = model.pool();
        int features = model.resnet().featureSize();
        float[] imageFeatures = new float[n * features];
        int[][] ids = new int[n][];
        int[] labelsOf = new int[n];
        pool.parallelFor(n, i -> {
            ShapesDataset.Sample s = data.sample(i);
            Tensor f = model.resnet().withPool(ComputePool.sequential()).features(preprocessor.preprocess(s.image()));
            System.arraycopy(f.data(), 0, imageFeatures, i * features, features);
            ids[i] = tokenizer.encode(s.question());
            labelsOf[i] = s.label();
        });
        Tensor img = Tensor.of(imageFeatures, n, features);
        Tensor zero = model.resnet().features(Tensor.zeros(1, 3, 224, 224));
        Tensor zeros = Tensor.zeros(n, features);
        for (int i = 0; i < n; i++) {
            System.arraycopy(zero.data(), 0, zeros.data(), i * features, features);
        }
        int[][] unknown = new int[n][];
        for (int i = 0; i < n; i++) {
            unknown[i] = new int[ids[i].length];
        }
        Tensor txt = model.text().encode(ids, pool);
        Tensor txtUnknown = model.text().encode(unknown, pool);
        return new Evaluation(n, accuracy(model.head(img, txt), labelsOf), accuracy(model.head(zeros, txt), labelsOf),
                accuracy(model.head(img, txtUnknown), labelsOf));
    }

    private static double accuracy(Tensor logits, int[] labels) {
        List<Prediction> p = Prediction.of(logits);
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            right += p.get(i).label() == labels[i] ? 1 : 0;
        }
        return right / (double) labels.length;
    }

    /** The bundled sample pictures and questions ({@code demo_samples.json}). */
    public static List<BundledSample> samples() throws IOException {
        Object json = Json.parse(readText("demo_samples.json"));
        if (!(json instanceof List<?> list)) {
            throw new IOException("bundled demo_samples.json is not a JSON array");
        }
        List<BundledSample> out = new ArrayList<>();
        for (Object o : list) {
            Map<?, ?> m = (Map<?, ?>) o;
            String file = (String) m.get("file");
            out.add(new BundledSample(file, readPicture(file), (String) m.get("question"), (String) m.get("answer"),
                    ((Number) m.get("seed")).longValue(), ((Number) m.get("index")).longValue()));
        }
        return out;
    }

    /** A bundled PNG, decoded as {@code Image.open(f).convert('RGB')}. */
    static ImageRgb readPicture(String name) throws IOException {
        // a memory cache: ImageIO.read(InputStream) would write a cache file in java.io.tmpdir;
        // ImageIO.read closes the ImageInputStream it is given
        try (InputStream in = open(name)) {
            var image = ImageIO.read(new MemoryCacheImageInputStream(in));
            if (image == null) {
                throw new IOException("bundled " + name + " is not a readable image");
            }
            return ImageDecoder.toRgb(image);
        }
    }

    static List<String> readLines(String name) throws IOException {
        List<String> lines = new ArrayList<>(Arrays.asList(readText(name).split("\n")));
        lines.removeIf(String::isBlank);
        return lines;
    }

    static String readText(String name) throws IOException {
        try (InputStream in = open(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static byte[] readBytes(String name) throws IOException {
        try (InputStream in = open(name)) {
            return in.readAllBytes();
        }
    }

    static InputStream open(String name) throws IOException {
        InputStream in = DemoModel.class.getResourceAsStream(RESOURCES + name);
        if (in == null) {
            throw new IOException("bundled resource " + RESOURCES + name + " is missing: re-run"
                    + " /usr/bin/python3 weights/python/train_demo.py and rebuild");
        }
        return in;
    }
}
