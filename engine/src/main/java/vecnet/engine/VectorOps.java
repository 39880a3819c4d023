package vecnet.engine;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API pooling and elementwise kernels: the {@link Kernels} methods that are not GEMM or
 * convolution. Each one has a twin in {@link ScalarKernels} and is tested against it.
 *
 * <p>What "the same as the scalar twin" means here:
 * <ul>
 *   <li>{@code maxPool2d}, {@code add}, {@code mul}, {@code relu}, {@code concat}: bit-identical
 *       (max, one add or one multiply per element are exact operations; NaN and signed zeros follow the
 *       twin's rules, NaNs compared as NaN).
 *   <li>{@code adaptiveAvgPool2d}: the same sums in a different order, so within float
 *       rounding; the order is written on each method and never depends on the thread count.
 *   <li>{@code sigmoid}, {@code tanh}: our own vector {@code exp} (below) instead of {@code Math.exp},
 *       within 2e-7 absolute of the exact value over the whole float range.
 * </ul>
 *
 * <p>Loops run whole vectors of {@link VectorKernels#SPECIES} (8 lanes with AVX2, 16 with AVX-512)
 * and finish with a scalar tail. Where a kernel is not exact (sigmoid, tanh), the tail repeats the
 * vector arithmetic in scalar form operation by operation ({@link Math#fma} for the fused steps), so
 * an element's result never depends on whether it fell in a vector or in the tail. The elementwise
 * kernels allocate nothing. In-place use ({@code out == x} at the same offset) is allowed.
 */
final class VectorOps {
    private static final VectorSpecies<Float> SPECIES = VectorKernels.SPECIES;
    /** Floats per vector. */
    private static final int L = SPECIES.length();
    /** Ints of the same width as {@link #SPECIES} (as many lanes). */
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SPECIES.vectorShape());

    private VectorOps() {
    }

    // ------------------------------------------------------------------------------------------
    // Max pooling
    // ------------------------------------------------------------------------------------------

    /**
     * Max pooling, NCHW: {@code x [n,c,h,w] -> y [n,c,oh,ow]} with {@code oh = (h + 2*pad - k)/stride + 1}
     * (same for {@code ow}), {@code y[p,oy,ox] = max_{i,j<k} x[p, oy*stride - pad + i, ox*stride - pad + j]}
     * with {@code x[p,iy,ix] = x[(p*h + iy)*w + ix]} and cells outside the input counting as −∞.
     *
     * <p>How: the window max is separable. For each input row we first take the horizontal max over
     * {@code k} columns, then the vertical max of {@code k} such rows. The horizontal step works at
     * the input's resolution: for every column {@code j} the max of {@code row[j - pad .. j - pad + k)},
     * so that the columns a vector reads are contiguous whatever the stride (a copy of the row,
     * shifted by the padding and with −∞ around it, makes the edges plain loads). The vertical step
     * does the same over rows, and the output keeps every {@code stride}-th column ({@code y[ox]} is
     * the max at {@code j = ox*stride}), a scalar pick per output. Both steps make one pass over the
     * row per window column (row), folding it into the maxima so far, rather than one vector at a
     * time through the whole window: the passes are independent vectors, where the window loop made a
     * short dependent chain inside a loop of a few vectors (ResNet's rows are 112 floats). The
     * horizontal maxima of the last {@code k} input rows are kept in a small ring, so each input row
     * is reduced once even where windows overlap (ResNet's 3×3 stride 2). Measured on 64 planes of
     * 112² (AVX-512 host, one thread): 0.75 ms when the rows were first de-interleaved into
     * {@code stride} phase rows to compute only the kept columns (two thirds of the time in that
     * scalar copy), 0.55 ms this way, though it computes twice the horizontal maxima it keeps.
     * ResNet's own window, 3×3 with stride 2 and padding 0 or 1, has a path that computes only the
     * kept columns, its row split into even and odd elements by vector permutations instead of that
     * scalar copy ({@link #maxPool3x3Stride2Plane}: 0.39-0.42 ms against 0.60 the same hour).
     *
     * <p>Why this is bit-identical to the scalar twin, which scans the window row by row and replaces its
     * running max {@code m} by {@code v} when {@code v > m || isNaN(v)}: the vector loops apply the
     * same rule lane-wise, and applying it to row maxima in row order returns the first element of the
     * window (in row-major order) that equals the maximum (this matters for -0.0 versus 0.0), or NaN
     * if the window holds one. Skipped padding cells and −∞ fillers never replace anything.
     */
    /**
     * Whether a max pooling has run in this JVM. The first one runs the scalar twin, the same bits: it
     * comes before C2 has compiled these loops, whose vector calls would run their Java fallbacks in
     * the interpreter and C1 (ResNet-18's pooling, 64 planes of 112², took 100-120 ms in a cold
     * one-picture {@code vecnet classify}).
     */
    private static volatile boolean maxPoolRanBefore;

    static void maxPool2d(ComputePool pool, float[] x, int n, int c, int h, int w, int k, int stride, int pad, float[] y) {
        if (k < 1 || stride < 1 || pad < 0) {
            throw new IllegalArgumentException("maxPool2d: kernel " + k + ", stride " + stride + ", padding " + pad
                    + " (need kernel >= 1, stride >= 1, padding >= 0)");
        }
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        int planes = n * c;
        if (planes <= 0 || oh <= 0 || ow <= 0) {
            return;
        }
        if (!maxPoolRanBefore) {
            maxPoolRanBefore = true;
            ScalarKernels.INSTANCE.maxPool2d(pool, x, n, c, h, w, k, stride, pad, y);
            return;
        }
        int parts = Math.min(planes, pool.threads() * 4);
        boolean resnet = k == 3 && stride == 2 && pad <= 1;
        pool.parallelFor(parts, part -> {
            int p0 = ComputePool.splitStart(planes, parts, part), p1 = ComputePool.splitStart(planes, parts, part + 1);
            if (resnet) {
                Stride2Scratch s = new Stride2Scratch(w, ow);
                for (int plane = p0; plane < p1; plane++) {
                    maxPool3x3Stride2Plane(x, plane, h, w, pad, oh, ow, y, s);
                }
                return;
            }
            MaxPoolScratch s = new MaxPoolScratch(k, stride, ow);
            for (int plane = p0; plane < p1; plane++) {
                maxPoolPlane(x, plane, h, w, k, stride, pad, oh, ow, y, s);
            }
        });
    }

    /** Buffers of one max-pooling task, reused for all its planes. */
    private static final class MaxPoolScratch {
        /**
         * Input columns whose horizontal maxima are taken, rounded up to whole vectors: every column
         * {@code j = ox*stride} an output reads, and those between them.
         */
        final int fw;
        /** One input row shifted by the padding, {@code row[q] = x[q - pad]}, −∞ outside the input. */
        final float[] row;
        /** A ring of {@code k} rows of {@code fw} horizontal maxima; slot {@code iy % k} holds input row {@code iy}. */
        final float[] ring;
        /** Which input row each ring slot holds, −1 for none. */
        final int[] slotRow;
        /** The window maxima of one output row at every column of {@code fw}; the output keeps every {@code stride}-th. */
        final float[] out;

        MaxPoolScratch(int k, int stride, int ow) {
            fw = ((ow - 1) * stride + L) / L * L;
            row = new float[fw + k - 1];
            ring = new float[k * fw];
            slotRow = new int[k];
            out = new float[fw];
        }
    }

    private static void maxPoolPlane(float[] x, int plane, int h, int w, int k, int s, int pad, int oh, int ow,
                                     float[] y, MaxPoolScratch sc) {
        Arrays.fill(sc.slotRow, -1);
        int fw = sc.fw;
        for (int oy = 0; oy < oh; oy++) {
            int iy0 = oy * s - pad;
            for (int i = 0; i < k; i++) {
                int iy = iy0 + i;
                if (iy >= 0 && iy < h && sc.slotRow[iy % k] != iy) {
                    horizontalMax(x, (plane * h + iy) * w, w, k, pad, sc, (iy % k) * fw);
                    sc.slotRow[iy % k] = iy;
                }
            }
            // window rows inside the input: iy0 + i for iLo <= i < iHi
            int iLo = Math.max(0, -iy0), iHi = Math.min(k, h - iy0);
            int yRow = (plane * oh + oy) * ow;
            float[] out = sc.out;
            if (iLo < iHi) {
                System.arraycopy(sc.ring, ((iy0 + iLo) % k) * fw, out, 0, fw);
            } else {
                Arrays.fill(out, Float.NEGATIVE_INFINITY);
            }
            for (int i = iLo + 1; i < iHi; i++) { // row by row, as the horizontal step goes column by column
                int slot = ((iy0 + i) % k) * fw;
                for (int j = 0; j < fw; j += L) {
                    FloatVector m = FloatVector.fromArray(SPECIES, out, j);
                    FloatVector v = FloatVector.fromArray(SPECIES, sc.ring, slot + j);
                    m.blend(v, v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v))).intoArray(out, j);
                }
            }
            if (s == 1) {
                System.arraycopy(out, 0, y, yRow, ow);
            } else {
                for (int ox = 0; ox < ow; ox++) {
                    y[yRow + ox] = out[ox * s];
                }
            }
        }
    }

    /**
     * ResNet's pooling, 3×3 with stride 2 and padding 0 or 1, computing only the columns it keeps.
     * With the padded row {@code P[q] = x[q - pad]} (−∞ outside) split into its even and odd elements,
     * {@code E[i] = P[2i]} and {@code O[i] = P[2i + 1]}, the window of output column {@code ox} is
     * {@code E[ox], O[ox], E[ox + 1]}: three contiguous vectors. The split is two permutations of two
     * vectors and a blend per vector of E or O. Then the vertical step takes the window's three rows in
     * order, each input row's maxima computed once (the last row of one window is the first of the
     * next) and kept in one of three slots that rotate. The comparisons are {@link #maxPoolPlane}'s in
     * the same order, so the bits are the same. Measured on 64 planes of 112² (AVX-512 host, one
     * thread, JDK 17, medians of 2,000 calls, four JVMs each): 0.39-0.42 ms against
     * {@link #maxPoolPlane}'s 0.60-0.61; a scalar split instead, 0.46 (best of a second's calls,
     * against 0.54 the same run); one two-vector {@code rearrange} each for E and O instead of two
     * permutations and a blend, 0.95. At 256 bits, 0.30 against 0.48 and 0.60 against 0.80 (two
     * pairs of runs); on Temurin 25, 0.31-0.35 against 0.53-0.55.
     */
    private static void maxPool3x3Stride2Plane(float[] x, int plane, int h, int w, int pad, int oh, int ow, float[] y,
                                               Stride2Scratch sc) {
        int vw = sc.vw, full = ow / L * L;
        int slotA = 0, slotB = vw, slotC = 2 * vw; // where the window's rows 0, 1 and 2 keep their maxima
        int kept = Integer.MIN_VALUE; // the input row whose maxima slot C holds (none yet)
        for (int oy = 0; oy < oh; oy++) {
            int iy0 = 2 * oy - pad;
            if (kept == iy0) { // the previous window's last row is this one's first
                int t = slotA;
                slotA = slotC;
                slotC = slotB;
                slotB = t;
            } else if (iy0 >= 0) {
                rowMaxStride2(x, (plane * h + iy0) * w, w, pad, sc, slotA);
            }
            if (iy0 + 1 < h) {
                rowMaxStride2(x, (plane * h + iy0 + 1) * w, w, pad, sc, slotB);
            }
            boolean third = iy0 + 2 < h;
            if (third) {
                rowMaxStride2(x, (plane * h + iy0 + 2) * w, w, pad, sc, slotC);
            }
            kept = third ? iy0 + 2 : Integer.MIN_VALUE;
            // rows outside the input (only the first window's row 0, or the last one's rows 1 and 2) are skipped
            int first = iy0 >= 0 ? slotA : slotB, yRow = (plane * oh + oy) * ow;
            float[] hm = sc.hm;
            for (int j = 0; j < vw; j += L) {
                FloatVector m = FloatVector.fromArray(SPECIES, hm, first + j);
                if (iy0 >= 0 && iy0 + 1 < h) {
                    FloatVector v = FloatVector.fromArray(SPECIES, hm, slotB + j);
                    m = m.blend(v, v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v)));
                }
                if (third) {
                    FloatVector v = FloatVector.fromArray(SPECIES, hm, slotC + j);
                    m = m.blend(v, v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v)));
                }
                if (j < full) {
                    m.intoArray(y, yRow + j);
                } else {
                    m.intoArray(sc.tail, 0);
                }
            }
            if (full < ow) {
                System.arraycopy(sc.tail, 0, y, yRow + full, ow - full);
            }
        }
    }

    /** Lane i of a vector: its lane 2i mod L. The low half of the result holds the even lanes, and so does the high half. */
    static final VectorShuffle<Float> EVEN_LANES = VectorShuffle.fromOp(SPECIES, i -> 2 * i % L);
    /** Lane i of a vector: its lane (2i + 1) mod L, the odd lanes twice. */
    static final VectorShuffle<Float> ODD_LANES = VectorShuffle.fromOp(SPECIES, i -> (2 * i + 1) % L);
    /** The high half of the lanes. */
    static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(SPECIES, (-1L << (L / 2)) & (-1L >>> (64 - L)));

    /**
     * The horizontal maxima {@code hm[at + ox] = max(P[2ox], P[2ox + 1], P[2ox + 2])} of one input row
     * for {@link #maxPool3x3Stride2Plane}, for every {@code ox < vw}. {@code P[2i .. 2i + 2L)}, two
     * vectors a and b, give {@code E[i .. i + L)} as a's even lanes then b's (a permutation each, then
     * a blend of the halves), and O likewise.
     */
    private static void rowMaxStride2(float[] x, int rowStart, int w, int pad, Stride2Scratch sc, int at) {
        float[] p = sc.row, even = sc.even, odd = sc.odd;
        int end = Math.min(p.length, pad + w), vw = sc.vw;
        Arrays.fill(p, 0, pad, Float.NEGATIVE_INFINITY);
        System.arraycopy(x, rowStart, p, pad, end - pad);
        Arrays.fill(p, end, p.length, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < vw + L; i += L) {
            FloatVector a = FloatVector.fromArray(SPECIES, p, 2 * i);
            FloatVector b = FloatVector.fromArray(SPECIES, p, 2 * i + L);
            a.rearrange(EVEN_LANES).blend(b.rearrange(EVEN_LANES), HIGH_HALF).intoArray(even, i);
            a.rearrange(ODD_LANES).blend(b.rearrange(ODD_LANES), HIGH_HALF).intoArray(odd, i);
        }
        for (int i = 0; i < vw; i += L) { // the scalar twin's `if (v > m || isNaN(v)) m = v`, lane-wise, in window order
            FloatVector m = FloatVector.fromArray(SPECIES, even, i);
            FloatVector v = FloatVector.fromArray(SPECIES, odd, i);
            m = m.blend(v, v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v)));
            v = FloatVector.fromArray(SPECIES, even, i + 1);
            m.blend(v, v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v))).intoArray(sc.hm, at + i);
        }
    }

    /** Buffers of one {@link #maxPool3x3Stride2Plane} task, reused for all its planes. */
    private static final class Stride2Scratch {
        /** Output columns rounded up to whole vectors. */
        final int vw;
        /** One padded input row P, −∞ around the input's values; long enough for E and O's last vectors. */
        final float[] row;
        /** E and O, one vector longer than {@link #vw} (E is read at {@code ox + 1}). */
        final float[] even, odd;
        /** Three slots of {@link #vw} horizontal maxima, one per row of the window. */
        final float[] hm;
        /** The last, partial vector of an output row. */
        final float[] tail = new float[L];

        Stride2Scratch(int w, int ow) {
            vw = (ow + L - 1) / L * L;
            row = new float[Math.max(2 * (vw + L), w + 2)];
            even = new float[vw + L];
            odd = new float[vw + L];
            hm = new float[3 * vw];
        }
    }

    /**
     * Horizontal maxima of one input row {@code x[rowStart .. rowStart+w)} at every column
     * {@code j < fw}: {@code ring[ringAt + j] = max_{t<k} row[j - pad + t]}, −∞ outside the row. The
     * row is first copied into {@code sc.row} shifted by the padding, so that window column {@code t}
     * of columns {@code j..j+L-1} is one contiguous vector.
     */
    private static void horizontalMax(float[] x, int rowStart, int w, int k, int pad, MaxPoolScratch sc, int ringAt) {
        float[] row = sc.row;
        int qLo = Math.min(row.length, pad), qHi = Math.min(row.length, pad + w);
        Arrays.fill(row, 0, qLo, Float.NEGATIVE_INFINITY);
        System.arraycopy(x, rowStart, row, qLo, qHi - qLo);
        Arrays.fill(row, qHi, row.length, Float.NEGATIVE_INFINITY);
        // window column 0, then each next one folded in, one pass over the row each
        System.arraycopy(row, 0, sc.ring, ringAt, sc.fw);
        for (int t = 1; t < k; t++) {
            for (int j = 0; j < sc.fw; j += L) { // the scalar twin's `if (v > m || isNaN(v)) m = v`, lane-wise
                FloatVector m = FloatVector.fromArray(SPECIES, sc.ring, ringAt + j);
                FloatVector v = FloatVector.fromArray(SPECIES, row, j + t);
                m.blend(v, v.compare(VectorOperators.GT, m).or(v.compare(VectorOperators.NE, v))).intoArray(sc.ring, ringAt + j);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Adaptive average pooling
    // ------------------------------------------------------------------------------------------

    /**
     * Adaptive average pooling, NCHW: {@code x [n,c,h,w] -> y [n,c,oh,ow]}, output cell {@code (i,j)} is
     * the mean of rows {@code [floor(i*h/oh), ceil((i+1)*h/oh))} and columns {@code [floor(j*w/ow), ceil((j+1)*w/ow))}.
     *
     * <p>Summation order (float, so the result differs from the scalar twin's row-major sum by rounding
     * only, and never depends on the thread count):
     * <ul>
     *   <li>{@code ow == 1} (which includes the global pooling {@code 1×1} of ResNet): a bin is a
     *       contiguous run of whole rows, summed by {@link #sum}: {@code L} lane-wise partial sums of
     *       the elements {@code ≡ lane (mod L)}, added lane 0 to {@code L-1}, then the tail in order.
     *   <li>otherwise: for each output row, the column sums of the bin's rows (top to bottom, one vector
     *       of columns at a time), then for each bin the sum of its column sums, left to right.
     * </ul>
     * Each bin sum is divided by its cell count, as in the twin.
     */
    static void adaptiveAvgPool2d(ComputePool pool, float[] x, int n, int c, int h, int w, int oh, int ow, float[] y) {
        int planes = n * c;
        if (planes <= 0 || oh <= 0 || ow <= 0) {
            return;
        }
        int parts = Math.min(planes, pool.threads() * 4);
        pool.parallelFor(parts, part -> {
            int p0 = ComputePool.splitStart(planes, parts, part), p1 = ComputePool.splitStart(planes, parts, part + 1);
            float[] colSum = ow == 1 ? null : new float[w];
            for (int plane = p0; plane < p1; plane++) {
                for (int i = 0; i < oh; i++) {
                    int y0 = Math.floorDiv(i * h, oh), y1 = -Math.floorDiv(-(i + 1) * h, oh);
                    int out = (plane * oh + i) * ow;
                    if (ow == 1) {
                        y[out] = sum(x, (plane * h + y0) * w, (y1 - y0) * w) / ((y1 - y0) * w);
                        continue;
                    }
                    columnSums(x, (plane * h + y0) * w, y1 - y0, w, colSum);
                    for (int j = 0; j < ow; j++) {
                        int x0 = Math.floorDiv(j * w, ow), x1 = -Math.floorDiv(-(j + 1) * w, ow);
                        float s = 0f;
                        for (int xx = x0; xx < x1; xx++) {
                            s += colSum[xx];
                        }
                        y[out + j] = s / ((y1 - y0) * (x1 - x0));
                    }
                }
            }
        });
    }

    /** {@code colSum[j] = Σ_{r<rows} x[from + r*w + j]} for {@code j < w}, rows added top to bottom. */
    private static void columnSums(float[] x, int from, int rows, int w, float[] colSum) {
        int j = 0;
        for (int jEnd = SPECIES.loopBound(w); j < jEnd; j += L) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int r = 0; r < rows; r++) {
                acc = acc.add(FloatVector.fromArray(SPECIES, x, from + r * w + j));
            }
            acc.intoArray(colSum, j);
        }
        for (; j < w; j++) {
            float acc = 0f;
            for (int r = 0; r < rows; r++) {
                acc += x[from + r * w + j];
            }
            colSum[j] = acc;
        }
    }

    /**
     * {@code Σ_{i<len} x[from + i]}: {@code L} lane-wise partial sums (lane {@code l} adds the elements
     * {@code i ≡ l mod L} of the whole vectors, in order), added lane 0 to {@code L-1}, then the tail in order.
     */
    private static float sum(float[] x, int from, int len) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (int end = SPECIES.loopBound(len); i < end; i += L) {
            acc = acc.add(FloatVector.fromArray(SPECIES, x, from + i));
        }
        // the lanes added in lane order (not reduceLanes, whose order is unspecified), here and not in a
        // helper taking the vector: see "No vector crosses a call"
        float s = 0f;
        for (int l = 0; l < L; l++) {
            s += acc.lane(l);
        }
        for (; i < len; i++) {
            s += x[from + i];
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------
    // Elementwise
    // ------------------------------------------------------------------------------------------

    /** {@code out[outOff+i] = a[aOff+i] + b[bOff+i]} for {@code i < len}; bit-identical to the twin. */
    static void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len) {
        int i = 0;
        for (int end = SPECIES.loopBound(len); i < end; i += L) {
            FloatVector.fromArray(SPECIES, a, aOff + i).add(FloatVector.fromArray(SPECIES, b, bOff + i))
                    .intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            out[outOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /** {@code out[outOff+i] = a[aOff+i] * b[bOff+i]} for {@code i < len}; bit-identical to the twin. */
    static void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int len) {
        int i = 0;
        for (int end = SPECIES.loopBound(len); i < end; i += L) {
            FloatVector.fromArray(SPECIES, a, aOff + i).mul(FloatVector.fromArray(SPECIES, b, bOff + i))
                    .intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    /**
     * {@code out[outOff+i] = x[xOff+i] < 0 ? +0.0 : x[xOff+i]} for {@code i < len}, bit-identical to the twin:
     * a blend on {@code x < 0}, so -0.0 and NaN are kept as they are (NaN stays NaN, as in {@code torch.relu}).
     */
    static void relu(float[] x, int xOff, float[] out, int outOff, int len) {
        FloatVector zero = FloatVector.zero(SPECIES);
        int i = 0;
        for (int end = SPECIES.loopBound(len); i < end; i += L) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, xOff + i);
            v.blend(zero, v.compare(VectorOperators.LT, 0f)).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            float v = x[xOff + i];
            out[outOff + i] = v < 0f ? 0f : v;
        }
    }

    /**
     * Concatenation of {@code parts[p] [outer, widths[p], inner]} into {@code out [outer, Σwidths, inner]}:
     * one {@link System#arraycopy} per part and outer index.
     */
    static void concat(float[][] parts, int[] widths, int outer, int inner, float[] out) {
        if (parts.length != widths.length) {
            throw new IllegalArgumentException("concat: " + parts.length + " parts but " + widths.length + " widths");
        }
        int total = 0;
        for (int wdt : widths) {
            total += wdt;
        }
        for (int o = 0; o < outer; o++) {
            int at = o * total * inner;
            for (int p = 0; p < parts.length; p++) {
                int chunk = widths[p] * inner;
                System.arraycopy(parts[p], o * chunk, out, at, chunk);
                at += chunk;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // exp, sigmoid, tanh
    // ------------------------------------------------------------------------------------------

    /*
     * exp(t), for float, in four steps (each mirrored exactly by expScalar):
     *  1. clamp t to [EXP_LO, EXP_HI], so that 2^k below is a normal float and exp(t) stays finite
     *     (exp(88) = 1.65e38; exp(-87.3) = 1.2e-38); NaN passes through the clamp (Math.max/min rules);
     *  2. k = round(t / ln2), by the "magic number" trick: adding 1.5·2^23 leaves t·log2(e) rounded to
     *     an integer in the low mantissa bits (one fma, so one rounding);
     *  3. r = t - k·ln2 with ln2 split in two (Cody–Waite): LN2_HI has 9 significant bits, so k·LN2_HI is
     *     exact for |k| <= 2^15 and t - k·LN2_HI cancels exactly; the second fma adds k·LN2_LO. |r| <= ln2/2;
     *  4. exp(r) by its Taylor polynomial to degree 7 (Horner, fma), whose truncation error on
     *     |r| <= 0.347 is below 0.347^8/8! = 5e-9 relative; times 2^k, built in the exponent field.
     */
    private static final float EXP_LO = -87.3f;
    private static final float EXP_HI = 88.0f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float MAGIC = 12582912f; // 1.5 * 2^23
    private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);
    private static final float LN2_HI = 0.693359375f; // 355/512
    private static final float LN2_LO = -2.12194440054690583e-4f; // ln2 - LN2_HI
    private static final float E2 = 1f / 2;
    private static final float E3 = 1f / 6;
    private static final float E4 = 1f / 24;
    private static final float E5 = 1f / 120;
    private static final float E6 = 1f / 720;
    private static final float E7 = 1f / 5040;
    /** {@code 127 - MAGIC_BITS} in every lane: a constant, so C2 knows its exact class (see "Exact receivers"). */
    private static final IntVector EXP_BIAS = IntVector.broadcast(INTS, 127 - MAGIC_BITS);

    /*
     * Exact receivers. C2 turns a Vector API call into a vector instruction only when the species is
     * a compile-time constant, which it is when C2 knows the receiver's exact class while parsing
     * (JDK 17 inlines the intrinsics late, so it sees the declared return types). fromArray, the
     * lane-wise operations, blend, compare and the instance method v.broadcast(c) return
     * Float512Vector (Int512Vector, ...); but the static FloatVector.broadcast(SPECIES, c) and
     * IntVector.broadcast, zero(SPECIES) and reinterpretAsInts/reinterpretAsFloats return the
     * abstract FloatVector/IntVector. A method called on such a vector is dispatched by type profile
     * behind a guard, and in some JIT histories C2 then loads the species from the object: the
     * intrinsic falls back to Java and boxes vectors, for good. That is how tanh failed its
     * allocation test in most runs of the engine's allocation tests together (C2's log for its final
     * intoArray: "VectorSupport::store failed to inline (intrinsic)", "missing constant:
     * vclass=DecodeN etype=ConP vlen=LoadI").
     * So in these kernels a vector whose class C2 cannot know at parse time is only ever an argument,
     * never a receiver: constants come from d.broadcast(c) of a loaded vector d, or from a static
     * final vector (a constant object, whose class C2 knows), and reinterpreted vectors are passed
     * to a method of an exactly typed one (EXP_BIAS.add(bits), p.mul(scale)). A vector carried
     * around a loop (an accumulator, the running max of pooling) is typed from the declared types
     * too, whatever its first value; the elementwise kernels have none.
     */

    /*
     * One vector loop per method. C2 inlines a hot callee of up to 325 bytes of bytecode
     * (FreqInlineSize), and each Vector API call inlines into a few hundred IR nodes. With the exp
     * loop inlined, tanh went past C2's inlining budget (NodeCountInliningCutoff, 18000 nodes) in
     * every compilation: the calls parsed after that point are inlined late, C2 then sees the
     * declared (abstract) types, and we are back to the profile-guarded dispatch of "Exact
     * receivers". So expInPlace and tanhFromExp each hold one vector loop and its scalar tail,
     * written out (not a call), which keeps them above 325 bytes: C2 compiles them on their own and
     * calls them with arrays, no vector crosses a call.
     */

    /*
     * No vector crosses a call. A vector passed to (or returned by) a method of our own is boxed
     * whenever C2 does not inline that call, and small helpers are not always inlined: when the
     * helper got compiled on its own first (by C1, into code that runs the Vector API's Java
     * fallback), a caller compiled later may keep it out ("already compiled into a medium method"),
     * and the helper can stay at that C1 level. The engine's allocation guards caught this in 1 to 3
     * runs in 100: VectorGemm's micro-kernels stored their eight accumulators through a 32-byte
     * helper `accumulate(FloatVector acc, ...)`; in the failing runs (thread dump and code list of
     * the stuck JVM) the C2-compiled microRows called it as a real call, into C1 code at tier 2, and
     * allocated 86 KB per convolution for good. So kernels write such steps out in place.
     */

    /**
     * {@code y[i] = exp(y[i])} in place, for {@code i < len} from {@code off}. Written as a loop over
     * an array rather than a method on one vector on purpose: C2 does not always inline a vector
     * method into its caller (a large compiled callee is kept out), and then every vector crossing
     * the call is boxed on the heap. Here no vector leaves the loop. The scalar tail repeats the
     * vector arithmetic operation by operation.
     */
    private static void expInPlace(float[] y, int off, int len) {
        int i = 0;
        for (int end = SPECIES.loopBound(len); i < end; i += L) {
            FloatVector t = FloatVector.fromArray(SPECIES, y, off + i).max(EXP_LO).min(EXP_HI);
            FloatVector z = t.fma(LOG2E, MAGIC);
            FloatVector k = z.sub(MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -LN2_HI), t);
            r = k.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
            FloatVector p = r.fma(E7, E6);
            p = p.fma(r, FloatVector.broadcast(SPECIES, E5));
            p = p.fma(r, FloatVector.broadcast(SPECIES, E4));
            p = p.fma(r, FloatVector.broadcast(SPECIES, E3));
            p = p.fma(r, FloatVector.broadcast(SPECIES, E2));
            p = p.fma(r, FloatVector.broadcast(SPECIES, 1f));
            p = p.fma(r, FloatVector.broadcast(SPECIES, 1f));
            // EXP_BIAS.add(bits), not bits.add(bias), and scale only as an argument: see "Exact receivers"
            FloatVector scale = EXP_BIAS.add(z.reinterpretAsInts())
                    .lanewise(VectorOperators.LSHL, 23)
                    .reinterpretAsFloats();
            p.mul(scale).intoArray(y, off + i);
        }
        for (; i < len; i++) {
            float t = Math.min(Math.max(y[off + i], EXP_LO), EXP_HI);
            float z = Math.fma(t, LOG2E, MAGIC);
            float k = z - MAGIC;
            float r = Math.fma(k, -LN2_HI, t);
            r = Math.fma(k, -LN2_LO, r);
            float p = Math.fma(r, E7, E6);
            p = Math.fma(p, r, E5);
            p = Math.fma(p, r, E4);
            p = Math.fma(p, r, E3);
            p = Math.fma(p, r, E2);
            p = Math.fma(p, r, 1f);
            p = Math.fma(p, r, 1f);
            float scale = Float.intBitsToFloat((Float.floatToRawIntBits(z) + (127 - MAGIC_BITS)) << 23);
            y[off + i] = p * scale;
        }
    }

    /**
     * {@code out[outOff+i] = 1 / (1 + exp(-x[xOff+i]))} for {@code i < len}, with {@link #expInPlace}.
     * For {@code x >= 0} the denominator is in [1, 2] and every error is relative to a result near 1; for
     * {@code x < 0} errors are relative to the (smaller) result. Below x = -88 the clamped exp makes
     * the result about 6e-39 instead of smaller. NaN gives NaN.
     */
    static void sigmoid(float[] x, int xOff, float[] out, int outOff, int len) {
        // Three passes over the (small, cache-resident) output: -x, exp, 1/(e + 1). Each element goes
        // through the same operations whether it falls in a vector or in the scalar tail.
        int i = 0;
        for (int end = SPECIES.loopBound(len); i < end; i += L) {
            FloatVector.fromArray(SPECIES, x, xOff + i).neg().intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            out[outOff + i] = -x[xOff + i];
        }
        expInPlace(out, outOff, len);
        i = 0;
        for (int end = SPECIES.loopBound(len); i < end; i += L) {
            FloatVector d = FloatVector.fromArray(SPECIES, out, outOff + i).add(1f);
            d.broadcast(1f).div(d).intoArray(out, outOff + i); // d.broadcast: see "Exact receivers"
        }
        for (; i < len; i++) {
            out[outOff + i] = 1f / (out[outOff + i] + 1f);
        }
    }

    /*
     * tanh(x) = sign(x) · tanh(|x|), with a = |x|:
     *  - a >= TANH_SMALL: 1 - 2/(exp(2a) + 1). exp(2a) >= e^1.1 = 3, so 2/(exp(2a)+1) <= 0.5 and the
     *    subtraction loses nothing; beyond a = 9.01 the result rounds to 1 (exp clamps at 88).
     *  - a < TANH_SMALL: there 1 - 2/(...) would cancel, so use the odd Taylor series
     *    a + a·a²·P(a²), P(u) = -1/3 + 2/15 u - 17/315 u² + ... up to the a^17 term. The series
     *    converges for a < π/2; at a = 0.55 the first omitted term (a^19) is 3e-9.
     * The sign is put back as -t where x < 0 and as x itself where x = ±0, so -0.0 gives -0.0 and tiny
     * x gives x. (t is never negative, so this is t with the sign bit of x; a NaN keeps the sign
     * of t. Not with reinterpretAsInts/or: see "Exact receivers".)
     */
    private static final float TANH_SMALL = 0.55f;
    private static final float T3 = (float) (-1.0 / 3);
    private static final float T5 = (float) (2.0 / 15);
    private static final float T7 = (float) (-17.0 / 315);
    private static final float T9 = (float) (62.0 / 2835);
    private static final float T11 = (float) (-1382.0 / 155925);
    private static final float T13 = (float) (21844.0 / 6081075);
    private static final float T15 = (float) (-929569.0 / 638512875);
    private static final float T17 = (float) (6404582.0 / 10854718875.0);

    /** {@code out[outOff+i] = tanh(x[xOff+i])} for {@code i < len}; see the comment above for the method. */
    static void tanh(float[] x, int xOff, float[] out, int outOff, int len) {
        // In chunks: e = exp(2|x|) into a per-thread scratch (see expInPlace for why exp runs over an
        // array), then both formulas from x and e. In place (x == out) is fine: element i of x is
        // read before element i of out is written.
        float[] e = TANH_SCRATCH.get();
        for (int c0 = 0; c0 < len; c0 += TANH_CHUNK) {
            int n = Math.min(TANH_CHUNK, len - c0), xo = xOff + c0, oo = outOff + c0;
            int i = 0;
            for (int end = SPECIES.loopBound(n); i < end; i += L) {
                FloatVector a = FloatVector.fromArray(SPECIES, x, xo + i).abs();
                a.add(a).intoArray(e, i);
            }
            for (; i < n; i++) {
                float a = Math.abs(x[xo + i]);
                e[i] = a + a;
            }
            expInPlace(e, 0, n);
            tanhFromExp(x, xo, e, out, oo, n);
        }
    }

    /**
     * {@code out[oo+i] = tanh(x[xo+i])} for {@code i < n}, given {@code e[i] = exp(2|x[xo+i]|)}: the
     * two formulas of the comment above and the choice between them. The scalar tail repeats the
     * vector arithmetic operation by operation.
     */
    private static void tanhFromExp(float[] x, int xo, float[] e, float[] out, int oo, int n) {
        int i = 0;
        for (int end = SPECIES.loopBound(n); i < end; i += L) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, xo + i);
            FloatVector a = v.abs();
            FloatVector d = FloatVector.fromArray(SPECIES, e, i).add(1f);
            // constants broadcast from d, not FloatVector.broadcast(SPECIES, c): see "Exact receivers"
            FloatVector big = d.broadcast(1f).sub(d.broadcast(2f).div(d));
            FloatVector u = a.mul(a);
            FloatVector p = u.fma(T17, T15);
            p = p.fma(u, FloatVector.broadcast(SPECIES, T13));
            p = p.fma(u, FloatVector.broadcast(SPECIES, T11));
            p = p.fma(u, FloatVector.broadcast(SPECIES, T9));
            p = p.fma(u, FloatVector.broadcast(SPECIES, T7));
            p = p.fma(u, FloatVector.broadcast(SPECIES, T5));
            p = p.fma(u, FloatVector.broadcast(SPECIES, T3));
            FloatVector small = a.mul(u).fma(p, a);
            FloatVector t = big.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
            // the sign of x: t >= 0 (or NaN), so -t is t with the sign bit set; x = ±0 gives x
            t.blend(t.neg(), v.compare(VectorOperators.LT, 0f))
                    .blend(v, v.compare(VectorOperators.EQ, 0f))
                    .intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            float xi = x[xo + i];
            float a = Math.abs(xi);
            float big = 1f - 2f / (e[i] + 1f);
            float u = a * a;
            float p = Math.fma(u, T17, T15);
            p = Math.fma(p, u, T13);
            p = Math.fma(p, u, T11);
            p = Math.fma(p, u, T9);
            p = Math.fma(p, u, T7);
            p = Math.fma(p, u, T5);
            p = Math.fma(p, u, T3);
            float small = Math.fma(a * u, p, a);
            float t = a < TANH_SMALL ? small : big;
            out[oo + i] = xi < 0f ? -t : xi == 0f ? xi : t;
        }
    }

    /** Elements of one tanh chunk: small enough for L1, and the size of the per-thread scratch. */
    private static final int TANH_CHUNK = 512;
    private static final ThreadLocal<float[]> TANH_SCRATCH = ThreadLocal.withInitial(() -> new float[TANH_CHUNK]);

    // ------------------------------------------------------------------------------------------
    // Fixed-point resampling (Pillow's 8-bit resize)
    // ------------------------------------------------------------------------------------------

    /**
     * {@code out[outOff+i] = clamp((2^(shift−1) + Σ_t w[wOff+t]·x[xOff + t·stride + i]) >> shift, 0, 255)},
     * int32 wrapping arithmetic: identical to the twin (integer adds and multiplies are exact and
     * associative modulo 2^32). Taps are the inner loop, so each accumulator stays in a register.
     */
    static void fixedPointTaps(int[] x, int xOff, int stride, int taps, int[] w, int wOff, int shift,
                               int[] out, int outOff, int len) {
        int lanes = INTS.length();
        int half = 1 << (shift - 1);
        int i = 0;
        for (int end = INTS.loopBound(len); i < end; i += lanes) {
            IntVector acc = IntVector.broadcast(INTS, half);
            for (int t = 0, p = xOff + i; t < taps; t++, p += stride) {
                acc = acc.add(IntVector.fromArray(INTS, x, p).mul(w[wOff + t]));
            }
            acc.lanewise(VectorOperators.ASHR, shift).max(0).min(255).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            int acc = half;
            for (int t = 0; t < taps; t++) {
                acc += w[wOff + t] * x[xOff + t * stride + i];
            }
            out[outOff + i] = Math.max(0, Math.min(255, acc >> shift));
        }
    }

    /** libjpeg's YCbCr → RGB in place on three int planes (formula on {@link Kernels#ycbcrToRgb}); identical to the twin. */
    static void ycbcrToRgb(int[] x, int yOff, int cbOff, int crOff, int len) {
        int lanes = INTS.length();
        int i = 0;
        for (int end = INTS.loopBound(len); i < end; i += lanes) {
            IntVector y = IntVector.fromArray(INTS, x, yOff + i);
            IntVector cb = IntVector.fromArray(INTS, x, cbOff + i).sub(128);
            IntVector cr = IntVector.fromArray(INTS, x, crOff + i).sub(128);
            IntVector r = cr.mul(91881).add(32768).lanewise(VectorOperators.ASHR, 16);
            IntVector g = cb.mul(-22554).add(cr.mul(-46802)).add(32768).lanewise(VectorOperators.ASHR, 16);
            IntVector b = cb.mul(116130).add(32768).lanewise(VectorOperators.ASHR, 16);
            y.add(r).max(0).min(255).intoArray(x, yOff + i);
            y.add(g).max(0).min(255).intoArray(x, cbOff + i);
            y.add(b).max(0).min(255).intoArray(x, crOff + i);
        }
        for (; i < len; i++) {
            int y = x[yOff + i];
            int cb = x[cbOff + i] - 128;
            int cr = x[crOff + i] - 128;
            x[yOff + i] = Math.max(0, Math.min(255, y + ((91881 * cr + 32768) >> 16)));
            x[cbOff + i] = Math.max(0, Math.min(255, y + ((-22554 * cb - 46802 * cr + 32768) >> 16)));
            x[crOff + i] = Math.max(0, Math.min(255, y + ((116130 * cb + 32768) >> 16)));
        }
    }
}
