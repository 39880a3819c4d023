package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.layers.Gradients;
import vecnet.layers.Linear;
import vecnet.layers.testing.VersionedFixtures;
import vecnet.layers.train.Adam;
import vecnet.layers.train.CrossEntropyLoss;
import vecnet.layers.train.GradClip;
import vecnet.layers.train.LrScheduler;
import vecnet.layers.train.Optimizer;
import vecnet.layers.train.ParamGroup;
import vecnet.layers.train.SGD;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * The fusion head + text branch trained on precomputed image features (the ResNet frozen), against
 * torch 1.13 ({@code train_text/seed.safetensors} and {@code training.safetensors} from
 * {@code weights/python/make_training_fixtures.py}): one step's gradients at the seed's sizes, and
 * whole optimizer runs whose every loss and final parameters match.
 */
class FusionTrainerTest extends LibraryTest {
    private static final double VS_TORCH = 1e-4, ADAM = 1e-3;
    private static StateDict seed, training;

    private static synchronized StateDict fixture(String name) {
        return VersionedFixtures.read("train_text/" + name + ".safetensors", "vecnet_fixtures", "1",
                "make_training_fixtures.py");
    }

    private static synchronized StateDict seed() {
        return seed == null ? seed = fixture("seed") : seed;
    }

    private static synchronized StateDict training() {
        return training == null ? training = fixture("training") : training;
    }

