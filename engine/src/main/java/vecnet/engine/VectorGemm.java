package vecnet.engine;

/** Packed GEMM. PLACEHOLDER: delegates to scalar until the packed kernel lands. */
final class VectorGemm {
    private VectorGemm() {
    }

    static void sgemm(ComputePool pool, int m, int n, int k, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, boolean bTransposed,
                      float[] c, int cOff, int ldc, Epilogue ep) {
        ScalarKernels.INSTANCE.sgemm(pool, m, n, k, a, aOff, lda, b, bOff, ldb, bTransposed, c, cOff, ldc, ep);
    }

    static void sgemv(ComputePool pool, int m, int k, float[] a, int aOff, int lda,
                      float[] x, int xOff, float[] y, int yOff, Epilogue ep) {
        ScalarKernels.INSTANCE.sgemv(pool, m, k, a, aOff, lda, x, xOff, y, yOff, ep);
    }
}
