package vecnet.multimodal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.HasStateDict;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.AdaptiveAvgPool2d;
import vecnet.layers.BatchNorm2d;
import vecnet.layers.Conv2d;
import vecnet.layers.Gradients;
import vecnet.layers.Linear;
import vecnet.layers.MaxPool2d;
import vecnet.layers.ReLU;
import vecnet.layers.Traced;
import vecnet.weights.StateDict;
import vecnet.weights.internal.Escape;

/**
 * torchvision's ResNet-18 for inference, with
 * batch-norm folded into the convolutions.
 *
 * <pre>
 *   child 0 conv1    7×7 stride 2 padding 3, 3 -> w0 channels      (N, 3, H, W) -> (N, w0, H/2, W/2)
 *   child 1 bn1, child 2 relu                                      (fused into child 0's epilogue)
 *   child 3 maxpool  3×3 stride 2 padding 1                        -> (N, w0, H/4, W/4)
 *                    (with the vector kernels, one pass with child 0: Conv2d.forwardMaxPooled)
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
 * <p>Training: {@link #trace} is the forward pass kept for the backward pass, in the mode set by
 * {@link #train} (batch statistics or running ones); {@link Trace#backward} adds the gradient of every
 * parameter tracked in a {@link Gradients} and returns the image's; {@link #freezeInEvalMode} is the
 * seed's frozen backbone; {@link #weightsChanged()} refreshes the packed weights after an optimizer step.
 *
 * <p>For inference the model is immutable after loading and one instance may serve many threads at once; the
 * thread pool is a setting ({@link #withPool}), and results are bit-identical for any pool size.
 */
public final class ResNet18 implements HasStateDict {
    /** The names of children 0..8 in torchvision's order, for messages. */
    public static final List<String> CHILD_NAMES = List.of(
            "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool");

    // Not public: the weights reach users only through namedTensors()/parameters() and weightsChanged().
    final Conv2d conv1;
    final BatchNorm2d bn1;
    /** layer1..layer4 as {@code layers.get(0..3)}, each a list of blocks. */
    final List<List<BasicBlock>> layers;
    /** The classifier, or null (the seed's Sequential and headless torchvision files). */
    final Linear fc;

    private final ReLU relu;
    private final MaxPool2d maxpool;
    private final AdaptiveAvgPool2d avgpool;
    private final boolean sequentialKeys;
    private final ComputePool pool;
    private final Conv2d.Algorithm algorithm;
    /** PyTorch's {@code module.training}, shared by the {@link #withPool} copies; inference ignores it. */
    private final AtomicBoolean training;
    /** The activations' memory of {@link #features}, reused between calls, shared by the {@link #withPool} copies. */
    private final ActivationBuffers buffers;

    private ResNet18(ResNet18 base, ComputePool pool, Conv2d.Algorithm algorithm) {
        this.training = base.training;
        this.buffers = base.buffers;
        this.conv1 = base.conv1;
        this.bn1 = base.bn1;
        this.layers = base.layers;
        this.fc = base.fc;
        this.relu = base.relu;
        this.maxpool = base.maxpool;
        this.avgpool = base.avgpool;
        this.sequentialKeys = base.sequentialKeys;
        this.pool = pool;
        this.algorithm = algorithm;
    }

