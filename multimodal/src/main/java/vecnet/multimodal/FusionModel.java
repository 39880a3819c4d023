package vecnet.multimodal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import vecnet.engine.ComputePool;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.Conv2d;
import vecnet.layers.Linear;
import vecnet.weights.StateDict;
import vecnet.weights.internal.Escape;

/**
 * The seed's multimodal classifier: image features and text features, concatenated, then one
 * linear layer.
 *
 * <pre>
 *   image (N, 3, H, W) -> resnet features (N, F_img)             see {@link ResNet18}
 *   token ids N × (T_n) -> text features  (N, F_txt)             see {@link TextEncoder}
 *   logits = fc( [image features, text features] )   (N, F_img + F_txt) -> (N, classes)
 * </pre>
 *
 * The image features come first, so {@code fc.weight[:, :F_img]} multiplies them (PyTorch's
 * {@code torch.cat((img, txt), dim=1)}). Keys: {@code resnet.*} (the seed's {@code nn.Sequential}),
 * {@code embedding.weight}, {@code lstm.*}, {@code fc.weight}, {@code fc.bias}; all sizes come from the
 * weights (127 keys for the seed model). Texts of different lengths may share a batch: each
 * sample uses its own last real step ({@link TextEncoder}).
 *
 * <p>Immutable after loading; one instance serves any number of threads at once. The thread pool
 * is a setting ({@link #withPool}); results are bit-identical for any pool size.
 *
 * <p>Its weights are reachable only through {@link #namedTensors()}, the live tensors under the
 * seed's keys, for loading and training: after changing their values, call {@link #weightsChanged()}
 * once before the next call, as {@link HasStateDict} says ({@code StateDict.loadInto} does it
 * itself). The branches, {@link #resnet()} and {@link #text()}, share this model's weights and
 * keep the same rule.
 */
public final class FusionModel implements HasStateDict {
    // Not public: a layer's weights reach users only through namedTensors() and weightsChanged().
    final ResNet18 resnet;
    final TextEncoder text;
    final Linear fc;

    private final ComputePool pool;

    private FusionModel(ResNet18 resnet, TextEncoder text, Linear fc, ComputePool pool) {
        this.resnet = resnet.withPool(pool);
        this.text = text;
        this.fc = fc;
        this.pool = pool;
    }

    /** Reads a {@code .pth} or safetensors file (see {@link StateDict#read}) and loads it. */
    public static FusionModel load(Path file) throws IOException {
        return fromStateDict(StateDict.read(file), Kernels.get());
    }

    /** As {@link #load(Path)}, computed with {@code kernels} (e.g. {@link Kernels#scalar()}). */
    public static FusionModel load(Path file, Kernels kernels) throws IOException {
        return fromStateDict(StateDict.read(file), kernels);
    }

    public static FusionModel fromStateDict(StateDict sd) {
        return fromStateDict(sd, Kernels.get());
    }

    /**
     * Builds the seed's model at the sizes the weights give and loads them: ResNet-18 (fixed
     * topology, see {@link ResNet18#fromStateDict(StateDict, Kernels)}), the one-layer LSTM text branch
     * ({@link TextEncoder#fromStateDict(StateDict, Kernels)}) and {@code fc} with its bias. Every key the
     * architecture needs must be present with its shape, and every key must be used, as PyTorch's strict load;
     * values are checked as {@link StateDict#loadInto} says (no NaN or ±Inf unless
     * {@link StateDict#allowingNonFinite}).
     */
    public static FusionModel fromStateDict(StateDict sd, Kernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        for (String k : sd.keys()) {
            if (!(k.startsWith("resnet.") || k.startsWith("embedding.") || k.startsWith("lstm.")
                    || k.equals("fc.weight") || k.equals("fc.bias"))) {
                throw new IllegalArgumentException("unexpected key " + Escape.quoted(k) + " in a fusion model state_dict (expected"
                        + " resnet.*, embedding.*, lstm.*, fc.weight, fc.bias)");
            }
        }
        if (!sd.contains("resnet.0.weight")) {
            throw new IllegalArgumentException("not a fusion model state_dict: no 'resnet.0.weight'");
        }
        ResNet18 resnet = ResNet18.fromStateDict(sd, kernels); // reads the resnet.* keys
        TextEncoder text = TextEncoder.fromStateDict(sd, kernels);
        int width = resnet.featureSize() + text.featureSize();
        int[] head = sd.contains("fc.weight") ? sd.shape("fc.weight") : sd.contains("fc.bias") ? sd.shape("fc.bias") : new int[0];
        int classes = head.length >= 1 && head[0] > 0 ? head[0] : 1;
        Map<String, int[]> expected = new LinkedHashMap<>();
        expected.put("fc.weight", new int[] {classes, width});
        expected.put("fc.bias", new int[] {classes});
        sd.requireShapes("Linear", "fc.", expected);
        Linear fc = new Linear(kernels, width, classes, true);
        sd.loadInto(fc, "fc.");
        return new FusionModel(resnet, text, fc, ComputePool.shared());
    }

