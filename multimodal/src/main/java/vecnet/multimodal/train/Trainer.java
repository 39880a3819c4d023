package vecnet.multimodal.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.layers.Gradients;
import vecnet.layers.train.Adam;
import vecnet.layers.train.CrossEntropyLoss;
import vecnet.layers.train.LrScheduler;
import vecnet.layers.train.Optimizer;
import vecnet.layers.train.ParamGroup;
import vecnet.layers.train.SGD;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.FusionTrainer;
import vecnet.multimodal.ResNet18;

/**
 * Trains a {@link FusionModel} on a list of {@link Example}s: the library behind {@code vecnet train}.
 *
 * <p><b>Image branch frozen</b> (the default, the seed's setup): the ResNet stays in eval mode and
 * gets no update, so each image's features are computed once ({@link #features}: one image per
 * thread of the pool, decoded and run alone; features cached in memory and, with {@link TrainOptions#featureCache()},
 * on disk keyed by the image's content and the ResNet's weights); an epoch then costs the text
 * branch and the head only ({@link FusionTrainer}). <b>Image branch trained</b>
 * ({@link TrainOptions#imageBranch()}): each step traces the ResNet in training mode (batch
 * statistics, as PyTorch's {@code model.train()}), the stages before the named one frozen, feeds its
 * features to {@link FusionTrainer#forwardBackward} and sends the image-feature gradient back
 * through the ResNet; the ResNet's parameters form a second parameter group with their own rate.
 *
 * <p><b>Order.</b> Without shuffling, batches follow the dataset order and the last one may be
 * smaller (PyTorch's {@code DataLoader(shuffle=False, drop_last=False)}). With shuffling, epoch
 * {@code e}'s order is a Fisher–Yates permutation drawn from {@code SplittableRandom(seed)} split
 * {@code e + 1} times: a pure function of {@code (seed, e)}, which is the whole random state a
 * checkpoint needs.
 *
 * <p><b>Same bits.</b> Every kernel is bit-identical for any thread count and nothing else depends
 * on timing, so the same data, options and seed give the same model on any pool size; a run resumed
 * from a checkpoint ({@link #restore}) ends with the same bits as one never stopped.
 *
 * <p>Not thread-safe: one trainer runs one training loop.
 */
public final class Trainer {
    private static final int EVAL_BATCH = 64;

    /** What a training run reports; every method has a default that ignores it. */
    public interface Listener {
        /** {@code done} of {@code total} images have their features (frozen image branch). */
        default void features(int done, int total) {
        }

        /** A step is done. */
        default void step(StepInfo info) {
        }

        /** An epoch is done (after validation). */
        default void epoch(EpochResult result) {
        }

        /** Polled after each step: true stops the run there, after writing the checkpoint. */
        default boolean stopRequested() {
            return false;
        }
    }

    /**
     * One step: its epoch (from 1), its index in the epoch (from 1) of {@code steps}, the global step
     * (from 1), its loss, and the epoch so far (mean loss, accuracy, samples).
     */
    public record StepInfo(int epoch, int step, int steps, long globalStep, float loss, double epochLoss,
                           double epochAccuracy, int epochSamples) {
    }

    /**
     * One epoch: mean training loss and accuracy, validation accuracy (NaN without validation data),
     * the best epoch so far (by validation accuracy), the seconds it took.
     */
    public record EpochResult(int epoch, int epochs, double loss, double accuracy, double valAccuracy, int bestEpoch,
                              double bestValAccuracy, int samples, double seconds) {
    }

    /** A non-finite loss: the run stops before that step's update. */
    public static final class DivergedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long step;

        DivergedException(long step, float loss) {
            super("the loss is " + loss + " at step " + step + "; stopped before updating (lower --lr?)");
            this.step = step;
        }

