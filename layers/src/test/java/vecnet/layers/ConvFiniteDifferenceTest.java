package vecnet.layers;

import java.util.Random;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * The backward formulas themselves, without PyTorch: a small network of every traced layer
 *
 * <pre>
 *   x (2,3,11,9) → conv1 3→4 3×3 s2 p1 +bias → bn (training mode) → relu → maxpool 3 s2 p1   = m (2,4,3,3)
 *   m → conv2 4→4 2×3 dilation (2,1) padding 1 groups 2 → + m → relu → adaptive avg pool (2,2) = y (2,4,2,2)
 *   L = Σ g·y
 * </pre>
 *
 * is restated in double here, and every partial derivative of L (each input element, each weight,
 * bias and batch-norm affine parameter) is taken by central differences in double
 * ({@code h = 1e-6}); the analytic float32 gradients of the traces must agree within
 * {@code 1e-4·max(1, max|dL|)}.
 */
class ConvFiniteDifferenceTest extends LibraryTest {
    private static final ConvGeometry G1 = new ConvGeometry(3, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1);
    private static final ConvGeometry G2 = new ConvGeometry(4, 4, 2, 3, 1, 1, 1, 1, 2, 1, 2);
    private static final int N = 2, H = 11, W = 9;

    /** All the inputs of L as double arrays: x, w1, b1, gamma, beta, w2, g. */
    private record Point(double[] x, double[] w1, double[] b1, double[] gamma, double[] beta, double[] w2, double[] g) {
        double[][] parts() {
            return new double[][] {x, w1, b1, gamma, beta, w2};
        }
    }

