package vecnet.engine;

/**
 * Vector API pooling and elementwise kernels. PLACEHOLDER: delegates to the scalar twins until
 * the vector versions land.
 */
final class VectorOps {
    private static final Kernels S = ScalarKernels.INSTANCE;

    private VectorOps() {
    }

    static void maxPool2d(ComputePool pool, float[] x, int n, int c, int h, int w, int k, int stride, int pad, float[] y) {
        S.maxPool2d(pool, x, n, c, h, w, k, stride, pad, y);
    }

    static void adaptiveAvgPool2d(ComputePool pool, float[] x, int n, int c, int h, int w, int oh, int ow, float[] y) {
        S.adaptiveAvgPool2d(pool, x, n, c, h, w, oh, ow, y);
    }

    static void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len) {
        S.add(a, aOff, b, bOff, out, outOff, len);
    }

    static void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len) {
        S.mul(a, aOff, b, bOff, out, outOff, len);
    }

    static void relu(float[] x, int xOff, float[] out, int outOff, int len) {
        S.relu(x, xOff, out, outOff, len);
    }

    static void sigmoid(float[] x, int xOff, float[] out, int outOff, int len) {
        S.sigmoid(x, xOff, out, outOff, len);
    }

    static void tanh(float[] x, int xOff, float[] out, int outOff, int len) {
        S.tanh(x, xOff, out, outOff, len);
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        return S.dot(a, aOff, b, bOff, len);
    }

    static void concat(float[][] parts, int[] widths, int outer, int inner, float[] out) {
        S.concat(parts, widths, outer, inner, out);
    }
}