    /**
     * The seed's geometry, every weight zero: {@link ResNet18#untrained ResNet-18} without fc (512
     * features), Embedding(10000, 300), LSTM(300, 256), Linear(768, {@code classes}). Its answers
     * mean nothing; it exists to {@link #warmUp()} the kernels while the real weights are being read.
     */
    public static FusionModel untrained(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be at least 1, got " + classes);
        }
        Kernels kernels = Kernels.get();
        ResNet18 resnet = ResNet18.untrained(0);
        TextEncoder text = TextEncoder.untrained(kernels, 10000, 300, 256);
        Linear fc = new Linear(kernels, resnet.featureSize() + text.featureSize(), classes, true);
        return new FusionModel(resnet, text, fc, ComputePool.shared());
    }

    /** {@link ResNet18#prepare}: the image branch readied for pictures of {@code height × width}. */
    public void prepare(int height, int width) {
        resnet.prepare(height, width);
    }

    /**
     * Runs this model on small inputs until its kernels are most likely compiled by the JIT: the
     * image branch as {@link ResNet18#warmUp()}, then the text branch on short texts and the
     * linear head, so that the first real call runs at full speed. Computes on this model's pool;
     * thread-safe (nothing is changed or kept); never prints.
     */
    public void warmUp() {
        resnet.warmUp();
        text.warmUp(pool);
        predict(ResNet18.warmUpPicture(1, ResNet18.WARM_UP_SIZE), new int[][] {{0}});
    }

    /** The same model (sharing its weights) running on {@code pool}. */
    public FusionModel withPool(ComputePool pool) {
        return new FusionModel(resnet, text, fc, Objects.requireNonNull(pool, "pool"));
    }

    public ComputePool pool() {
        return pool;
    }

    /**
     * The same model (sharing its weights and pool) whose image branch convolves by {@code algorithm};
     * see {@link ResNet18#withAlgorithm}.
     */
    public FusionModel withAlgorithm(Conv2d.Algorithm algorithm) {
        return new FusionModel(resnet.withAlgorithm(algorithm), text, fc, pool);
    }

    /** The image branch, sharing this model's weights and pool: {@code resnet().features(images)}. */
    public ResNet18 resnet() {
        return resnet;
    }

    /** The text branch, sharing this model's weights: {@code text().encode(ids, pool())}. */
    public TextEncoder text() {
        return text;
    }

    /**
     * Refreshes the packed copies of every weight (both branches and the head) after their values
     * were changed in place through {@link #namedTensors()}; see {@link HasStateDict}. Shared with the
     * {@link #withPool} copies of this model.
     */
    @Override
    public void weightsChanged() {
        resnet.weightsChanged();
        text.weightsChanged();
        fc.weightsChanged();
    }

    public int numClasses() {
        return fc.outFeatures();
    }

    /** The rows of {@code embedding.weight}: token ids must be below it. */
    public int vocabularyRows() {
        return text.embedding.weight.dim(0);
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        BasicBlock.put(m, "resnet.", resnet);
        m.putAll(text.namedTensors());
        BasicBlock.put(m, "fc.", fc);
        return m;
    }

    /**
     * Logits for a batch of (image, text) pairs.
     *
     * @param images   {@code (N, 3, H, W)}, preprocessed as torchvision does; not modified
     * @param tokenIds {@code N} non-empty texts of ids in {@code [0, vocab)}, lengths may differ
     * @return {@code (N, classes)}; {@code (0, classes)} for an empty batch
     */
    public Tensor predict(Tensor images, int[][] tokenIds) {
        images.requireShape("images (N, 3, H, W)", -1, 3, -1, -1);
        if (tokenIds.length != images.dim(0)) {
            throw new IllegalArgumentException(images.dim(0) + " images but " + tokenIds.length + " texts");
        }
        if (tokenIds.length == 0) {
            return Tensor.zeros(0, numClasses()); // an empty batch
        }
        Tensor img = resnet.features(images);
        Tensor txt = text.encode(tokenIds, pool);
        return fc.forward(concat(img, txt), pool);
    }

    /**
     * The fusion head alone, on features computed elsewhere (a feature cache, {@link #resnet()} and
     * {@link #text()}): {@code fc([image (N, F_img), text (N, F_txt)]) -> (N, classes)}.
     */
    public Tensor head(Tensor imageFeatures, Tensor textFeatures) {
        imageFeatures.requireShape("image features (N, F_img)", -1, resnet.featureSize());
        textFeatures.requireShape("text features (N, F_txt)", imageFeatures.dim(0), text.featureSize());
        return fc.forward(concat(imageFeatures, textFeatures), pool);
    }

    /** As {@link #predict}, each row turned into a {@link Prediction} (label, logits, softmax). */
    public java.util.List<Prediction> classify(Tensor images, int[][] tokenIds) {
        return Prediction.of(predict(images, tokenIds));
    }

    /**
     * Why this model gives class {@code classIndex} its logit for one (image, text) pair: the exact
     * image/text/bias split, the CAM on layer4's grid and integrated gradients over the tokens (see
     * {@link Explainer}, which also offers Grad-CAM and other settings).
     *
     * @param image {@code (1, 3, H, W)}, preprocessed; not modified
     * @param ids   the text's token ids, non-empty
     */
    public Explanation explain(Tensor image, int[] ids, int classIndex) {
        return Explainer.of(this).explain(image, ids, classIndex);
    }

    /** {@code [a, b]} along dimension 1: {@code (N, A), (N, B) -> (N, A + B)}. */
    static Tensor concat(Tensor a, Tensor b) {
        int n = a.dim(0);
        Tensor out = Tensor.zeros(n, a.dim(1) + b.dim(1));
        Kernels.scalar().concat(new float[][] {a.data(), b.data()}, new int[] {a.dim(1), b.dim(1)}, n, 1, out.data());
        return out;
    }

    @Override
    public String toString() {
        return "FusionModel(" + resnet + ", " + text.embedding + ", " + text.lstm + ", " + fc + ")";
    }
}
