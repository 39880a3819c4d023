package vecnet.multimodal;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;

/**
 * One object for predictions: a model with its preprocessing, tokenizer and class names.
 *
 * <pre>
 *   Classifier c = Classifier.load(Path.of("my-model"));         // a folder or one file, see ModelBundle
 *   Prediction p = c.predict(Path.of("cat.jpg"), "what animal is this");
 *   p.name();  p.confidence();  p.top(3);                          // "cat", 0.97, [cat 97.0 %, ...]
 * </pre>
 *
 * Two kinds of model, told apart by their weights: the seed's fusion model (keys {@code resnet.*},
 * {@code embedding.*}, {@code lstm.*}, {@code fc.*}), which needs a text and a vocabulary, and
 * torchvision's ResNet-18 with its {@code fc} (keys {@code conv1.*} ...), which takes no text and is
 * named with the bundled {@link ImageNet} classes when it has 1000 of them and no labels of its own.
 * Pictures go through {@link ImagePreprocessor#imagenet()}; texts through the seed's tokenizer.
 *
 * <p>Immutable and thread-safe: one instance serves any number of threads; nothing needs closing.
 * The compute threads are {@link ComputePool#shared()} unless {@link #withPool} says otherwise, and
 * results are bit-identical for any pool size. {@link FusionModel} and {@link ResNet18} stay
 * available for callers who want tensors.
 */
public final class Classifier {
    /** Pictures per forward pass in the batch methods. */
    private static final int BATCH = 8;

    /** One (picture, text) pair for the batch methods; {@code text} is null for a model that reads none. */
    public record Input(Object image, String text) {
        public Input {
            Objects.requireNonNull(image, "image");
            if (!(image instanceof Path || image instanceof BufferedImage || image instanceof byte[]
                    || image instanceof ImageRgb)) {
                throw new IllegalArgumentException("an image is a Path, a BufferedImage, the bytes of a file or an"
                        + " ImageRgb, not a " + image.getClass().getName());
            }
        }

        public static Input of(Path image, String text) {
            return new Input(image, text);
        }

        public static Input of(BufferedImage image, String text) {
            return new Input(image, text);
        }

        public static Input of(byte[] image, String text) {
            return new Input(image, text);
        }
    }

    private final FusionModel fusion;      // exactly one of fusion and resnet is set
    private final ResNet18 resnet;
    private final Tokenizer tokenizer;     // null for an image model
    private final List<String> labels;
    private final ImagePreprocessor pre = ImagePreprocessor.imagenet();

    private Classifier(FusionModel fusion, ResNet18 resnet, Tokenizer tokenizer, List<String> labels) {
        this.fusion = fusion;
        this.resnet = resnet;
        this.tokenizer = tokenizer;
        this.labels = List.copyOf(labels);
    }

    /** Loads a model folder or file (see {@link ModelBundle#load(Path)}). */
    public static Classifier load(Path model) throws IOException {
        return of(ModelBundle.load(model));
    }

    /** Loads the one-file form from memory. */
    public static Classifier load(byte[] model) throws IOException {
        return of(ModelBundle.load(model));
    }

    /** Loads the one-file form from a stream (read to its end, not closed). */
    public static Classifier load(InputStream model) throws IOException {
        return of(ModelBundle.load(model));
    }

    /** Loads a model from the class path (see {@link ModelBundle#load(Class, String)}). */
    public static Classifier load(Class<?> anchor, String resource) throws IOException {
        return of(ModelBundle.load(anchor, resource));
    }

    /** Loads a model with {@code loader.getResourceAsStream} (see {@link ModelBundle#load(ClassLoader, String)}). */
    public static Classifier load(ClassLoader loader, String resource) throws IOException {
        return of(ModelBundle.load(loader, resource));
    }

    /** A classifier on {@code bundle}, with the {@link Kernels#get() default kernels}. */
    public static Classifier of(ModelBundle bundle) throws IOException {
        return of(bundle, Kernels.get());
    }

