package vecnet.engine;

/**
 * Convolution as an implicit GEMM on {@link VectorGemm}'s micro-kernel.
 *
 * <p>For one image and one group the convolution is a matrix product
 * {@code Y[co, p] = Σ_k W[co, k] · X̂[k, p]}, where {@code k = (ci, i, j)} runs over the patch
 * ({@code cin/groups × kh × kw}), {@code p = (oy, ox)} over output pixels, and
 * {@code X̂[k, p] = x[ci, oy*sh - ph + i*dh, ox*sw - pw + j*dw]} (zero outside the image) is the
 * "im2col" matrix. The weights W are packed into micro-kernel panels once, when the plan is made.
 * X̂ is never built whole: each task packs the slice of it that the micro-kernel needs, straight
 * from the input, copying contiguous row segments.
 *
 * <p>Strided convolutions (the 7×7/2 stem, the 3×3/2 and 1×1/2 downsampling convs) would make those
 * segments strided. So the input's columns are first split by phase ({@code x_phase[c, y, t] =
 * x[c, y, t*sw + phase]}), after which every segment is contiguous again.
 *
 * <p>Tasks are (image, group, block of output pixels, block of output channels); each writes its own
 * part of Y whole, with the same k-slices, so the thread count never changes a result.
 */
final class VectorConv implements Kernels.Conv2dPlan {
    private static final int MR = VectorGemm.MR, NR = VectorGemm.NR, KC = VectorGemm.KC;

    private final ConvGeometry g;
    /** GEMM depth: cin/groups × kh × kw. */
    private final int depth;
    /** Output channels per group, rounded up to a multiple of MR. */
    private final int mPad;
    /** Per group, W packed as K slices of MR-row panels: slice (k0, kc), panel ip at k0*mPad + ip*MR*kc. */
    private final float[][] packedWeights;
    /** For each k = (ci, i, j): ci, the kernel row i, and the column phase and shift of j (see class doc). */
    private final int[] kChannel, kRow, kPhase, kShift;

    private VectorConv(ConvGeometry g, float[] weight) {
        this.g = g;
        this.depth = g.patchSize();
        int coutG = g.coutPerGroup();
        this.mPad = (coutG + MR - 1) / MR * MR;
        this.packedWeights = new float[g.groups()][];
        float[] slice = new float[Math.min(KC, depth) * mPad];
        for (int grp = 0; grp < g.groups(); grp++) {
            float[] packed = new float[depth * mPad];
            for (int k0 = 0; k0 < depth; k0 += KC) {
                int kc = Math.min(KC, depth - k0);
                VectorGemm.packA(weight, grp * coutG * depth + k0, depth, coutG, kc, slice);
                System.arraycopy(slice, 0, packed, k0 * mPad, kc * mPad);
            }
            packedWeights[grp] = packed;
        }
        kChannel = new int[depth];
        kRow = new int[depth];
        kPhase = new int[depth];
        kShift = new int[depth];
        for (int k = 0; k < depth; k++) {
            int j = k % g.kw(), i = (k / g.kw()) % g.kh();
            kChannel[k] = k / (g.kw() * g.kh());
            kRow[k] = i * g.dilH() - g.padH();
            int q = j * g.dilW() - g.padW();
            kPhase[k] = Math.floorMod(q, g.strideW());
            kShift[k] = Math.floorDiv(q, g.strideW());
        }
    }