        /** The global step (from 1) whose loss was not finite. */
        public long step() {
            return step;
        }
    }

    private final FusionModel model;
    private final TrainOptions options;
    private final ComputePool pool;
    private final Gradients grads = new Gradients();
    private final Optimizer optimizer;
    private final FusionTrainer head;
    private final Map<Tensor, String> names = new IdentityHashMap<>();
    private LrScheduler scheduler;
    private final TrainState state = new TrainState();
    private boolean stopped;

    /** A trainer that updates {@code model}'s tensors in place, on {@code model.pool()}. */
    public Trainer(FusionModel model, TrainOptions options) {
        this.model = Objects.requireNonNull(model, "model");
        this.options = Objects.requireNonNull(options, "options");
        this.pool = model.pool();
        model.namedTensors().forEach((k, t) -> names.put(t, k));
        List<Tensor> headParams = FusionTrainer.trainableOf(model);
        grads.trackAll(headParams);
        List<ParamGroup> groups = new ArrayList<>();
        groups.add(new ParamGroup(headParams, options.lr()));
        ResNet18 resnet = model.resnet();
        if (options.trainsImageBranch()) {
            List<Tensor> image = resnet.parameters(TrainOptions.firstStage(options.imageBranch()));
            grads.trackAll(image);
            double lr = Double.isNaN(options.imageLr()) ? options.lr() : options.imageLr();
            groups.add(new ParamGroup(image, lr));
            resnet.train(true);
        } else {
            resnet.freezeInEvalMode(grads);
        }
        optimizer = switch (options.optimizer()) {
            case "sgd" -> new SGD(grads, groups, options.momentum(), 0, options.weightDecay(), false);
            case "adam" -> Adam.adam(grads, groups, 0.9, 0.999, 1e-8, options.weightDecay());
            default -> Adam.adamW(grads, groups, 0.9, 0.999, 1e-8, options.weightDecay());
        };
        head = new FusionTrainer(model, grads, optimizer, new CrossEntropyLoss());
    }

    /** The model being trained (its tensors change in place). */
    public FusionModel model() {
        return model;
    }

    /** True when the last {@link #fit} stopped because the listener asked. */
    public boolean stopped() {
        return stopped;
    }

    /** Steps per epoch for {@code n} samples. */
    public int stepsPerEpoch(int n) {
        return (n + options.batch() - 1) / options.batch();
    }

    /**
     * Continues from a checkpoint written by a run with the same model shape and options: the
     * weights, optimizer state, position (epoch, step) and best epoch are restored.
     */
    public void restore(Path checkpoint) throws IOException {
        Checkpoint.read(checkpoint, model, optimizer, names, state, fingerprint());
    }

    /**
     * Trains; returns the model (its tensors trained in place), with the best epoch's weights when
     * validation data are given.
     *
     * @param train    at least one example
     * @param val      validation examples (may be empty)
     * @param listener progress; {@code new Listener() {}} for none
     * @throws DivergedException on a non-finite loss (the last checkpoint is kept)
     */
    public FusionModel fit(List<Example> train, List<Example> val, Listener listener) throws IOException {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training example");
        }
        stopped = false;
        int classes = model.numClasses();
        for (List<Example> set : List.of(train, val)) {
            for (Example e : set) {
                if (e.label() >= classes) {
                    throw new IllegalArgumentException(where(e) + "label " + e.label() + " but the model has " + classes
                            + " classes");
                }
            }
        }
        boolean frozen = !options.trainsImageBranch();
        float[][] trainFeatures = null, valFeatures = null;
        if (frozen) {
            List<Example> all = new ArrayList<>(train);
            all.addAll(val);
            float[][] f = features(all, listener);
            trainFeatures = java.util.Arrays.copyOfRange(f, 0, train.size());
            valFeatures = java.util.Arrays.copyOfRange(f, train.size(), f.length);
        }
        int steps = stepsPerEpoch(train.size());
        if (options.oneCycle()) {
            scheduler = LrScheduler.oneCycleLR(optimizer, options.lr(), steps * options.epochs(), 0.15);
            scheduler.advance((int) state.globalStep);
        }
        while (state.epoch < options.epochs()) {
            long t0 = System.nanoTime();
            int[] order = order(train.size(), state.epoch);
            for (int s = state.stepInEpoch; s < steps; s++) {
                int from = s * options.batch(), to = Math.min(train.size(), from + options.batch());
                int[] idx = java.util.Arrays.copyOfRange(order, from, to);
                float loss = step(train, trainFeatures, idx);
                state.stepInEpoch = s + 1;
                listener.step(new StepInfo(state.epoch + 1, s + 1, steps, state.globalStep, loss,
                        state.lossSum / state.seen, (double) state.correct / state.seen, state.seen));
                if (listener.stopRequested()) {
                    saveCheckpoint();
                    stopped = true;
                    return model;
                }
            }
            double valAcc = val.isEmpty() ? Double.NaN : accuracy(val, valFeatures);
            EpochResult r = endEpoch(valAcc, train.size(), steps, (System.nanoTime() - t0) / 1e9);
            saveCheckpoint();
            listener.epoch(r);
        }
        if (state.best != null) {
            Checkpoint.copyInto(state.best, model);
            weightsChanged();
        }
        return model;
    }

    private EpochResult endEpoch(double valAcc, int samples, int steps, double seconds) {
        int epoch = state.epoch + 1;
        double loss = state.lossSum / state.seen, acc = (double) state.correct / state.seen;
        if (!Double.isNaN(valAcc) && (state.bestEpoch == 0 || valAcc > state.bestAcc)) {
            state.bestEpoch = epoch;
            state.bestAcc = valAcc;
            state.best = Checkpoint.snapshot(model);
        }
        state.epoch++;
        state.stepInEpoch = 0;
        state.lossSum = 0;
        state.correct = 0;
        state.seen = 0;
        return new EpochResult(epoch, options.epochs(), loss, acc, valAcc, state.bestEpoch, state.bestAcc, samples, seconds);
    }

    private void saveCheckpoint() throws IOException {
        if (options.checkpoint() != null) {
            Checkpoint.write(options.checkpoint(), model, optimizer, names, state, fingerprint());
        }
    }

    /** The options a resumed run must share with the one that wrote the checkpoint (all but the epoch count and the files). */
    private String fingerprint() {
        TrainOptions o = options;
        return "batch=" + o.batch() + " optimizer=" + o.optimizer() + " lr=" + o.lr() + " momentum=" + o.momentum()
                + " weight_decay=" + o.weightDecay() + " seed=" + o.seed() + " shuffle=" + o.shuffle() + " image_branch="
                + o.imageBranch() + " image_lr=" + o.imageLr() + " one_cycle=" + o.oneCycle();
    }

    /** One optimizer step on the samples {@code idx}; returns its loss. */
    private float step(List<Example> data, float[][] features, int[] idx) throws IOException {
        int n = idx.length;
        int[][] ids = new int[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = data.get(idx[i]).tokenIds();
            labels[i] = data.get(idx[i]).label();
        }
        long global = state.globalStep + 1;
        grads.zero();
        FusionTrainer.Step s;
        if (features != null) {
            s = head.forwardBackward(stack(features, idx), ids, labels);
            finite(s.loss(), global);
        } else {
            ResNet18.Trace trace = model.resnet().trace(images(data, idx), true);
            s = head.forwardBackward(trace.output(), ids, labels);
            finite(s.loss(), global);
            trace.backward(s.imageFeatureGradient(), grads, pool, false);
        }
        optimizer.step();
        weightsChanged();
        if (scheduler != null) {
            scheduler.step();
        }
        state.globalStep = global;
        float[] logits = s.logits().data();
        int classes = s.logits().dim(1);
        for (int i = 0; i < n; i++) {
            state.correct += argmax(logits, i * classes, classes) == labels[i] ? 1 : 0;
        }
        state.lossSum += (double) s.loss() * n;
        state.seen += n;
        return s.loss();
    }

    private static void finite(float loss, long step) {
        if (!Float.isFinite(loss)) {
            throw new DivergedException(step, loss);
        }
    }

    private void weightsChanged() {
        head.weightsChanged();
        if (options.trainsImageBranch()) {
            model.resnet().weightsChanged();
        }
    }

    /** Epoch {@code epoch}'s order of {@code n} samples (see the class comment). */
    int[] order(int n, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (options.shuffle()) {
            SplittableRandom r = new SplittableRandom(options.seed());
            for (int e = 0; e <= epoch; e++) {
                r = r.split();
            }
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** Accuracy of the current model on {@code data} (eval mode; {@code features} when frozen, else the images). */
    public double accuracy(List<Example> data, float[][] features) throws IOException {
        int correct = 0;
        for (int from = 0; from < data.size(); from += EVAL_BATCH) {
            int to = Math.min(data.size(), from + EVAL_BATCH);
            int[] idx = new int[to - from];
            int[][] ids = new int[idx.length][];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = from + i;
                ids[i] = data.get(from + i).tokenIds();
            }
            Tensor img = features != null ? stack(features, idx) : model.resnet().features(images(data, idx));
            Tensor logits = model.head(img, model.text().encode(ids, pool));
            int classes = logits.dim(1);
            for (int i = 0; i < idx.length; i++) {
                correct += argmax(logits.data(), i * classes, classes) == data.get(from + i).label() ? 1 : 0;
            }
        }
        return data.isEmpty() ? Double.NaN : (double) correct / data.size();
    }

    private static Tensor concat(Tensor a, Tensor b) {
        int n = a.dim(0), fa = a.dim(1), fb = b.dim(1);
        Tensor out = Tensor.zeros(n, fa + fb);
        for (int i = 0; i < n; i++) {
            System.arraycopy(a.data(), i * fa, out.data(), i * (fa + fb), fa);
            System.arraycopy(b.data(), i * fb, out.data(), i * (fa + fb) + fa, fb);
        }
        return out;
    }

    private static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (v[off + i] > v[off + best]) {
                best = i;
            }
        }
        return best;
    }

    private static Tensor stack(float[][] features, int[] idx) {
        int f = features[idx[0]].length;
        Tensor out = Tensor.zeros(idx.length, f);
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(features[idx[i]], 0, out.data(), i * f, f);
        }
        return out;
    }

    /** The images of {@code idx}, decoded in parallel on the pool, stacked to {@code (N, 3, H, W)}. */
    private Tensor images(List<Example> data, int[] idx) {
        Tensor[] one = new Tensor[idx.length];
        pool.parallelFor(idx.length, i -> one[i] = load(data.get(idx[i])));
        int[] shape = one[0].shape();
        int per = one[0].size();
        int h = shape[shape.length - 2], w = shape[shape.length - 1];
        Tensor out = Tensor.zeros(idx.length, 3, h, w);
        for (int i = 0; i < idx.length; i++) {
            if (one[i].size() != per) {
                throw new IllegalArgumentException(where(data.get(idx[i])) + "image of shape "
                        + java.util.Arrays.toString(one[i].shape()) + " in a batch of " + java.util.Arrays.toString(shape));
            }
            System.arraycopy(one[i].data(), 0, out.data(), i * per, per);
        }
        return out;
    }

    private static Tensor load(Example e) {
        try {
            Tensor t = e.image().load();
            if (t.rank() == 4 && t.dim(0) == 1) {
                t = t.reshape(t.dim(1), t.dim(2), t.dim(3));
            }
            return t.requireShape("image (3, H, W)", 3, -1, -1);
        } catch (IOException x) {
            throw new UncheckedIOException(where(e) + x.getMessage(), x);
        }
    }

    private static String where(Example e) {
        return e.source() == null ? "" : e.source() + ": ";
    }

    /**
     * The image features of every example (given ones as they are), each image run alone through the
     * ResNet in eval mode: each thread of the pool decodes one image and runs it on one core, features
     * from memory or the disk cache when there, else computed and stored. The same bits on any pool.
     */
    public float[][] features(List<Example> data, Listener listener) throws IOException {
        float[][] out = new float[data.size()][];
        String weights = options.featureCache() == null ? null : resnetDigest(model.resnet());
        List<Integer> todo = new ArrayList<>();
        Map<String, float[]> byKey = new java.util.HashMap<>();
        Map<String, Integer> pending = new java.util.HashMap<>();
        Map<Integer, Integer> duplicates = new java.util.LinkedHashMap<>();
        int done = 0;
        for (int i = 0; i < data.size(); i++) {
            Example e = data.get(i);
            if (e.features() != null) {
                out[i] = e.features();
            } else if (e.cacheKey() != null && byKey.containsKey(e.cacheKey())) {
                out[i] = byKey.get(e.cacheKey());
            } else if (weights != null && e.cacheKey() != null
                    && (out[i] = readCached(options.featureCache().resolve(e.cacheKey() + "-" + weights + ".f32"))) != null) {
                byKey.put(e.cacheKey(), out[i]);
            } else if (e.cacheKey() != null && pending.containsKey(e.cacheKey())) {
                duplicates.put(i, pending.get(e.cacheKey())); // the same picture as an earlier row
                continue;
            } else {
                if (e.cacheKey() != null) {
                    pending.put(e.cacheKey(), i);
                }
                todo.add(i);
                continue;
            }
            done++;
        }
        listener.features(done, data.size());
        // One picture per thread, each decoded and run alone on a single-threaded copy of the network:
        // at batch 1 that keeps both cores busier than splitting every layer between them, and the
        // features are the same bits either way (results never depend on the thread count).
        ResNet18 alone = model.resnet().withPool(ComputePool.sequential());
        int chunk = Math.max(1, pool.threads() * 4);
        for (int c = 0; c < todo.size(); c += chunk) {
            List<Integer> part = todo.subList(c, Math.min(todo.size(), c + chunk));
            float[][] got = new float[part.size()][];
            pool.parallelFor(part.size(), i -> {
                Tensor img = load(data.get(part.get(i)));
                got[i] = alone.features(img.reshape(1, 3, img.dim(1), img.dim(2))).data();
            });
            for (int i = 0; i < part.size(); i++) {
                int k = part.get(i);
                Example e = data.get(k);
                out[k] = got[i];
                if (e.cacheKey() != null && weights != null) {
                    writeCached(options.featureCache().resolve(e.cacheKey() + "-" + weights + ".f32"), out[k]);
                }
                listener.features(++done, data.size());
            }
        }
        for (Map.Entry<Integer, Integer> d : duplicates.entrySet()) {
            out[d.getKey()] = out[d.getValue()];
            listener.features(++done, data.size());
        }
        return out;
    }

    private static float[] readCached(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        byte[] b = Files.readAllBytes(file);
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    private static void writeCached(Path file, float[] f) throws IOException {
        Files.createDirectories(file.getParent());
        ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, b.array());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The first 16 hex digits of a SHA-256 over the ResNet's tensors: a cached feature belongs to these weights. */
    static String resnetDigest(ResNet18 resnet) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Tensor> e : resnet.namedTensors().entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ByteBuffer b = ByteBuffer.allocate(e.getValue().size() * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(e.getValue().data());
                md.update(b.array());
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The position and best epoch of a run: what a checkpoint adds to the weights and optimizer state. */
    static final class TrainState {
        int epoch;
        int stepInEpoch;
        long globalStep;
        double lossSum;
        int correct, seen;
        int bestEpoch;
        double bestAcc;
        Map<String, float[]> best;
    }
}
