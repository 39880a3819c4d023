package vecnet.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A convolution's weight gradient with the Vector API ({@link Kernels#convWeightGradient}), without
 * packing X̂. A GEMM over X̂ packs every element of it and then uses it once per output channel;
 * with the few channels of a small network (8 for the demo's stem) the packing is most of the work.
 *
 * <p>The idea: zero-pad the input and split it into its stride phases ({@code sh·sw} planes per
 * channel, {@code hq × wq}). Then every tap {@code (ci, i, j)} reads one phase plane at a fixed offset,
 * and the output positions {@code (oy, ox)} walk that plane contiguously if dY is laid out on the
 * plane's own width ("wide" rows, zero in the columns {@code ox ≥ outW} and the rows {@code oy ≥ outH}):
 *
 * <pre>
 *   dW[o, r] = Σ_q dYw[o, q] · xs[ci, phase(i, j), q + offset(i, j)]     q = b·hq·wq + oy·wq + ox
 *   phase(i, j) = ((i·dh) mod sh, (j·dw) mod sw),   offset(i, j) = (i·dh / sh)·wq + j·dw / sw
 * </pre>
 *
 * a product of two contiguous arrays: one vector load of each per {@code VL} products, no gather.
 * The micro-kernel takes 4 output channels × 4 taps with 512-bit vectors (16 accumulators, 4 dY and 4
 * input vectors) and 4 × 2 with narrower ones (8 accumulators, for AVX2's 16 registers).
 *
 * <p>Order of the sums: each {@code (o, r)} keeps {@code VL} partial sums, one per lane, each a chain
 * of FMAs over {@code q} in order (the images' planes side by side); the lanes are then added in lane order. Tasks own disjoint outputs and walk {@code q} in blocks of
 * {@link #QB} without changing that order, so the result does not depend on the thread count.
 *
 * <p>Many channels ({@link #GEMM_ABOVE}) go to the packed GEMM instead
 * ({@link VectorGemm#sgemmColumnsTransposed}), whose cache blocking suits them.
 */
final class VectorConvGrad {
    private static final VectorSpecies<Float> S = VectorKernels.SPECIES;
    private static final int VL = S.length();
    /** Output channels per micro-tile. */
    private static final int OR = 4;
    /** Elements of q per pass over the taps (a multiple of every VL): 4 dY rows and 2 input rows stay in L1. */
    private static final int QB = 1024;
    /**
     * Above this many outputs ({@code cout/groups · K}), the packed GEMM over X̂ is faster: each packed
     * element is used by enough output channels, and its blocking keeps the working set in cache. Measured
     * (JDK 17, AVX-512, batch 8-32): this kernel 2-4× faster for 8-32 channels, even at 64 × 576, 1.5-2.5×
     * slower for 128-512 channels.
     */
    static final int GEMM_ABOVE = 64 * 576;
    /**
     * Four taps per micro-tile ({@link #micro4x4}: 16 accumulators and 5 vectors in flight) where the
     * registers hold them: 512-bit vectors, which come with 32 registers. With 256-bit vectors the
     * kernel keeps two taps, for AVX2's 16 registers.
     */
    private static final boolean FOUR_TAPS = VL >= 16;

    private VectorConvGrad() {
    }

    static void weightGradient(ComputePool pool, ConvGeometry g, int group, float[] dy, float[] x, int n, int h, int w,
                               float[] dw, int dwOff) {
        int opg = g.coutPerGroup(), k = g.patchSize(), oh = g.outH(h), ow = g.outW(w);
        if (n == 0 || oh == 0 || ow == 0) {
            java.util.Arrays.fill(dw, dwOff, dwOff + opg * k, 0f);
            return;
        }
        if (opg * k > GEMM_ABOVE) {
            int p = oh * ow, np = n * p, cout = g.cout();
            float[] dyT = new float[opg * np];   // dY_g as (cout/groups, N·P)
            pool.parallelFor(opg, o -> {
                for (int b = 0; b < n; b++) {
                    System.arraycopy(dy, (b * cout + group * opg + o) * p, dyT, o * np + b * p, p);
                }
            });
            VectorGemm.sgemmColumnsTransposed(pool, opg, dyT, 0, np, g, group, x, n, h, w, dw, dwOff, k);
            return;
        }
        int sh = g.strideH(), sw = g.strideW(), phases = sh * sw;
        int hq = ceilDiv(h + 2 * g.padH(), sh), wq = ceilDiv(w + 2 * g.padW(), sw), plane = hq * wq;
        int qn = ceilDiv(n * plane, VL) * VL;   // one output channel's wide rows over the batch, whole vectors
        float[] xs = phaseSplit(pool, g, group, x, n, h, w, hq, wq);
        float[] dys = wideRows(pool, g, group, dy, n, oh, ow, hq, wq, qn);
        int[] offsets = new int[k];             // of each tap in xs
        int taps = g.kh() * g.kw();
        for (int r = 0; r < k; r++) {
            int ci = r / taps, i = r % taps / g.kw(), j = r % g.kw();
            int py = i * g.dilH() % sh, px = j * g.dilW() % sw;
            offsets[r] = (ci * phases + py * sw + px) * n * plane + i * g.dilH() / sh * wq + j * g.dilW() / sw;
        }
        // Tasks: blocks of 4 output channels × blocks of taps, enough to keep every thread busy.
        int oTiles = ceilDiv(opg, OR), want = pool.threads() == 1 ? 1 : 2 * pool.threads();
        int blockTaps = 2 * ceilDiv(ceilDiv(k, Math.max(1, Math.min(ceilDiv(k, 2), ceilDiv(want, oTiles)))), 2);
        int tapBlocks = ceilDiv(k, blockTaps);
        pool.parallelFor(oTiles * tapBlocks, task -> {
            int o0 = task / tapBlocks * OR, o1 = Math.min(opg, o0 + OR);
            int r0 = task % tapBlocks * blockTaps, r1 = Math.min(k, r0 + blockTaps), nr = r1 - r0;
            float[] acc = new float[(o1 - o0) * nr * VL];   // acc[((o − o0)·nr + r − r0)·VL + lane]
            for (int q0 = 0; q0 < qn; q0 += QB) {           // a block of q for all taps, while it is in cache
                int len = Math.min(QB, qn - q0), d = o0 * qn + q0;
                if (o1 - o0 == OR) {
                    int r = r0;
                    for (; FOUR_TAPS && r + 3 < r1; r += 4) {
                        micro4x4(len, dys, d, qn, xs, offsets[r] + q0, offsets[r + 1] + q0, offsets[r + 2] + q0,
                                offsets[r + 3] + q0, acc, (r - r0) * VL, nr * VL);
                    }
                    for (; r + 1 < r1; r += 2) {
                        micro4x2(len, dys, d, qn, xs, offsets[r] + q0, offsets[r + 1] + q0, acc, (r - r0) * VL, nr * VL);
                    }
                    if (r < r1) {
                        micro4x1(len, dys, d, qn, xs, offsets[r] + q0, acc, (r - r0) * VL, nr * VL);
                    }
                } else {
                    for (int o = o0; o < o1; o++) {
                        for (int r = r0; r < r1; r++) {
                            micro1x1(len, dys, d + (o - o0) * qn, xs, offsets[r] + q0, acc,
                                    ((o - o0) * nr + r - r0) * VL);
                        }
                    }
                }
            }
            for (int o = o0; o < o1; o++) {
                for (int r = r0; r < r1; r++) {
                    int a = ((o - o0) * nr + r - r0) * VL;
                    float s = 0f;
                    for (int lane = 0; lane < VL; lane++) {
                        s += acc[a + lane];
                    }
                    dw[dwOff + o * k + r] = s;
                }
            }
        });
    }

    /**
     * The group's input, zero-padded and split into stride phases, images side by side in each phase:
     * {@code xs[((ci·sh·sw + py·sw + px)·n + b)·hq·wq + Y·wq + X] = xpad[b, ci, Y·sh + py, X·sw + px]}, with
     * {@code hq·wq + VL} zeros of slack at the end for the last taps' reads past their plane.
     */
    private static float[] phaseSplit(ComputePool pool, ConvGeometry g, int group, float[] x, int n, int h, int w,
                                      int hq, int wq) {
        int cpg = g.cinPerGroup(), sh = g.strideH(), sw = g.strideW(), plane = hq * wq, phases = sh * sw;
        float[] xs = new float[cpg * phases * n * plane + plane + VL];
        pool.parallelFor(n * cpg, t -> {
            int b = t / cpg, ci = t % cpg;
            int src = (b * g.cin() + group * cpg + ci) * h * w, base = (ci * phases * n + b) * plane;
            for (int yy = 0; yy < h; yy++) {
                int u = yy + g.padH();
                int row = base + u % sh * sw * n * plane + u / sh * wq;
                if (sw == 1) {
                    System.arraycopy(x, src + yy * w, xs, row + g.padW(), w);
                } else {
                    for (int px = 0; px < sw; px++) {   // xs[.., X] = x[.., X·sw + px − padW] where that is inside
                        int from = ceilDiv(Math.max(0, g.padW() - px), sw), to = ceilDiv(w + g.padW() - px, sw);
                        int dst = row + px * n * plane, in = src + yy * w + px - g.padW();
                        for (int xq = from; xq < to; xq++) {
                            xs[dst + xq] = x[in + xq * sw];
                        }
                    }
                }
            }
        });
        return xs;
    }

    /**
     * dY of the group on wide rows, laid out like one phase plane of {@link #phaseSplit}:
     * {@code dys[o·qn + b·hq·wq + oy·wq + ox] = dy[b, group·opg + o, oy, ox]}, zero elsewhere.
     */
    private static float[] wideRows(ComputePool pool, ConvGeometry g, int group, float[] dy, int n, int oh, int ow,
                                    int hq, int wq, int qn) {
        int opg = g.coutPerGroup();
        float[] dys = new float[opg * qn];
        pool.parallelFor(n * opg, t -> {
            int b = t / opg, o = t % opg;
            int src = (b * g.cout() + group * opg + o) * oh * ow, dst = o * qn + b * hq * wq;
            for (int oy = 0; oy < oh; oy++) {
                System.arraycopy(dy, src + oy * ow, dys, dst + oy * wq, ow);
            }
        });
        return dys;
    }

    /**
     * Output channels {@code o0..o0+3} × taps at {@code x0..x3}: 16 accumulators, 8 loads per 16 FMAs
     * (against 6 per 8 in {@link #micro4x2}, where the loads, not the FMAs, set the pace). Each
     * accumulator is the same chain over q as there, so the result is the same bits. 56 Vector API
     * calls, past C2's inlining budget: the tile is stored on the loop's last step, where each
     * accumulator is the FMA just computed, so that a store inlined late still knows its vector's
     * class. {@code len} is a positive multiple of VL.
     */
    private static void micro4x4(int len, float[] dys, int d, int qn, float[] xs, int x0, int x1, int x2, int x3,
                                 float[] acc, int a, int lda) {
        FloatVector c00 = FloatVector.fromArray(S, acc, a), c01 = FloatVector.fromArray(S, acc, a + VL);
        FloatVector c02 = FloatVector.fromArray(S, acc, a + 2 * VL), c03 = FloatVector.fromArray(S, acc, a + 3 * VL);
        FloatVector c10 = FloatVector.fromArray(S, acc, a + lda), c11 = FloatVector.fromArray(S, acc, a + lda + VL);
        FloatVector c12 = FloatVector.fromArray(S, acc, a + lda + 2 * VL);
        FloatVector c13 = FloatVector.fromArray(S, acc, a + lda + 3 * VL);
        FloatVector c20 = FloatVector.fromArray(S, acc, a + 2 * lda);
        FloatVector c21 = FloatVector.fromArray(S, acc, a + 2 * lda + VL);
        FloatVector c22 = FloatVector.fromArray(S, acc, a + 2 * lda + 2 * VL);
        FloatVector c23 = FloatVector.fromArray(S, acc, a + 2 * lda + 3 * VL);
        FloatVector c30 = FloatVector.fromArray(S, acc, a + 3 * lda);
        FloatVector c31 = FloatVector.fromArray(S, acc, a + 3 * lda + VL);
        FloatVector c32 = FloatVector.fromArray(S, acc, a + 3 * lda + 2 * VL);
        FloatVector c33 = FloatVector.fromArray(S, acc, a + 3 * lda + 3 * VL);
        for (int q = 0; q < len; q += VL) {
            FloatVector u0 = FloatVector.fromArray(S, xs, x0 + q), u1 = FloatVector.fromArray(S, xs, x1 + q);
            FloatVector u2 = FloatVector.fromArray(S, xs, x2 + q), u3 = FloatVector.fromArray(S, xs, x3 + q);
            FloatVector y = FloatVector.fromArray(S, dys, d + q);
            c00 = y.fma(u0, c00);
            c01 = y.fma(u1, c01);
            c02 = y.fma(u2, c02);
            c03 = y.fma(u3, c03);
            y = FloatVector.fromArray(S, dys, d + qn + q);
            c10 = y.fma(u0, c10);
            c11 = y.fma(u1, c11);
            c12 = y.fma(u2, c12);
            c13 = y.fma(u3, c13);
            y = FloatVector.fromArray(S, dys, d + 2 * qn + q);
            c20 = y.fma(u0, c20);
            c21 = y.fma(u1, c21);
            c22 = y.fma(u2, c22);
            c23 = y.fma(u3, c23);
            y = FloatVector.fromArray(S, dys, d + 3 * qn + q);
            c30 = y.fma(u0, c30);
            c31 = y.fma(u1, c31);
            c32 = y.fma(u2, c32);
            c33 = y.fma(u3, c33);
            if (q + VL >= len) { // the last step: see "Small enough for C2" in VectorGemm
                c00.intoArray(acc, a);
                c01.intoArray(acc, a + VL);
                c02.intoArray(acc, a + 2 * VL);
                c03.intoArray(acc, a + 3 * VL);
                c10.intoArray(acc, a + lda);
                c11.intoArray(acc, a + lda + VL);
                c12.intoArray(acc, a + lda + 2 * VL);
                c13.intoArray(acc, a + lda + 3 * VL);
                c20.intoArray(acc, a + 2 * lda);
                c21.intoArray(acc, a + 2 * lda + VL);
                c22.intoArray(acc, a + 2 * lda + 2 * VL);
                c23.intoArray(acc, a + 2 * lda + 3 * VL);
                c30.intoArray(acc, a + 3 * lda);
                c31.intoArray(acc, a + 3 * lda + VL);
                c32.intoArray(acc, a + 3 * lda + 2 * VL);
                c33.intoArray(acc, a + 3 * lda + 3 * VL);
            }
        }
    }

    /** Output channels {@code o0..o0+3} (dY rows at {@code d + m·qn}) × taps at {@code x0}, {@code x1}. */
    private static void micro4x2(int len, float[] dys, int d, int qn, float[] xs, int x0, int x1, float[] acc, int a,
                                 int lda) {
        FloatVector c00 = FloatVector.fromArray(S, acc, a), c01 = FloatVector.fromArray(S, acc, a + VL);
        FloatVector c10 = FloatVector.fromArray(S, acc, a + lda), c11 = FloatVector.fromArray(S, acc, a + lda + VL);
        FloatVector c20 = FloatVector.fromArray(S, acc, a + 2 * lda);
        FloatVector c21 = FloatVector.fromArray(S, acc, a + 2 * lda + VL);
        FloatVector c30 = FloatVector.fromArray(S, acc, a + 3 * lda);
        FloatVector c31 = FloatVector.fromArray(S, acc, a + 3 * lda + VL);
        for (int q = 0; q < len; q += VL) {
            FloatVector u = FloatVector.fromArray(S, xs, x0 + q), v = FloatVector.fromArray(S, xs, x1 + q);
            FloatVector y = FloatVector.fromArray(S, dys, d + q);
            c00 = y.fma(u, c00);
            c01 = y.fma(v, c01);
            y = FloatVector.fromArray(S, dys, d + qn + q);
            c10 = y.fma(u, c10);
            c11 = y.fma(v, c11);
            y = FloatVector.fromArray(S, dys, d + 2 * qn + q);
            c20 = y.fma(u, c20);
            c21 = y.fma(v, c21);
            y = FloatVector.fromArray(S, dys, d + 3 * qn + q);
            c30 = y.fma(u, c30);
            c31 = y.fma(v, c31);
        }
        c00.intoArray(acc, a);
        c01.intoArray(acc, a + VL);
        c10.intoArray(acc, a + lda);
        c11.intoArray(acc, a + lda + VL);
        c20.intoArray(acc, a + 2 * lda);
        c21.intoArray(acc, a + 2 * lda + VL);
        c30.intoArray(acc, a + 3 * lda);
        c31.intoArray(acc, a + 3 * lda + VL);
    }

    /** As {@link #micro4x2} with one tap. */
    private static void micro4x1(int len, float[] dys, int d, int qn, float[] xs, int x0, float[] acc, int a, int lda) {
        FloatVector c0 = FloatVector.fromArray(S, acc, a), c1 = FloatVector.fromArray(S, acc, a + lda);
        FloatVector c2 = FloatVector.fromArray(S, acc, a + 2 * lda), c3 = FloatVector.fromArray(S, acc, a + 3 * lda);
        for (int q = 0; q < len; q += VL) {
            FloatVector u = FloatVector.fromArray(S, xs, x0 + q);
            c0 = FloatVector.fromArray(S, dys, d + q).fma(u, c0);
            c1 = FloatVector.fromArray(S, dys, d + qn + q).fma(u, c1);
            c2 = FloatVector.fromArray(S, dys, d + 2 * qn + q).fma(u, c2);
            c3 = FloatVector.fromArray(S, dys, d + 3 * qn + q).fma(u, c3);
        }
        c0.intoArray(acc, a);
        c1.intoArray(acc, a + lda);
        c2.intoArray(acc, a + 2 * lda);
        c3.intoArray(acc, a + 3 * lda);
    }

    /** One output channel (dY row at {@code d}) × one tap at {@code x0}. */
    private static void micro1x1(int len, float[] dys, int d, float[] xs, int x0, float[] acc, int a) {
        FloatVector c = FloatVector.fromArray(S, acc, a);
        for (int q = 0; q < len; q += VL) {
            c = FloatVector.fromArray(S, dys, d + q).fma(FloatVector.fromArray(S, xs, x0 + q), c);
        }
        c.intoArray(acc, a);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
