package vecnet.engine;

import java.lang.System.Logger.Level;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernels. Reached only through {@link KernelProvider}, never imported directly,
 * so that a JVM without {@code jdk.incubator.vector} never loads this class.
 *
 * <p>The work is in three package-private classes: {@link VectorGemm} (packed GEMM, GEMV),
 * {@link VectorConv} (convolution as an implicit GEMM), {@link VectorWinograd} (3×3 stride-1
 * convolutions by Winograd's F(4×4, 3×3)) and {@link VectorOps} (pooling and elementwise kernels).
 *
 * <p>{@link #SPECIES} is the one vector species they all use: the hardware's preferred one, or a
 * narrower one asked for with {@code -Dvecnet.vectorBits} ({@link KernelProvider#WIDTH_PROPERTY}).
 */
final class VectorKernels implements Kernels {
    static final VectorSpecies<Float> SPECIES =
            species(System.getProperty(KernelProvider.WIDTH_PROPERTY), FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                    System.getLogger("vecnet.engine"));

    private VectorKernels() {
    }

    /**
     * The species for a requested width in bits ({@code null} or empty: the preferred one), capped at
     * {@code preferredBits}. Logs the choice once at DEBUG, and a WARNING when the request is not
     * 128, 256 or 512 or is wider than the hardware allows.
     */
    static VectorSpecies<Float> species(String requested, int preferredBits, System.Logger log) {
        int max = preferredBits, bits = max;
        if (requested != null && !requested.isBlank()) {
            String r = requested.strip();
            if (!r.equals("128") && !r.equals("256") && !r.equals("512")) {
                log.log(Level.WARNING, "vecnet: -D" + KernelProvider.WIDTH_PROPERTY + "=" + r
                        + " is not 128, 256 or 512; using " + max + "-bit vectors");
            } else if (Integer.parseInt(r) > max) {
                log.log(Level.WARNING, "vecnet: -D" + KernelProvider.WIDTH_PROPERTY + "=" + r
                        + " is wider than this CPU's " + max + "-bit vectors; using " + max);
            } else {
                bits = Integer.parseInt(r);
            }
        }
        log.log(Level.DEBUG, "vecnet: Vector API kernels with " + bits + "-bit vectors (the CPU prefers " + max + ")");
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    /** Called reflectively by {@link KernelProvider}. */
    static Kernels create() {
        return new VectorKernels();
    }

    @Override
    public String name() {
        return "vector-" + SPECIES.vectorBitSize();
    }

    @Override
    public void sgemm(ComputePool pool, int m, int n, int k, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, boolean bTransposed,
                      float[] c, int cOff, int ldc, Epilogue ep) {
        VectorGemm.sgemm(pool, m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, c, cOff, ldc, ep);
    }

    @Override
    public GemmPlan planGemm(int m, int k, float[] a, int aOff, int lda) {
        return new VectorGemm.Plan(m, k, a, aOff, lda);
    }

    @Override
    public void sgemmColumnsTransposed(ComputePool pool, int m, float[] a, int aOff, int lda, ConvGeometry g, int group,
                                       float[] x, int n, int h, int w, float[] c, int cOff, int ldc) {
        VectorGemm.sgemmColumnsTransposed(pool, m, a, aOff, lda, g, group, x, n, h, w, c, cOff, ldc);
    }

    @Override
    public void convWeightGradient(ComputePool pool, ConvGeometry g, int group, float[] dy, float[] x, int n, int h,
                                   int w, float[] dw, int dwOff) {
        VectorConvGrad.weightGradient(pool, g, group, dy, x, n, h, w, dw, dwOff);
    }

    @Override
    public void deviationSums(float[] x, int xOff, int len, float center, double[] out) {
        VectorTrainOps.deviationSums(x, xOff, len, center, out);
    }

    @Override
    public void gradientSums(float[] dy, int dyOff, float[] x, int xOff, int len, float center, double[] out) {
        VectorTrainOps.gradientSums(dy, dyOff, x, xOff, len, center, out);
    }

    @Override
    public void affineDeviation(float[] dy, int dyOff, float[] x, int xOff, int len, float center, float a, float b,
                                float c, float[] out, int outOff) {
        VectorTrainOps.affineDeviation(dy, dyOff, x, xOff, len, center, a, b, c, out, outOff);
    }

    @Override
    public void reluBackward(float[] y, int yOff, float[] dy, int dyOff, float[] out, int outOff, int len) {
        VectorTrainOps.reluBackward(y, yOff, dy, dyOff, out, outOff, len);
    }

    @Override
    public RightPlan planGemmRight(int n, int k, float[] w, int wOff, int ldw) {
        return new VectorGemm.RightPlan(n, k, w, wOff, ldw);
    }

    @Override
    public Conv2dPlan planConv2d(ConvGeometry geometry, float[] weight) {
        return Winograd.applies(geometry)
                ? VectorWinograd.plan(geometry, weight, null)
                : VectorConv.plan(geometry, weight);
    }

    @Override
    public Conv2dPlan planConv2dDirect(ConvGeometry geometry, float[] weight) {
        return VectorConv.plan(geometry, weight);
    }

    @Override
    public ConvPoolPlan planConvMaxPool(ConvGeometry geometry, float[] weight, int k, int stride, int pad) {
        return VectorConvPool.plan(geometry, weight, k, stride, pad);
    }

    @Override
    public Conv2dPlan planConvInputGradient(ConvGeometry geometry, float[] weight) {
        return VectorConv.inputGradient(geometry, weight);
    }

    @Override
    public void maxPool2d(ComputePool pool, float[] x, int n, int c, int h, int w, int k, int stride, int pad, float[] y) {
        VectorOps.maxPool2d(pool, x, n, c, h, w, k, stride, pad, y);
    }

    @Override
    public void warmUp() {
        VectorGemm.warmUp();
    }

    @Override
    public void adaptiveAvgPool2d(ComputePool pool, float[] x, int n, int c, int h, int w, int oh, int ow, float[] y) {
        VectorOps.adaptiveAvgPool2d(pool, x, n, c, h, w, oh, ow, y);
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len) {
        VectorOps.add(a, aOff, b, bOff, out, outOff, len);
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len) {
        VectorOps.mul(a, aOff, b, bOff, out, outOff, len);
    }

    @Override
    public void relu(float[] x, int xOff, float[] out, int outOff, int len) {
        VectorOps.relu(x, xOff, out, outOff, len);
    }

    @Override
    public void sigmoid(float[] x, int xOff, float[] out, int outOff, int len) {
        VectorOps.sigmoid(x, xOff, out, outOff, len);
    }

    @Override
    public void tanh(float[] x, int xOff, float[] out, int outOff, int len) {
        VectorOps.tanh(x, xOff, out, outOff, len);
    }

    @Override
    public void concat(float[][] parts, int[] widths, int outer, int inner, float[] out) {
        VectorOps.concat(parts, widths, outer, inner, out);
    }

    @Override
    public void fixedPointTaps(int[] x, int xOff, int stride, int taps, int[] w, int wOff, int shift,
                               int[] out, int outOff, int len) {
        VectorOps.fixedPointTaps(x, xOff, stride, taps, w, wOff, shift, out, outOff, len);
    }

    @Override
    public void ycbcrToRgb(int[] x, int yOff, int cbOff, int crOff, int len) {
        VectorOps.ycbcrToRgb(x, yOff, cbOff, crOff, len);
    }
}
