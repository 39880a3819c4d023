package vecnet.multimodal.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.testing.LibraryTest;

/** Trainer: batches, same bits for any thread count, resume, divergence, the image branch. */
class TrainerTest extends LibraryTest {
    private static final ModelInit.Sizes TINY = new ModelInit.Sizes(new int[] {1, 2, 4, 8}, 12, 6, 5, 3);

    /** 40 examples whose label is in their features and their words, so training can learn it. */
    static List<Example> featureData(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int label = r.nextInt(3);
            float[] f = new float[8];
            for (int j = 0; j < 8; j++) {
                f[j] = (float) r.nextGaussian() + (j == label ? 2 : 0);
            }
            int[] ids = new int[1 + r.nextInt(4)];
            for (int j = 0; j < ids.length; j++) {
                ids[j] = j == 0 ? 1 + label : r.nextInt(12);
            }
            out.add(Example.ofFeatures(f, ids, label));
        }
        return out;
    }

    static Map<String, Tensor> train(int threads, TrainOptions o, List<Example> data) throws IOException {
        try (ComputePool pool = ComputePool.create(threads)) {
            FusionModel m = ModelInit.create(TINY, 7).withPool(pool);
            new Trainer(m, o).fit(data, List.of(), new Trainer.Listener() {});
            return m.namedTensors();
        }
    }

    @Test
    void learnsAndIsTheSameForAnyThreadCount() throws IOException {
        List<Example> data = featureData(40, 1);
        TrainOptions o = TrainOptions.defaults().withEpochs(3).withBatch(8).withOptimizer("adam", 0.05, 0, 0);
        Map<String, Tensor> one = train(1, o, data), two = train(2, o, data);
        for (String k : one.keySet()) {
            assertArrayEquals(one.get(k).data(), two.get(k).data(), k);
        }
        FusionModel fresh = ModelInit.create(TINY, 7);
        assertFalse(Arrays.equals(fresh.namedTensors().get("fc.weight").data(), one.get("fc.weight").data()), "fc trained");
        assertArrayEquals(fresh.namedTensors().get("resnet.0.weight").data(), one.get("resnet.0.weight").data(),
                "the frozen ResNet is not touched");
    }

    @Test
    void fitsTheTrainingSet() throws IOException {
        List<Example> data = featureData(40, 2);
        FusionModel m = ModelInit.create(TINY, 3);
        Trainer t = new Trainer(m, TrainOptions.defaults().withEpochs(30).withBatch(8).withOptimizer("adam", 0.03, 0, 0));
        double before = t.accuracy(data, t.features(data, new Trainer.Listener() {}));
        t.fit(data, List.of(), new Trainer.Listener() {});
        double after = t.accuracy(data, t.features(data, new Trainer.Listener() {}));
        assertTrue(after > 0.9 && after > before, before + " -> " + after);
    }

    @Test
    void unshuffledBatchesFollowTheDataAndTheLastIsSmaller() throws IOException {
        List<Example> data = featureData(10, 3);
        List<Integer> sizes = new ArrayList<>();
        Trainer t = new Trainer(ModelInit.create(TINY, 1), TrainOptions.defaults().withEpochs(1).withBatch(4).withShuffle(false));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, t.order(10, 0));
        t.fit(data, List.of(), new Trainer.Listener() {
            int seen;

            @Override
            public void step(Trainer.StepInfo s) {
                sizes.add(s.epochSamples() - seen);
                seen = s.epochSamples();
            }
        });
        assertEquals(List.of(4, 4, 2), sizes);
        Trainer shuffled = new Trainer(ModelInit.create(TINY, 1), TrainOptions.defaults().withSeed(5));
        int[] e0 = shuffled.order(10, 0), e1 = shuffled.order(10, 1);
        assertFalse(Arrays.equals(e0, e1), "each epoch has its own order");
        assertArrayEquals(e0, new Trainer(ModelInit.create(TINY, 1), TrainOptions.defaults().withSeed(5)).order(10, 0));
        int[] sorted = e0.clone();
        Arrays.sort(sorted);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sorted);
    }

    @Test
    void aResumedRunEndsWithTheSameBits(@TempDir Path dir) throws IOException {
        List<Example> data = featureData(30, 4);
        List<Example> val = featureData(10, 5);
        for (String opt : List.of("sgd", "adam")) {
            TrainOptions o = TrainOptions.defaults().withEpochs(3).withBatch(7).withOptimizer(opt, 0.05, 0.9, 1e-3)
                    .withSeed(11).withCheckpoint(dir.resolve(opt + ".ckpt"));
            FusionModel whole = ModelInit.create(TINY, 2);
            new Trainer(whole, o.withCheckpoint(dir.resolve(opt + "-whole.ckpt"))).fit(data, val, new Trainer.Listener() {});

            FusionModel first = ModelInit.create(TINY, 2);
            Trainer stopping = new Trainer(first, o);
            stopping.fit(data, val, new Trainer.Listener() {
                int steps;

                @Override
                public boolean stopRequested() {
                    return ++steps == 7; // in the middle of epoch 2 (5 steps per epoch)
                }
            });
            assertTrue(stopping.stopped());
            FusionModel second = ModelInit.create(TINY, 99); // other weights: all comes from the checkpoint
            Trainer resumed = new Trainer(second, o);
            resumed.restore(o.checkpoint());
            List<Integer> epochs = new ArrayList<>();
            resumed.fit(data, val, new Trainer.Listener() {
                @Override
                public void epoch(Trainer.EpochResult r) {
                    epochs.add(r.epoch());
                }
            });
            assertEquals(List.of(2, 3), epochs);
            IOException other = assertThrows(IOException.class,
                    () -> new Trainer(ModelInit.create(TINY, 2), o.withBatch(8)).restore(o.checkpoint()));
            assertTrue(other.getMessage().contains("batch=7") && other.getMessage().contains("resume with the same ones"),
                    other.getMessage());
            Map<String, Tensor> a = whole.namedTensors(), b = second.namedTensors();
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k).data(), b.get(k).data(), opt + " " + k);
            }
        }
    }

    @Test
    void aNonFiniteLossStopsWithTheStepAndKeepsTheCheckpoint(@TempDir Path dir) throws IOException {
        List<Example> data = new ArrayList<>(featureData(16, 6));
        float[] bad = new float[8];
        bad[0] = Float.NaN;
        data.set(13, Example.ofFeatures(bad, new int[] {1}, 0));
        Path ckpt = dir.resolve("run.ckpt");
        TrainOptions o = TrainOptions.defaults().withEpochs(2).withBatch(4).withShuffle(false).withCheckpoint(ckpt);
        FusionModel m = ModelInit.create(TINY, 1);
        Trainer.DivergedException e = assertThrows(Trainer.DivergedException.class,
                () -> new Trainer(m, o).fit(data, List.of(), new Trainer.Listener() {}));
        assertEquals(4, e.step()); // samples 12..15 are the 4th batch
        assertFalse(Files.exists(ckpt), "no epoch finished: nothing written");
        float[] fc = m.namedTensors().get("fc.weight").data();
        for (float v : fc) {
            assertTrue(Float.isFinite(v), "the bad step did not update");
        }
    }

    @Test
    void theImageBranchTrainsFromTheNamedStage() throws IOException {
        SplittableRandom r = new SplittableRandom(3);
        List<Example> data = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            float[] px = new float[3 * 32 * 32];
            for (int j = 0; j < px.length; j++) {
                px[j] = (float) r.nextGaussian();
            }
            data.add(Example.ofImage(() -> Tensor.of(px.clone(), 3, 32, 32), new int[] {1 + i % 3}, i % 3));
        }
        FusionModel fresh = ModelInit.create(TINY, 4);
        for (int threads : new int[] {1, 2}) {
            try (ComputePool pool = ComputePool.create(threads)) {
                FusionModel m = ModelInit.create(TINY, 4).withPool(pool);
                new Trainer(m, TrainOptions.defaults().withEpochs(2).withBatch(4).withImageBranch("layer4", 0.01))
                        .fit(data, data, new Trainer.Listener() {});
                assertArrayEquals(fresh.namedTensors().get("resnet.0.weight").data(), m.namedTensors().get("resnet.0.weight").data(),
                        "stem frozen");
                assertNotEquals(Arrays.toString(fresh.namedTensors().get("resnet.7.1.conv2.weight").data()),
                        Arrays.toString(m.namedTensors().get("resnet.7.1.conv2.weight").data()), "layer4 trained");
                if (threads == 1) {
                    one = m.namedTensors();
                } else {
                    for (String k : one.keySet()) {
                        assertArrayEquals(one.get(k).data(), m.namedTensors().get(k).data(), k);
                    }
                }
            }
        }
    }

    private Map<String, Tensor> one;

    @Test
    void featuresArePicturesRunAloneOnAnyPool() throws IOException {
        SplittableRandom r = new SplittableRandom(11);
        List<Example> data = new ArrayList<>();
        List<Tensor> pictures = new ArrayList<>();
        for (int i = 0; i < 11; i++) { // more than one chunk of pictures per thread, an uneven last one
            float[] px = new float[3 * 40 * 36];
            for (int j = 0; j < px.length; j++) {
                px[j] = (float) r.nextGaussian();
            }
            pictures.add(Tensor.of(px, 3, 40, 36));
            data.add(Example.ofImage(() -> Tensor.of(px.clone(), 3, 40, 36), new int[] {1}, 0));
        }
        FusionModel base = ModelInit.create(TINY, 6);
        for (int threads : new int[] {1, 2, 3}) {
            try (ComputePool pool = ComputePool.create(threads)) {
                FusionModel m = base.withPool(pool);
                float[][] f = new Trainer(m, TrainOptions.defaults()).features(data, new Trainer.Listener() {});
                for (int i = 0; i < pictures.size(); i++) {
                    Tensor alone = base.resnet().withPool(ComputePool.sequential()).features(pictures.get(i).reshape(1, 3, 40, 36));
                    assertArrayEquals(alone.data(), f[i], threads + " threads, picture " + i);
                }
            }
        }
    }

    @Test
    void featuresAreCachedOnDiskByContentAndWeights(@TempDir Path cache) throws IOException {
        java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
        SplittableRandom r = new SplittableRandom(9);
        float[][] pictures = new float[3][3 * 32 * 32];
        for (float[] px : pictures) {
            for (int j = 0; j < px.length; j++) {
                px[j] = (float) r.nextGaussian();
            }
        }
        List<Example> data = new ArrayList<>();
        for (int i = 0; i < 6; i++) { // samples 3..5 show the pictures of 0..2 again (same key): computed once
            int k = i % 3;
            data.add(Example.ofImage(() -> {
                loads.incrementAndGet();
                return Tensor.of(pictures[k].clone(), 3, 32, 32);
            }, new int[] {1 + k}, k).withKey("picture" + k, "row " + i));
        }
        TrainOptions o = TrainOptions.defaults().withEpochs(2).withBatch(4).withFeatureCache(cache);
        FusionModel a = ModelInit.create(TINY, 4);
        new Trainer(a, o).fit(data, List.of(), new Trainer.Listener() {});
        assertEquals(3, loads.get(), "one computation per distinct key");
        try (var files = Files.list(cache)) {
            assertEquals(3, files.count());
        }
        loads.set(0);
        FusionModel b = ModelInit.create(TINY, 4);
        new Trainer(b, o).fit(data, List.of(), new Trainer.Listener() {});
        assertEquals(0, loads.get(), "all from the cache");
        assertArrayEquals(a.namedTensors().get("fc.weight").data(), b.namedTensors().get("fc.weight").data());
        FusionModel other = ModelInit.create(TINY, 5); // other ResNet weights: the cache does not apply
        new Trainer(other, o).fit(data, List.of(), new Trainer.Listener() {});
        assertEquals(3, loads.get());
    }
}