    private ResNet18(Kernels kernels, int stem, int[] widths, int[] blocks, boolean[] downsample, int classes,
                     boolean sequentialKeys) {
        this.sequentialKeys = sequentialKeys;
        this.pool = ComputePool.shared();
        this.algorithm = Conv2d.Algorithm.FASTEST;
        this.training = new AtomicBoolean(true);
        this.buffers = new ActivationBuffers();
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

    /**
     * torchvision's {@code resnet18()} geometry, every weight zero: widths 64-128-256-512, two blocks
     * per stage, {@code fc} 512 → {@code classes} (none when {@code classes} is 0). Its answers mean
     * nothing; it exists to {@link #warmUp()} the kernels of a ResNet-18 while the real weights are
     * still being read (about 45 MB of zeros for 1000 classes).
     */
    public static ResNet18 untrained(int classes) {
        if (classes < 0) {
            throw new IllegalArgumentException("classes must be 0 (no fc) or more, got " + classes);
        }
        return new ResNet18(Kernels.get(), 64, new int[] {64, 128, 256, 512}, new int[] {2, 2, 2, 2},
                new boolean[] {false, true, true, true}, classes, false);
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
        return new ResNet18(this, Objects.requireNonNull(pool, "pool"), algorithm);
    }

    public ComputePool pool() {
        return pool;
    }

    /**
     * The same network (sharing its weights and pool) whose inference convolutions run by
     * {@code algorithm}: {@link Conv2d.Algorithm#FASTEST} by default, {@link Conv2d.Algorithm#DIRECT}
     * for a short-lived process (fewer kernels to compile; slower once compiled). The logits of the two
     * differ by about 1e-6 relative. Training ({@link #trace}) always runs the direct algorithm.
     */
    public ResNet18 withAlgorithm(Conv2d.Algorithm algorithm) {
        return new ResNet18(this, pool, Objects.requireNonNull(algorithm, "algorithm"));
    }

    /** The algorithm of the inference convolutions; see {@link #withAlgorithm}. */
    public Conv2d.Algorithm algorithm() {
        return algorithm;
    }

    /** The width of the feature vector: the channels of layer4 (512 for torchvision's ResNet-18). */
    public int featureSize() {
        return layers.get(3).get(0).conv2.geometry().cout();
    }

    /** The output channels of layer1..layer4: {@code [64, 128, 256, 512]} for torchvision's ResNet-18. */
    public int[] widths() {
        int[] w = new int[layers.size()];
        for (int l = 0; l < w.length; l++) {
            w[l] = layers.get(l).get(0).conv2.geometry().cout();
        }
        return w;
    }

    /** True when the weights had torchvision's {@code fc} classifier. */
    public boolean hasClassifier() {
        return fc != null;
    }

    /** The number of classes of the {@code fc} classifier (only for weights that have one). */
    public int classes() {
        if (fc == null) {
            throw new IllegalStateException("these ResNet weights have no fc classifier");
        }
        return fc.outFeatures();
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
        Epilogue stemEpilogue = bn1.asEpilogue().withRelu();
        Tensor x = buffers.take(maxpool.outputShape(conv1.outputShape(images.shape())));
        if (!conv1.forwardMaxPooled(images, pool, stemEpilogue, maxpool, x)) {
            Tensor stem = conv1.forward(images, pool, stemEpilogue, buffers.take(conv1.outputShape(images.shape())),
                    algorithm);
            maxpool.forward(stem, pool, x);
            buffers.give(stem);
        }
        for (List<BasicBlock> layer : layers) {
            for (BasicBlock block : layer) {
                Tensor next = block.forward(x, pool, buffers, algorithm);
                buffers.give(x);
                x = next;
            }
        }
        Tensor pooled = avgpool.forward(x, pool);
        buffers.give(x);
        return pooled.reshape(pooled.dim(0), pooled.dim(1));
    }

    /**
     * Readies every layer for pictures of {@code height × width} (224 × 224 after the standard
     * preprocessing): weights packed, and transformed for Winograd (by {@link #algorithm()}), now rather than during the first
     * call of that size, which otherwise pays for them (about 0.3 s for ResNet-18). For a program
     * about to run one picture it can run while other start-up work does. Thread-safe; results are the
     * same with or without it.
     */
    public void prepare(int height, int width) {
        conv1.prepare(height, width, algorithm);
        int h = maxpool.outSize(conv1.geometry().outH(height)), w = maxpool.outSize(conv1.geometry().outW(width));
        for (List<BasicBlock> layer : layers) {
            for (BasicBlock block : layer) {
                int[] out = block.prepare(h, w, algorithm);
                h = out[0];
                w = out[1];
            }
        }
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
     * Classifies picture files, {@code batch} at a time, decoding ahead: the first batch is decoded
     * and preprocessed by {@code pre} on this model's pool; then, while a batch runs, the next one
     * is decoded on one background thread, so that decoding overlaps the compute. {@code progress}
     * hears after each batch. The predictions do not depend on this overlap (each picture is
     * preprocessed alone, the same way). Only for weights with torchvision's {@code fc}.
     *
     * @return one prediction per file, in order
     * @throws IOException naming the first file that cannot be read as a picture (the batches before
     *                     it have been run and reported to {@code progress})
     */
    public List<Prediction> classifyFiles(List<Path> files, ImagePreprocessor pre, int batch, Progress progress)
            throws IOException {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        List<Prediction> out = new ArrayList<>(files.size());
        if (files.isEmpty()) {
            return out;
        }
        ExecutorService decoder = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vecnet-decode");
            t.setDaemon(true);
            return t;
        });
        try {
            Tensor images = pre.preprocess(files.subList(0, Math.min(files.size(), batch)), pool); // both cores
            for (int from = 0; from < files.size(); from += batch) {
                int to = Math.min(files.size(), from + batch);
                Future<Tensor> next = to < files.size() ? decoder.submit(() -> decodeBatch(files, to, batch, pre)) : null;
                out.addAll(Prediction.of(classify(images)));
                progress.update(to, files.size());
                if (next != null) {
                    images = await(next);
                }
            }
            return out;
        } finally {
            decoder.shutdownNow();
        }
    }

