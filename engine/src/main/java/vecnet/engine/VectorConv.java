package vecnet.engine;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution as an implicit GEMM on {@link VectorGemm}'s micro-kernel.
 *
 * <p>For one image and one group the convolution is a matrix product
 * {@code Y[co, p] = Σ_k W[co, k] · X̂[k, p]}, where {@code k = (ci, i, j)} runs over the patch
 * ({@code cin/groups × kh × kw}), {@code p = oy*outW + ox} over output pixels, and
 * {@code X̂[k, p] = x[ci, oy*sh - ph + i*dh, ox*sw - pw + j*dw]} (zero outside the image) is the
 * "im2col" matrix. The weights W are packed into micro-kernel panels once, when the plan is made.
 * X̂ is never built whole: each task packs the slice of it that the micro-kernel needs, straight
 * from the input.
 *
 * <p>Strided convolutions (the 7×7/2 stem, the 3×3/2 and 1×1/2 downsampling convs) are first turned
 * into stride-1 ones: the input is split by phase, {@code x_phase(py,px)[c, y, t] = x[c, y*sh + py, t*sw + px]},
 * so that X̂'s rows become shifted windows of one phase. When a phase row is exactly as long as an
 * output row (true for every ResNet convolution), the shift is a constant offset in the flat array,
 * {@code X̂[k, p] = in[base(k) + p]}, and a slice of X̂ is copied one vector at a time, with a mask that
 * zeroes the pixels whose source falls in the padding. Other shapes copy row segments instead.
 *
 * <p>Tasks are (image, group, block of output pixels, block of output channels); each writes its own
 * part of Y whole, with the same k-slices, so the thread count never changes a result.
 */
final class VectorConv implements Kernels.Conv2dPlan {
    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final VectorSpecies<Integer> IS = S.withLanes(int.class);
    private static final int VL = VectorGemm.VL, MR = VectorGemm.MR, NR = VectorGemm.NR, KC = VectorGemm.KC;
    /** -0.0 in every lane: a constant, so C2 knows its exact class (see "Exact receivers" in {@link VectorOps}). */
    private static final FloatVector NEGATIVE_ZERO = FloatVector.broadcast(S, -0f);
    /**
     * Input channels packed together by {@link #inputGradient}: 32 channels of 512 output channels' 3×3
     * weights are 590 KB, inside a core's L2. A multiple of MR (30 for 6 rows), since the panels of
     * MR rows start at multiples of MR.
     */
    private static final int CHANNEL_BLOCK = 32 / MR * MR;
    /** A row index no pixel can have: marks the padding lanes of a partial panel as invalid. */
    private static final int NO_ROW = -(1 << 28);

    private final ConvGeometry g;
    /** GEMM depth: cin/groups × kh × kw. */
    private final int depth;
    /** Length of the k-slices: {@link VectorGemm#sliceDepth} of the depth, or one tap's channels for the input gradient. */
    private final int sliceDepth;
    /** Output channels per group, rounded up to a multiple of MR. */
    private final int mPad;
    /** Per group, W packed as k-slices of MR-row panels: slice (k0, kc), panel ip at k0*mPad + ip*MR*kc. */
    private final float[][] packedWeights;
    /**
     * For each k: its input channel, the phase (py, px) its row and column fall in, and the shift
     * (ry, rx) of its source pixel within that phase relative to the output pixel (oy, ox).
     */
    private final int[] kChannel, kPhaseY, kPhaseX, kShiftY, kShiftX;
    /** For each k, its tap {@code i·kw + j}; and for each tap, one of its k (all of a tap's k share phase and shift). */
    private final int[] kTap, tapK;
    /** For each phase {@code py·strideW + px}: whether some k reads it (the others are never split out). */
    private final boolean[] phaseRead;
    /**
     * The JVM's first {@value #SCALAR_RUNS} runs of direct convolutions copy the input with scalar loops
     * instead of the vector ones ({@link #packFlatScalar}), the same bits: they are the runs that
     * execute in the interpreter and C1 while C2 compiles the kernels, and there each Vector API call is
     * its Java fallback, which allocates, and a reinterpretation copies its lanes through a ByteBuffer.
     * Once compiled, the scalar copies are the slower ones. The micro-kernel stays vector: its work
     * dwarfs the copies', and C2 compiles it first. A cold one-picture {@code vecnet classify}
     * (ResNet-18, 2 cores, AVX-512, eight interleaved runs each) took 1.38-1.86 s instead of 1.76-2.28 on
     * JDK 17, 1.27-1.96 instead of 1.77-2.27 on JDK 25. (Counted for the JVM, not for each plan: a
     * training step makes new plans after each update, and a first run of each plan made the
     * training steps of {@code bench/compare.sh} 1.3-1.6× as long.)
     */
    private static final AtomicInteger RUNS = new AtomicInteger();
    /** See {@link #RUNS}: about three passes of ResNet-18, whose 20 convolutions are direct in a short run. */
    static final int SCALAR_RUNS = 64;

