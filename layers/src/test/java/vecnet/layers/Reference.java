package vecnet.layers;

import java.util.Map;
import java.util.Random;
import vecnet.engine.HasStateDict;
import vecnet.engine.Tensor;

/** Test helpers: seeded random tensors, and plain double-precision loops that restate each layer's formula. */
final class Reference {
    private Reference() {
    }

    static Tensor random(Random r, float scale, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (r.nextGaussian() * scale);
        }
        return t;
    }

    /** Fills every tensor of {@code target} with seeded values; variances are made positive. */
    static void randomize(HasStateDict target, long seed) {
        Random r = new Random(seed);
        for (Map.Entry<String, Tensor> e : target.namedTensors().entrySet()) {
            float[] d = e.getValue().data();
            for (int i = 0; i < d.length; i++) {
                d[i] = e.getKey().contains("var") ? 0.3f + r.nextFloat() : (float) (r.nextGaussian() * 0.5);
            }
        }
    }

    /** Copies every tensor of {@code from} into the same-named tensor of {@code to}. */
    static void copy(HasStateDict from, HasStateDict to) {
        Map<String, Tensor> dst = to.namedTensors();
        from.namedTensors().forEach((k, v) -> System.arraycopy(v.data(), 0, dst.get(k).data(), 0, v.size()));
    }

    /** nn.Conv2d's formula in double, with zero padding, dilation and groups. */
    static float[] conv2d(float[] x, int n, int cin, int h, int w, float[] wt, float[] bias, int cout, int kh, int kw,
                          int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        int cinG = cin / groups, coutG = cout / groups;
        float[] y = new float[n * cout * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                int g = co / coutG;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = bias == null ? 0 : bias[co];
                        for (int ci = 0; ci < cinG; ci++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int iy = oy * sh - ph + i * dh, ix = ox * sw - pw + j * dw;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        acc += (double) wt[((co * cinG + ci) * kh + i) * kw + j]
                                                * x[((b * cin + g * cinG + ci) * h + iy) * w + ix];
                                    }
                                }
                            }
                        }
                        y[((b * cout + co) * oh + oy) * ow + ox] = (float) acc;
                    }
                }
            }
        }
        return y;
    }

    /** nn.LSTM's recurrence in double, batch first, with per-sample lengths (reverse starts at the last real step). */
    static float[][] lstm(LSTM m, float[] x, int n, int t, int[] len) {
        int h = m.hiddenSize(), dirs = m.bidirectional() ? 2 : 1, out = h * dirs;
        float[] in = x;
        int inSize = m.inputSize();
        float[] hn = new float[m.numLayers() * dirs * n * h], cn = new float[hn.length];
        float[] y = null;
        for (int l = 0; l < m.numLayers(); l++) {
            y = new float[n * t * out];
            for (int d = 0; d < dirs; d++) {
                String s = "_l" + l + (d == 1 ? "_reverse" : "");
                float[] wih = m.parameter("weight_ih" + s).data(), whh = m.parameter("weight_hh" + s).data();
                float[] bih = m.parameter("bias_ih" + s).data(), bhh = m.parameter("bias_hh" + s).data();
                for (int b = 0; b < n; b++) {
                    double[] hs = new double[h], cs = new double[h];
                    for (int k = 0; k < len[b]; k++) {
                        int step = d == 0 ? k : len[b] - 1 - k;
                        double[] gate = new double[4 * h];
                        for (int j = 0; j < 4 * h; j++) {
                            double acc = bih[j] + bhh[j];
                            for (int p = 0; p < inSize; p++) {
                                acc += (double) wih[j * inSize + p] * in[(b * t + step) * inSize + p];
                            }
                            for (int p = 0; p < h; p++) {
                                acc += whh[j * h + p] * hs[p];
                            }
                            gate[j] = acc;
                        }
                        for (int j = 0; j < h; j++) {
                            double i = sig(gate[j]), f = sig(gate[h + j]), g = Math.tanh(gate[2 * h + j]), o = sig(gate[3 * h + j]);
                            cs[j] = f * cs[j] + i * g;
                            hs[j] = o * Math.tanh(cs[j]);
                            y[(b * t + step) * out + d * h + j] = (float) hs[j];
                        }
                    }
                    for (int j = 0; j < h; j++) {
                        hn[((l * dirs + d) * n + b) * h + j] = (float) hs[j];
                        cn[((l * dirs + d) * n + b) * h + j] = (float) cs[j];
                    }
                }
            }
            in = y;
            inSize = out;
        }
        return new float[][] {y, hn, cn};
    }

    private static double sig(double v) {
        return 1 / (1 + Math.exp(-v));
    }
}