    /**
     * A classifier on {@code bundle} computed with {@code kernels}.
     *
     * @throws IllegalArgumentException when the weights are neither model, a fusion model has no
     *     vocabulary, the vocabulary has ids past the embedding, or the labels do not match the classes
     */
    public static Classifier of(ModelBundle bundle, Kernels kernels) throws IOException {
        var sd = bundle.weights();
        List<String> names = bundle.labels().orElse(null);
        if (sd.contains("resnet.0.weight")) {
            FusionModel model = FusionModel.fromStateDict(sd, kernels);
            Vocabulary vocabulary = bundle.vocabulary().orElseThrow(() -> new IllegalArgumentException(
                    "a fusion model needs a vocabulary: put vocab.json beside model.safetensors, or "
                            + ModelBundle.VOCAB_KEY + " in its metadata"));
            int rows = model.vocabularyRows();
            if (vocabulary.maxId() >= rows) {
                throw new IllegalArgumentException("the vocabulary has ids up to " + vocabulary.maxId()
                        + " but embedding.weight has only " + rows + " rows");
            }
            return new Classifier(model, null, new Tokenizer(vocabulary, bundle.unknownId()),
                    checked(names, model.numClasses()));
        }
        if (sd.contains("conv1.weight") || sd.contains("0.weight")) {
            ResNet18 net = ResNet18.fromStateDict(sd, kernels);
            if (!net.hasClassifier()) {
                throw new IllegalArgumentException("these ResNet-18 weights have no classifier (fc.weight, fc.bias)");
            }
            int classes = net.classes();
            if (names == null && classes == 1000) {
                names = ImageNet.classNames();
            }
            return new Classifier(null, net, null, checked(names, classes));
        }
        throw new IllegalArgumentException("not a model vecnet knows: neither the seed's fusion model (resnet.0.weight)"
                + " nor torchvision's ResNet-18 (conv1.weight); first key '" + (sd.keys().isEmpty() ? "" : sd.keys().get(0)) + "'");
    }

    private static List<String> checked(List<String> names, int classes) {
        if (names == null) {
            return List.of();
        }
        if (names.size() != classes) {
            throw new IllegalArgumentException(names.size() + " class names but the model has " + classes + " classes");
        }
        return names;
    }

    /** The same model (sharing its weights) computing on {@code pool}. */
    public Classifier withPool(ComputePool pool) {
        Objects.requireNonNull(pool, "pool");
        return new Classifier(fusion == null ? null : fusion.withPool(pool), resnet == null ? null : resnet.withPool(pool),
                tokenizer, labels);
    }

    /** True for a model that reads a text with each picture (the fusion model). */
    public boolean needsText() {
        return fusion != null;
    }

    /** The class names in class order (empty when the model has none: predictions then say {@code class3}). */
    public List<String> labels() {
        return labels;
    }

    /** The number of classes. */
    public int classes() {
        return fusion != null ? fusion.numClasses() : resnet.classes();
    }

    /** The tokenizer of a model that reads text, else null. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The image pipeline: torchvision's Resize(256), CenterCrop(224), ToTensor, Normalize(ImageNet). */
    public ImagePreprocessor preprocessor() {
        return pre;
    }

    // ---------------------------------------------------------------- one picture

    /** The prediction for a picture file and a text ({@code null} for an image model). */
    public Prediction predict(Path image, String text) throws IOException {
        return predict(List.of(Input.of(image, text))).get(0);
    }

    /** The prediction for a picture already in memory and a text ({@code null} for an image model). */
    public Prediction predict(BufferedImage image, String text) throws IOException {
        return predict(List.of(Input.of(image, text))).get(0);
    }

    /**
     * The prediction for the bytes of a picture file (PNG, JPEG, ...) and a text. Decoded with ImageIO
     * then converted as {@link ImageDecoder#toRgb(BufferedImage)} does; {@link #predict(Path, String)}
     * is stricter about damaged files.
     */
    public Prediction predict(byte[] image, String text) throws IOException {
        return predict(List.of(Input.of(image, text))).get(0);
    }

    /** The prediction of an image model for a picture file. */
    public Prediction predict(Path image) throws IOException {
        return predict(image, null);
    }

    /** The prediction of an image model for a picture in memory. */
    public Prediction predict(BufferedImage image) throws IOException {
        return predict(image, null);
    }

    // ---------------------------------------------------------------- many