    /**
     * @param packed per group, the GEMM's left matrix packed as {@link #packedWeights} describes
     * @param taps   for each k: {channel, phaseY, phaseX, shiftY, shiftX, tap}
     */
    private VectorConv(ConvGeometry g, float[][] packed, int sliceDepth, int[][] taps) {
        this.g = g;
        this.depth = g.patchSize();
        this.sliceDepth = sliceDepth;
        this.mPad = paddedRows(g);
        this.packedWeights = packed;
        kChannel = taps[0];
        kPhaseY = taps[1];
        kPhaseX = taps[2];
        kShiftY = taps[3];
        kShiftX = taps[4];
        kTap = taps[5];
        tapK = new int[g.kh() * g.kw()];
        for (int k = depth - 1; k >= 0; k--) {
            tapK[kTap[k]] = k;
        }
        phaseRead = new boolean[g.strideH() * g.strideW()];
        for (int k = 0; k < depth; k++) {
            phaseRead[kPhaseY[k] * g.strideW() + kPhaseX[k]] = true;
        }
    }

    /** Output channels per group of {@code g}, rounded up to a multiple of MR: the rows of a packed weight. */
    private static int paddedRows(ConvGeometry g) {
        return (g.coutPerGroup() + MR - 1) / MR * MR;
    }

    /**
     * {@link #packedWeights} of the GEMM's left matrix {@code a}, {@code (cout, depth)} row-major: for
     * group grp, rows {@code grp·cout/groups ..}, column k the weight of tap k.
     */
    private static float[][] pack(ConvGeometry g, float[] a, int sliceDepth) {
        int depth = g.patchSize(), coutG = g.coutPerGroup(), mPad = paddedRows(g);
        float[][] packed = new float[g.groups()][depth * mPad];
        for (int grp = 0; grp < g.groups(); grp++) {
            for (int k0 = 0; k0 < depth; k0 += sliceDepth) {
                int kc = Math.min(sliceDepth, depth - k0);
                VectorGemm.packA(a, grp * coutG * depth + k0, depth, coutG, kc, packed[grp], k0 * mPad);
            }
        }
        return packed;
    }

    static Kernels.Conv2dPlan plan(ConvGeometry g, float[] weight) {
        g.checkWeights(weight);
        int depth = g.patchSize();
        int[][] taps = new int[6][depth];
        for (int k = 0; k < depth; k++) {   // k = (ci, i, j)
            int j = k % g.kw(), i = (k / g.kw()) % g.kh();
            int qy = i * g.dilH() - g.padH(), qx = j * g.dilW() - g.padW();
            taps[0][k] = k / (g.kw() * g.kh());
            taps[1][k] = Math.floorMod(qy, g.strideH());
            taps[2][k] = Math.floorMod(qx, g.strideW());
            taps[3][k] = Math.floorDiv(qy, g.strideH());
            taps[4][k] = Math.floorDiv(qx, g.strideW());
            taps[5][k] = k % (g.kw() * g.kh());
        }
        int sliceDepth = VectorGemm.sliceDepth(depth);
        return new VectorConv(g, pack(g, weight, sliceDepth), sliceDepth, taps);
    }

