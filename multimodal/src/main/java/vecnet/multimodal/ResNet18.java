package vecnet.multimodal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.AdaptiveAvgPool2d;
import vecnet.layers.BatchNorm2d;
import vecnet.layers.Conv2d;
import vecnet.layers.Linear;
import vecnet.layers.MaxPool2d;
import vecnet.layers.ReLU;
import vecnet.weights.Escape;
import vecnet.weights.StateDict;

/**
 * torchvision's ResNet-18 for inference, with
 * batch-norm folded into the convolutions.
 *
 * <pre>
 *   child 0 conv1    7×7 stride 2 padding 3, 3 -> w0 channels      (N, 3, H, W) -> (N, w0, H/2, W/2)
 *   child 1 bn1, child 2 relu                                      (fused into child 0's epilogue)
 *   child 3 maxpool  3×3 stride 2 padding 1                        -> (N, w0, H/4, W/4)
 *   child 4..7 layer1..layer4: BasicBlocks, the first of layer2..4 with stride 2 and a downsample
 *   child 8 avgpool  AdaptiveAvgPool2d(1, 1), then flatten         -> features (N, w3)
 *   fc               Linear(w3, classes), torchvision files only   -> logits (N, classes)
 * </pre>
 *
 * (sizes rounded up). The topology is ResNet-18's, fixed (2-2-2-2 blocks); the width {@code w} of the
 * stem (stages {@code w, 2w, 4w, 8w}) and the classifier come from the weights, so the tiny fixture
 * model (8-16-32-64) and the real one (64-128-256-512) load alike.
 *
 * <p>Two key layouts are accepted: torchvision's own ({@code conv1.weight}, {@code bn1.*},
 * {@code layer1.0.conv1.weight}, ..., optional {@code fc.weight}/{@code fc.bias}) and the seed model's
 * {@code nn.Sequential(*children[:-1])} ({@code 0.weight}, {@code 1.*}, {@code 4.0.conv1.weight}, ...,
 * possibly under a {@code resnet.} prefix, other keys of the file then ignored), which has no fc.
 * {@link #namedTensors()} uses the layout the weights came in. Loading is strict: every key the
 * architecture needs must be there with its shape ({@link #fromStateDict(StateDict, Kernels)}).
 *
 * <p>The model is immutable after loading and one instance may serve many threads at once; the
 * thread pool is a setting ({@link #withPool}), and results are bit-identical for any pool size.
 */
public final class ResNet18 implements HasStateDict {
    /** The names of children 0..8 in torchvision's order, for messages. */
    public static final List<String> CHILD_NAMES = List.of(
            "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool");

    public final Conv2d conv1;
    public final BatchNorm2d bn1;
    /** layer1..layer4 as {@code layers.get(0..3)}, each a list of blocks. */
    public final List<List<BasicBlock>> layers;
    /** The classifier, or null (the seed's Sequential and headless torchvision files). */
    public final Linear fc;

    private final ReLU relu;
    private final MaxPool2d maxpool;
    private final AdaptiveAvgPool2d avgpool;
    private final boolean sequentialKeys;
    private final ComputePool pool;

    private ResNet18(ResNet18 base, ComputePool pool) {
        this.conv1 = base.conv1;
        this.bn1 = base.bn1;
        this.layers = base.layers;
        this.fc = base.fc;
        this.relu = base.relu;
        this.maxpool = base.maxpool;
        this.avgpool = base.avgpool;
        this.sequentialKeys = base.sequentialKeys;
        this.pool = pool;
    }

    private ResNet18(Kernels kernels, int stem, int[] widths, int[] blocks, boolean[] downsample, int classes,
                     boolean sequentialKeys) {
        this.sequentialKeys = sequentialKeys;
        this.pool = ComputePool.shared();
        this.conv1 = new Conv2d(kernels, new ConvGeometry(3, stem, 7, 7, 2, 2, 3, 3, 1, 1, 1), false);
        this.bn1 = new BatchNorm2d(stem);
        this.relu = new ReLU(kernels);
        this.maxpool = new MaxPool2d(kernels, 3, 2, 1);
        this.avgpool = new AdaptiveAvgPool2d(kernels, 1, 1);
        List<List<BasicBlock>> ls = new ArrayList<>();
        int cin = stem;
        for (int l = 0; l < 4; l++) {
            List<BasicBlock> bs = new ArrayList<>();
            for (int b = 0; b < blocks[l]; b++) {
                int stride = l > 0 && b == 0 ? 2 : 1;
                bs.add(new BasicBlock(kernels, b == 0 ? cin : widths[l], widths[l], stride, b == 0 && downsample[l]));
            }
            ls.add(Collections.unmodifiableList(bs));
            cin = widths[l];
        }
        this.layers = Collections.unmodifiableList(ls);
        this.fc = classes > 0 ? new Linear(kernels, widths[3], classes, true) : null;
    }

    /** Reads a {@code .pth} or safetensors file (see {@link StateDict#read}) and loads it. */
    public static ResNet18 load(Path file) throws IOException {
        return fromStateDict(StateDict.read(file), Kernels.get());
    }

