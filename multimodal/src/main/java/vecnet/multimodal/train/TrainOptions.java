package vecnet.multimodal.train;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * What {@link Trainer} does: epochs, batch size, optimizer and its hyper-parameters, the seed, the
 * batch order, the image branch (frozen, or trained from a stage), checkpoints and the feature cache.
 * Immutable; each {@code withX} returns a changed copy.
 *
 * @param epochs           passes over the training set, {@code ≥ 1}
 * @param batch            samples per step, {@code ≥ 1}; the last batch of an epoch may be smaller
 * @param optimizer        {@code sgd}, {@code adam} or {@code adamw}
 * @param lr               the learning rate of the text branch and the head
 * @param momentum         SGD's momentum
 * @param weightDecay      SGD's and Adam's L2 penalty, AdamW's decoupled decay
 * @param seed             seeds the shuffling (and, in {@link ModelInit}, the initial weights)
 * @param shuffle          false: batches in dataset order, PyTorch's {@code DataLoader(shuffle=False, drop_last=False)}
 * @param imageBranch      null: the ResNet frozen in eval mode; {@code all} or {@code layer1..layer4}:
 *                         trained from that stage on (the earlier stages frozen)
 * @param imageLr          the image branch's learning rate (NaN: {@code lr})
 * @param oneCycle         true: {@code OneCycleLR(max_lr=lr, total_steps, pct_start=0.15)} stepped after each step
 * @param checkpoint       the checkpoint file written after each epoch and on stop, or null
 * @param featureCache     a folder for image features keyed by content, or null (memory only)
 */
public record TrainOptions(int epochs, int batch, String optimizer, double lr, double momentum, double weightDecay,
                           long seed, boolean shuffle, String imageBranch, double imageLr, boolean oneCycle,
                           Path checkpoint, Path featureCache) {
    public TrainOptions {
        if (epochs < 1 || batch < 1) {
            throw new IllegalArgumentException("epochs and batch must be ≥ 1, got " + epochs + ", " + batch);
        }
        optimizer = Objects.requireNonNull(optimizer, "optimizer").toLowerCase(Locale.ROOT);
        if (!optimizer.equals("sgd") && !optimizer.equals("adam") && !optimizer.equals("adamw")) {
            throw new IllegalArgumentException("optimizer must be sgd, adam or adamw, got '" + optimizer + "'");
        }
        if (!(lr > 0) || momentum < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("lr must be > 0, momentum and weight decay ≥ 0");
        }
        if (imageBranch != null && firstStage(imageBranch) < 0) {
            throw new IllegalArgumentException("image branch must be all, layer1, layer2, layer3 or layer4, got '"
                    + imageBranch + "'");
        }
    }

    /** 10 epochs of batch 32, Adam at 1e-3, seed 0, shuffled, the image branch frozen, no checkpoint. */
    public static TrainOptions defaults() {
        return new TrainOptions(10, 32, "adam", 1e-3, 0.9, 0, 0, true, null, Double.NaN, false, null, null);
    }

    /** -1 for an unknown name; 0 for all (the stem too), 1..4 for layer1..layer4. */
    static int firstStage(String name) {
        return switch (name) {
            case "all" -> 0;
            case "layer1" -> 1;
            case "layer2" -> 2;
            case "layer3" -> 3;
            case "layer4" -> 4;
            default -> -1;
        };
    }

    public TrainOptions withEpochs(int n) {
        return new TrainOptions(n, batch, optimizer, lr, momentum, weightDecay, seed, shuffle, imageBranch, imageLr, oneCycle, checkpoint, featureCache);
    }

    public TrainOptions withBatch(int n) {
        return new TrainOptions(epochs, n, optimizer, lr, momentum, weightDecay, seed, shuffle, imageBranch, imageLr, oneCycle, checkpoint, featureCache);
    }

    public TrainOptions withOptimizer(String name, double learningRate, double mom, double decay) {
        return new TrainOptions(epochs, batch, name, learningRate, mom, decay, seed, shuffle, imageBranch, imageLr, oneCycle, checkpoint, featureCache);
    }

    public TrainOptions withSeed(long s) {
        return new TrainOptions(epochs, batch, optimizer, lr, momentum, weightDecay, s, shuffle, imageBranch, imageLr, oneCycle, checkpoint, featureCache);
    }

    public TrainOptions withShuffle(boolean on) {
        return new TrainOptions(epochs, batch, optimizer, lr, momentum, weightDecay, seed, on, imageBranch, imageLr, oneCycle, checkpoint, featureCache);
    }

    public TrainOptions withImageBranch(String from, double learningRate) {
        return new TrainOptions(epochs, batch, optimizer, lr, momentum, weightDecay, seed, shuffle, from, learningRate, oneCycle, checkpoint, featureCache);
    }

    public TrainOptions withOneCycle(boolean on) {
        return new TrainOptions(epochs, batch, optimizer, lr, momentum, weightDecay, seed, shuffle, imageBranch, imageLr, on, checkpoint, featureCache);
    }

    public TrainOptions withCheckpoint(Path file) {
        return new TrainOptions(epochs, batch, optimizer, lr, momentum, weightDecay, seed, shuffle, imageBranch, imageLr, oneCycle, file, featureCache);
    }

    public TrainOptions withFeatureCache(Path dir) {
        return new TrainOptions(epochs, batch, optimizer, lr, momentum, weightDecay, seed, shuffle, imageBranch, imageLr, oneCycle, checkpoint, dir);
    }

    /** True when the image branch is trained. */
    public boolean trainsImageBranch() {
        return imageBranch != null;
    }
}
