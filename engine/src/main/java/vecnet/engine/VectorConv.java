package vecnet.engine;

/** Convolution as implicit GEMM. PLACEHOLDER: delegates to scalar until the kernel lands. */
final class VectorConv {
    private VectorConv() {
    }

    static Kernels.Conv2dPlan plan(ConvGeometry g, float[] weight) {
        return ScalarKernels.INSTANCE.planConv2d(g, weight);
    }
}