    /** As {@link #load(Path)} with the given kernels (e.g. {@link Kernels#scalar()}). */
    public static ResNet18 load(Path file, Kernels kernels) throws IOException {
        return fromStateDict(StateDict.read(file), kernels);
    }

    public static ResNet18 fromStateDict(StateDict sd) {
        return fromStateDict(sd, Kernels.get());
    }

    /**
     * Builds torchvision's ResNet-18 at the width the weights give and loads them, strictly.
     *
     * <p>The architecture is fixed: a 7×7 stem of width {@code w} ({@code conv1.weight} is
     * {@code [w, 3, 7, 7]}), then four stages of {@link #BLOCKS} BasicBlocks of widths
     * {@code w, 2w, 4w, 8w}, the first block of stages 2-4 with stride 2 and a 1×1 downsample; the
     * fc is optional in torchvision's layout (both {@code fc.weight} and {@code fc.bias}, or neither).
     * torchvision's resnet18 and the seed model have {@code w = 64}, the bundled demo {@code w = 8}.
     * Every key this needs is checked, with its shape, before anything is allocated: a missing
     * block or bias, an extra stage or a mis-shaped tensor is a {@link vecnet.weights.StateDictMismatchException}
     * naming all of them.
     */
    public static ResNet18 fromStateDict(StateDict sd, Kernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        StateDict file = sd;
        String prefix = "";
        boolean sequential;
        if (sd.contains("conv1.weight")) {
            sequential = false;
        } else if (sd.contains("0.weight")) {
            sequential = true;
        } else if (sd.contains("resnet.0.weight")) {
            prefix = "resnet.";
            sd = sd.withoutPrefix(prefix);
            sequential = true;
        } else {
            List<String> first = sd.keys().subList(0, Math.min(3, sd.keys().size()));
            throw new IllegalArgumentException("not a ResNet state_dict: found neither 'conv1.weight' (torchvision),"
                    + " '0.weight' nor 'resnet.0.weight' (nn.Sequential of its children); " + sd.size() + " keys"
                    + (first.isEmpty() ? "" : ", first " + first.stream().map(Escape::quoted).toList()));
        }
        String stem = sequential ? "0.weight" : "conv1.weight";
        int[] stemShape = sd.shape(stem);
        if (stemShape.length != 4 || stemShape[0] < 1 || stemShape[1] != 3 || stemShape[2] != 7 || stemShape[3] != 7) {
            throw new IllegalArgumentException("ResNet stem '" + prefix + stem + "' must be [width, 3, 7, 7], got "
                    + Arrays.toString(stemShape));
        }
        int w = stemShape[0];
        int classes = 0;
        if (!sequential && (sd.contains("fc.weight") || sd.contains("fc.bias"))) {
            int[] fcShape = sd.contains("fc.weight") ? sd.shape("fc.weight") : sd.shape("fc.bias");
            classes = fcShape.length >= 1 && fcShape[0] > 0 ? fcShape[0] : 1;
        }
        file.requireShapes("ResNet18", prefix, withPrefix(prefix, expectedShapes(w, classes, sequential)));
        int[] widths = {w, 2 * w, 4 * w, 8 * w};
        ResNet18 net = new ResNet18(kernels, w, widths, BLOCKS, new boolean[] {false, true, true, true}, classes,
                sequential);
        file.loadInto(net, prefix);
        return net;
    }

    /** BasicBlocks per stage: ResNet-18's 2-2-2-2. */
    private static final int[] BLOCKS = {2, 2, 2, 2};

    /**
     * The state_dict of ResNet-18 of stem width {@code w}: every key with its shape, in
     * {@code state_dict()} order; with {@code fc} of {@code classes} outputs when {@code classes > 0}
     * (torchvision layout only); {@code sequential} names the children by index ({@code 0.weight},
     * {@code 4.0.conv1.weight}) as the seed's {@code nn.Sequential(*children[:-1])} does.
     */
    static Map<String, int[]> expectedShapes(int w, int classes, boolean sequential) {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put(sequential ? "0.weight" : "conv1.weight", new int[] {w, 3, 7, 7});
        batchNorm(m, sequential ? "1." : "bn1.", w);
        int cin = w;
        for (int l = 0; l < 4; l++) {
            int width = w << l;
            for (int b = 0; b < BLOCKS[l]; b++) {
                String p = layerPrefix(sequential, l) + b + ".";
                m.put(p + "conv1.weight", new int[] {width, b == 0 ? cin : width, 3, 3});
                batchNorm(m, p + "bn1.", width);
                m.put(p + "conv2.weight", new int[] {width, width, 3, 3});
                batchNorm(m, p + "bn2.", width);
                if (l > 0 && b == 0) {
                    m.put(p + "downsample.0.weight", new int[] {width, cin, 1, 1});
                    batchNorm(m, p + "downsample.1.", width);
                }
            }
            cin = width;
        }
        if (classes > 0) {
            m.put("fc.weight", new int[] {classes, 8 * w});
            m.put("fc.bias", new int[] {classes});
        }
        return m;
    }