    /** Files {@code from .. from+batch-1} (or fewer at the end) preprocessed on the calling thread. */
    private static Tensor decodeBatch(List<Path> files, int from, int batch, ImagePreprocessor pre) throws IOException {
        return pre.preprocess(files.subList(from, Math.min(files.size(), from + batch)), ComputePool.sequential());
    }

    /** The decoded batch, with the decoder's exception (an IOException naming the file) thrown as it was. */
    private static Tensor await(Future<Tensor> batch) throws IOException {
        try {
            return batch.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while decoding pictures");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    /**
     * Runs this network on small pictures until its kernels are most likely compiled by the JIT,
     * so that the first real call runs at full speed instead of taking seconds.
     *
     * <p>A JVM runs new code in its interpreter and compiles the hot methods with C2 after thousands
     * of calls and loop turns; the Vector API kernels are hundreds of times slower before that, so a
     * cold first pass over a 224×224 picture takes seconds where a compiled one takes tens of
     * milliseconds. This method makes {@value #WARM_UP_CALLS} calls of {@link #classify} (or
     * {@link #features} without {@code fc}) on one {@value #WARM_UP_SIZE}×{@value #WARM_UP_SIZE}
     * picture, which runs every convolution geometry, pooling, epilogue and the linear layer of the
     * network through the same code paths as a full-size picture, at 1/12 of its cost per call. The
     * number of calls was measured with {@code -XX:+PrintCompilation} on JDK 17 and 25: after it, C2
     * has compiled the GEMM micro-kernel, the im2col packing, the epilogues and the pooling, and a
     * full-size call takes about as long as a warm one. The first call costs most (seconds: the
     * kernels run interpreted until C2 is done with them); the others take milliseconds each.
     *
     * <p>Computes on this model's pool; thread-safe (the model is not changed, results are not kept);
     * never prints. Calling it again costs the same and does no harm.
     */
    public void warmUp() {
        Tensor picture = warmUpPicture(1, WARM_UP_SIZE);
        for (int i = 0; i < WARM_UP_CALLS; i++) {
            if (fc != null) {
                classify(picture);
            } else {
                features(picture);
            }
        }
    }

    /**
     * Compiles the kernels of a training step of ResNet-18 (the forward pass traced in training mode
     * and the backward pass with every parameter tracked, as {@code vecnet train
     * --train-image-branch} runs them) on a throwaway network of seeded random weights, so that the
     * first real step runs compiled code. {@link #warmUp()} does the same for inference, whose
     * kernels are different (Winograd, folded batch-norms).
     *
     * <p>It makes {@value #WARM_UP_TRAINING_STEPS} steps on {@value #WARM_UP_TRAINING_BATCH}
     * pictures of {@value #WARM_UP_SIZE}×{@value #WARM_UP_SIZE}: every convolution geometry, its
     * weight and input gradients, the batch statistics and the pooling's tie routing run through the
     * same code paths as at 224×224. Measured on a 2-core host (JDK 17, batch 32 at 224×224, 2
     * threads, the heap touched in advance so that only compilation differs): the first step took
     * 5.9-7.0 s cold and 3.8-3.9 s after this warm-up, which took 1.7-1.8 s; {@code vecnet train}
     * overlaps it with reading its pictures (8 steps instead of 2 showed no gain in its wall time).
     *
     * <p>Changes no model (it trains its own), keeps nothing, never prints; thread-safe.
     *
     * @param pool where the warm-up computes ({@link ComputePool#sequential()} keeps it on the
     *             calling thread)
     */
    public static void warmUpTraining(ComputePool pool) {
        ResNet18 net = untrained(0).withPool(pool);
        SplittableRandom random = new SplittableRandom(20260102L);
        for (Tensor p : net.parameters()) {
            float[] v = p.data();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextDouble() * 0.2 - 0.1);
            }
        }
        net.weightsChanged();
        Gradients grads = new Gradients().trackAll(net.parameters());
        Tensor pictures = warmUpPicture(WARM_UP_TRAINING_BATCH, WARM_UP_SIZE);
        Tensor gradient = Tensor.zeros(WARM_UP_TRAINING_BATCH, net.featureSize());
        Arrays.fill(gradient.data(), 1e-3f);
        for (int i = 0; i < WARM_UP_TRAINING_STEPS; i++) {
            grads.zero();
            net.trace(pictures, true).backward(gradient, grads, pool, false);
        }
    }

    /** Pictures per step of {@link #warmUpTraining}: batch statistics need more than one value. */
    static final int WARM_UP_TRAINING_BATCH = 2;
    /** Steps of {@link #warmUpTraining}; see its comment for how it was measured. */
    static final int WARM_UP_TRAINING_STEPS = 2;

    /** Side of the square pictures {@link #warmUp()} uses: layer4 still sees 2×2 pixels. */
    static final int WARM_UP_SIZE = 64;
    /**
     * How many calls {@link #warmUp()} makes. Measured with {@code -XX:+PrintCompilation} on a
     * loaded 2-core host: C2 finished the last ResNet kernels (pooling, reductions) after 8 to 11
     * calls on JDK 17 and 25, and after 12 calls a 224×224 call took about 1.5× a warm one.
     */
    static final int WARM_UP_CALLS = 16;

    /** {@code (n, 3, size, size)} of seeded values in [-2, 2), about what a normalised picture holds. */
    static Tensor warmUpPicture(int n, int size) {
        Tensor x = Tensor.zeros(n, 3, size, size);
        SplittableRandom random = new SplittableRandom(20260101L);
        float[] v = x.data();
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return x;
    }

    // ---------------------------------------------------------------------------------------------
    // Training

    /**
     * Sets the mode {@link #trace(Tensor)} uses, as PyTorch's {@code module.train(mode)}: in training
     * mode the batch-norms normalise with batch statistics and update their running ones; in eval
     * mode they use the running statistics, which stay fixed. A new model is in training mode, as in
     * PyTorch. Inference ({@link #features}) is always eval mode.
     */
    public ResNet18 train(boolean mode) {
        training.set(mode);
        return this;
    }

    /** True in training mode; see {@link #train}. */
    public boolean isTraining() {
        return training.get();
    }

    /**
     * The trainable tensors of the feature path, in state_dict order: every convolution's weight and
     * every batch-norm's weight and bias ({@code fc}, running statistics and counters excluded).
     * {@code grads.trackAll(resnet.parameters())} makes the whole network trainable. These are the
     * live tensors: after changing them, call {@link #weightsChanged()}.
     */
    public List<Tensor> parameters() {
        return parameters(0);
    }

    /**
     * {@link #parameters()} from stage {@code firstStage} on: 0 is the stem and every stage, 1..4
     * start at {@code layer1..layer4} (4: fine-tune layer4 only).
     */
    public List<Tensor> parameters(int firstStage) {
        if (firstStage < 0 || firstStage > 4) {
            throw new IllegalArgumentException("the first stage must be 0 (the stem) to 4 (layer4), got " + firstStage);
        }
        List<Tensor> out = new ArrayList<>();
        if (firstStage == 0) {
            out.add(conv1.weight);
            out.add(bn1.weight);
            out.add(bn1.bias);
        }
        for (int l = Math.max(firstStage, 1); l <= 4; l++) {
            for (BasicBlock b : layers.get(l - 1)) {
                out.add(b.conv1.weight);
                out.add(b.bn1.weight);
                out.add(b.bn1.bias);
                out.add(b.conv2.weight);
                out.add(b.bn2.weight);
                out.add(b.bn2.bias);
                if (b.downsample0 != null) {
                    out.add(b.downsample0.weight);
                    out.add(b.downsample1.weight);
                    out.add(b.downsample1.bias);
                }
            }
        }
        return out;
    }

    /**
     * The seed's setup in one call: the ResNet frozen ({@code requires_grad=False} on every parameter:
     * untracked in {@code grads}, so no gradient and no update) and kept in eval mode (running
     * statistics fixed).
     */
    public ResNet18 freezeInEvalMode(Gradients grads) {
        for (Tensor p : parameters()) {
            grads.untrack(p);
        }
        return train(false);
    }

    /**
     * Refreshes what the layers prepared from their weights (packed convolutions, folded
     * batch-norms): call it once after each optimizer step or any change through
     * {@link #namedTensors()} or {@link #parameters()}, before the next forward or trace (the traced
     * convolutions run on the packed weights too). See {@link HasStateDict}.
     */
    @Override
    public void weightsChanged() {
        conv1.weightsChanged();
        bn1.weightsChanged();
        for (List<BasicBlock> layer : layers) {
            for (BasicBlock b : layer) {
                b.weightsChanged();
            }
        }
        if (fc != null) {
            fc.weightsChanged();
        }
    }

    /** {@link #trace(Tensor, boolean)} in the mode set by {@link #train}. */
    public Trace trace(Tensor images) {
        return trace(images, isTraining());
    }

    /**
     * The forward pass of {@link #features} kept for the backward pass, each layer on its own (in
     * eval mode the features equal {@link #features}' bit for bit). In training mode the batch-norms'
     * running statistics move: call {@link #weightsChanged()} before the next inference forward.
     *
     * @param images {@code (N, 3, H, W)}, not modified
     */
    public Trace trace(Tensor images, boolean training) {
        images.requireShape("ResNet input (N, 3, H, W)", -1, 3, -1, -1);
        Conv2d.Trace c1 = conv1.trace(images, pool, training);
        BatchNorm2d.Trace b1 = bn1.trace(c1.output(), pool, training);
        ReLU.Trace r1 = relu.traceInPlace(b1.output(), pool);   // as torchvision's ReLU(inplace=True)
        MaxPool2d.Trace mp = maxpool.trace(r1.output(), pool);
        List<List<BasicBlock.Trace>> blocks = new ArrayList<>();
        List<Tensor> stages = new ArrayList<>();
        Tensor x = mp.output();
        for (List<BasicBlock> layer : layers) {
            List<BasicBlock.Trace> ts = new ArrayList<>();
            for (BasicBlock block : layer) {
                BasicBlock.Trace t = block.trace(x, pool, training);
                ts.add(t);
                x = t.output();
            }
            blocks.add(ts);
            stages.add(x);
        }
        AdaptiveAvgPool2d.Trace ap = avgpool.trace(x, pool);
        Tensor features = ap.output().reshape(x.dim(0), x.dim(1));
        return new Trace(this, c1, b1, r1, mp, blocks, ap, features, stages, new Tensor[4]);
    }

    /**
     * A traced ResNet: every layer's trace, the features, and the output of each stage
     * ({@code layer1..layer4}) with, once {@link #backward} has run, the gradient with respect to it
     * (Grad-CAM reads {@code stage(i)} and {@code stageGradient(i)}).
     */
    public record Trace(ResNet18 net, Conv2d.Trace conv1, BatchNorm2d.Trace bn1, ReLU.Trace relu,
                        MaxPool2d.Trace maxpool, List<List<BasicBlock.Trace>> blocks,
                        AdaptiveAvgPool2d.Trace avgpool, Tensor output, List<Tensor> stages,
                        Tensor[] stageGradients) implements Traced {

        /** The output of {@code layer<i>}, {@code i} in 1..4: {@code (N, C_i, H_i, W_i)}. */
        public Tensor stage(int i) {
            return stages.get(i - 1);
        }

        /** The gradient with respect to {@link #stage}(i), after {@link #backward}; null before. */
        public Tensor stageGradient(int i) {
            return stageGradients[i - 1];
        }

        /** Back-propagates {@code d features (N, C)}: parameter gradients into {@code grads}; returns d images. */
        @Override
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool) {
            return backward(gradOutput, grads, pool, true);
        }

        /**
         * As {@link #backward(Tensor, Gradients, ComputePool)}; with {@code imageGradient} false it
         * returns null and stops as soon as no tracked parameter is left upstream (PyTorch's autograd
         * does the same when the input does not require a gradient).
         */
        public Tensor backward(Tensor gradOutput, Gradients grads, ComputePool pool, boolean imageGradient) {
            gradOutput.requireShape("ResNet features gradient", output.shape());
            Tensor last = stages.get(3);
            Tensor d = avgpool.backward(gradOutput.reshape(last.dim(0), last.dim(1), 1, 1), grads, pool);
            for (int l = 3; l >= 0; l--) {
                stageGradients[l] = d;
                List<BasicBlock.Trace> ts = blocks.get(l);
                for (int b = ts.size() - 1; b >= 0; b--) {
                    if (!imageGradient && !net.tracksUpTo(grads, l, b)) {
                        return null;
                    }
                    d = ts.get(b).backward(d, grads, pool);
                }
            }
            if (!imageGradient && !net.tracksUpTo(grads, -1, 0)) {
                return null;
            }
            d = maxpool.backward(d, grads, pool);
            d = relu.backward(d, grads, pool);
            d = bn1.backward(d, grads, pool);
            return conv1.backward(d, grads, pool, imageGradient);
        }
    }

    /** True when {@code grads} tracks a parameter of the stem or of a block up to block {@code b} of stage {@code l} (l = −1: the stem alone). */
    private boolean tracksUpTo(Gradients grads, int l, int b) {
        boolean any = grads.tracks(conv1.weight) || grads.tracks(bn1.weight) || grads.tracks(bn1.bias);
        for (int i = 0; i <= l && !any; i++) {
            List<BasicBlock> layer = layers.get(i);
            for (int j = 0; j < (i == l ? b + 1 : layer.size()) && !any; j++) {
                for (Tensor t : layer.get(j).namedTensors().values()) {
                    any |= grads.tracks(t);
                }
            }
        }
        return any;
    }

    /**
     * The class activation map of one image for the classifier weights {@code classWeights} (one row
     * of a linear layer over the features, length {@link #featureSize()}): with layer4's activations
     * {@code A (F, h, w)}, {@code cam[y,x] = (1/(h·w)) Σ_k classWeights[k] · A_k(y,x)}, whose sum is
     * {@code classWeights · features(image)} (7×7 for a 224×224 image). See {@link Explainer}.
     *
     * @param image {@code (1, 3, H, W)}, preprocessed; not modified
     */
    public Explanation.Grid cam(Tensor image, float[] classWeights) {
        image.requireShape("image (1, 3, H, W)", 1, 3, -1, -1);
        if (classWeights.length != featureSize()) {
            throw new IllegalArgumentException("class weights must have " + featureSize() + " values, got "
                    + classWeights.length);
        }
        return Explainer.cam(trace(image, false).stage(4), classWeights, 0);
    }

    /** The class activation map of {@code fc}'s class {@code classIndex} (weights with torchvision's fc only). */
    public Explanation.Grid cam(Tensor image, int classIndex) {
        Objects.checkIndex(classIndex, fc().outFeatures());
        int in = featureSize();
        float[] row = new float[in];
        System.arraycopy(fc().weight.data(), classIndex * in, row, 0, in);
        return cam(image, row);
    }

    private Linear fc() {
        if (fc == null) {
            throw new IllegalStateException("these ResNet weights have no fc classifier");
        }
        return fc;
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
