package vecnet.multimodal.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import vecnet.engine.ComputePool;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;
import vecnet.multimodal.train.Example;
import vecnet.multimodal.train.ModelInit;
import vecnet.multimodal.train.TrainOptions;
import vecnet.multimodal.train.Trainer;

/**
 * The demo model trained in Java, as {@code weights/python/train_demo.py} trains it: the same data
 * (samples {@code 0 .. 32·steps − 1} of {@code ShapesDataset(1)}, in order), the same sizes (ResNet
 * widths 8-16-32-64, embedding 32, LSTM 32, 8 classes, the bundled vocabulary), the whole network
 * trained from PyTorch's initialisation (seed 0, our own random stream), Adam with
 * {@code OneCycleLR(max_lr=3e-3, pct_start=0.15)} over {@code steps} steps of batch 32. One
 * difference: OneCycleLR's cycling of Adam's beta1 is not done (beta1 stays 0.9).
 */
public final class ShapesTraining {
    /** The script's numbers. */
    public static final int STEPS = 1500, BATCH = 32, TRAIN_SEED = 1, TEST_SEED = 2;
    public static final double LR = 3e-3;

    private ShapesTraining() {
    }

    /** A new demo-size model, initialised from {@code seed}. */
    public static FusionModel newModel(long seed, ComputePool pool) throws IOException {
        int rows = DemoModel.bundle().vocabulary().orElseThrow().maxId() + 1;
        return ModelInit.create(new ModelInit.Sizes(new int[] {8, 16, 32, 64}, rows, 32, 32,
                ShapesDataset.LABELS.size()), seed).withPool(pool);
    }

    /** The training examples: {@code steps·32} samples drawn lazily (pictures made when a batch needs them). */
    public static List<Example> examples(int steps) throws IOException {
        ShapesDataset data = new ShapesDataset(TRAIN_SEED);
        Tokenizer tokenizer = new Tokenizer(DemoModel.bundle().vocabulary().orElseThrow());
        ImagePreprocessor pre = ImagePreprocessor.imagenet();
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < steps * BATCH; i++) {
            long index = i;
            ShapesDataset.Question q = data.question(index);
            out.add(Example.ofImage(() -> pre.preprocess(data.sample(index).image()), tokenizer.encode(q.text()), q.label()));
        }
        return out;
    }

    /** The options of the script: one pass in order, Adam, OneCycleLR, the whole ResNet trained. */
    public static TrainOptions options() {
        return TrainOptions.defaults().withEpochs(1).withBatch(BATCH).withOptimizer("adam", LR, 0, 0).withShuffle(false)
                .withImageBranch("all", LR).withOneCycle(true);
    }

    /** Trains a new model for {@code steps} steps and returns it; {@code listener} sees each step. */
    public static FusionModel train(int steps, ComputePool pool, Trainer.Listener listener) throws IOException {
        FusionModel model = newModel(0, pool);
        Trainer trainer = new Trainer(model, options());
        return trainer.fit(examples(steps), List.of(), listener);
    }
}