    /**
     * {@link Kernels#planConvInputGradient}: dX of a stride-1 convolution {@code g} as a convolution
     * of dY, with the GEMM's depth ordered tap by tap, {@code k = (i·kw + j)·opg + o}, and one k-slice per
     * tap. Each slice is then one chain of FMAs from zero over the output channels {@code o}, the
     * sum sgemm takes for one column entry (with {@code opg ≤ KC}), and the slices are added
     * to the output in tap order, as col2im adds the columns: the same bits. A tap whose source falls
     * outside dY gives a chain of zeros, which adds +0 and changes nothing. With more than {@code KC}
     * channels per group, a tap's sum is taken in slices as sgemm takes it ({@link #chained}).
     * Null for a stride other than 1 or padding past the kernel's reach.
     */
    static Kernels.Conv2dPlan inputGradient(ConvGeometry g, float[] weight) {
        ConvGeometry t = g.inputGradient();
        if (t == null) {
            return null;
        }
        g.checkWeights(weight);
        int opg = g.coutPerGroup(), cpg = g.cinPerGroup(), kk = g.kh() * g.kw();
        int depth = kk * opg, mPad = paddedRows(t);
        // The left matrix a[c, (i·kw + j)·opg + o] = weight[o, c, i, j] (per group), packed as pack()
        // packs it with one slice per tap, straight from the weight: each tap's slice is written in
        // order, panel by panel. The input channels go by blocks of CHANNEL_BLOCK, whose weights
        // (all output channels) stay in the core's cache while every tap reads them. (Writing all
        // taps at once instead, to slices opg·mPad floats apart, thrashes the cache sets when that
        // distance is a large power of two.)
        float[][] packed = new float[g.groups()][depth * mPad];
        for (int gi = 0; gi < g.groups(); gi++) {
            float[] dst = packed[gi];
            for (int cb = 0; cb < cpg; cb += CHANNEL_BLOCK) {
                int cEnd = Math.min(cpg, cb + CHANNEL_BLOCK);
                for (int tap = 0; tap < kk; tap++) {
                    for (int c0 = cb; c0 < cEnd; c0 += MR) {
                        int rows = Math.min(MR, cpg - c0), at = tap * opg * mPad + c0 * opg;
                        for (int o = 0; o < opg; o++) {
                            int src = ((gi * opg + o) * cpg + c0) * kk + tap;
                            for (int r = 0; r < rows; r++) {
                                dst[at + o * MR + r] = weight[src + r * kk];
                            }
                        }
                    }
                }
            }
        }
        int[][] taps = new int[6][depth];
        for (int k = 0; k < depth; k++) {   // dx[y, x] reads dy[y + ph − i·dh, x + pw − j·dw]
            int tap = k / opg, i = tap / g.kw(), j = tap % g.kw();
            taps[0][k] = k % opg;
            taps[3][k] = g.padH() - i * g.dilH();
            taps[4][k] = g.padW() - j * g.dilW();
            taps[5][k] = tap;
        }
        return new VectorConv(t, packed, opg, taps);
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    /** Where the packer reads the input: the array, its phase layout and each phase's true size. */
    private record Source(float[] in, int planes, int hp, int wp, int sh, int sw, int h, int w) {
        /** Offset of phase (py, px) in {@link #in}. */
        int phaseOffset(int py, int px) {
            return (py * sw + px) * planes * hp * wp;
        }

        /** Rows of the input that fall in phase py: those y < h with y ≡ py (mod sh). */
        int rowsOf(int py) {
            return (h - py + sh - 1) / sh;
        }

        int colsOf(int px) {
            return (w - px + sw - 1) / sw;
        }
    }

    @Override
    public void run(ComputePool pool, float[] x, int n, int h, int w, float[] y, Epilogue ep) {
        boolean early = RUNS.get() < SCALAR_RUNS && RUNS.incrementAndGet() <= SCALAR_RUNS;
        run(pool, x, n, h, w, y, ep, early);
    }

    /** {@link #run(ComputePool, float[], int, int, int, float[], Epilogue)}, copying with scalar loops when {@code scalarCopies}. */
    void run(ComputePool pool, float[] x, int n, int h, int w, float[] y, Epilogue ep, boolean scalarCopies) {
        g.checkInput(h, w);
        if (!ep.perRow()) {
            throw new IllegalArgumentException("a convolution epilogue is per output channel (perRow)");
        }
        int oh = g.outH(h), ow = g.outW(w), pixels = oh * ow;
        int cin = g.cin();
        Source src = source(pool, x, n * cin, h, w, scalarCopies);
        boolean flat = src.wp == ow;
        int groups = g.groups(), coutG = g.coutPerGroup();
        int mPanels = mPad / MR;
        int nPanels = (pixels + NR - 1) / NR;
        int images = n * groups;
        // Tasks: blocks of output pixels (columns), no wider than the packing buffer, each packed
        // once; for one image on several threads, the columns are cut evenly into a multiple of the
        // thread count, so that no thread waits for another's larger block. Only when there are too
        // few columns for that (a small map) are the output channels split too, which packs the
        // task's slice of X̂ once per block of channels: so into one block a thread. (Two a thread,
        // for a slower CPU to hand one over, packed X̂ twice as often: l3down and l4down on two
        // threads took 1.02-1.08× and 1.00-1.05× as long, alternated in one JVM.)
        int threads = pool.threads();
        int cb = (nPanels + VectorGemm.NC / NR - 1) / (VectorGemm.NC / NR), rb = 1;
        if (threads > 1 && images < threads) {
            if (nPanels >= 4 * threads) {
                cb = Math.min(nPanels, (Math.max(cb, threads) + threads - 1) / threads * threads);
            } else {
                rb = Math.min(mPanels, (threads + images * cb - 1) / (images * cb));
            }
        }
        int colBlocks = cb, rowBlocks = rb;
        // The tap masks of every column, once for all images and tasks. Not in each task: there their
        // 13 Vector API calls, with packFlat's and the epilogue's, took the task's compilation past
        // C2's inlining budget in some runs, and the epilogue's vectors were then boxed for good
        // (ConvTest's allocation guard: 140 KB a call, 1 engine run in 6; see "Small enough for C2"
        // in VectorGemm).
        int allCols = nPanels * NR;
        int[] keep = flat ? keepMasks(src, ow, pixels, allCols, scalarCopies) : null;
        Block block = (image, pp0, pp1, ip0, ip1) -> {
            int b = image / groups, grp = image % groups;
            int p0 = pp0 * NR;
            int nc = Math.min((pp1 - pp0) * NR, pixels - p0);
            int firstPlane = b * cin + grp * g.cinPerGroup();
            int yBase = (b * g.cout() + grp * coutG) * pixels;
            VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
            int taskPanels = (nc + NR - 1) / NR;
            float[] bp = s.b(VectorGemm.PAD + taskPanels * NR * sliceDepth);
            float[] ap = packedWeights[grp];
            // The tiles of a last, partial column panel are computed whole, into a scratch NR wide,
            // and only their real columns copied to Y after the last slice (see copyEdge).
            float[] edge = nc % NR != 0 ? s.edge((ip1 - ip0) * MR * NR) : null;
            for (int k0 = 0; k0 < depth; k0 += sliceDepth) {
                int kc = Math.min(sliceDepth, depth - k0);
                if (flat && scalarCopies) {
                    packFlatScalar(src, firstPlane, k0, kc, p0, taskPanels, keep, allCols, bp, VectorGemm.PAD);
                } else if (flat) {
                    packFlat(src, firstPlane, k0, kc, p0, taskPanels, keep, allCols, bp, VectorGemm.PAD);
                } else {
                    packSegments(src, firstPlane, ow, k0, kc, p0, nc, bp, VectorGemm.PAD);
                }
                boolean first = k0 == 0, last = k0 + kc >= depth;
                int aSlice = k0 * mPad;
                for (int jp = 0; jp < taskPanels; jp++) {
                    int j = p0 + jp * NR;
                    for (int ip = ip0; ip < ip1; ip++) {
                        int row = ip * MR;
                        if (kc <= KC) {
                            // One call of block for both targets, Y or the edge scratch: each call site
                            // inlines the micro-kernel's 43 Vector API calls, and two of them took this
                            // lambda past C2's inlining budget (see "Small enough for C2" in VectorGemm).
                            boolean toEdge = edge != null && jp == taskPanels - 1 && coutG - row >= MR;
                            int e = (ip - ip0) * MR * NR, at = yBase + row * pixels + j;
                            VectorGemm.block(kc, ap, aSlice + ip * MR * kc, bp, VectorGemm.PAD + jp * NR * kc,
                                    toEdge ? edge : y, toEdge ? e : at, toEdge ? NR : pixels,
                                    Math.min(MR, coutG - row), toEdge ? NR : Math.min(NR, pixels - j), first,
                                    last && !(toEdge && ep.residual() != null), ep, grp * coutG + row,
                                    toEdge ? 0 : ep.residualOffset(), s.tile);
                            if (toEdge && last) {
                                copyEdge(edge, e, y, at, pixels, nc % NR, ep, grp * coutG + row);
                            }
                        } else {
                            chained(kc, ap, aSlice + ip * MR * kc, bp, VectorGemm.PAD + jp * NR * kc, y,
                                    yBase + row * pixels + j, pixels, Math.min(MR, coutG - row),
                                    Math.min(NR, pixels - j), first, last, ep, grp * coutG + row,
                                    ep.residualOffset(), s.tile, s.sum);
                        }
                    }
                }
            }
        };
        boolean blockAThread = images == 1 && cb * rb == threads; // each block sized to its thread's speed
        if (blockAThread && rb == 1) { // columns
            pool.parallelForShares(nPanels, (pp0, pp1) -> block.run(0, pp0, pp1, 0, mPanels));
        } else if (blockAThread && cb == 1) { // output channels
            pool.parallelForShares(mPanels, (ip0, ip1) -> block.run(0, 0, nPanels, ip0, ip1));
        } else {
            pool.parallelFor(images * cb * rb, task -> {
                int rowBlock = task % rowBlocks, rest = task / rowBlocks;
                int colBlock = rest % colBlocks, image = rest / colBlocks;
                block.run(image, ComputePool.splitStart(nPanels, colBlocks, colBlock),
                        ComputePool.splitStart(nPanels, colBlocks, colBlock + 1),
                        ComputePool.splitStart(mPanels, rowBlocks, rowBlock),
                        ComputePool.splitStart(mPanels, rowBlocks, rowBlock + 1));
            });
        }
    }

    /** The work of one task: output column panels {@code [pp0, pp1)} × row panels {@code [ip0, ip1)} of one image. */
    @FunctionalInterface
    private interface Block {
        void run(int image, int pp0, int pp1, int ip0, int ip1);
    }

    /**
     * The first {@code cols} columns of an MR×NR tile of the edge scratch ({@code edge[e + r·NR + j]})
     * to Y, row r at {@code y[at + r·ldc]}. Without a residual the epilogue is already applied (by
     * {@link VectorGemm#block}, whole vectors); with one it is applied here, element by element,
     * where the residual is read at Y's index (a vector would read past the tile's real columns).
     * Each element is the same chain of FMAs per slice, added slice by slice, as a tile written
     * straight to Y: the same bits. (Before, a partial tile's product went to a scratch and was
     * added to Y element by element at every slice: a tenth of layer4's 3×3/2 convolution, whose 49
     * pixels fill 1.5 panels.)
     */
    private static void copyEdge(float[] edge, int e, float[] y, int at, int ldc, int cols, Epilogue ep, int ch) {
        for (int r = 0; r < MR; r++) {
            int from = e + r * NR, to = at + r * ldc;
            if (ep.residual() == null) {
                System.arraycopy(edge, from, y, to, cols);
                continue;
            }
            for (int j = 0; j < cols; j++) {
                y[to + j] = ep.apply(edge[from + j], ch + r, to + j + ep.residualOffset());
            }
        }
    }

    /**
     * One MR×NR tile of a k-slice deeper than {@link VectorGemm#KC} (one tap of an input gradient with
     * more than KC channels): the slice's sum is taken as sgemm takes a sum over more than KC terms,
     * a chain of FMAs from zero per {@link VectorGemm#sliceDepth} terms, each chain added to the previous ones in order, in
     * {@code tile} (each chain passing through {@code sum}); then the tile is written to C
     * ({@code first}) or added to it, as col2im adds one column entry, and the epilogue applied
     * ({@code last}).
     */
    private static void chained(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cIdx, int ldc,
                                int rows, int cols, boolean first, boolean last, Epilogue ep, int ch, int resDelta,
                                float[] tile, float[] sum) {
        for (int p0 = 0, depth = VectorGemm.sliceDepth(kc); p0 < kc; p0 += depth) {
            VectorGemm.micro(Math.min(depth, kc - p0), ap, aOff + p0 * MR, bp, bOff + p0 * NR, tile, 0, NR, p0 == 0, sum);
        }
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int ci = cIdx + r * ldc + j;
                float v = first ? tile[r * NR + j] : c[ci] + tile[r * NR + j];
                c[ci] = last ? ep.apply(v, ep.perRow() ? ch + r : ch + j, ci + resDelta) : v;
            }
        }
    }

    /**
     * The input itself for a stride-1 convolution, else its phase split (in the caller's scratch),
     * where only the phases some tap reads are filled; {@code scalar}: without {@link #splitColumnPairs}.
     */
    private Source source(ComputePool pool, float[] x, int planes, int h, int w, boolean scalar) {
        int sh = g.strideH(), sw = g.strideW();
        if (sh == 1 && sw == 1) {
            return new Source(x, planes, h, w, 1, 1, h, w);
        }
        int hp = (h + sh - 1) / sh, wp = (w + sw - 1) / sw;
        float[] out = VectorGemm.SCRATCH.get().split(sh * sw * planes * hp * wp);
        Source src = new Source(out, planes, hp, wp, sh, sw, h, w);
        int parts = Math.min(planes, pool.threads() * 4);
        pool.parallelFor(parts, part -> {
            int c0 = ComputePool.splitStart(planes, parts, part), c1 = ComputePool.splitStart(planes, parts, part + 1);
            if (sw == 2 && !scalar) {
                splitColumnPairs(x, h, w, src, c0, c1);
                return;
            }
            for (int py = 0; py < sh; py++) {
                for (int px = 0; px < sw; px++) {
                    if (!phaseRead[py * sw + px]) {
                        continue; // no tap reads it (a 1×1 stride-2 convolution reads one phase of four)
                    }
                    int base = src.phaseOffset(py, px), rows = src.rowsOf(py), cols = src.colsOf(px);
                    for (int c = c0; c < c1; c++) {
                        for (int r = 0; r < hp; r++) {
                            int dst = base + (c * hp + r) * wp;
                            if (r >= rows) {
                                Arrays.fill(out, dst, dst + wp, 0f);
                                continue;
                            }
                            int from = (c * h + r * sh + py) * w + px;
                            for (int t = 0; t < cols; t++) {
                                out[dst + t] = x[from + t * sw];
                            }
                            Arrays.fill(out, dst + cols, dst + wp, 0f);
                        }
                    }
                }
            }
        });
        return src;
    }

    /**
     * {@link #source}'s phase split of planes {@code [c0, c1)} for a column stride of 2 (every strided
     * convolution of ResNet): each input row is read once, two vectors at a time, and its even and odd
     * columns are dealt to the phases (py, 0) and (py, 1) it belongs to, each vector of them made by
     * two permutations and a blend (as {@link VectorOps} splits max pooling's rows). A copy, so the
     * values are the same bits. The element-by-element copy took about a sixth of the samples of
     * ResNet-18's layer2 3×3/2 convolution in a JFR profile (one thread); with this split the
     * convolution took 0.775-0.777 ms against 0.831-0.843 (JMH, weights from memory, two pairs; the
     * same on Temurin 25 and at 256 bits).
     */
    private void splitColumnPairs(float[] x, int h, int w, Source src, int c0, int c1) {
        float[] out = src.in;
        int sh = src.sh, hp = src.hp, wp = src.wp;
        for (int c = c0; c < c1; c++) {
            for (int py = 0; py < sh; py++) {
                boolean even = phaseRead[py * 2], odd = phaseRead[py * 2 + 1];
                if (!even && !odd) {
                    continue;
                }
                int rows = src.rowsOf(py), cols0 = src.colsOf(0), cols1 = src.colsOf(1);
                int dst0 = src.phaseOffset(py, 0) + c * hp * wp, dst1 = src.phaseOffset(py, 1) + c * hp * wp;
                for (int r = 0; r < hp; r++, dst0 += wp, dst1 += wp) {
                    if (r >= rows) {
                        if (even) {
                            Arrays.fill(out, dst0, dst0 + wp, 0f);
                        }
                        if (odd) {
                            Arrays.fill(out, dst1, dst1 + wp, 0f);
                        }
                        continue;
                    }
                    int from = (c * h + r * sh + py) * w, t = 0;
                    for (; 2 * (t + VL) <= w; t += VL) { // x[from + 2t .. from + 2t + 2VL), inside the row
                        FloatVector a = FloatVector.fromArray(S, x, from + 2 * t);
                        FloatVector b = FloatVector.fromArray(S, x, from + 2 * t + VL);
                        if (even) {
                            a.rearrange(VectorOps.EVEN_LANES).blend(b.rearrange(VectorOps.EVEN_LANES), VectorOps.HIGH_HALF)
                                    .intoArray(out, dst0 + t);
                        }
                        if (odd) {
                            a.rearrange(VectorOps.ODD_LANES).blend(b.rearrange(VectorOps.ODD_LANES), VectorOps.HIGH_HALF)
                                    .intoArray(out, dst1 + t);
                        }
                    }
                    if (even) {
                        for (int u = t; u < cols0; u++) {
                            out[dst0 + u] = x[from + 2 * u];
                        }
                        Arrays.fill(out, dst0 + cols0, dst0 + wp, 0f);
                    }
                    if (odd) {
                        for (int u = t; u < cols1; u++) {
                            out[dst1 + u] = x[from + 2 * u + 1];
                        }
                        Arrays.fill(out, dst1 + cols1, dst1 + wp, 0f);
                    }
                }
            }
        }
    }

    /**
     * For each tap t and each output column p (pixels rounded up to whole panels), whether the pixel
     * it reads is inside its phase plane, as an int lane of all ones (keep) or zeros (padding, or a
     * column past the last pixel): {@code keep[(2 + t)·cols + p]}, after each column's output row
     * ({@code keep[p]}) and column ({@code keep[cols + p]}). Every k of a tap, every image and every
     * task shares them, so {@link #packFlat} only loads them. In the calling thread's scratch;
     * {@code scalar}: with scalar loops ({@link #RUNS}).
     */
    private int[] keepMasks(Source src, int ow, int pixels, int cols, boolean scalar) {
        int[] keep = VectorGemm.SCRATCH.get().masks((2 + tapK.length) * cols);
        for (int p = 0; p < cols; p++) {
            keep[p] = p < pixels ? p / ow : NO_ROW;
            keep[cols + p] = p < pixels ? p % ow : 0;
        }
        for (int t = 0; t < tapK.length; t++) {
            int k = tapK[t];
            int ry = kShiftY[k], rx = kShiftX[k];
            int lastRow = src.rowsOf(kPhaseY[k]) - 1, lastCol = src.colsOf(kPhaseX[k]) - 1;
            int dst = (2 + t) * cols;
            if (scalar) {
                tapMaskScalar(keep, cols, dst, ry, rx, lastRow, lastCol);
                continue;
            }
            for (int p = 0; p < cols; p += VL) {
                // Lane l reads source pixel (sy, sx); it is inside when 0 <= sy <= lastRow and
                // 0 <= sx <= lastCol, i.e. when none of sy, lastRow-sy, sx, lastCol-sx is negative.
                // The sign bits make a bit mask, so no VectorMask is needed (JDK 17 boxes those here).
                IntVector sy = IntVector.fromArray(IS, keep, p).add(ry);
                IntVector sx = IntVector.fromArray(IS, keep, cols + p).add(rx);
                IntVector outside = sy.or(sy.neg().add(lastRow)).or(sx).or(sx.neg().add(lastCol));
                outside.lanewise(VectorOperators.ASHR, 31).not().intoArray(keep, dst + p);
            }
        }
        return keep;
    }

    /** One tap's {@link #keepMasks} in scalar code, for the JVM's first runs ({@link #RUNS}). */
    private static void tapMaskScalar(int[] keep, int cols, int dst, int ry, int rx, int lastRow, int lastCol) {
        for (int p = 0; p < cols; p++) {
            int sy = keep[p] + ry, sx = keep[cols + p] + rx;
            keep[dst + p] = ~((sy | (lastRow - sy) | sx | (lastCol - sx)) >> 31);
        }
    }

    /**
     * {@link #packFlat} in scalar code, for the JVM's first runs ({@link #RUNS}): a float where its
     * keep mask is all ones, else +0 (the vector loop's and, bit for bit). Once compiled it is the
     * slower one (with this and {@link #keepMasks}' scalar loops on every run, a ResNet-18 7×7/2 stem took
     * 1.47× as long, layer1's 3×3 as a direct convolution 1.45×: JMH, one thread, JDK 17, AVX-512), but
     * before C2 has compiled {@link #packFlat}, that one runs the Vector API's fallbacks: in a cold
     * one-picture {@code vecnet classify} (JFR, 5 ms samples) its reinterpretations were the top of a
     * quarter of all samples.
     */
    private void packFlatScalar(Source src, int firstPlane, int k0, int kc, int p0, int taskPanels, int[] keep,
                                int allCols, float[] bp, int bpOff) {
        float[] in = src.in;
        int cols = taskPanels * NR;
        for (int kk = 0; kk < kc; kk++) {
            int k = k0 + kk;
            int masks = (2 + kTap[k]) * allCols + p0, base = flatBase(src, firstPlane, k, p0);
            for (int j = 0; j < cols; j += NR) {
                int dst = bpOff + (j / NR) * NR * kc + kk * NR;
                for (int l = 0; l < NR; l++) {
                    bp[dst + l] = keep[masks + j + l] != 0 ? in[base + j + l] : 0f;
                }
            }
        }
    }

    /** Where {@code X̂[k, p0]} lies in {@code src.in} when a source row is as long as an output row ({@link #packFlat}). */
    private int flatBase(Source src, int firstPlane, int k, int p0) {
        return src.phaseOffset(kPhaseY[k], kPhaseX[k]) + (firstPlane + kChannel[k]) * src.hp * src.wp
                + kShiftY[k] * src.wp + kShiftX[k] + p0;
    }

    /**
     * Packs X̂[k0:k0+kc, p0:p0+taskPanels*NR] into NR-column panels (k-major) when a source row is as
     * long as an output row: then {@code X̂[k, p] = in[base(k) + p]} and each vector is one load,
     * and-ed with its tap's {@link #keepMasks} (zero where the source pixel lies outside its phase,
     * the zero padding, or past the last pixel).
     *
     * @param keep    {@link #keepMasks}'s masks
     * @param allCols the columns {@code keep} has masks for
     * @param bpOff   where the panels start in {@code bp} ({@link VectorGemm#PAD})
     */
    private void packFlat(Source src, int firstPlane, int k0, int kc, int p0, int taskPanels, int[] keep, int allCols,
                          float[] bp, int bpOff) {
        float[] in = src.in;
        int cols = taskPanels * NR;
        for (int kk = 0; kk < kc; kk++) {
            int k = k0 + kk;
            int masks = (2 + kTap[k]) * allCols + p0, base = flatBase(src, firstPlane, k, p0);
            for (int j = 0; j < cols; j += VL) {
                int off = base + j, dst = bpOff + (j / NR) * NR * kc + kk * NR + j % NR;
                if (off < 0 || off > in.length - VL) {
                    packLanes(in, off, keep, masks + j, bp, dst);
                    continue;
                }
                // Exact receivers only (see VectorOps): the reinterpreted vectors are arguments, and
                // -0.0 + v is v, bit for bit, for every float v.
                IntVector kept = IntVector.fromArray(IS, keep, masks + j).and(FloatVector.fromArray(S, in, off).reinterpretAsInts());
                NEGATIVE_ZERO.add(kept.reinterpretAsFloats()).intoArray(bp, dst);
            }
        }
    }

    /** The lanes of one vector of {@link #packFlat} one by one: for the first and last pixels of the input array. */
    private static void packLanes(float[] in, int off, int[] keep, int mask, float[] bp, int dst) {
        for (int l = 0; l < VL; l++) {
            bp[dst + l] = keep[mask + l] != 0 ? in[off + l] : 0f;
        }
    }

    /**
     * Packs X̂[k0:k0+kc, p0:p0+nc] into NR-column panels (k-major, zero-padded) for any shape, one
     * output-row segment at a time: within a segment the source pixels are contiguous.
     */
    private void packSegments(Source src, int firstPlane, int ow, int k0, int kc, int p0, int nc, float[] bp,
                              int bpOff) {
        float[] in = src.in;
        int hp = src.hp, wp = src.wp;
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            int firstPixel = p0 + j0;
            int oyStart = firstPixel / ow, oxStart = firstPixel % ow;
            int panel = bpOff + j0 * kc;
            for (int kk = 0; kk < kc; kk++) {
                int k = k0 + kk;
                int dst = panel + kk * NR;
                int plane = src.phaseOffset(kPhaseY[k], kPhaseX[k]) + (firstPlane + kChannel[k]) * hp * wp;
                int rows = src.rowsOf(kPhaseY[k]), width = src.colsOf(kPhaseX[k]);
                int oy = oyStart, ox = oxStart, jj = 0;
                while (jj < cols) {
                    int run = Math.min(cols - jj, ow - ox);
                    int sy = oy + kShiftY[k];
                    if (sy < 0 || sy >= rows) {
                        Arrays.fill(bp, dst + jj, dst + jj + run, 0f);
                    } else {
                        int sx = ox + kShiftX[k];                         // source column of the run's first pixel
                        int lo = Math.min(run, Math.max(0, -sx));         // pixels left of the image
                        int hi = Math.max(lo, Math.min(run, width - sx)); // end of the pixels inside
                        Arrays.fill(bp, dst + jj, dst + jj + lo, 0f);
                        if (hi > lo) {
                            System.arraycopy(in, plane + sy * wp + sx + lo, bp, dst + jj + lo, hi - lo);
                        }
                        Arrays.fill(bp, dst + jj + hi, dst + jj + run, 0f);
                    }
                    jj += run;
                    ox = 0;
                    oy++;
                }
                Arrays.fill(bp, dst + cols, dst + NR, 0f);
            }
        }
    }
}