    private static void batchNorm(Map<String, int[]> m, String p, int c) {
        m.put(p + "weight", new int[] {c});
        m.put(p + "bias", new int[] {c});
        m.put(p + "running_mean", new int[] {c});
        m.put(p + "running_var", new int[] {c});
        m.put(p + "num_batches_tracked", new int[0]);
    }

    static Map<String, int[]> withPrefix(String prefix, Map<String, int[]> m) {
        Map<String, int[]> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }

    private static String layerPrefix(boolean sequential, int l) {
        return sequential ? (l + 4) + "." : "layer" + (l + 1) + ".";
    }

    /** The same network (sharing its weights) running on {@code pool}. */
    public ResNet18 withPool(ComputePool pool) {
        return new ResNet18(this, Objects.requireNonNull(pool, "pool"));
    }

    public ComputePool pool() {
        return pool;
    }

    /** The width of the feature vector: the channels of layer4 (512 for torchvision's ResNet-18). */
    public int featureSize() {
        return layers.get(3).get(0).conv2.geometry().cout();
    }

    /** True when the weights had torchvision's {@code fc} classifier. */
    public boolean hasClassifier() {
        return fc != null;
    }

    @Override
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        BasicBlock.put(m, sequentialKeys ? "0." : "conv1.", conv1);
        BasicBlock.put(m, sequentialKeys ? "1." : "bn1.", bn1);
        for (int l = 0; l < 4; l++) {
            for (int b = 0; b < layers.get(l).size(); b++) {
                BasicBlock.put(m, layerPrefix(sequentialKeys, l) + b + ".", layers.get(l).get(b));
            }
        }
        if (fc != null) {
            BasicBlock.put(m, "fc.", fc);
        }
        return m;
    }

    /**
     * The image features after global average pooling and flatten.
     *
     * @param images {@code (N, 3, H, W)}, normalised as torchvision does; not modified
     * @return {@code (N, featureSize())}
     */
    public Tensor features(Tensor images) {
        images.requireShape("ResNet input (N, 3, H, W)", -1, 3, -1, -1);
        Tensor x = conv1.forward(images, pool, bn1.asEpilogue().withRelu());
        x = maxpool.forward(x, pool);
        for (List<BasicBlock> layer : layers) {
            for (BasicBlock block : layer) {
                x = block.forward(x, pool);
            }
        }
        x = avgpool.forward(x, pool);
        return x.reshape(x.dim(0), x.dim(1));
    }

    /**
     * ImageNet logits: {@code fc(features(images))}, {@code (N, 3, H, W) -> (N, classes)}; only for
     * weights that have torchvision's {@code fc}.
     */
    public Tensor classify(Tensor images) {
        if (fc == null) {
            throw new IllegalStateException("these ResNet weights have no fc classifier (fc.weight/fc.bias):"
                    + " use features()");
        }
        return fc.forward(features(images), pool);
    }

    /**
     * Classifies picture files, {@code batch} at a time: each batch is decoded and preprocessed by
     * {@code pre} (in parallel on this model's pool), then run; {@code progress} hears after each
     * batch. Only for weights with torchvision's {@code fc}.
     *
     * @return one prediction per file, in order
     * @throws IOException naming the first file that cannot be read as a picture
     */
    public List<Prediction> classifyFiles(List<Path> files, ImagePreprocessor pre, int batch, Progress progress)
            throws IOException {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        List<Prediction> out = new ArrayList<>(files.size());
        for (int from = 0; from < files.size(); from += batch) {
            int to = Math.min(files.size(), from + batch);
            out.addAll(Prediction.of(classify(pre.preprocess(files.subList(from, to), pool))));
            progress.update(to, files.size());
        }
        return out;
    }

    /**
     * The output of every child 0..8 in turn, unfused ({@code conv1}, {@code bn1}, {@code relu},
     * {@code maxpool}, {@code layer1..4}, {@code avgpool} as {@code (N, C, 1, 1)}), to find the first
     * stage that differs from a reference. Children 0..2 are computed one by one here; the fused
     * path of {@link #features} gives bit-identical values.
     */
    public List<Tensor> stages(Tensor images) {
        images.requireShape("ResNet input (N, 3, H, W)", -1, 3, -1, -1);
        List<Tensor> out = new ArrayList<>();
        Tensor x = conv1.forward(images, pool);
        out.add(x);
        x = bn1.forward(x, pool);
        out.add(x);
        x = relu.forward(x, pool);
        out.add(x);
        x = maxpool.forward(x, pool);
        out.add(x);
        for (List<BasicBlock> layer : layers) {
            for (BasicBlock block : layer) {
                x = block.forward(x, pool);
            }
            out.add(x);
        }
        out.add(avgpool.forward(x, pool));
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ResNet(widths ");
        for (int l = 0; l < 4; l++) {
            sb.append(l == 0 ? "" : "-").append(layers.get(l).get(0).conv1.geometry().cout());
        }
        sb.append(", blocks ");
        for (int l = 0; l < 4; l++) {
            sb.append(l == 0 ? "" : "-").append(layers.get(l).size());
        }
        return sb.append(fc == null ? ", no fc)" : ", fc " + fc.outFeatures() + " classes)").toString();
    }
}
