package vecnet.engine;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A convolution and the max pooling after it, in one pass, with the output channels in the vector
 * lanes: ResNet's stem, a 7×7/2 convolution of the three colour planes followed by a 3×3/2 max
 * pooling.
 *
 * <p>{@link VectorConv} puts output pixels in the lanes, which needs the patch matrix X̂ packed: for
 * the stem that copy is 147 floats per output pixel, about a fifth of the convolution's time. Here a
 * micro-tile is {@code MR} neighbouring pixels of one output row × {@code NR} output channels, and
 * its broadcast operand is read in place, from a zero-padded copy of the input rows: pixel {@code r}
 * of the tile reads tap {@code k} at {@code offset(k) + 2r} (the column stride is 2). The weights are
 * packed once, as k-major panels of NR channels. Each tile is then one pixel per row of output
 * (NHWC), the wrong layout for the next layer; so the max pooling is done here too, on rows in that
 * layout, where the window's values are whole vectors of channels, and only the pooled values, a
 * quarter as many, are transposed to NCHW.
 *
 * <p>Same bits as the convolution's plan followed by {@link Kernels#maxPool2d}: each output element
 * of the convolution is one chain of FMAs from zero over {@code k} in order (the depth is at most
 * {@link VectorGemm#KC}, one slice, as VectorConv sums it), the epilogue is {@link Epilogue#apply}'s
 * arithmetic, and the pooling compares in the scalar twin's window order ({@code v > m || isNaN(v)}:
 * the first of equal values, the last NaN).
 *
 * <p>Tasks are (image, block of pooled rows). A task computes the convolution rows its pooled rows
 * read, one at a time, and keeps each row's horizontal maxima (over the window's columns) in a ring
 * of three rows; the row that closes a window folds the window's rows as its tiles are pooled. Two
 * tasks whose windows share a row both compute it, the same way. So the thread count changes no
 * result.
 *
 * <p>One path only, ResNet's (3×3/2 pooling with a padding of 1, rows of whole blocks of MR pixels);
 * other maps take the two steps. A general path (any pooling, any row length) lived here too, and
 * its vector code, compiled into {@link #runRows} with this one's, took that compilation past C2's
 * inlining budget in 3 engine test runs in 5 on Temurin 25 (see "Small enough for C2" in
 * {@link VectorGemm}).
 */
final class VectorConvPool implements Kernels.ConvPoolPlan {
    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final int VL = VectorGemm.VL, NR = VectorGemm.NR;
    /** Pixels of a micro-tile ({@link #taps8}, {@link #taps4}): an even count, so a block of them holds whole windows. */
    private static final int MR = VL >= 16 ? 8 : 4;
    /** The column stride the micro-kernels are written for. */
    private static final int STRIDE = 2;
    /**
     * The JVM's first runs take the two steps (the convolution's plan, then {@link VectorOps}'s max
     * pooling), whose first runs are tuned for a cold JVM (scalar copies, see {@code VectorConv.RUNS});
     * this path's kernels would run the Vector API's fallbacks until C2 compiles them. A one-picture
     * run stays on the two steps.
     */
    static final int TWO_STEP_RUNS = 2;
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** ResNet's pooling, the one this pass does: 3×3 windows, stride 2, padding 1. */
    private static final int POOL_K = 3, POOL_STRIDE = 2, POOL_PAD = 1;

    private final ConvGeometry g;
    private final int depth;
    /**
     * Panel q of NR output channels: {@code packed[PAD + (q·depth + k)·NR + l] = w[q·NR + l, k]}
     * ({@link VectorGemm#PAD}).
     */
    private final float[] packed;
    /** The two steps, for the JVM's first runs and for maps whose rows are not whole blocks of pixels. */
    private final Kernels.Conv2dPlan conv;

    private VectorConvPool(ConvGeometry g, float[] weight) {
        this.g = g;
        this.depth = g.patchSize();
        int cout = g.cout();
        packed = new float[VectorGemm.PAD + cout * depth];
        for (int q = 0; q < cout / NR; q++) {
            for (int k = 0; k < depth; k++) {
                for (int l = 0; l < NR; l++) {
                    packed[VectorGemm.PAD + (q * depth + k) * NR + l] = weight[(q * NR + l) * depth + k];
                }
            }
        }
        conv = VectorConv.plan(g, weight);
    }

    /**
     * The fused plan of {@code g} followed by {@code MaxPool2d(poolK, poolStride, poolPad)}, or null
     * where it does not apply: it needs ResNet's pooling (3×3 windows, stride 2, padding 1), one
     * group, no dilation, a column stride of 2, at most {@link VectorGemm#KC} products per output and
     * a multiple of NR output channels, and not a geometry that {@link VectorKernels#planConv2d} runs
     * by Winograd (whose sums differ). Maps whose rows are not whole blocks of MR pixels take the two
     * steps ({@link #windowsInTiles}).
     */
    static Kernels.ConvPoolPlan plan(ConvGeometry g, float[] weight, int poolK, int poolStride, int poolPad) {
        g.checkWeights(weight);
        if (g.groups() != 1 || g.dilH() != 1 || g.dilW() != 1 || g.strideW() != STRIDE
                || g.patchSize() > VectorGemm.KC || g.cout() % NR != 0 || Winograd.applies(g)
                || poolK != 3 || poolStride != 2 || poolPad != 1) {
            return null;
        }
        return new VectorConvPool(g, weight);
    }

    private static int pooledSize(int in) {
        return Math.floorDiv(in + 2 * POOL_PAD - POOL_K, POOL_STRIDE) + 1;
    }

    /** Per-thread buffers, grown on demand and reused. */
    private static final class Scratch {
        float[] band = new float[0];
        /** The pooled columns' maxima (NHWC) of the last {@link #POOL_K} convolution rows. */
        float[] ring = new float[0];
        float[] pooled = new float[0];
        int[] offsets = new int[0];
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public void run(ComputePool pool, float[] x, int n, int h, int w, Epilogue ep, float[] y) {
        boolean early = RUNS.get() < TWO_STEP_RUNS && RUNS.incrementAndGet() <= TWO_STEP_RUNS;
        run(pool, x, n, h, w, ep, y, early);
    }

    /** {@link #run(ComputePool, float[], int, int, int, Epilogue, float[])}, in the two steps when {@code twoSteps}. */
    void run(ComputePool pool, float[] x, int n, int h, int w, Epilogue ep, float[] y, boolean twoSteps) {
        g.checkInput(h, w);
        if (ep.residual() != null || !ep.perRow()) {
            throw new IllegalArgumentException("a pooled convolution's epilogue is per output channel, with no residual");
        }
        int oh = g.outH(h), ow = g.outW(w), ph = pooledSize(oh), pw = pooledSize(ow);
        if (ph < 1 || pw < 1) {
            throw new IllegalArgumentException("max pooling of a " + oh + "x" + ow + " map: too small for kernel " + POOL_K
                    + " with padding " + POOL_PAD);
        }
        if (twoSteps || !windowsInTiles(ow)) {
            float[] maps = new float[n * g.cout() * oh * ow];
            conv.run(pool, x, n, h, w, maps, ep);
            VectorOps.maxPool2d(pool, maps, n, g.cout(), oh, ow, POOL_K, POOL_STRIDE, POOL_PAD, y);
            return;
        }
        if (n == 1) { // one image: its pooled rows in a block a thread, sized to the thread's speed
            pool.parallelForShares(ph, (py0, py1) -> runRows(x, 0, h, w, oh, ow, ph, pw, py0, py1, ep, y, SCRATCH.get()));
            return;
        }
        int blocks = n < pool.threads() ? Math.min(ph, pool.threads()) : 1;
        pool.parallelFor(n * blocks, task -> {
            int b = task / blocks, block = task % blocks;
            int py0 = ComputePool.splitStart(ph, blocks, block), py1 = ComputePool.splitStart(ph, blocks, block + 1);
            runRows(x, b, h, w, oh, ow, ph, pw, py0, py1, ep, y, SCRATCH.get());
        });
    }

    /** Pooled rows {@code [py0, py1)} of image {@code b}. */
    private void runRows(float[] x, int b, int h, int w, int oh, int ow, int ph, int pw, int py0, int py1, Epilogue ep,
                         float[] y, Scratch s) {
        int cin = g.cin(), cout = g.cout(), kh = g.kh(), kw = g.kw(), sh = g.strideH();
        // The convolution rows these pooled rows read, and the input rows those read.
        int cyLo = Math.max(0, py0 * POOL_STRIDE - POOL_PAD), cyHi = Math.min(oh, (py1 - 1) * POOL_STRIDE - POOL_PAD + POOL_K);
        int iyLo = cyLo * sh - g.padH(), bandH = (cyHi - 1 - cyLo) * sh + kh;
        int wp = w + 2 * g.padW();
        float[] band = s.band = grow(s.band, cin * bandH * wp);
        for (int c = 0; c < cin; c++) {
            for (int r = 0; r < bandH; r++) {
                int iy = iyLo + r, dst = (c * bandH + r) * wp;
                if (iy < 0 || iy >= h) {
                    Arrays.fill(band, dst, dst + wp, 0f);
                    continue;
                }
                Arrays.fill(band, dst, dst + g.padW(), 0f);
                System.arraycopy(x, ((b * cin + c) * h + iy) * w, band, dst + g.padW(), w);
                Arrays.fill(band, dst + g.padW() + w, dst + wp, 0f);
            }
        }
        if (s.offsets.length < depth) {
            s.offsets = new int[depth];
        }
        int[] off = s.offsets;
        for (int k = 0; k < depth; k++) { // k = (c, i, j)
            int j = k % kw, i = (k / kw) % kh, c = k / (kw * kh);
            off[k] = (c * bandH + i) * wp + j;
        }
        int hLen = pw * cout;
        float[] ring = s.ring = grow(s.ring, POOL_K * hLen);
        float[] pooled = s.pooled = grow(s.pooled, hLen);
        int next = cyLo; // the next convolution row to compute
        for (int py = py0; py < py1; py++) {
            int first = py * POOL_STRIDE - POOL_PAD;
            int lo = Math.max(0, first), hi = Math.min(oh, first + POOL_K);
            // The window's rows are pooled as its last row is computed, in the tiles: rows lo, lo + 1
            // and this one, or, for a window of two rows (at the map's edges), row lo twice and this
            // one (row lo folded into itself is row lo, bit for bit: v > v is false, and a NaN stays).
            for (; next < hi; next++) {
                boolean closes = next == hi - 1 && hi - lo > 1;
                convolveRow(band, off, (next - cyLo) * sh * wp, ow, pw, ep, ring, (next % POOL_K) * hLen,
                        closes ? (lo % POOL_K) * hLen : -1, closes ? ((hi - 2) % POOL_K) * hLen : -1, pooled, s.tile);
            }
            if (hi - lo == 1) { // a window of one row (a map one row high)
                System.arraycopy(ring, (lo % POOL_K) * hLen, pooled, 0, hLen);
            }
            for (int c = 0; c < cout; c++) { // NHWC to NCHW
                int dst = ((b * cout + c) * ph + py) * pw;
                for (int px = 0; px < pw; px++) {
                    y[dst + px] = pooled[px * cout + c];
                }
            }
        }
    }

    /**
     * Whether this pass pools a map {@code ow} wide in its tiles ({@link #convolveRow}): rows of whole
     * blocks of MR pixels (an even count, so each block holds whole windows but the one it shares with
     * the next block). Other maps take the two steps.
     */
    private static boolean windowsInTiles(int ow) {
        return ow % MR == 0;
    }

    /**
     * One row of the convolution with its epilogue, in blocks of MR pixels × panels of NR channels,
     * each tile through the epilogue and into its row's maxima {@code h[hAt + px·cout + co]} in
     * registers ({@link #poolTile}), so the row itself is never stored. When {@code rowA ≥ 0} this row
     * closes a window, whose first two rows left their maxima at {@code h[rowA ..]} and
     * {@code h[rowB ..]}: the tile's pooled values go to {@code pooled[px·cout + co]} as well.
     */
    private void convolveRow(float[] band, int[] off, int rowOff, int ow, int pw, Epilogue ep, float[] h, int hAt,
                             int rowA, int rowB, float[] pooled, float[] tile) {
        int cout = g.cout();
        // Pixel −1, in the padding, as the first window's value so far: folding −∞ first changes nothing.
        Arrays.fill(h, hAt, hAt + cout, Float.NEGATIVE_INFINITY);
        for (int ox0 = 0; ox0 < ow; ox0 += MR) {
            for (int q = 0; q < cout / NR; q++) {
                if (MR == 8) { // a constant: the JIT keeps one branch
                    taps8(depth, band, rowOff + ox0 * STRIDE, off, packed, VectorGemm.PAD + q * depth * NR, tile);
                } else {
                    taps4(depth, band, rowOff + ox0 * STRIDE, off, packed, VectorGemm.PAD + q * depth * NR, tile);
                }
                poolTile(tile, ep.scale(), ep.shift(), ep.relu(), q * NR, ox0 / 2, pw, cout, h, hAt, rowA, rowB, pooled);
            }
        }
    }

    /**
     * A tile of MR pixels (from column {@code 2·px0}) × NR channels (from {@code ch0}) through the
     * epilogue ({@link Epilogue#apply}'s arithmetic, lane by lane) into its row's maxima over 3-wide
     * windows of stride 2: pooled column
     * {@code px0 + u} takes the tile's pixels {@code 2u−1, 2u, 2u+1} in that order, pixel −1 being the
     * previous tile's last, which that tile left at {@code h[hAt + px0·cout ..]} as the column's value
     * so far (or −∞ at the row's start); this tile leaves its last pixel there for the next one. The
     * rule is the scalar twin's ({@code v > m || isNaN(v)}), in window order. With {@code rowA ≥ 0},
     * each column's maxima of rows A, B and this one are folded in that order into {@code pooled}.
     */
    private static void poolTile(float[] t, float[] scale, float[] shift, boolean relu, int ch0, int px0, int pw,
                                 int cout, float[] h, int hAt, int rowA, int rowB, float[] pooled) {
        for (int j = 0; j < NR; j += VL) {
            int ch = ch0 + j;
            // As VectorWinograd's affine: scale 1 and shift −0 stand for none (see activate).
            FloatVector sc = scale == null ? FloatVector.broadcast(S, 1f) : FloatVector.fromArray(S, scale, ch);
            FloatVector sh = shift != null ? FloatVector.fromArray(S, shift, ch)
                    : FloatVector.broadcast(S, scale != null ? 0f : -0f);
            FloatVector m = FloatVector.fromArray(S, h, hAt + px0 * cout + ch);
            for (int u = 0; u < MR / 2; u++) { // a constant trip count: unrolled by the JIT
                FloatVector even = activate(FloatVector.fromArray(S, t, 2 * u * NR + j), sc, sh, relu);
                FloatVector odd = activate(FloatVector.fromArray(S, t, (2 * u + 1) * NR + j), sc, sh, relu);
                FloatVector max = fold(fold(m, even), odd);
                int at = (px0 + u) * cout + ch;
                max.intoArray(h, hAt + at);
                if (rowA >= 0) {
                    FloatVector a = FloatVector.fromArray(S, h, rowA + at), b = FloatVector.fromArray(S, h, rowB + at);
                    fold(fold(a, b), max).intoArray(pooled, at);
                }
                if (u == MR / 2 - 1 && px0 + MR / 2 < pw) {
                    // stored here, not after the loop: odd's class is known, m's is not (see "Exact
                    // receivers" in VectorOps)
                    odd.intoArray(h, hAt + at + cout);
                }
                m = odd;
            }
        }
    }

    /**
     * {@link Epilogue#apply}'s arithmetic on a vector of channels, as {@code fma(v, sc, sh)} whatever the
     * epilogue, then the ReLU: without a scale, 1 and the bias, since {@code fma(v, 1, b)} rounds
     * {@code v + b} once, as the bias's addition does; with neither, 1 and −0, since {@code v + (−0)}
     * is {@code v} for every v, −0 included. (Never a vector that is null on some paths: C2 cannot
     * keep such a vector in a register across that merge, and boxes it.)
     */
    private static FloatVector activate(FloatVector v, FloatVector sc, FloatVector sh, boolean relu) {
        v = v.fma(sc, sh);
        return relu ? v.blend(0f, v.compare(VectorOperators.LT, 0f)) : v; // NaN and -0.0 stay
    }

    /**
     * The scalar twin's {@code m = v > m || isNaN(v) ? v : m}, lane-wise. {@code v} is the receiver: it is
     * always a vector whose class C2 knows, where {@code m} may be one carried around a loop (see "Exact
     * receivers" in {@link VectorOps}).
     */
    private static FloatVector fold(FloatVector m, FloatVector v) {
        return v.blend(m, v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v)).not());
    }

    /**
     * Eight pixels × NR channels: {@code t[r·NR + j] = Σ_p x[xOff + off[p] + 2r] · w[wOff + p·NR + j]},
     * one chain of FMAs from zero per element, stored on the loop's last step (see "Small enough for
     * C2" in {@link VectorGemm}).
     */
    private static void taps8(int kc, float[] x, int xOff, int[] off, float[] w, int wOff, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int p = 0; p < kc; p++) {
            int bi = wOff + p * NR, ai = xOff + off[p];
            FloatVector b0 = FloatVector.fromArray(S, w, bi);
            FloatVector b1 = FloatVector.fromArray(S, w, bi + VL);
            FloatVector a0 = b0.broadcast(x[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = b0.broadcast(x[ai + 2]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = b0.broadcast(x[ai + 4]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = b0.broadcast(x[ai + 6]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = b0.broadcast(x[ai + 8]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = b0.broadcast(x[ai + 10]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = b0.broadcast(x[ai + 12]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = b0.broadcast(x[ai + 14]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            if (p == kc - 1) {
                c00.intoArray(t, 0);
                c01.intoArray(t, VL);
                c10.intoArray(t, NR);
                c11.intoArray(t, NR + VL);
                c20.intoArray(t, 2 * NR);
                c21.intoArray(t, 2 * NR + VL);
                c30.intoArray(t, 3 * NR);
                c31.intoArray(t, 3 * NR + VL);
                c40.intoArray(t, 4 * NR);
                c41.intoArray(t, 4 * NR + VL);
                c50.intoArray(t, 5 * NR);
                c51.intoArray(t, 5 * NR + VL);
                c60.intoArray(t, 6 * NR);
                c61.intoArray(t, 6 * NR + VL);
                c70.intoArray(t, 7 * NR);
                c71.intoArray(t, 7 * NR + VL);
            }
        }
    }

    /** {@link #taps8} with four pixels, for 256-bit vectors (AVX2's 16 registers). */
    private static void taps4(int kc, float[] x, int xOff, int[] off, float[] w, int wOff, float[] t) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0; p < kc; p++) {
            int bi = wOff + p * NR, ai = xOff + off[p];
            FloatVector b0 = FloatVector.fromArray(S, w, bi);
            FloatVector b1 = FloatVector.fromArray(S, w, bi + VL);
            FloatVector a0 = b0.broadcast(x[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = b0.broadcast(x[ai + 2]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = b0.broadcast(x[ai + 4]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = b0.broadcast(x[ai + 6]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            if (p == kc - 1) {
                c00.intoArray(t, 0);
                c01.intoArray(t, VL);
                c10.intoArray(t, NR);
                c11.intoArray(t, NR + VL);
                c20.intoArray(t, 2 * NR);
                c21.intoArray(t, 2 * NR + VL);
                c30.intoArray(t, 3 * NR);
                c31.intoArray(t, 3 * NR + VL);
            }
        }
    }

    private static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }
}
