package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * Every layer: against a double-precision restatement of its formula ({@link Reference}), with the
 * scalar kernels and with {@link Kernels#get()} (same tolerances), and bit-identical with 1 and 2 threads.
 */
class KernelsAndThreadsTest extends LibraryTest {
    private static final ComputePool ONE = ComputePool.sequential();
    private static final ComputePool TWO = ComputePool.create(2);
    private static final Kernels[] KERNELS = {Kernels.scalar(), Kernels.get()};

    @AfterAll
    static void close() {
        TWO.close();
    }

    /** Runs {@code f} with one and two threads: the results must be bit-identical. */
    private static Tensor oneAndTwoThreads(String what, Function<ComputePool, Tensor> f) {
        Tensor a = f.apply(ONE), b = f.apply(TWO);
        assertArrayEquals(a.shape(), b.shape(), what + " shape");
        Check.identical(what + ": 1 vs 2 threads", a.data(), b.data());
        return a;
    }

    @Test
    void conv2dGeometriesAgainstTheFormula() {
        ConvGeometry[] geometries = {
            new ConvGeometry(3, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1),
            new ConvGeometry(4, 6, 3, 2, 1, 2, 2, 0, 2, 1, 2),   // rectangular, dilation, groups
            new ConvGeometry(3, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1),   // ResNet's stem
            new ConvGeometry(8, 16, 1, 1, 2, 2, 0, 0, 1, 1, 1),  // a downsample
            new ConvGeometry(6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6),   // depthwise
        };
        Random r = new Random(7);
        for (ConvGeometry g : geometries) {
            for (boolean bias : new boolean[] {false, true}) {
                Tensor x = Reference.random(r, 1f, 2, g.cin(), 13, 11);
                float[] expected = null;
                for (Kernels k : KERNELS) {
                    Conv2d conv = new Conv2d(k, g, bias);
                    Reference.randomize(conv, 99);
                    if (expected == null) {
                        expected = Reference.conv2d(x.data(), 2, g.cin(), 13, 11, conv.weight.data(),
                                bias ? conv.bias.data() : null, g.cout(), g.kh(), g.kw(), g.strideH(), g.strideW(),
                                g.padH(), g.padW(), g.dilH(), g.dilW(), g.groups());
                    }
                    String what = k.name() + " " + g + " bias=" + bias;
                    Tensor y = oneAndTwoThreads(what, p -> conv.forward(x, p));
                    assertArrayEquals(conv.outputShape(x.shape()), y.shape());
                    Check.close(what, expected, y.data(), 2e-5 * Math.sqrt(g.patchSize()), 1e-5);
                }
            }
        }
    }

    @Test
    void theDirectAlgorithmIsTrainingsSumAndWinogradRoundsOtherwise() {
        // 3×3, stride 1: the shape for which the vector kernels' fastest algorithm is Winograd's
        ConvGeometry g = ConvGeometry.square(16, 16, 3, 1, 1);
        Random r = new Random(8);
        Tensor x = Reference.random(r, 1f, 1, 16, 20, 18);
        for (Kernels k : KERNELS) {
            Conv2d conv = new Conv2d(k, g, false);
            Reference.randomize(conv, 9);
            float[] expected = Reference.conv2d(x.data(), 1, 16, 20, 18, conv.weight.data(), null, 16, 3, 3, 1, 1, 1, 1,
                    1, 1, 1);
            Tensor direct = oneAndTwoThreads(k.name() + " direct",
                    p -> conv.forward(x, p, Epilogue.NONE, null, Conv2d.Algorithm.DIRECT));
            Tensor fastest = conv.forward(x, ONE, Epilogue.NONE, null, Conv2d.Algorithm.FASTEST);
            Check.identical(k.name() + " direct vs training's forward", conv.trace(x, ONE, true).output().data(), direct.data());
            Check.identical(k.name() + " fastest vs the default forward", conv.forward(x, ONE).data(), fastest.data());
            Check.close(k.name() + " direct", expected, direct.data(), 2e-5 * Math.sqrt(g.patchSize()), 1e-5);
            Check.close(k.name() + " fastest", expected, fastest.data(), 2e-5 * Math.sqrt(g.patchSize()), 1e-5);
            if (!k.name().equals(Kernels.scalar().name())) { // the scalar kernels have no Winograd
                assertFalse(Arrays.equals(direct.data(), fastest.data()),
                        k.name() + ": the direct and the fastest algorithm gave the same bits: was the algorithm ignored?");
            }
        }
    }

    @Test
    void fusedBatchNormResidualReluEqualsTheLayersOneByOne() {
        Random r = new Random(3);
        for (Kernels k : KERNELS) {
            Conv2d conv = new Conv2d(k, ConvGeometry.square(4, 6, 3, 1, 1), false);
            BatchNorm2d bn = new BatchNorm2d(6);
            Reference.randomize(conv, 1);
            Reference.randomize(bn, 2);
            Tensor x = Reference.random(r, 1f, 2, 4, 9, 7);
            Tensor residual = Reference.random(r, 1f, 2, 6, 9, 7);
            Tensor separate = bn.forward(conv.forward(x, ONE), ONE);
            k.add(separate.data(), 0, residual.data(), 0, separate.data(), 0, separate.size());
            separate = new ReLU(k).forward(separate, ONE);
            Epilogue ep = bn.asEpilogue().withResidual(residual.data(), 0).withRelu();
            Tensor fused = oneAndTwoThreads(k.name() + " fused", p -> conv.forward(x, p, ep));
            Check.identical(k.name() + " fused vs one by one", separate.data(), fused.data());
        }
    }

    @Test
    void convBiasFoldsIntoAnAffineEpilogue() {
        Random r = new Random(4);
        Conv2d conv = new Conv2d(ConvGeometry.square(3, 4, 3, 1, 1), true);
        BatchNorm2d bn = new BatchNorm2d(4);
        Reference.randomize(conv, 5);
        Reference.randomize(bn, 6);
        Tensor x = Reference.random(r, 1f, 1, 3, 6, 5);
        Tensor separate = bn.forward(conv.forward(x, ONE), ONE);
        Check.close("conv+bias then bn", separate.data(), conv.forward(x, ONE, bn.asEpilogue()).data(), 1e-5, 1e-5);
    }

    @Test
    void batchNormAgainstTheTextbookFormula() {
        Random r = new Random(8);
        BatchNorm2d bn = new BatchNorm2d(5);
        Reference.randomize(bn, 9);
        Tensor x = Reference.random(r, 2f, 3, 5, 4, 6);
        Tensor y = oneAndTwoThreads("bn", p -> bn.forward(x, p));
        float[] expected = new float[x.size()];
        for (int i = 0; i < expected.length; i++) {
            int c = (i / 24) % 5;
            expected[i] = (float) ((x.data()[i] - (double) bn.running_mean.data()[c])
                    / Math.sqrt(bn.running_var.data()[c] + 1e-5) * bn.weight.data()[c] + bn.bias.data()[c]);
        }
        Check.close("bn", expected, y.data(), 1e-5, 1e-5);
    }

    @Test
    void poolingAndReluAgreeAcrossKernelsAndThreads() {
        Random r = new Random(10);
        Tensor x = Reference.random(r, 1f, 2, 3, 17, 12);
        Tensor[] max = new Tensor[2], avg = new Tensor[2], relu = new Tensor[2];
        for (int i = 0; i < 2; i++) {
            Kernels k = KERNELS[i];
            MaxPool2d mp = new MaxPool2d(k, 3, 2, 1);
            AdaptiveAvgPool2d ap = new AdaptiveAvgPool2d(k, 5, 3);
            ReLU re = new ReLU(k);
            max[i] = oneAndTwoThreads(k.name() + " maxpool", p -> mp.forward(x, p));
            avg[i] = oneAndTwoThreads(k.name() + " avgpool", p -> ap.forward(x, p));
            relu[i] = oneAndTwoThreads(k.name() + " relu", p -> re.forward(x, p));
        }
        assertArrayEquals(new int[] {2, 3, 9, 6}, max[0].shape());
        Check.identical("maxpool scalar vs " + KERNELS[1].name(), max[0].data(), max[1].data());
        Check.close("avgpool scalar vs " + KERNELS[1].name(), avg[0].data(), avg[1].data(), 1e-6, 1e-6);
        Check.identical("relu scalar vs " + KERNELS[1].name(), relu[0].data(), relu[1].data());
        // the window maximum, restated
        float[] xd = x.data();
        for (int plane = 0; plane < 6; plane++) {
            for (int oy = 0; oy < 9; oy++) {
                for (int ox = 0; ox < 6; ox++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int iy = oy * 2 - 1; iy <= oy * 2 + 1; iy++) {
                        for (int ix = ox * 2 - 1; ix <= ox * 2 + 1; ix++) {
                            if (iy >= 0 && iy < 17 && ix >= 0 && ix < 12) {
                                m = Math.max(m, xd[(plane * 17 + iy) * 12 + ix]);
                            }
                        }
                    }
                    if (max[0].data()[(plane * 9 + oy) * 6 + ox] != m) {
                        throw new AssertionError("maxpool plane " + plane + " (" + oy + "," + ox + ")");
                    }
                }
            }
        }
    }

    @Test
    void linearAgainstTheFormula() {
        Random r = new Random(11);
        for (int rows : new int[] {1, 3, 17}) {
            Tensor x = Reference.random(r, 1f, rows, 37);
            float[] expected = null;
            for (Kernels k : KERNELS) {
                Linear fc = new Linear(k, 37, 13, true);
                Reference.randomize(fc, 12);
                if (expected == null) {
                    expected = new float[rows * 13];
                    for (int i = 0; i < rows; i++) {
                        for (int o = 0; o < 13; o++) {
                            double acc = fc.bias.data()[o];
                            for (int p = 0; p < 37; p++) {
                                acc += (double) x.data()[i * 37 + p] * fc.weight.data()[o * 37 + p];
                            }
                            expected[i * 13 + o] = (float) acc;
                        }
                    }
                }
                Tensor y = oneAndTwoThreads(k.name() + " linear rows=" + rows, p -> fc.forward(x, p));
                Check.close(k.name() + " linear rows=" + rows, expected, y.data(), 1e-5, 1e-5);
            }
        }
    }

    @Test
    void lstmLayersDirectionsAndLengthsAgainstTheFormula() {
        Random r = new Random(13);
        int n = 3, t = 5, in = 7, h = 6;
        int[] lengths = {5, 2, 1};
        for (boolean bidirectional : new boolean[] {false, true}) {
            for (int layers : new int[] {1, 2}) {
                Tensor x = Reference.random(r, 1f, n, t, in);
                float[][] expected = null;
                float[][] expectedFull = null;
                for (Kernels k : KERNELS) {
                    LSTM lstm = new LSTM(k, in, h, layers, true, true, bidirectional);
                    Reference.randomize(lstm, 14);
                    if (expected == null) {
                        expected = Reference.lstm(lstm, x.data(), n, t, lengths);
                        expectedFull = Reference.lstm(lstm, x.data(), n, t, new int[] {t, t, t});
                    }
                    String what = k.name() + " layers=" + layers + " bidirectional=" + bidirectional;
                    LSTM.Result[] res = new LSTM.Result[2];
                    res[0] = lstm.forward(x, lengths, ONE);
                    res[1] = lstm.forward(x, lengths, TWO);
                    Check.identical(what + " output 1 vs 2 threads", res[0].output().data(), res[1].output().data());
                    Check.identical(what + " h_n 1 vs 2 threads", res[0].h_n().data(), res[1].h_n().data());
                    assertArrayEquals(new int[] {n, t, h * (bidirectional ? 2 : 1)}, res[0].output().shape());
                    assertArrayEquals(new int[] {layers * (bidirectional ? 2 : 1), n, h}, res[0].h_n().shape());
                    Check.close(what + " output", expected[0], res[0].output().data(), 2e-6, 1e-5);
                    Check.close(what + " h_n", expected[1], res[0].h_n().data(), 2e-6, 1e-5);
                    Check.close(what + " c_n", expected[2], res[0].c_n().data(), 2e-6, 1e-5);
                    LSTM.Result full = lstm.forward(x, ONE);
                    Check.close(what + " full output", expectedFull[0], full.output().data(), 2e-6, 1e-5);
                    Check.close(what + " full h_n", expectedFull[1], full.h_n().data(), 2e-6, 1e-5);

                    // each sample of the batch, with its length, equals that sample run alone
                    for (int s = 0; s < n; s++) {
                        float[] alone = new float[lengths[s] * in];
                        System.arraycopy(x.data(), s * t * in, alone, 0, alone.length);
                        LSTM.Result one = lstm.forward(Tensor.of(alone, 1, lengths[s], in), ONE);
                        int w = h * (bidirectional ? 2 : 1);
                        Check.close(what + " sample " + s + " alone (bit-identical)", one.output().data(), 0,
                                res[0].output().data(), s * t * w, lengths[s] * w, 0, 0);
                    }
                }
            }
        }
    }

    @Test
    void oneSequenceOnATeamOfThreadsEqualsOneThread() {
        // batch 1, one direction: the hidden units are cut among a team of threads (2 parts of 99 and
        // 100 units, 3 of 66, 66, 67 where there are 3 processors), one barrier per step; the bits must
        // be one thread's
        Random r = new Random(23);
        int t = 9, in = 11, h = 199;
        for (Kernels k : KERNELS) {
            for (int layers : new int[] {1, 2}) {
                for (boolean bias : new boolean[] {true, false}) {
                    LSTM lstm = new LSTM(k, in, h, layers, bias, true, false);
                    Reference.randomize(lstm, 24);
                    Tensor x = Reference.random(r, 1f, 1, t, in);
                    int[] lengths = {7};
                    String what = k.name() + " layers=" + layers + " bias=" + bias;
                    LSTM.Result one = lstm.forward(x, lengths, ONE);
                    if (bias) { // (the reference formula has biases)
                        float[][] expected = Reference.lstm(lstm, x.data(), 1, t, lengths);
                        // 199 units: each gate sums 210 products, so float rounding reaches a few 1e-6
                        Check.close(what + " output", expected[0], one.output().data(), 2e-5, 1e-4);
                        Check.close(what + " c_n", expected[2], one.c_n().data(), 2e-5, 1e-4);
                    }
                    for (int threads = 2; threads <= 3; threads++) {
                        try (ComputePool pool = ComputePool.create(threads)) {
                            // A team forms only if the workers are idle and join within a short window;
                            // on a busy host (or while a new pool's threads are still starting) a call
                            // runs the other way instead. Every call must give one thread's bits; the
                            // calls go on until one has run on a team (CI once saw two in a row miss).
                            int before = lstm.teamRuns.get();
                            String on = what + ", 1 vs " + threads + " threads";
                            for (int attempt = 0; attempt < 200 && lstm.teamRuns.get() == before; attempt++) {
                                if (attempt > 0) {
                                    sleep(5);
                                }
                                LSTM.Result team = lstm.forward(x, lengths, pool);
                                Check.identical(on + " output", one.output().data(), team.output().data());
                                Check.identical(on + " h_n", one.h_n().data(), team.h_n().data());
                                Check.identical(on + " c_n", one.c_n().data(), team.c_n().data());
                            }
                            assertTrue(lstm.teamRuns.get() > before, what + ": no team on " + threads
                                    + " threads in 200 calls");
                        }
                    }
                }
            }
        }
    }

    @Test
    void manyCallersOfOneLstmOnOnePoolGetOneThreadsBits() throws Exception {
        // callers compete for the pool's workers: each call runs on a team or, when none forms, the
        // other way; every result must be the one-thread result
        LSTM lstm = new LSTM(Kernels.get(), 7, 192, 1, true, true, false);
        Reference.randomize(lstm, 28);
        Random r = new Random(29);
        Tensor[] inputs = new Tensor[4];
        float[][] expected = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = Reference.random(r, 1f, 1, 3 + 2 * i, 7);
            expected[i] = lstm.forward(inputs[i], ONE).output().data();
        }
        ExecutorService callers = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                int caller = c;
                futures.add(callers.submit(() -> {
                    for (int call = 0; call < 30; call++) {
                        int i = (caller + call) % inputs.length;
                        Check.identical("caller " + caller + " call " + call, expected[i],
                                lstm.forward(inputs[i], TWO).output().data());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aTeamSeesWeightsChangedAfterItsFirstRun() {
        LSTM lstm = new LSTM(Kernels.get(), 5, 192, 1, true, true, false);
        Reference.randomize(lstm, 25);
        Tensor x = Reference.random(new Random(26), 1f, 1, 4, 5);
        lstm.forward(x, TWO);
        Reference.randomize(lstm, 27);
        lstm.weightsChanged();
        Check.identical("after new weights, 1 vs 2 threads", lstm.forward(x, ONE).output().data(),
                lstm.forward(x, TWO).output().data());
    }

    @Test
    void aSampleDoesNotDependOnItsBatch() {
        // the rows of a batch of 5 against the first row alone and the first 3 rows: bit-identical
        Random r = new Random(17);
        for (Kernels k : KERNELS) {
            Linear fc = new Linear(k, 300, 70, true);
            Reference.randomize(fc, 18);
            Tensor x = Reference.random(r, 1f, 5, 300);
            Tensor all = fc.forward(x, TWO);
            for (int rows : new int[] {1, 3}) {
                Tensor part = fc.forward(Tensor.of(java.util.Arrays.copyOf(x.data(), rows * 300), rows, 300), ONE);
                Check.close(k.name() + " linear " + rows + " of 5 rows", all.data(), 0, part.data(), 0, rows * 70, 0, 0);
            }
            Conv2d conv = new Conv2d(k, ConvGeometry.square(5, 7, 3, 2, 1), false);
            Reference.randomize(conv, 19);
            Tensor images = Reference.random(r, 1f, 3, 5, 12, 9);
            Tensor y = conv.forward(images, TWO);
            Tensor first = conv.forward(Tensor.of(java.util.Arrays.copyOf(images.data(), 5 * 12 * 9), 1, 5, 12, 9), ONE);
            Check.close(k.name() + " conv image 0 of 3", y.data(), 0, first.data(), 0, first.size(), 0, 0);
        }
    }

    @Test
    void lstmTimeFirstLayoutIsTheTransposeOfBatchFirst() {
        Random r = new Random(15);
        LSTM bf = new LSTM(Kernels.get(), 4, 3, 1, true, true, true);
        LSTM tf = new LSTM(Kernels.get(), 4, 3, 1, true, false, true);
        Reference.randomize(bf, 16);
        Reference.copy(bf, tf);
        Tensor x = Reference.random(r, 1f, 2, 5, 4);
        Tensor xt = Tensor.zeros(5, 2, 4);
        for (int b = 0; b < 2; b++) {
            for (int s = 0; s < 5; s++) {
                System.arraycopy(x.data(), (b * 5 + s) * 4, xt.data(), (s * 2 + b) * 4, 4);
            }
        }
        LSTM.Result a = bf.forward(x, ONE), b = tf.forward(xt, ONE);
        assertArrayEquals(new int[] {5, 2, 6}, b.output().shape());
        for (int bb = 0; bb < 2; bb++) {
            for (int s = 0; s < 5; s++) {
                Check.close("step " + s + " sample " + bb, a.output().data(), (bb * 5 + s) * 6, b.output().data(), (s * 2 + bb) * 6, 6, 0, 0);
            }
        }
        Check.identical("h_n", a.h_n().data(), b.h_n().data());
    }

    @Test
    void lstmRefusesEmptyAndBadLengths() {
        LSTM lstm = new LSTM(2, 3);
        assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(1, 0, 2), ONE));
        assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(2, 3, 2), new int[] {3, 0}, ONE));
        assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(2, 3, 2), new int[] {4, 1}, ONE));
        assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(2, 3, 5), ONE));
    }

    @Test
    void stateDictKeysFollowPyTorch() {
        assertArrayEquals(new String[] {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"},
                new LSTM(3, 4, 2, true, true, true).namedTensors().keySet().toArray(new String[0]));
        assertArrayEquals(new int[] {16, 8}, new LSTM(3, 4, 2, true, true, true).parameter("weight_ih_l1").shape());
        assertArrayEquals(new String[] {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"},
                new BatchNorm2d(2).namedTensors().keySet().toArray(new String[0]));
        Sequential s = new Sequential(new Conv2d(1, 2, 3, 1, 1, false), new BatchNorm2d(2), new ReLU(), new Linear(2, 2, true));
        assertArrayEquals(new String[] {"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var",
            "1.num_batches_tracked", "3.weight", "3.bias"}, s.namedTensors().keySet().toArray(new String[0]));
    }

    /** Between calls that wait for a team of threads to form (also {@link ProjectedRowsTest}). */
    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