    @Test
    void tracesAgreeWithFiniteDifferencesInDouble() {
        Random r = new Random(5);
        Point p = new Point(rand(r, N * 3 * H * W), rand(r, G1.weightSize()), rand(r, 4), rand(r, 4), rand(r, 4),
                rand(r, G2.weightSize()), rand(r, N * 4 * 2 * 2));
        for (int i = 0; i < 4; i++) {
            p.gamma()[i] = 0.5 + Math.abs(p.gamma()[i]);
        }
        // round the point to float so that both sides see the same numbers
        for (double[] a : p.parts()) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) a[i];
            }
        }
        float[][] analytic = analytic(p);
        String[] names = {"x", "conv1.weight", "conv1.bias", "bn.weight", "bn.bias", "conv2.weight"};
        double h = 1e-6;
        double[][] parts = p.parts();
        for (int k = 0; k < parts.length; k++) {
            double[] a = parts[k];
            float[] fd = new float[a.length];
            for (int i = 0; i < a.length; i++) {
                double keep = a[i];
                a[i] = keep + h;
                double up = loss(p);
                a[i] = keep - h;
                double down = loss(p);
                a[i] = keep;
                fd[i] = (float) ((up - down) / (2 * h));
            }
            Check.close("dL/d" + names[k] + " (trace vs finite differences)", fd, analytic[k], 1e-4 * Check.scale(fd), 0);
        }
    }

    private static double[] rand(Random r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextGaussian();
        }
        return a;
    }

    private static float[] f(double[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) a[i];
        }
        return out;
    }

    /** The traces' gradients of L, in the order of {@link Point#parts()}. */
    private static float[][] analytic(Point p) {
        ComputePool pool = ComputePool.sequential();
        Conv2d conv1 = new Conv2d(G1, true), conv2 = new Conv2d(G2, false);
        BatchNorm2d bn = new BatchNorm2d(4);
        System.arraycopy(f(p.w1()), 0, conv1.weight.data(), 0, G1.weightSize());
        System.arraycopy(f(p.b1()), 0, conv1.bias.data(), 0, 4);
        System.arraycopy(f(p.gamma()), 0, bn.weight.data(), 0, 4);
        System.arraycopy(f(p.beta()), 0, bn.bias.data(), 0, 4);
        System.arraycopy(f(p.w2()), 0, conv2.weight.data(), 0, G2.weightSize());
        Gradients grads = new Gradients().trackAll(conv1.namedTensors().values()).track(bn.weight).track(bn.bias)
                .track(conv2.weight);

        Conv2d.Trace c1 = conv1.trace(Tensor.of(f(p.x()), N, 3, H, W), pool);
        BatchNorm2d.Trace b = bn.trace(c1.output(), pool, true);
        ReLU.Trace r1 = new ReLU().trace(b.output(), pool);
        MaxPool2d.Trace mp = new MaxPool2d(3, 2, 1).trace(r1.output(), pool);
        Tensor m = mp.output();
        Conv2d.Trace c2 = conv2.trace(m, pool);
        Tensor sum = Tensor.zeros(m.shape());
        for (int i = 0; i < sum.size(); i++) {
            sum.data()[i] = c2.output().data()[i] + m.data()[i];
        }
        ReLU.Trace r2 = new ReLU().trace(sum, pool);
        AdaptiveAvgPool2d.Trace ap = new AdaptiveAvgPool2d(2, 2).trace(r2.output(), pool);

        Tensor d = ap.backward(Tensor.of(f(p.g()), N, 4, 2, 2), grads, pool);
        d = r2.backward(d, grads, pool);
        Tensor dm = c2.backward(d, grads, pool);
        for (int i = 0; i < dm.size(); i++) {
            dm.data()[i] += d.data()[i];   // the residual's branch
        }
        d = mp.backward(dm, grads, pool);
        d = r1.backward(d, grads, pool);
        d = b.backward(d, grads, pool);
        Tensor dx = c1.backward(d, grads, pool);
        return new float[][] {dx.data(), grads.of(conv1.weight), grads.of(conv1.bias), grads.of(bn.weight),
            grads.of(bn.bias), grads.of(conv2.weight)};
    }

    /** L in double, the network restated from PyTorch's definitions. */
    private static double loss(Point p) {
        int h1 = G1.outH(H), w1 = G1.outW(W);
        double[] c1 = conv(p.x(), N, H, W, G1, p.w1(), p.b1());
        double[] b = batchNormTrain(c1, N, 4, h1 * w1, p.gamma(), p.beta());
        for (int i = 0; i < b.length; i++) {
            b[i] = Math.max(0, b[i]);
        }
        int hm = (h1 + 2 - 3) / 2 + 1, wm = (w1 + 2 - 3) / 2 + 1;
        double[] m = maxPool(b, N * 4, h1, w1, hm, wm);
        double[] c2 = conv(m, N, hm, wm, G2, p.w2(), new double[4]);
        for (int i = 0; i < c2.length; i++) {
            c2[i] = Math.max(0, c2[i] + m[i]);
        }
        double[] y = avgPool(c2, N * 4, hm, wm, 2, 2);
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += p.g()[i] * y[i];
        }
        return l;
    }

    private static double[] conv(double[] x, int n, int h, int w, ConvGeometry g, double[] wt, double[] bias) {
        int oh = g.outH(h), ow = g.outW(w), cpg = g.cinPerGroup(), opg = g.coutPerGroup();
        double[] y = new double[n * g.cout() * oh * ow];
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < g.cout(); co++) {
                int grp = co / opg;
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double s = bias[co];
                        for (int ci = 0; ci < cpg; ci++) {
                            for (int u = 0; u < g.kh(); u++) {
                                for (int v = 0; v < g.kw(); v++) {
                                    int ih = i * g.strideH() - g.padH() + u * g.dilH();
                                    int iw = j * g.strideW() - g.padW() + v * g.dilW();
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                        s += wt[((co * cpg + ci) * g.kh() + u) * g.kw() + v]
                                                * x[((b * g.cin() + grp * cpg + ci) * h + ih) * w + iw];
                                    }
                                }
                            }
                        }
                        y[((b * g.cout() + co) * oh + i) * ow + j] = s;
                    }
                }
            }
        }
        return y;
    }

    private static double[] batchNormTrain(double[] x, int n, int c, int plane, double[] gamma, double[] beta) {
        double[] y = new double[x.length];
        int m = n * plane;
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int b = 0; b < n; b++) {
                for (int q = 0; q < plane; q++) {
                    mean += x[(b * c + ch) * plane + q] / m;
                }
            }
            for (int b = 0; b < n; b++) {
                for (int q = 0; q < plane; q++) {
                    double d = x[(b * c + ch) * plane + q] - mean;
                    var += d * d / m;
                }
            }
            for (int b = 0; b < n; b++) {
                for (int q = 0; q < plane; q++) {
                    int i = (b * c + ch) * plane + q;
                    y[i] = (x[i] - mean) / Math.sqrt(var + 1e-5) * gamma[ch] + beta[ch];
                }
            }
        }
        return y;
    }

    /** MaxPool2d(3, 2, 1) with −∞ padding. */
    private static double[] maxPool(double[] x, int planes, int h, int w, int oh, int ow) {
        double[] y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int u = i * 2 - 1; u < i * 2 + 2; u++) {
                        for (int v = j * 2 - 1; v < j * 2 + 2; v++) {
                            if (u >= 0 && u < h && v >= 0 && v < w) {
                                m = Math.max(m, x[(p * h + u) * w + v]);
                            }
                        }
                    }
                    y[(p * oh + i) * ow + j] = m;
                }
            }
        }
        return y;
    }

    private static double[] avgPool(double[] x, int planes, int h, int w, int oh, int ow) {
        double[] y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                int h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
                for (int j = 0; j < ow; j++) {
                    int w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
                    double s = 0;
                    for (int u = h0; u < h1; u++) {
                        for (int v = w0; v < w1; v++) {
                            s += x[(p * h + u) * w + v];
                        }
                    }
                    y[(p * oh + i) * ow + j] = s / ((h1 - h0) * (w1 - w0));
                }
            }
        }
        return y;
    }
}
