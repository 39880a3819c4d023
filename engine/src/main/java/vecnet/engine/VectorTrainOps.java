package vecnet.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise kernels of the backward pass with the Vector API: batch-norm's sums and input gradient,
 * ReLU's mask. Their scalar twins are in {@link ScalarKernels}; the formulas in {@link Kernels}.
 *
 * <p>The sums keep one float partial sum per lane, over the whole vectors in order; the lanes and then
 * the tail are added in double, in order. So a result depends on {@code len} only, never on a thread
 * count (callers sum whole planes, one task per channel). Over a plane of 112² values a lane sums 784.
 */
final class VectorTrainOps {
    private static final VectorSpecies<Float> S = VectorKernels.SPECIES;
    private static final int VL = S.length();

    private VectorTrainOps() {
    }

    static void deviationSums(float[] x, int xOff, int len, float center, double[] out) {
        FloatVector s = FloatVector.zero(S), ss = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += VL) {
            FloatVector d = FloatVector.fromArray(S, x, xOff + i).sub(center);
            s = s.add(d);
            ss = d.fma(d, ss);
        }
        double t = lanes(s), tt = lanes(ss);
        for (; i < len; i++) {
            float d = x[xOff + i] - center;
            t += d;
            tt += (double) d * d;
        }
        out[0] += t;
        out[1] += tt;
    }

    static void gradientSums(float[] dy, int dyOff, float[] x, int xOff, int len, float center, double[] out) {
        FloatVector s = FloatVector.zero(S), sx = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += VL) {
            FloatVector g = FloatVector.fromArray(S, dy, dyOff + i);
            s = s.add(g);
            sx = g.fma(FloatVector.fromArray(S, x, xOff + i).sub(center), sx);
        }
        double t = lanes(s), tx = lanes(sx);
        for (; i < len; i++) {
            float g = dy[dyOff + i];
            t += g;
            tx += (double) g * (x[xOff + i] - center);
        }
        out[0] += t;
        out[1] += tx;
    }

    static void affineDeviation(float[] dy, int dyOff, float[] x, int xOff, int len, float center, float a, float b,
                                float c, float[] out, int outOff) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += VL) {
            FloatVector d = FloatVector.fromArray(S, x, xOff + i).sub(center);
            FloatVector inner = d.fma(b, c);   // fma(b, d, c)
            FloatVector.fromArray(S, dy, dyOff + i).fma(av, inner).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            out[outOff + i] = Math.fma(a, dy[dyOff + i], Math.fma(b, x[xOff + i] - center, c));
        }
    }

    static void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] out, int outOff, int len) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += VL) {
            FloatVector g = FloatVector.fromArray(S, dy, dyOff + i);
            zero.blend(g, FloatVector.fromArray(S, y, yOff + i).compare(VectorOperators.GT, 0f)).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            out[outOff + i] = y[yOff + i] > 0f ? dy[dyOff + i] : 0f;
        }
    }

    /** The lanes of {@code v} added in order, in double. */
    private static double lanes(FloatVector v) {
        float[] a = v.toArray();
        double s = 0;
        for (float f : a) {
            s += f;
        }
        return s;
    }
}
