package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertNull;
import static vecnet.layers.TrainFixtures.closeToTorch;
import static vecnet.layers.TrainFixtures.ints;
import static vecnet.layers.TrainFixtures.load;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * Backward passes against PyTorch 1.13 ({@code train_text/layers.safetensors}): every parameter's and
 * the input's gradient, for loss = Σ output ⊙ dy, at awkward shapes; each with the scalar and the
 * vector kernels; and bit-identical for 1, 2 and 3 threads.
 */
class BackwardParityTest extends LibraryTest {
    private static final StateDict SD = TrainFixtures.file("layers");

    @ParameterizedTest
    @ValueSource(strings = {"linear", "linear_nobias"})
    void linear(String c) {
        for (Kernels k : new Kernels[] {Kernels.scalar(), Kernels.get()}) {
            Tensor w = SD.tensor(c + ".weight");
            Linear lin = new Linear(k, w.dim(1), w.dim(0), SD.contains(c + ".bias"));
            load(SD, c + ".", lin);
            Gradients g = new Gradients().trackAll(lin.namedTensors().values());
            Traced t = lin.trace(SD.tensor(c + ".x"), ComputePool.sequential());
            closeToTorch(c + " y", SD.tensor(c + ".y").data(), t.output().data());
            Tensor dx = t.backward(SD.tensor(c + ".dy"), g, ComputePool.sequential());
            closeToTorch(c + " dx", SD.tensor(c + ".grad.x").data(), dx.data());
            checkGrads(c, lin.namedTensors(), g);
        }
    }

    @Test
    void embeddingDenseGradientSkipsThePaddingRow() {
        Embedding emb = new Embedding(11, 5, 3);
        load(SD, "embedding.", emb);
        Gradients g = new Gradients().track(emb.weight);
        Traced t = emb.trace(ints(SD, "embedding.ids"), 4, 6);
        Check.identical("embedding y", SD.tensor("embedding.y").data(), t.output().data());
        assertNull(t.backward(SD.tensor("embedding.dy"), g, ComputePool.sequential()));
        closeToTorch("embedding dW", SD.tensor("embedding.grad.weight").data(), g.of(emb.weight));
        for (int d = 0; d < 5; d++) {
            org.junit.jupiter.api.Assertions.assertEquals(0f, g.of(emb.weight)[3 * 5 + d], "padding row gradient");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lstm_uni", "lstm_bi2", "lstm_tf_nobias", "lstm_3layer"})
    void lstm(String c) {
        for (Kernels k : new Kernels[] {Kernels.scalar(), Kernels.get()}) {
            LSTM lstm = lstm(k, c);
            Gradients g = new Gradients().trackAll(lstm.namedTensors().values());
            int[] lengths = SD.contains(c + ".lengths") ? ints(SD, c + ".lengths") : null;
            LSTM.Trace t = lstm.trace(SD.tensor(c + ".x"), lengths, ComputePool.sequential());
            closeToTorch(c + " output", SD.tensor(c + ".y").data(), t.output().data());
            Check.identical(c + " traced output = forward",
                    lstm.forward(SD.tensor(c + ".x"), lengths, ComputePool.sequential()).output().data(), t.output().data());
            Tensor dx = t.backward(SD.tensor(c + ".dy"), g, ComputePool.sequential());
            closeToTorch(c + " dx", SD.tensor(c + ".grad.x").data(), dx.data());
            checkGrads(c, lstm.namedTensors(), g);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lstm_bi2", "lstm_tf_nobias"})
    void lstmGradientsDoNotDependOnTheThreadCount(String c) {
        float[][] first = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (ComputePool pool = ComputePool.create(threads)) {
                LSTM lstm = lstm(Kernels.get(), c);
                Gradients g = new Gradients().trackAll(lstm.namedTensors().values());
                int[] lengths = SD.contains(c + ".lengths") ? ints(SD, c + ".lengths") : null;
                Tensor dx = lstm.trace(SD.tensor(c + ".x"), lengths, pool).backward(SD.tensor(c + ".dy"), g, pool);
                float[][] all = new float[lstm.namedTensors().size() + 1][];
                int i = 0;
                for (Tensor p : lstm.namedTensors().values()) {
                    all[i++] = g.of(p);
                }
                all[i] = dx.data();
                if (first == null) {
                    first = all;
                } else {
                    for (int j = 0; j < all.length; j++) {
                        Check.identical(c + " gradient " + j + " with " + threads + " threads", first[j], all[j]);
                    }
                }
            }
        }
    }

    @Test
    void frozenParametersGetNoGradientAndGradientsAccumulate() {
        LSTM lstm = lstm(Kernels.get(), "lstm_uni");
        Gradients g = new Gradients().track(lstm.weight_hh_l0);
        Tensor x = SD.tensor("lstm_uni.x"), dy = SD.tensor("lstm_uni.dy");
        int[] lengths = ints(SD, "lstm_uni.lengths");
        for (int twice = 0; twice < 2; twice++) {
            lstm.trace(x, lengths, ComputePool.sequential()).backward(dy, g, ComputePool.sequential());
        }
        assertNull(g.of(lstm.weight_ih_l0));
        float[] expected = SD.tensor("lstm_uni.grad.weight_hh_l0").data().clone();
        for (int i = 0; i < expected.length; i++) {
            expected[i] *= 2;
        }
        closeToTorch("twice the gradient", expected, g.of(lstm.weight_hh_l0));
    }

    private static LSTM lstm(Kernels k, String c) {
        Tensor wih = SD.tensor(c + ".weight_ih_l0"), whh = SD.tensor(c + ".weight_hh_l0");
        int layers = 0;
        while (SD.contains(c + ".weight_ih_l" + layers)) {
            layers++;
        }
        Tensor x = SD.tensor(c + ".x"), y = SD.tensor(c + ".y");
        boolean bi = SD.contains(c + ".weight_ih_l0_reverse");
        boolean batchFirst = !c.equals("lstm_tf_nobias");
        LSTM lstm = new LSTM(k, wih.dim(1), whh.dim(1), layers, SD.contains(c + ".bias_ih_l0"), batchFirst, bi);
        load(SD, c + ".", lstm);
        org.junit.jupiter.api.Assertions.assertEquals(y.dim(2), lstm.outputSize());
        org.junit.jupiter.api.Assertions.assertEquals(x.dim(2), lstm.inputSize());
        return lstm;
    }

    private static void checkGrads(String c, Map<String, Tensor> params, Gradients g) {
        params.forEach((name, p) -> closeToTorch(c + " d" + name, SD.tensor(c + ".grad." + name).data(), g.of(p)));
    }
}