    /** make_training_fixtures.formula(): weights both sides compute exactly. */
    static Tensor formula(long seedValue, double bound, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            long h = (i * 2654435761L + seedValue * 40503L) % 4294967296L;
            d[i] = (float) ((h / 4294967296.0 * 2 - 1) * bound);
        }
        return t;
    }

    private static void close(String what, float[] torch, float[] actual, double tol) {
        Check.close(what + " vs torch", torch, actual, tol * Check.scale(torch), 0);
    }

    /** {@code (N, T)} padded ids and N lengths -> N texts. */
    private static int[][] texts(StateDict sd, String ids, String lengths) {
        long[] id = sd.longs(ids), len = sd.longs(lengths);
        int t = sd.shape(ids)[1];
        int[][] out = new int[len.length][];
        for (int i = 0; i < len.length; i++) {
            out[i] = new int[(int) len[i]];
            for (int j = 0; j < len[i]; j++) {
                out[i][j] = Math.toIntExact(id[i * t + j]);
            }
        }
        return out;
    }

    private static int[] ints(StateDict sd, String key) {
        long[] l = sd.longs(key);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = Math.toIntExact(l[i]);
        }
        return out;
    }

    @Test
    void seedSizesOneStepGradients() {
        StateDict sd = seed();
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("embedding.weight", formula(1, 1.0, 10000, 300));
        w.put("lstm.weight_ih_l0", formula(2, 1 / 16.0, 1024, 300));
        w.put("lstm.weight_hh_l0", formula(3, 1 / 16.0, 1024, 256));
        w.put("lstm.bias_ih_l0", formula(4, 1 / 16.0, 1024));
        w.put("lstm.bias_hh_l0", formula(5, 1 / 16.0, 1024));
        TextEncoder text = TextEncoder.fromStateDict(StateDict.of(w));
        Linear fc = new Linear(768, 10, true);
        System.arraycopy(formula(6, 1 / Math.sqrt(768), 10, 768).data(), 0, fc.weight.data(), 0, 7680);
        System.arraycopy(formula(7, 1 / Math.sqrt(768), 10).data(), 0, fc.bias.data(), 0, 10);
        Gradients g = new Gradients().trackAll(FusionTrainer.trainableOf(text, fc));
        try (ComputePool pool = ComputePool.create(2)) {
            FusionTrainer trainer = new FusionTrainer(text, fc, g, SGD.of(g, FusionTrainer.trainableOf(text, fc), 0.1, 0.9),
                    new CrossEntropyLoss(), pool);
            FusionTrainer.Step s = trainer.forwardBackward(sd.tensor("seed.features"), texts(sd, "seed.ids", "seed.lengths"),
                    ints(sd, "seed.labels"));
            close("loss", sd.tensor("seed.loss").data(), new float[] {s.loss()}, VS_TORCH);
            int[][] ids = texts(sd, "seed.ids", "seed.lengths");
            Check.identical("traced text features = encode", text.encode(ids, pool).data(), text.trace(ids, pool).output().data());
            close("logits", sd.tensor("seed.logits").data(), s.logits().data(), VS_TORCH);
            close("d features", sd.tensor("seed.grad.features").data(), s.imageFeatureGradient().data(), VS_TORCH);
            close("d fc.weight", sd.tensor("seed.grad.fc.weight").data(), g.of(fc.weight), VS_TORCH);
            close("d fc.bias", sd.tensor("seed.grad.fc.bias").data(), g.of(fc.bias), VS_TORCH);
            close("d lstm.bias_ih_l0", sd.tensor("seed.grad.lstm.bias_ih_l0").data(), g.of(text.lstm.bias_ih_l0), VS_TORCH);
            close("d lstm.bias_hh_l0", sd.tensor("seed.grad.lstm.bias_hh_l0").data(), g.of(text.lstm.bias_hh_l0), VS_TORCH);
            for (String k : new String[] {"weight_ih_l0", "weight_hh_l0"}) {
                float[] all = g.of(text.lstm.parameter(k));
                float[] every = new float[(all.length + 10) / 11];
                for (int i = 0; i < every.length; i++) {
                    every[i] = all[i * 11];
                }
                close("d lstm." + k + " (every 11th)", sd.tensor("seed.grad.lstm." + k + ".every11").data(), every, VS_TORCH);
            }
            int[] used = ints(sd, "seed.used_ids");
            float[] dEmb = g.of(text.embedding.weight), rows = new float[used.length * 300];
            boolean[] isUsed = new boolean[10000];
            for (int i = 0; i < used.length; i++) {
                System.arraycopy(dEmb, used[i] * 300, rows, i * 300, 300);
                isUsed[used[i]] = true;
            }
            close("d embedding (used rows)", sd.tensor("seed.grad.embedding.weight.used_rows").data(), rows, VS_TORCH);
            for (int v = 0; v < 10000; v++) {
                for (int d = 0; !isUsed[v] && d < 300; d++) {
                    assertEquals(0f, dEmb[v * 300 + d], "unused row " + v);
                }
            }
        }
    }

    /** The tiny model of the runs: TextHead(50, 12, 16, 24, 5) at torch's initial values. */
    private record Tiny(TextEncoder text, Linear fc, List<Tensor> params, Map<String, Tensor> named) {
        static Tiny create() {
            StateDict sd = training();
            Map<String, Tensor> w = new LinkedHashMap<>();
            for (String k : List.of("embedding.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0")) {
                w.put(k, sd.tensor("init." + k));
            }
            TextEncoder text = TextEncoder.fromStateDict(StateDict.of(w));
            Linear fc = new Linear(40, 5, true);
            System.arraycopy(sd.tensor("init.fc.weight").data(), 0, fc.weight.data(), 0, 200);
            System.arraycopy(sd.tensor("init.fc.bias").data(), 0, fc.bias.data(), 0, 5);
            Map<String, Tensor> named = new LinkedHashMap<>(text.namedTensors());
            named.put("fc.weight", fc.weight);
            named.put("fc.bias", fc.bias);
            return new Tiny(text, fc, FusionTrainer.trainableOf(text, fc), named);
        }
    }

    /** Runs {@code steps} steps of the fixture's batches; returns each step's loss. */
    private static float[] run(Tiny m, Gradients g, Optimizer opt, int steps, ComputePool pool, Double clip,
                               LrScheduler[] sched, Function<Optimizer, LrScheduler> makeSched, float[] norms, double[] lrs) {
        StateDict sd = training();
        FusionTrainer trainer = new FusionTrainer(m.text, m.fc, g, opt, new CrossEntropyLoss(), pool);
        LrScheduler s = makeSched == null ? null : makeSched.apply(opt);
        float[] losses = new float[steps];
        for (int i = 0; i < steps; i++) {
            String b = "batch" + i + ".";
            Tensor feats = sd.tensor(b + "features");
            int[][] ids = texts(sd, b + "ids", b + "lengths");
            int[] labels = ints(sd, b + "labels");
            if (clip == null) {
                losses[i] = trainer.step(feats, ids, labels).loss();
            } else {
                opt.zeroGrad();
                losses[i] = trainer.forwardBackward(feats, ids, labels).loss();
                norms[i] = GradClip.clipGradNorm(g, m.params(), clip);
                opt.step();
                trainer.weightsChanged();
            }
            if (s != null) {
                s.step();
                lrs[i] = opt.groups().get(0).lr();
            }
        }
        return losses;
    }

    private static void checkRun(String name, Tiny m, float[] losses, double tol) {
        StateDict sd = training();
        close(name + " losses", sd.tensor(name + ".losses").data(), losses, tol);
        m.named().forEach((k, v) -> close(name + " final " + k, sd.tensor(name + ".final." + k).data(), v.data(), tol));
    }

    @Test
    void twentySgdMomentumSteps() {
        Tiny m = Tiny.create();
        Gradients g = new Gradients().trackAll(m.params());
        try (ComputePool pool = ComputePool.create(2)) {
            checkRun("sgd", m, run(m, g, SGD.of(g, m.params(), 0.1, 0.9), 20, pool, null, null, null, null, null), VS_TORCH);
        }
    }

    @Test
    void twentyAdamSteps() {
        Tiny m = Tiny.create();
        Gradients g = new Gradients().trackAll(m.params());
        try (ComputePool pool = ComputePool.create(2)) {
            checkRun("adam", m, run(m, g, Adam.adam(g, m.params(), 0.01), 20, pool, null, null, null, null, null), ADAM);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd_nesterov", "sgd_dampening", "adam_wd", "adamw", "groups"})
    void optimizerOptions(String name) {
        Tiny m = Tiny.create();
        Gradients g = new Gradients().trackAll(m.params());
        List<ParamGroup> one = List.of(new ParamGroup(m.params(), name.startsWith("sgd") ? 0.05 : 0.02));
        Optimizer opt = switch (name) {
            case "sgd_nesterov" -> new SGD(g, one, 0.8, 0, 0.01, true);
            case "sgd_dampening" -> new SGD(g, one, 0.9, 0.3, 0, false);
            case "adam_wd" -> Adam.adam(g, one, 0.8, 0.99, 1e-6, 0.05);
            case "adamw" -> Adam.adamW(g, one, 0.9, 0.999, 1e-8, 0.1);
            default -> new SGD(g, List.of(new ParamGroup(m.params().subList(0, 5), 0.2),
                    new ParamGroup(m.params().subList(5, 7), 0.02)), 0.9, 0, 0, false);
        };
        try (ComputePool pool = ComputePool.create(2)) {
            checkRun(name, m, run(m, g, opt, 6, pool, null, null, null, null, null), name.startsWith("adam") ? ADAM : VS_TORCH);
        }
    }

    @Test
    void clippingBeforeEachAdamStep() {
        Tiny m = Tiny.create();
        Gradients g = new Gradients().trackAll(m.params());
        float[] norms = new float[6];
        try (ComputePool pool = ComputePool.create(2)) {
            float[] losses = run(m, g, Adam.adam(g, m.params(), 0.01), 6, pool, 0.5, null, null, norms, null);
            checkRun("clip", m, losses, ADAM);
        }
        close("clip norms", training().tensor("clip.norms").data(), norms, VS_TORCH);
    }

    @Test
    void frozenParametersStayAndTheRestMatchTorch() {
        Tiny m = Tiny.create();
        Gradients g = new Gradients().trackAll(m.params());
        g.untrack(m.named().get("embedding.weight"));
        g.untrack(m.named().get("lstm.bias_hh_l0"));
        float[] embBefore = m.named().get("embedding.weight").data().clone();
        SGD opt = SGD.of(g, m.params(), 0.1, 0.9);
        try (ComputePool pool = ComputePool.create(2)) {
            checkRun("frozen", m, run(m, g, opt, 6, pool, null, null, null, null, null), VS_TORCH);
        }
        assertArrayEquals(embBefore, m.named().get("embedding.weight").data(), "frozen embedding moved");
        assertNull(opt.momentumBuffer(m.named().get("embedding.weight")), "a frozen parameter got optimizer state");
        assertFalse(opt.hasState(m.named().get("lstm.bias_hh_l0")));
    }

    @Test
    void cosineScheduleDuringTraining() {
        Tiny m = Tiny.create();
        Gradients g = new Gradients().trackAll(m.params());
        double[] lrs = new double[10];
        try (ComputePool pool = ComputePool.create(2)) {
            float[] losses = run(m, g, SGD.of(g, m.params(), 0.1, 0.9), 10, pool, null, null,
                    o -> LrScheduler.cosineAnnealingLR(o, 4, 0.01), null, lrs);
            checkRun("cosine", m, losses, VS_TORCH);
        }
        float[] lr = new float[10];
        for (int i = 0; i < 10; i++) {
            lr[i] = (float) lrs[i];
        }
        float[] ref = new float[10];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(training().raw("cosine.lrs").bytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 10; i++) {
            ref[i] = (float) b.getDouble();
        }
        Check.close("cosine lrs", ref, lr, 1e-7, 0);
    }

    @Test
    void trainingIsBitIdenticalForOneTwoAndThreeThreads() {
        List<float[]> first = null;
        for (int threads = 1; threads <= 3; threads++) {
            Tiny m = Tiny.create();
            Gradients g = new Gradients().trackAll(m.params());
            try (ComputePool pool = ComputePool.create(threads)) {
                float[] losses = run(m, g, Adam.adam(g, m.params(), 0.01), 8, pool, null, null, null, null, null);
                List<float[]> all = new ArrayList<>();
                all.add(losses);
                m.params().forEach(p -> all.add(p.data().clone()));
                if (first == null) {
                    first = all;
                } else {
                    for (int i = 0; i < all.size(); i++) {
                        Check.identical("tensor " + i + " with " + threads + " threads", first.get(i), all.get(i));
                    }
                }
            }
        }
    }

    @Test
    void seedSetupFreezesTheResNet() throws IOException {
        FusionModel model = FusionModel.load(Fixtures.file("tiny_fusion.safetensors"));
        Gradients g = FusionTrainer.seedSetup(model);
        model.resnet.namedTensors().values().forEach(t -> assertFalse(g.tracks(t), "a ResNet tensor is trainable"));
        assertEquals(7, g.parameters().size());
        org.junit.jupiter.api.Assertions.assertTrue(g.tracks(model.fc.weight) && g.tracks(model.text.embedding.weight));
    }
}
