package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.layers.train.CrossEntropyLoss;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * The gradient formulas themselves, independent of PyTorch: each analytic gradient (float32) against
 * central differences {@code (L(θ+h) − L(θ−h)) / 2h} of a plain double-precision restatement of the
 * forward pass, on small shapes, for loss = Σ output ⊙ dy.
 */
class TextFiniteDifferenceTest extends LibraryTest {
    private static final double H = 1e-6, TOL = 2e-4;

    /** Central differences of {@code f} with respect to every element of {@code theta} (changed and restored). */
    private static float[] numeric(double[] theta, ToDoubleFunction<double[]> f) {
        float[] g = new float[theta.length];
        for (int i = 0; i < theta.length; i++) {
            double keep = theta[i];
            theta[i] = keep + H;
            double up = f.applyAsDouble(theta);
            theta[i] = keep - H;
            double down = f.applyAsDouble(theta);
            theta[i] = keep;
            g[i] = (float) ((up - down) / (2 * H));
        }
        return g;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void linear() {
        Random r = new Random(3);
        Linear lin = new Linear(5, 3, true);
        Reference.randomize(lin, 4);
        Tensor x = Reference.random(r, 1, 2, 2, 5), dy = Reference.random(r, 1, 2, 2, 3);
        Gradients g = new Gradients().trackAll(lin.namedTensors().values());
        Tensor dx = lin.trace(x, ComputePool.sequential()).backward(dy, g, ComputePool.sequential());
        double[] w = toDouble(lin.weight.data()), b = toDouble(lin.bias.data()), xd = toDouble(x.data());
        ToDoubleFunction<double[]> loss = unused -> {
            double s = 0;
            for (int row = 0; row < 4; row++) {
                for (int o = 0; o < 3; o++) {
                    double y = b[o];
                    for (int p = 0; p < 5; p++) {
                        y += xd[row * 5 + p] * w[o * 5 + p];
                    }
                    s += y * dy.data()[row * 3 + o];
                }
            }
            return s;
        };
        Check.close("dW", numeric(w, loss), g.of(lin.weight), TOL, TOL);
        Check.close("db", numeric(b, loss), g.of(lin.bias), TOL, TOL);
        Check.close("dx", numeric(xd, loss), dx.data(), TOL, TOL);
    }

    @Test
    void lstmTwoLayersBidirectionalWithLengths() {
        checkLstm(new LSTM(3, 4, 2, true, true, true), 3, 4, new int[] {4, 1, 3}, 5);
    }

    @Test
    void lstmTimeFirstNoBias() {
        checkLstm(new LSTM(vecnet.engine.Kernels.get(), 2, 3, 1, false, false, false), 2, 3, null, 6);
    }

    private static void checkLstm(LSTM lstm, int n, int t, int[] lengths, long seed) {
        Random r = new Random(seed);
        Reference.randomize(lstm, seed);
        int in = lstm.inputSize(), out = lstm.outputSize();
        boolean bf = lstm.batchFirst();
        Tensor x = bf ? Reference.random(r, 1, n, t, in) : Reference.random(r, 1, t, n, in);
        Tensor dy = bf ? Reference.random(r, 1, n, t, out) : Reference.random(r, 1, t, n, out);
        Gradients g = new Gradients().trackAll(lstm.namedTensors().values());
        Tensor dx;
        try (ComputePool pool = ComputePool.create(2)) {
            dx = lstm.trace(x, lengths, pool).backward(dy, g, pool);
        }
        Map<String, double[]> p = new LinkedHashMap<>();
        lstm.namedTensors().forEach((k, v) -> p.put(k, toDouble(v.data())));
        double[] xd = toDouble(x.data());
        ToDoubleFunction<double[]> loss = unused -> {
            double[] o = lstmDouble(p, xd, n, t, in, lstm.hiddenSize(), lstm.numLayers(), lstm.bidirectional(), bf, lengths);
            double s = 0;
            for (int i = 0; i < o.length; i++) {
                s += o[i] * dy.data()[i];
            }
            return s;
        };
        lstm.namedTensors().forEach((k, v) -> Check.close("d" + k, numeric(p.get(k), loss), g.of(v), TOL, TOL));
        Check.close("dx", numeric(xd, loss), dx.data(), TOL, TOL);
    }

    /** nn.LSTM in double, packed semantics: sample s runs over its first lengths[s] steps; output zero past them. */
    static double[] lstmDouble(Map<String, double[]> p, double[] x, int n, int t, int in, int h, int layers, boolean bi,
                               boolean batchFirst, int[] lengths) {
        int dirs = bi ? 2 : 1;
        double[] input = new double[n * t * in];          // batch-first
        for (int s = 0; s < n; s++) {
            for (int k = 0; k < t; k++) {
                System.arraycopy(x, batchFirst ? (s * t + k) * in : (k * n + s) * in, input, (s * t + k) * in, in);
            }
        }
        int width = in;
        for (int l = 0; l < layers; l++) {
            double[] output = new double[n * t * h * dirs];
            for (int d = 0; d < dirs; d++) {
                String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
                double[] wih = p.get("weight_ih" + sfx), whh = p.get("weight_hh" + sfx);
                double[] bih = p.get("bias_ih" + sfx), bhh = p.get("bias_hh" + sfx);
                for (int s = 0; s < n; s++) {
                    int len = lengths == null ? t : lengths[s];
                    double[] hs = new double[h], cs = new double[h];
                    for (int k = 0; k < len; k++) {
                        int step = d == 0 ? k : len - 1 - k;
                        double[] gates = new double[4 * h];
                        for (int j = 0; j < 4 * h; j++) {
                            double a = (bih == null ? 0 : bih[j]) + (bhh == null ? 0 : bhh[j]);
                            for (int q = 0; q < width; q++) {
                                a += wih[j * width + q] * input[(s * t + step) * width + q];
                            }
                            for (int q = 0; q < h; q++) {
                                a += whh[j * h + q] * hs[q];
                            }
                            gates[j] = a;
                        }
                        for (int j = 0; j < h; j++) {
                            double i = sig(gates[j]), f = sig(gates[h + j]), gg = Math.tanh(gates[2 * h + j]), o = sig(gates[3 * h + j]);
                            cs[j] = f * cs[j] + i * gg;
                            hs[j] = o * Math.tanh(cs[j]);
                            output[(s * t + step) * h * dirs + d * h + j] = hs[j];
                        }
                    }
                }
            }
            input = output;
            width = h * dirs;
        }
        if (batchFirst) {
            return input;
        }
        double[] y = new double[input.length];
        for (int s = 0; s < n; s++) {
            for (int k = 0; k < t; k++) {
                System.arraycopy(input, (s * t + k) * width, y, (k * n + s) * width, width);
            }
        }
        return y;
    }

    private static double sig(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    @Test
    void crossEntropyWithWeightsSmoothingAndIgnoredRows() {
        Random r = new Random(8);
        int n = 5, c = 4;
        Tensor logits = Reference.random(r, 2, n, c);
        int[] target = {0, 3, 1, -100, 3};
        float[] w = {0.5f, 2f, 1f, 1.5f};
        for (CrossEntropyLoss.Reduction red : CrossEntropyLoss.Reduction.values()) {
            CrossEntropyLoss ce = new CrossEntropyLoss(w, -100, red, 0.2);
            float[] analytic = ce.compute(logits, target).gradient().data();
            double[] x = toDouble(logits.data());
            ToDoubleFunction<double[]> loss = z -> {
                double nll = 0, smooth = 0, total = 0;
                for (int i = 0; i < n; i++) {
                    if (target[i] == -100) {
                        continue;
                    }
                    double m = Double.NEGATIVE_INFINITY, s = 0;
                    for (int j = 0; j < c; j++) {
                        m = Math.max(m, z[i * c + j]);
                    }
                    for (int j = 0; j < c; j++) {
                        s += Math.exp(z[i * c + j] - m);
                    }
                    for (int j = 0; j < c; j++) {
                        double lp = z[i * c + j] - m - Math.log(s);
                        smooth -= w[j] * lp;
                        if (j == target[i]) {
                            nll -= w[j] * lp;
                        }
                    }
                    total += w[target[i]];
                }
                double den = red == CrossEntropyLoss.Reduction.MEAN ? total : 1;
                return 0.8 * nll / den + 0.2 * smooth / den / c;
            };
            Check.close("CE " + red, numeric(x, loss), analytic, TOL, TOL);
            for (int j = 0; j < c; j++) {
                assertTrue(analytic[3 * c + j] == 0f, "an ignored row has no gradient");
            }
        }
    }
}