    /**
     * The predictions for many pairs, in order, computed {@value #BATCH} at a time with the pictures
     * decoded in parallel on this classifier's pool.
     *
     * @throws IOException naming the first picture that cannot be read
     */
    public List<Prediction> predict(List<Input> inputs) throws IOException {
        List<Prediction> out = new ArrayList<>(inputs.size());
        for (int from = 0; from < inputs.size(); from += BATCH) {
            List<Input> part = inputs.subList(from, Math.min(inputs.size(), from + BATCH));
            int[][] ids = needsText() ? new int[part.size()][] : null;
            for (int i = 0; i < part.size(); i++) {
                String text = part.get(i).text();
                if (needsText()) {
                    if (text == null) {
                        throw new IllegalArgumentException("this model reads a text with each picture; none given for input "
                                + (from + i));
                    }
                    ids[i] = tokenizer.encode(text);
                } else if (text != null) {
                    throw new IllegalArgumentException("this image model reads no text; got \"" + text + "\"");
                }
            }
            Tensor images = preprocess(part);
            Tensor logits = fusion != null ? fusion.predict(images, ids) : resnet.classify(images);
            out.addAll(Prediction.of(logits, labels));
        }
        return out;
    }

    /** {@link #predict(Path, String)} on {@code executor}; a failure completes the future exceptionally. */
    public CompletableFuture<Prediction> predictAsync(Path image, String text, Executor executor) {
        return predictAsync(List.of(Input.of(image, text)), executor).thenApply(list -> list.get(0));
    }

    /** {@link #predict(BufferedImage, String)} on {@code executor}. */
    public CompletableFuture<Prediction> predictAsync(BufferedImage image, String text, Executor executor) {
        return predictAsync(List.of(Input.of(image, text)), executor).thenApply(list -> list.get(0));
    }

    /**
     * {@link #predict(List)} on {@code executor}: the calling thread returns at once; the future
     * completes with the predictions, or exceptionally (an {@link UncheckedIOException} for a file
     * that cannot be read).
     */
    public CompletableFuture<List<Prediction>> predictAsync(List<Input> inputs, Executor executor) {
        Objects.requireNonNull(executor, "executor");
        List<Input> copy = List.copyOf(inputs);
        return CompletableFuture.supplyAsync(() -> {
            try {
                return predict(copy);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, executor);
    }

    // ---------------------------------------------------------------- pictures

    private Tensor preprocess(List<Input> inputs) throws IOException {
        int n = inputs.size(), plane = 3 * pre.cropSize() * pre.cropSize();
        float[] out = new float[n * plane];
        IOException[] failures = new IOException[n];
        RuntimeException[] errors = new RuntimeException[n];
        pool().parallelFor(n, i -> {
            try {
                System.arraycopy(pre.preprocess(rgb(inputs.get(i).image())).data(), 0, out, i * plane, plane);
            } catch (IOException e) {
                failures[i] = e;
            } catch (RuntimeException e) {
                errors[i] = e;
            }
        });
        for (int i = 0; i < n; i++) {
            if (failures[i] != null) {
                throw failures[i];
            }
            if (errors[i] != null) {
                throw errors[i];
            }
        }
        return Tensor.of(out, n, 3, pre.cropSize(), pre.cropSize());
    }

    private ImageRgb rgb(Object image) throws IOException {
        if (image instanceof Path p) {
            return pre.decode(p);
        }
        if (image instanceof ImageRgb rgb) {
            return rgb;
        }
        if (image instanceof BufferedImage b) {
            return ImageDecoder.toRgb(b);
        }
        byte[] bytes = (byte[]) image;
        // through a memory cache: ImageIO.read(InputStream) would write a file in java.io.tmpdir
        BufferedImage decoded = ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes)));
        if (decoded == null) {
            throw new ImageFormatException(null, "not an image ImageIO can read (" + bytes.length + " bytes)");
        }
        return ImageDecoder.toRgb(decoded);
    }

    private ComputePool pool() {
        return fusion != null ? fusion.pool() : resnet.pool();
    }

    @Override
    public String toString() {
        return "Classifier[" + (fusion != null ? "fusion model, " + tokenizer.vocabulary() : "ResNet-18") + ", "
                + classes() + " classes" + (labels.isEmpty() ? "" : " (" + labels.get(0) + ", ...)") + "]";
    }
}