    static Kernels.Conv2dPlan plan(ConvGeometry g, float[] weight) {
        if (weight.length != g.weightSize()) {
            throw new IllegalArgumentException("conv weight has " + weight.length + " elements, geometry " + g
                    + " needs " + g.weightSize());
        }
        return new VectorConv(g, weight);
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    @Override
    public void run(ComputePool pool, float[] x, int n, int h, int w, float[] y, Epilogue ep) {
        g.checkInput(h, w);
        if (!ep.perRow()) {
            throw new IllegalArgumentException("a convolution epilogue is per output channel (perRow)");
        }
        int oh = g.outH(h), ow = g.outW(w), pixels = oh * ow;
        int sw = g.strideW(), cin = g.cin();
        // The input as the packer reads it: x itself when sw == 1, else split into sw column phases.
        int phaseWidth = (w + sw - 1) / sw;
        float[] src = x;
        if (sw > 1) {
            src = splitPhases(pool, x, n * cin, h, w, sw, phaseWidth);
        }
        final float[] in = src;
        int groups = g.groups(), coutG = g.coutPerGroup();
        int mPanels = mPad / MR;
        // Enough tasks to balance the threads: blocks of output pixels, then blocks of channels.
        int nPanels = (pixels + NR - 1) / NR;
        int images = n * groups;
        int want = 4 * pool.threads();
        int colPanelsPerTask = Math.max(1, Math.min(VectorGemm.NC / NR, (nPanels * images + want - 1) / want));
        int colBlocks = (nPanels + colPanelsPerTask - 1) / colPanelsPerTask;
        int rowBlocks = Math.max(1, Math.min(mPanels, (want + images * colBlocks - 1) / (images * colBlocks)));
        int rowPanelsPerTask = (mPanels + rowBlocks - 1) / rowBlocks;
        rowBlocks = (mPanels + rowPanelsPerTask - 1) / rowPanelsPerTask;
        int tasks = images * colBlocks * rowBlocks;
        int rb = rowBlocks, cb = colBlocks;
        pool.parallelFor(tasks, task -> {
            int rowBlock = task % rb, rest = task / rb;
            int colBlock = rest % cb, image = rest / cb;
            int b = image / groups, grp = image % groups;
            int p0 = colBlock * colPanelsPerTask * NR;
            int nc = Math.min(colPanelsPerTask * NR, pixels - p0);
            int ip0 = rowBlock * rowPanelsPerTask, ip1 = Math.min(mPanels, ip0 + rowPanelsPerTask);
            int planeBase = (b * cin + grp * g.cinPerGroup()) * h;
            int yBase = (b * g.cout() + grp * coutG) * pixels;
            VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
            int taskPanels = (nc + NR - 1) / NR;
            float[] bp = s.b(taskPanels * NR * KC);
            float[] ap = packedWeights[grp];
            for (int k0 = 0; k0 < depth; k0 += KC) {
                int kc = Math.min(KC, depth - k0);
                packPatches(in, planeBase, h, w, sw > 1 ? phaseWidth : w, sw > 1 ? n * cin * h : 0,
                        ow, k0, kc, p0, nc, bp);
                boolean first = k0 == 0, last = k0 + kc >= depth;
                int aSlice = k0 * mPad;
                for (int jp = 0; jp < taskPanels; jp++) {
                    int j = p0 + jp * NR;
                    for (int ip = ip0; ip < ip1; ip++) {
                        int row = ip * MR;
                        VectorGemm.block(kc, ap, aSlice + ip * MR * kc, bp, jp * NR * kc, y, yBase + row * pixels + j,
                                pixels, Math.min(MR, coutG - row), Math.min(NR, pixels - j), first, last, ep,
                                grp * coutG + row, ep.residualOffset(), s.tile);
                    }
                }
            }
        });
    }

    /**
     * {@code out[(phase*planes + plane)*h + y][t] = x[plane][y][t*sw + phase]}, zero past the edge;
     * each output row is {@code phaseWidth} long.
     */
    private static float[] splitPhases(ComputePool pool, float[] x, int planes, int h, int w, int sw, int phaseWidth) {
        float[] out = new float[sw * planes * h * phaseWidth];
        int rows = planes * h;
        int parts = Math.min(rows, pool.threads() * 4);
        pool.parallelFor(parts, part -> {
            int r0 = ComputePool.splitStart(rows, parts, part), r1 = ComputePool.splitStart(rows, parts, part + 1);
            for (int r = r0; r < r1; r++) {
                int src = r * w;
                for (int phase = 0; phase < sw; phase++) {
                    int dst = (phase * rows + r) * phaseWidth;
                    for (int t = 0, ix = phase; ix < w; t++, ix += sw) {
                        out[dst + t] = x[src + ix];
                    }
                }
            }
        });
        return out;
    }

    /**
     * Packs X̂[k0:k0+kc, p0:p0+nc] into NR-column panels, k-major, zero-padded, reading the input
     * row segment by row segment.
     *
     * @param in          the input, or its phase split when the column stride is > 1
     * @param planeBase   row index (in units of input rows) of this image's and group's first channel
     * @param rowWidth    length of one row of {@code in}: w, or the phase width
     * @param phaseRows   rows between two phases of {@code in} (0 without a split)
     */
    private void packPatches(float[] in, int planeBase, int h, int w, int rowWidth, int phaseRows,
                             int ow, int k0, int kc, int p0, int nc, float[] bp) {
        int sh = g.strideH();
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            int firstPixel = p0 + j0;
            int oyStart = firstPixel / ow, oxStart = firstPixel % ow;
            int base = j0 * kc;
            for (int kk = 0; kk < kc; kk++) {
                int k = k0 + kk;
                int dst = base + kk * NR;
                int rowBase = (kPhase[k] * phaseRows + planeBase + kChannel[k] * h);
                int shift = kShift[k];
                int width = Math.min(rowWidth, phaseWidthOf(w, kPhase[k]));
                int oy = oyStart, ox = oxStart, jj = 0;
                while (jj < cols) {
                    int run = Math.min(cols - jj, ow - ox);
                    int iy = oy * sh + kRow[k];
                    if (iy < 0 || iy >= h) {
                        java.util.Arrays.fill(bp, dst + jj, dst + jj + run, 0f);
                    } else {
                        int ix0 = ox + shift;                       // column of the first pixel of the run
                        int lo = Math.min(run, Math.max(0, -ix0));  // pixels left of the image
                        int hi = Math.max(lo, Math.min(run, width - ix0)); // end of the pixels inside
                        int srcRow = (rowBase + iy) * rowWidth;
                        java.util.Arrays.fill(bp, dst + jj, dst + jj + lo, 0f);
                        if (hi > lo) {
                            System.arraycopy(in, srcRow + ix0 + lo, bp, dst + jj + lo, hi - lo);
                        }
                        java.util.Arrays.fill(bp, dst + jj + hi, dst + jj + run, 0f);
                    }
                    jj += run;
                    ox = 0;
                    oy++;
                }
                if (cols < NR) {
                    java.util.Arrays.fill(bp, dst + cols, dst + NR, 0f);
                }
            }
        }
    }

    /** The number of columns of phase {@code phase}: those x with x ≡ phase (mod sw), x < w. */
    private int phaseWidthOf(int w, int phase) {
        int sw = g.strideW();
        return sw == 1 ? w : (w - phase + sw - 1) / sw;
    }
}
