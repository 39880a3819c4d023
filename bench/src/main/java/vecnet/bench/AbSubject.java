package vecnet.bench;

import java.util.SplittableRandom;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.TextEncoder;
import vecnet.weights.StateDict;

/**
 * What {@link AbAlternate} times: one case, built from the engine of whichever build loaded this
 * class. Kept to API that older builds also have, so that a build from before this class can be
 * timed against a newer one (bench/ab.sh loads this class next to each build's jar).
 */
public final class AbSubject {
    private AbSubject() {
    }

    /**
     * One call of {@code name}: {@code resnet18} (ResNet-18's logits, random weights, {@code batch}
     * pictures), {@code stempool} (its stem and max pooling in one pass, {@link Kernels#planConvMaxPool}),
     * {@code sgemm:<size>} (square matrices), {@code text:<tokens>} (the seed's text branch, as
     * {@link TextBranchBenchmark}), {@code fusion:<tokens>} (the seed's whole model on {@code batch}
     * pictures and texts, as {@link FusionModelBenchmark}) or {@code conv:<layer>} (one of {@link ConvBenchmark}'s layers with batch-norm,
     * residual and ReLU, cycling through 8 copies of its weights so that they come from memory as in
     * a forward pass).
     */
    public static Runnable make(String name, int threads, int batch) {
        ComputePool pool = ComputePool.create(threads);
        if (name.equals("resnet18")) {
            ResNet18 model = ResNet18.fromStateDict(StateDict.of(RandomModels.resnet18("", true, 1))).withPool(pool);
            Tensor images = RandomModels.images(batch, 2);
            return () -> model.classify(images);
        }
        if (name.startsWith("sgemm:")) { // sgemm:<size>, C = A·B on square matrices
            int size = Integer.parseInt(name.substring(6));
            SplittableRandom rnd = new SplittableRandom(3);
            float[] a = random(rnd, size * size), b = random(rnd, size * size), c = new float[size * size];
            Kernels kernels = Kernels.get();
            return () -> kernels.sgemm(pool, size, size, size, a, 0, size, b, 0, size, false, c, 0, size, Epilogue.NONE);
        }
        if (name.equals("train")) { // one SGD step of ResNet-18 on batch pictures, as ResNet18TrainingBenchmark
            ResNet18TrainingBenchmark step = new ResNet18TrainingBenchmark();
            step.batch = batch;
            step.threads = threads;
            step.setup();
            return step::step;
        }
        if (name.startsWith("text:")) { // text:<tokens>, Embedding → LSTM → last step, one sequence
            TextEncoder text = TextEncoder.fromStateDict(RandomModels.fusion(1));
            int[][] ids = RandomModels.tokens(1, Integer.parseInt(name.substring(5)), 3);
            return () -> text.encode(ids, pool);
        }
        if (name.startsWith("fusion:")) { // fusion:<tokens>, image and text branches, then the head
            FusionModel model = FusionModel.fromStateDict(RandomModels.fusion(1)).withPool(pool);
            Tensor images = RandomModels.images(batch, 2);
            int[][] ids = RandomModels.tokens(batch, Integer.parseInt(name.substring(7)), 3);
            return () -> model.predict(images, ids);
        }
        if (name.equals("stempool")) {
            ConvGeometry g = ConvGeometry.square(3, 64, 7, 2, 3);
            SplittableRandom rnd = new SplittableRandom(7);
            float[] x = random(rnd, batch * 3 * 224 * 224), y = new float[batch * 64 * 56 * 56];
            Epilogue ep = Epilogue.rowAffine(random(rnd, 64), random(rnd, 64)).withRelu();
            Kernels.ConvPoolPlan plan = Kernels.get().planConvMaxPool(g, random(rnd, g.weightSize()), 3, 2, 1);
            return () -> plan.run(pool, x, batch, 224, 224, ep, y);
        }
        if (!name.startsWith("conv:")) {
            throw new IllegalArgumentException("unknown case " + name
                    + " (resnet18, stempool, train, sgemm:<size>, text:<tokens>, fusion:<tokens> or conv:<layer>)");
        }
        int[] s = convLayer(name.substring(5));
        ConvGeometry g = ConvGeometry.square(s[0], s[1], s[2], s[3], s[4]);
        int h = s[5];
        SplittableRandom rnd = new SplittableRandom(7);
        float[] x = random(rnd, batch * s[0] * h * h);
        float[] y = new float[batch * s[1] * g.outH(h) * g.outW(h)];
        Epilogue ep = Epilogue.rowAffine(random(rnd, s[1]), random(rnd, s[1])).withResidual(random(rnd, y.length), 0)
                .withRelu();
        Kernels.Conv2dPlan[] plans = new Kernels.Conv2dPlan[8];
        for (int i = 0; i < plans.length; i++) {
            plans[i] = Kernels.get().planConv2d(g, random(rnd, g.weightSize()));
        }
        int[] next = {0};
        return () -> {
            plans[next[0]].run(pool, x, batch, h, h, y, ep);
            next[0] = (next[0] + 1) % plans.length;
        };
    }

    /**
     * ResNet-18's convolution {@code layer} at 224² ({@link ConvBenchmark}'s layers): {cin, cout,
     * kernel, stride, pad, input side}. Here rather than there, because this class is loaded beside
     * older builds, whose ConvBenchmark may lack it.
     */
    static int[] convLayer(String layer) {
        return switch (layer) {
            case "stem" -> new int[] {3, 64, 7, 2, 3, 224};
            case "l1" -> new int[] {64, 64, 3, 1, 1, 56};
            case "l2down" -> new int[] {64, 128, 3, 2, 1, 56};
            case "l2" -> new int[] {128, 128, 3, 1, 1, 28};
            case "l3down" -> new int[] {128, 256, 3, 2, 1, 28};
            case "l3" -> new int[] {256, 256, 3, 1, 1, 14};
            case "l4down" -> new int[] {256, 512, 3, 2, 1, 14};
            case "l4" -> new int[] {512, 512, 3, 1, 1, 7};
            default -> throw new IllegalArgumentException("unknown layer " + layer);
        };
    }

    /** {@code n} floats uniform in [-1, 1). */
    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextDouble(-1, 1);
        }
        return a;
    }
}
