package vecnet.engine;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed single-precision GEMM with the Vector API, in the GOTO/BLIS style.
 *
 * <p>C is cut into blocks of {@link #NC} columns, and those into runs of blocks of {@link #MC} rows:
 * each run is one task of the {@link ComputePool}, one run of all the rows on one thread, as many
 * runs as keep every thread busy on more. Inside a task, K is walked in slices of at most {@link #KC}
 * ({@link #sliceDepth}): the slice of B is packed into panels {@link #NR} columns wide (once for the whole run), and for each
 * block of rows the slice of A into panels {@link #MR} rows tall (both k-major and zero-padded),
 * then the micro-kernel multiplies one A panel by one B panel with {@code MR × 2} vector
 * accumulators that stay in registers for the whole slice. The first slice writes C, later ones add
 * to it, and the last one applies the {@link Epilogue}.
 *
 * <p>Why the result does not depend on the thread count: every element of C is produced by exactly
 * one task, as the same chain of FMAs over k in the same slices. Partial tiles at the edges run the
 * same micro-kernel into a scratch tile and are merged with the same arithmetic.
 *
 * <p>Why {@link #MR} rows × 2 vectors: with AVX-512's 32 registers, 8 rows: 16 accumulators hide the
 * FMA latency better than 8 (on L1-resident panels 215-220 GFLOP/s against 195-200 for 4 rows; sgemm
 * 1024³ 8-12 % faster). With AVX2's 16, 6 rows on JDK 17 (12 accumulators, 2 B vectors and a
 * broadcast: 15 registers) and 4 elsewhere: JDK 25's C2 spills the 6-row tile, and the JDKs between
 * were not measured ({@link #rowsFor}, docs/FORMATS-AND-KERNELS.md). The tile's shape never changes
 * a result: each element is the same chain of FMAs.
 */
final class VectorGemm {
    static final VectorSpecies<Float> S = VectorKernels.SPECIES;
    /** Floats per vector: 8 with AVX2, 16 with AVX-512. */
    static final int VL = S.length();
    /**
     * Rows of the micro-tile: 8 with 512-bit vectors (16 accumulators of AVX-512's 32 registers). With
     * 256-bit vectors (AVX2's 16 registers), 6 on JDK 17, whose C2 keeps 12 accumulators, the two B
     * vectors and a broadcast in registers; 4 on other JDKs: JDK 25's C2 spills the 6-row tile (half
     * the speed), and the others were not measured. {@link #rowsFor}.
     */
    static final int MR = rowsFor(VL, Runtime.version().feature());
    /** Columns of the micro-tile: two vectors. */
    static final int NR = 2 * VL;
    /**
     * Greatest depth of one packed slice ({@link #sliceDepth}). Every slice after the first reads and
     * writes C's tiles again, so deeper slices save that traffic: 512 rather than 256 made sgemm
     * 1024³ 8 % faster on one thread and 2-11 % on two (AVX-512 host; 256-bit paths 2 %), and 1024
     * rather than 512 another 4 % (one slice instead of two). A B panel's slice is then up to 128 KB
     * (64 KB with 256-bit vectors), more than L1: it streams from L2, which the micro-kernel hides
     * (bench/RESULTS.md, "Probe: does a B panel larger than L1 slow the GEMM's micro-kernel?").
     */
    static final int KC = 1024;
    /**
     * Rows of C per task, and of a packed block of A (fewer for deep slices, {@link #blockRows}): 128,
     * or the multiple of MR below it, since tasks and blocks start at multiples of MR.
     */
    static final int MC = 128 / MR * MR;
    /**
     * Floats in a packed block of A: 256 KB, which leaves room in Zen 3's 512 KB L2 for the B panel
     * it meets. Deeper slices take blocks of fewer rows ({@link #blockRows}).
     */
    static final int A_BLOCK = 64 * 1024;
    /** Columns of C per task (a multiple of NR). */
    static final int NC = 16 * NR;
    /** Floats in a slice of B packed by one task of {@link #sgemm} (8 MB): its columns are as many as fit. */
    static final int B_SLICE = 2 * 1024 * 1024;
    /** Columns of C per block of {@link #sgemm} on one thread; on more, the most a band of rows takes whole. */
    static final int SOLO_NC = 4096;
    /**
     * Where the data of a packed panel array or a scratch array that vector loads read begins: element
     * 12, 48 bytes in. A float array's element 0 lies 16 bytes past the array's start in HotSpot's
     * usual layout (compressed class pointers), so when the array starts on a 64-byte line, element
     * 12 does too, and so does every 16th float after it: a 512-bit load from there reads one cache
     * line, not two. Where an array starts is the collector's choice: on a 64-byte line always with
     * {@code -XX:ObjectAlignmentInBytes=64}; otherwise at any multiple of 8 bytes, where this offset
     * is as good as any.
     *
     * <p>Measured on an Intel Xeon (Emerald Rapids, AVX-512): a probe reading a 1 MB array (L2) ran at
     * 85-118 GB/s from a 64-byte boundary and 52-69 from 16, 32 or 48 bytes past one, at 126-194 and
     * 89-123 from 32 KB (L1). With {@code -XX:ObjectAlignmentInBytes=64}, against element 0: sgemm
     * 1024³ 10-13 % faster, layer1's 3×3 convolution 15 %, ResNet-18 batch 1 8 % on one thread and on
     * two (JDK 17; 10 % on Temurin 25), the stem unchanged, the LSTM's text branch 24-37 % (its W_hh
     * in {@link Plan}'s transposed chunks; bench/RESULTS.md, "Vector loads that straddle two cache
     * lines"). Never changes a result: only where the same floats are kept.
     */
    static final int PAD = 12;

    /**
     * Depth of each k-slice of a sum over {@code k} terms (the last may be shorter): as few slices as
     * {@link #KC} allows, of even depth, so that no slice is a short tail (k = 1152 is two slices of
     * 576, not 1024 and 128). A function of k alone: every path that sums k terms (sgemm, the plans,
     * the convolutions) cuts them alike, which keeps their results equal bit for bit, whatever the
     * thread count or the shape of the tasks.
     */
    static int sliceDepth(int k) {
        int slices = Math.max(1, (k + KC - 1) / KC);
        return (k + slices - 1) / slices;
    }

    /**
     * The micro-tile's rows for vectors of {@code vl} floats on JDK {@code jdk}. On L1-resident panels
     * with {@code -XX:UseAVX=2} (AVX2 code, 16 registers; Zen 5, one thread, GFLOP/s), 4 × 2 vectors
     * ran at 96-102 on JDK 17 and 98-103 on Temurin 25, 6 × 2 at 109-113 on JDK 17 and 49-52 on
     * Temurin 25 (spilled); the engine's 6-row kernel 102-107 against 97-98 for its 4-row one on JDK
     * 17 (bench/RESULTS.md, "The GEMM: an 8-row micro-tile with AVX-512" and "Six and five rows for
     * AVX2"). A 5-row kernel on Temurin 25 ran at 104-108 in one probe and at 41 in another (the
     * engine's kernel, called from a probe's loop), and gained sgemm under 3 %: not kept. Only JDKs
     * 17 and 25 were measured; the others take 4 rows, the shape that was good on both.
     */
    static int rowsFor(int vl, int jdk) {
        if (vl >= 16) {
            return 8;
        }
        return vl == 8 && jdk == 17 ? 6 : 4;
    }

    /** Rows of A in a packed block of slices {@code kc} deep: MC, or fewer so that the block stays within {@link #A_BLOCK}. */
    static int blockRows(int kc) {
        return Math.max(MR, Math.min(MC, A_BLOCK / Math.max(1, kc) / MR * MR));
    }

    /** Columns of C a task of {@link #sgemm} may take whole for slices {@code depth} deep (a multiple of NR). */
    private static int soloWidth(int depth) {
        return Math.max(NR, Math.min(SOLO_NC, B_SLICE / depth / NR * NR));
    }

    private VectorGemm() {
    }

    /** Per-thread packing buffers, grown on demand and reused, so a warmed-up call allocates nothing. */
    static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] split = new float[0];
        /** {@link VectorConv}'s tap masks (used by the calling thread only). */
        int[] masks = new int[0];
        /** {@link VectorConv}'s tiles of a partial column panel, whole (see there). */
        float[] edge = new float[0];
        final float[] tile = new float[MR * NR];
        /** A second tile, for a sum that is added to {@link #tile} ({@link VectorConv}'s chained sums). */
        final float[] sum = new float[MR * NR];
        /** The outputs of one {@link Plan#columnProduct} chunk. */
        final float[] column = new float[COLUMN_VECTORS * VL];
        /** Flips at every column product: its chunks are walked forwards, then backwards (see there). */
        boolean backwards;

        float[] a(int size) {
            if (a.length < size) {
                a = new float[size];
            }
            return a;
        }

        float[] b(int size) {
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }

        float[] edge(int size) {
            if (edge.length < size) {
                edge = new float[size];
            }
            return edge;
        }

        /** The phase-split input of a strided convolution (used by the calling thread only). */
        float[] split(int size) {
            if (split.length < size) {
                split = new float[size];
            }
            return split;
        }

        int[] masks(int size) {
            if (masks.length < size) {
                masks = new int[size];
            }
            return masks;
        }
    }

    static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void sgemm(ComputePool pool, int m, int n, int k, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, boolean bTransposed,
                      float[] c, int cOff, int ldc, Epilogue ep) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k == 0) { // an empty sum: C is the epilogue of zero, exactly as the scalar twin writes it
            ScalarKernels.INSTANCE.sgemm(pool, m, n, 0, a, aOff, lda, b, bOff, ldb, bTransposed, c, cOff, ldc, ep);
            return;
        }
        // On one thread, blocks of up to soloWidth columns: each block packs every slice of A again.
        // On more, with rows enough for two MC blocks a thread and at most soloWidth columns, one task a
        // thread: a band of rows (in MR-row panels, as even as they go) with all the columns, which
        // packs its rows of A once and all of B (1024³ on two threads 3-6 % faster than four tasks of
        // 512 columns, each packing half of A and half of B). Else narrower blocks of columns and
        // runs of MC-row blocks make the tasks: with more columns, bands over blocks of SOLO_NC
        // columns were slower (576×6272×128, a stride-2 input gradient's shape: 256-bit vectors 10-13 %,
        // B's slices too wide for the L2 where A is cheap to pack again; with the rows cut in MC
        // blocks, uneven tasks, 16-33 %).
        int threads = pool.threads(), solo = soloWidth(sliceDepth(k));
        boolean bands = threads > 1 && m >= 2 * MC * threads && n <= solo;
        int width = threads == 1 || bands ? Math.min(solo, (n + NR - 1) / NR * NR) : NC;
        int nBlocks = (n + width - 1) / width;
        int rowsPerTask = bands ? ((m + MR - 1) / MR + threads - 1) / threads * MR
                : rowsPerTask(m, nBlocks, threads == 1 ? 1 : 2 * threads);
        int mTasks = (m + rowsPerTask - 1) / rowsPerTask;
        APanels aPanels = new RawA(a, aOff, lda);
        BPanels bPanels = new RawB(b, bOff, ldb, bTransposed);
        pool.parallelFor(mTasks * nBlocks, task -> {
            int m0 = (task / nBlocks) * rowsPerTask, n0 = (task % nBlocks) * width;
            multiplyBlock(SCRATCH.get(), aPanels, bPanels, m, n, k, m0, Math.min(m, m0 + rowsPerTask), n0,
                    Math.min(width, n - n0), c, cOff, ldc, ep);
        });
    }

    /**
     * Rows of C per task (a multiple of MC) when its columns make {@code colTasks} tasks: all of them
     * while that gives {@code want} tasks, else runs of as many MC-row blocks as give about
     * {@code want}. Every task packs each slice of B for its columns, so fewer runs pack less.
     */
    private static int rowsPerTask(int m, int colTasks, int want) {
        int mBlocks = (m + MC - 1) / MC;
        int runs = Math.max(1, Math.min(mBlocks, (want + colTasks - 1) / colTasks));
        return (mBlocks + runs - 1) / runs * MC;
    }

    /**
     * {@code C = A·X̂ᵀ} with X̂ a convolution input's columns, packed straight from the input (see
     * {@link Kernels#sgemmColumnsTransposed}): the tasks and arithmetic of {@link #sgemm} with
     * {@code n = K}, {@code k = N·P}, and B's panels filled by {@link InputColumns}.
     */
    static void sgemmColumnsTransposed(ComputePool pool, int m, float[] a, int aOff, int lda, ConvGeometry g, int group,
                                       float[] x, int n, int h, int w, float[] c, int cOff, int ldc) {
        int cols = g.patchSize(), depth = n * g.outH(h) * g.outW(w);
        if (m <= 0) {
            return;
        }
        if (depth == 0) {
            ScalarKernels.INSTANCE.sgemm(pool, m, cols, 0, a, aOff, lda, a, 0, 0, false, c, cOff, ldc, Epilogue.NONE);
            return;
        }
        // Few rows (output channels) and few columns (taps) over a long depth. Packing X̂ (a gather)
        // costs more than packing A, so each part of it is packed by one task only: on one thread,
        // blocks of NC columns with all the rows; on more, the columns cut in 2·threads shares (wider
        // than NC if need be) with all the rows, and only then the rows.
        int colPanels = (cols + NR - 1) / NR, threads = pool.threads();
        int want = threads == 1 ? 1 : 2 * threads;
        int panelsPerTask = threads == 1 ? Math.min(NC / NR, colPanels) : (colPanels + want - 1) / want;
        int width = panelsPerTask * NR, nBlocks = (cols + width - 1) / width;
        int rowsPerTask = rowsPerTask(m, nBlocks, want), mTasks = (m + rowsPerTask - 1) / rowsPerTask;
        APanels aPanels = new RawA(a, aOff, lda);
        BPanels bPanels = new InputColumns(g, group, x, n, h, w);
        pool.parallelFor(mTasks * nBlocks, task -> {
            int m0 = (task / nBlocks) * rowsPerTask, n0 = (task % nBlocks) * width;
            multiplyBlock(SCRATCH.get(), aPanels, bPanels, m, cols, depth, m0, Math.min(m, m0 + rowsPerTask), n0,
                    Math.min(width, cols - n0), c, cOff, ldc, Epilogue.NONE);
        });
    }

    /** Where a task finds each k-slice of A, packed in MR-row panels (k-major). */
    private interface APanels {
        /**
         * The array holding slice {@code [k0, k0+kc)} of rows {@code [i0, i1)}, packing it into
         * {@code s} if needed; the panel of row {@code i} starts at {@link #offset} {@code + (i - i0)*kc}.
         */
        float[] slice(Scratch s, int k0, int kc, int i0, int i1);

        int offset(int k0, int kc, int i0);
    }

    /** A as the caller gave it: each task packs its rows, slice by slice. */
    private record RawA(float[] a, int aOff, int lda) implements APanels {
        @Override
        public float[] slice(Scratch s, int k0, int kc, int i0, int i1) {
            float[] ap = s.a((i1 - i0 + MR - 1) / MR * MR * kc);
            packA(a, aOff + i0 * lda + k0, lda, i1 - i0, kc, ap);
            return ap;
        }

        @Override
        public int offset(int k0, int kc, int i0) {
            return 0;
        }
    }

    /** Where a task finds each k-slice of B, packed in NR-column panels (k-major). */
    private interface BPanels {
        /**
         * The array holding slice {@code [k0, k0+kc)} of columns {@code [n0, n0+nc)} ({@code n0} a
         * multiple of NR), packing it into {@code s} if needed; the panel of column {@code j} starts at
         * {@link #offset} {@code + (j - n0)*kc}.
         */
        float[] slice(Scratch s, int k0, int kc, int n0, int nc);

        int offset(int k0, int kc, int n0);
    }

    /** B as the caller gave it: each task packs its columns, slice by slice. */
    private record RawB(float[] b, int bOff, int ldb, boolean transposed) implements BPanels {
        @Override
        public float[] slice(Scratch s, int k0, int kc, int n0, int nc) {
            float[] bp = s.b((nc + NR - 1) / NR * NR * kc + PAD);
            if (transposed) {
                packBTransposed(b, bOff + n0 * ldb + k0, ldb, kc, nc, bp, PAD);
            } else {
                packB(b, bOff + k0 * ldb + n0, ldb, kc, nc, bp, PAD);
            }
            return bp;
        }

        @Override
        public int offset(int k0, int kc, int n0) {
            return PAD;
        }
    }

    /**
     * B = X̂ᵀ read from the convolution's input: slice {@code [k0, k0+kc)} of the columns {@code q} of
     * X̂ for its rows {@code [n0, n0+nc)}, packed as {@link #packBTransposed} would pack them from a
     * materialized X̂ (so products are bit-identical). Each row r of X̂ is one tap (ci, i, j) walked
     * over q = (b, oy, ox) in order.
     */
    private record InputColumns(ConvGeometry g, int group, float[] x, int n, int h, int w) implements BPanels {
        @Override
        public float[] slice(Scratch s, int k0, int kc, int n0, int nc) {
            float[] bp = s.b((nc + NR - 1) / NR * NR * kc);
            int oh = g.outH(h), ow = g.outW(w), taps = g.kh() * g.kw();
            for (int j0 = 0; j0 < nc; j0 += NR) {
                int base = j0 * kc, panelCols = Math.min(NR, nc - j0);
                for (int jj = 0; jj < NR; jj++) {
                    if (jj >= panelCols) {
                        for (int p = 0; p < kc; p++) {
                            bp[base + p * NR + jj] = 0f;
                        }
                        continue;
                    }
                    int r = n0 + j0 + jj;
                    int ci = group * g.cinPerGroup() + r / taps, i = r % taps / g.kw(), j = r % g.kw();
                    int dy = i * g.dilH() - g.padH(), dx = j * g.dilW() - g.padW(), sw = g.strideW();
                    // Output columns ox whose input column ox·sw + dx lies inside [0, w): [lo, hi).
                    int lo = Math.min(ow, Math.max(0, Math.floorDiv(-dx + sw - 1, sw)));
                    int hi = Math.max(lo, Math.min(ow, Math.floorDiv(w - dx + sw - 1, sw)));
                    int q = k0, b = q / (oh * ow), oy = q % (oh * ow) / ow, ox = q % ow;
                    for (int p = 0; p < kc; ) { // one output row (or the part of it in this slice) at a time
                        int run = Math.min(ow - ox, kc - p), out = base + p * NR + jj;
                        int iy = oy * g.strideH() + dy;
                        if (iy < 0 || iy >= h) {
                            for (int t = 0; t < run; t++) {
                                bp[out + t * NR] = 0f;
                            }
                        } else {
                            int src = ((b * g.cin() + ci) * h + iy) * w + dx;
                            int a0 = Math.min(run, Math.max(0, lo - ox)), a1 = Math.max(a0, Math.min(run, hi - ox));
                            for (int t = 0; t < a0; t++) {
                                bp[out + t * NR] = 0f;
                            }
                            for (int t = a0; t < a1; t++) {
                                bp[out + t * NR] = x[src + (ox + t) * sw];
                            }
                            for (int t = a1; t < run; t++) {
                                bp[out + t * NR] = 0f;
                            }
                        }
                        p += run;
                        ox += run;
                        if (ox == ow) {
                            ox = 0;
                            if (++oy == oh) {
                                oy = 0;
                                b++;
                            }
                        }
                    }
                }
            }
            return bp;
        }

        @Override
        public int offset(int k0, int kc, int n0) {
            return 0;
        }
    }

    /**
     * One task: the block {@code [i0, i1) × [n0, n0+nc)} of C ({@code i0} a multiple of MR), K walked
     * in slices of {@link #sliceDepth}. For each slice, B comes packed from {@code b} once (packed here
     * unless it was planned), then the rows go by blocks of {@link #blockRows}: A's slice of the block comes packed from {@code a},
     * and every MR×NR tile goes through {@link #block}. A task that holds many rows thus packs each
     * slice of B once for all of them. Every element of C gets the same sums in the same order
     * whatever the block, so neither the task's shape nor the thread count changes a bit.
     */
    private static void multiplyBlock(Scratch s, APanels a, BPanels b, int m, int n, int k, int i0, int i1,
                                      int n0, int nc, float[] c, int cOff, int ldc, Epilogue ep) {
        int nPanels = (nc + NR - 1) / NR;
        int resDelta = ep.residualOffset() - cOff, depth = sliceDepth(k);
        for (int k0 = 0; k0 < k; k0 += depth) {
            int kc = Math.min(depth, k - k0), mc = blockRows(kc);
            float[] bp = b.slice(s, k0, kc, n0, nc);
            int bBase = b.offset(k0, kc, n0);
            boolean first = k0 == 0, last = k0 + kc >= k;
            for (int m0 = i0; m0 < i1; m0 += mc) {
                int m1 = Math.min(i1, m0 + mc);
                float[] ap = a.slice(s, k0, kc, m0, m1);
                int aBase = a.offset(k0, kc, m0);
                for (int jp = 0; jp < nPanels; jp++) {
                    int j = n0 + jp * NR;
                    for (int i = m0; i < m1; i += MR) {
                        block(kc, ap, aBase + (i - m0) * kc, bp, bBase + jp * NR * kc, c, cOff + i * ldc + j, ldc,
                                Math.min(MR, m - i), Math.min(NR, n - j), first, last, ep,
                                ep.perRow() ? i : j, resDelta, s.tile);
                    }
                }
            }
        }
    }

    /**
     * A left matrix packed once: K slices of MR-row panels, slice (k0, kc) and panel ip at
     * {@code k0*mPad + ip*MR*kc}. Each run packs only B. Tasks are (block of C's rows, block of its
     * columns); the arithmetic per element is that of {@link #sgemm}, so results are the same.
     */
    static final class Plan implements Kernels.GemmPlan, APanels {
        private final int m, k, mPad;
        private final float[] packed;
        /** Aᵀ by chunks of rows of A, for products with a single column ({@link #columnProduct}). */
        private final float[] transposed;

        Plan(int m, int k, float[] a, int aOff, int lda) {
            this.m = m;
            this.k = k;
            this.mPad = (m + MR - 1) / MR * MR;
            this.packed = new float[Math.max(1, k) * mPad];
            int depth = sliceDepth(k);
            float[] slice = new float[Math.max(1, depth) * mPad];
            for (int k0 = 0; k0 < k; k0 += depth) {
                int kc = Math.min(depth, k - k0);
                packA(a, aOff + k0, lda, m, kc, slice);
                System.arraycopy(slice, 0, packed, k0 * mPad, kc * mPad);
            }
            // Aᵀ in chunks of COLUMN_VECTORS·VL rows of A, each chunk k-major and contiguous, so that a
            // column product streams it in order (reading Aᵀ row by row would stride by 4·m bytes
            // and thrash the cache sets). Rows past m are zero. From PAD on, as the panels.
            int chunk = COLUMN_VECTORS * VL;
            this.transposed = new float[PAD + (m + chunk - 1) / chunk * chunk * k];
            for (int i = 0; i < m; i++) {
                int base = PAD + (i / chunk) * chunk * k + i % chunk;
                for (int p = 0; p < k; p++) {
                    transposed[base + p * chunk] = a[aOff + i * lda + p];
                }
            }
        }

        @Override
        public int m() {
            return m;
        }

        @Override
        public int k() {
            return k;
        }

        @Override
        public void run(ComputePool pool, int n, float[] b, int bOff, int ldb, boolean bTransposed,
                        float[] c, int cOff, int ldc, Epilogue ep) {
            if (m <= 0 || n <= 0) {
                return;
            }
            if (k == 0) {
                sgemm(pool, m, n, 0, packed, 0, 0, b, bOff, ldb, bTransposed, c, cOff, ldc, ep);
                return;
            }
            if (n == 1) {
                columnProduct(pool, b, bOff, bTransposed ? 1 : ldb, c, cOff, ldc, ep);
                return;
            }
            int mPanels = mPad / MR, nPanels = (n + NR - 1) / NR;
            int want = 4 * pool.threads();
            int colPanelsPerTask = Math.max(1, Math.min(NC / NR, (nPanels + want - 1) / want));
            int cb = (nPanels + colPanelsPerTask - 1) / colPanelsPerTask;
            int rowBlocks = Math.max(1, Math.min(mPanels, (want + cb - 1) / cb));
            int rowPanelsPerTask = (mPanels + rowBlocks - 1) / rowBlocks;
            int rb = (mPanels + rowPanelsPerTask - 1) / rowPanelsPerTask;
            BPanels bPanels = new RawB(b, bOff, ldb, bTransposed);
            pool.parallelFor(rb * cb, task -> {
                int rowBlock = task % rb, colBlock = task / rb;
                int n0 = colBlock * colPanelsPerTask * NR;
                int i0 = rowBlock * rowPanelsPerTask * MR, i1 = Math.min(m, i0 + rowPanelsPerTask * MR);
                multiplyBlock(SCRATCH.get(), this, bPanels, m, n, k, i0, i1, n0, Math.min(colPanelsPerTask * NR, n - n0),
                        c, cOff, ldc, ep);
            });
        }

        /**
         * {@code C[:, 0] = ep(A·x)} for a single column x (a batch of one, an LSTM step): Aᵀ's rows
         * are added up, {@code x[p]} times row p, with {@link #COLUMN_VECTORS} vectors of outputs
         * at a time. No lane reductions, and for each output the same FMA chain over the same K slices
         * as {@link #micro}, so the result equals the general path's bit for bit.
         *
         * @param xStride distance between x[p] and x[p+1] in {@code b}
         */
        private void columnProduct(ComputePool pool, float[] b, int bOff, int xStride, float[] c, int cOff, int ldc,
                                   Epilogue ep) {
            int chunk = COLUMN_VECTORS * VL;
            int chunks = (m + chunk - 1) / chunk;
            int parts = (long) m * k >= (1 << 17) ? Math.min(chunks, pool.threads()) : 1;
            int resDelta = ep.residualOffset() - cOff;
            pool.parallelFor(parts, part -> {
                int q0 = ComputePool.splitStart(chunks, parts, part), q1 = ComputePool.splitStart(chunks, parts, part + 1);
                Scratch s = SCRATCH.get();
                float[] acc = s.column;
                // Successive products (an LSTM's steps) alternate the direction of the walk, so that
                // the chunks read last, still in cache, are read first: a matrix slightly larger than
                // the cache then mostly hits it instead of always missing. Each chunk's outputs are
                // computed alone, so the order changes no bit.
                boolean backwards = s.backwards;
                s.backwards = !backwards;
                for (int step = 0; step < q1 - q0; step++) {
                    int q = backwards ? q1 - 1 - step : q0 + step;
                    int i0 = q * chunk, rows = Math.min(chunk, m - i0);
                    for (int k0 = 0, depth = sliceDepth(k); k0 < k; k0 += depth) {
                        int kc = Math.min(depth, k - k0);
                        columnChunk(transposed, PAD + q * chunk * k, b, bOff, xStride, k0, kc, acc);
                        boolean first = k0 == 0, last = k0 + kc >= k;
                        int r = 0;
                        if (ldc == 1) { // C's column is contiguous: whole vectors, then the rest one by one
                            for (; r + VL <= rows; r += VL) {
                                columnVector(acc, r, c, cOff + i0 + r, first, last, ep, i0 + r, resDelta);
                            }
                        }
                        for (; r < rows; r++) {
                            int ci = cOff + (i0 + r) * ldc;
                            float v = first ? acc[r] : c[ci] + acc[r];
                            c[ci] = last ? ep.apply(v, ep.perRow() ? i0 + r : 0, ci + resDelta) : v;
                        }
                    }
                }
            });
        }

        @Override
        public float[] slice(Scratch s, int k0, int kc, int i0, int i1) {
            return packed;
        }

        @Override
        public int offset(int k0, int kc, int i0) {
            return k0 * mPad + i0 * kc;
        }
    }

    /**
     * A right matrix {@code B = Wᵀ} packed once, from {@code W (n, k)}: K slices of NR-column panels,
     * slice (k0, kc) and panel jp at {@code k0*nPad + jp*NR*kc}. Each run packs only A, the few rows
     * of input. Tasks are (block of C's rows, block of its columns); the arithmetic per element is that
     * of {@link #sgemm}, so results are the same.
     */
    static final class RightPlan implements Kernels.RightPlan, BPanels {
        private final int n, k, nPad;
        private final float[] packed;

        RightPlan(int n, int k, float[] w, int wOff, int ldw) {
            this.n = n;
            this.k = k;
            this.nPad = (n + NR - 1) / NR * NR;
            this.packed = new float[PAD + Math.max(1, k) * nPad]; // from PAD on, as the panels of RawB
            int depth = sliceDepth(k);
            float[] slice = new float[Math.max(1, depth) * nPad];
            for (int k0 = 0; k0 < k; k0 += depth) {
                int kc = Math.min(depth, k - k0);
                packBTransposed(w, wOff + k0, ldw, kc, n, slice, 0);
                System.arraycopy(slice, 0, packed, PAD + k0 * nPad, kc * nPad);
            }
        }

        @Override
        public int n() {
            return n;
        }

        @Override
        public int k() {
            return k;
        }

        @Override
        public void run(ComputePool pool, int m, float[] a, int aOff, int lda, float[] c, int cOff, int ldc,
                        Epilogue ep) {
            if (m <= 0 || n <= 0) {
                return;
            }
            if (k == 0) {
                sgemm(pool, m, n, 0, a, aOff, lda, packed, 0, 0, false, c, cOff, ldc, ep);
                return;
            }
            // Rows in blocks the A buffer holds; then columns split until every thread has tasks.
            int mPanels = (m + MR - 1) / MR, nPanels = nPad / NR;
            int rowPanelsPerTask = Math.min(MC / MR, mPanels);
            int rb = (mPanels + rowPanelsPerTask - 1) / rowPanelsPerTask;
            int want = pool.threads() == 1 ? 1 : 4 * pool.threads();
            int colBlocks = Math.max((nPanels + NC / NR - 1) / (NC / NR), (want + rb - 1) / rb);
            int colPanelsPerTask = Math.max(1, (nPanels + colBlocks - 1) / colBlocks);
            int cb = (nPanels + colPanelsPerTask - 1) / colPanelsPerTask;
            APanels aPanels = new RawA(a, aOff, lda);
            pool.parallelFor(rb * cb, task -> {
                int rowBlock = task % rb, colBlock = task / rb;
                int i0 = rowBlock * rowPanelsPerTask * MR, i1 = Math.min(m, i0 + rowPanelsPerTask * MR);
                int n0 = colBlock * colPanelsPerTask * NR;
                multiplyBlock(SCRATCH.get(), aPanels, this, m, n, k, i0, i1, n0, Math.min(colPanelsPerTask * NR, n - n0),
                        c, cOff, ldc, ep);
            });
        }

        @Override
        public float[] slice(Scratch s, int k0, int kc, int n0, int nc) {
            return packed;
        }

        @Override
        public int offset(int k0, int kc, int n0) {
            return PAD + k0 * nPad + n0 * kc;
        }
    }

    /**
     * VL consecutive outputs of a column product, {@code c[ci + l] = ep(first ? acc[r + l] : c[ci + l] + acc[r + l])}
     * (the epilogue only when {@code last}), element for element {@link Epilogue#apply}'s arithmetic.
     * Output {@code r + l} has channel {@code ch + l} if the epilogue is per row, else channel 0.
     */
    private static void columnVector(float[] acc, int r, float[] c, int ci, boolean first, boolean last,
                                     Epilogue ep, int ch, int resDelta) {
        FloatVector v = FloatVector.fromArray(S, acc, r);
        if (!first) {
            v = FloatVector.fromArray(S, c, ci).add(v);
        }
        if (last) {
            float[] scale = ep.scale(), shift = ep.shift(), res = ep.residual();
            boolean perRow = ep.perRow();
            if (scale != null) {
                FloatVector sc = perRow ? FloatVector.fromArray(S, scale, ch) : FloatVector.broadcast(S, scale[0]);
                FloatVector sh = shift == null ? FloatVector.zero(S)
                        : perRow ? FloatVector.fromArray(S, shift, ch) : FloatVector.broadcast(S, shift[0]);
                v = v.fma(sc, sh);
            } else if (shift != null) {
                v = v.add(perRow ? FloatVector.fromArray(S, shift, ch) : FloatVector.broadcast(S, shift[0]));
            }
            if (res != null) {
                v = v.add(FloatVector.fromArray(S, res, ci + resDelta));
            }
            if (ep.relu()) {
                v = v.blend(0f, v.compare(VectorOperators.LT, 0f));
            }
        }
        v.intoArray(c, ci);
    }

    /** Output vectors of one {@link Plan#columnProduct} chunk: 8 accumulators hide the FMA latency. */
    static final int COLUMN_VECTORS = 8;

    /**
     * {@code acc[0:8·VL] = Σ_{p in slice} Aᵀ[p, chunk] · x[p]} for one chunk of {@link Plan}'s
     * transposed A (starting at {@code chunkOff}, 8·VL floats per p): eight vector accumulators, each
     * an FMA chain over p in order.
     */
    private static void columnChunk(float[] at, int chunkOff, float[] x, int xOff, int xStride, int k0, int kc,
                                    float[] acc) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        FloatVector s4 = FloatVector.zero(S), s5 = FloatVector.zero(S), s6 = FloatVector.zero(S), s7 = FloatVector.zero(S);
        int width = COLUMN_VECTORS * VL;
        for (int p = k0; p < k0 + kc; p++) {
            FloatVector xp = FloatVector.broadcast(S, x[xOff + p * xStride]);
            int row = chunkOff + p * width;
            s0 = FloatVector.fromArray(S, at, row).fma(xp, s0);
            s1 = FloatVector.fromArray(S, at, row + VL).fma(xp, s1);
            s2 = FloatVector.fromArray(S, at, row + 2 * VL).fma(xp, s2);
            s3 = FloatVector.fromArray(S, at, row + 3 * VL).fma(xp, s3);
            s4 = FloatVector.fromArray(S, at, row + 4 * VL).fma(xp, s4);
            s5 = FloatVector.fromArray(S, at, row + 5 * VL).fma(xp, s5);
            s6 = FloatVector.fromArray(S, at, row + 6 * VL).fma(xp, s6);
            s7 = FloatVector.fromArray(S, at, row + 7 * VL).fma(xp, s7);
        }
        s0.intoArray(acc, 0);
        s1.intoArray(acc, VL);
        s2.intoArray(acc, 2 * VL);
        s3.intoArray(acc, 3 * VL);
        s4.intoArray(acc, 4 * VL);
        s5.intoArray(acc, 5 * VL);
        s6.intoArray(acc, 6 * VL);
        s7.intoArray(acc, 7 * VL);
    }

    /** Packs rows [0,mc) × cols [0,kc) of A (row stride lda) into MR-row panels, k-major, zero-padded. */
    static void packA(float[] a, int off, int lda, int mc, int kc, float[] ap) {
        packA(a, off, lda, mc, kc, ap, 0);
    }

    /**
     * As {@link #packA(float[], int, int, int, int, float[])}, into {@code ap} from {@code apOff}. A
     * full panel is written in order, its MR rows read side by side (MR streams), rather than one row
     * at a time with stores MR floats apart.
     */
    static void packA(float[] a, int off, int lda, int mc, int kc, float[] ap, int apOff) {
        for (int i0 = 0; i0 < mc; i0 += MR) {
            int base = apOff + i0 * kc;
            int rows = Math.min(MR, mc - i0);
            int src = off + i0 * lda;
            if (rows == MR) {
                for (int p = 0; p < kc; p++) {
                    for (int r = 0; r < MR; r++) { // a constant trip count: unrolled by the JIT
                        ap[base + p * MR + r] = a[src + r * lda + p];
                    }
                }
                continue;
            }
            for (int p = 0; p < kc; p++) {
                for (int r = 0; r < MR; r++) {
                    ap[base + p * MR + r] = r < rows ? a[src + r * lda + p] : 0f;
                }
            }
        }
    }

    /**
     * Packs B (k×n, row stride ldb) rows [0,kc) × cols [0,nc) into NR-column panels, k-major,
     * zero-padded, into {@code bp} from {@code bpOff}.
     */
    static void packB(float[] b, int off, int ldb, int kc, int nc, float[] bp, int bpOff) {
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int base = bpOff + j0 * kc;
            int cols = Math.min(NR, nc - j0);
            for (int p = 0; p < kc; p++) {
                int src = off + p * ldb + j0, dst = base + p * NR;
                if (cols == NR) {
                    FloatVector.fromArray(S, b, src).intoArray(bp, dst);
                    FloatVector.fromArray(S, b, src + VL).intoArray(bp, dst + VL);
                } else {
                    for (int j = 0; j < NR; j++) {
                        bp[dst + j] = j < cols ? b[src + j] : 0f;
                    }
                }
            }
        }
    }

    /** Packs B given as its transpose (n×k, row stride ldb): same panels as {@link #packB}. */
    static void packBTransposed(float[] bt, int off, int ldb, int kc, int nc, float[] bp, int bpOff) {
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int base = bpOff + j0 * kc;
            int cols = Math.min(NR, nc - j0);
            for (int j = 0; j < NR; j++) {
                if (j < cols) {
                    int src = off + (j0 + j) * ldb;
                    for (int p = 0; p < kc; p++) {
                        bp[base + p * NR + j] = bt[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        bp[base + p * NR + j] = 0f;
                    }
                }
            }
        }
    }

    /**
     * The most calls of {@link #block} {@link #warmUp} makes. In a tiered JVM a method is queued for C2
     * after about 5,000 calls, or after 600 when its calls and loop iterations add up to 15,000
     * (HotSpot's Tier4InvocationThreshold, Tier4MinInvocationThreshold, Tier4CompileThreshold):
     * {@link #micro8} (25 per call at depth 24) and {@link #addTile} (17) pass at 600 and 900,
     * {@link #epilogue}, 8 a call when the tile is the last, at 5,000. The {@code vecnet} launcher
     * lowers these thresholds for this class to a tenth.
     */
    static final int WARM_UP_CALLS = 1300;

    /**
     * Runs the micro-kernel, the sum of k-slices and every kind of epilogue a ResNet applies on one
     * tile of depth 24 until C2 compiles them, so that a program that has yet to load its weights
     * gets compiled kernels for its first product. Until then a kernel runs in the interpreter or C1,
     * where each Vector API call is its Java fallback (about a hundred times slower): a cold
     * one-picture {@code vecnet classify} spent 280-450 ms in its first convolution, the 7×7 stem,
     * which runs the micro-kernel 3,136 times. The tile cycles through first and later slices, last
     * and not, and epilogues with and without residual and ReLU, so that the profile C2 compiles with
     * has seen each branch a real pass takes. The calls go by rounds of 100 and stop early once a
     * round runs 20 times as fast as the first (C2's code has arrived; the outputs are thrown away, so
     * timing changes nothing else). A tile is a few KB; the calls take 0.1-0.25 s of one thread
     * (JDK 17, 2-core VM, with and without the launcher's lower thresholds). Each call also packs a
     * tile's rows ({@link #packA}), the loop a model's {@code prepare()} runs over all its weights
     * right after: in a cold {@code vecnet classify} C2 then had it at 0.34 s instead of 0.49, and
     * the packing no longer ran in the interpreter (the whole call, alternated: 4 % faster on JDK 17
     * on average, within the noise; bench/RESULTS.md, "A CDS archive for JDK 17's cold calls").
     */
    static void warmUp() {
        int kc = 24;
        float[] ap = new float[MR * kc], bp = new float[NR * kc], c = new float[MR * NR], tile = new float[MR * NR];
        float[] scale = new float[MR], shift = new float[MR], residual = new float[MR * NR];
        float[] rows = new float[MR * kc], packed = new float[MR * kc];
        Arrays.fill(ap, 0.01f);
        Arrays.fill(bp, 0.5f);
        Arrays.fill(scale, 1f);
        Epilogue affine = Epilogue.rowAffine(scale, shift);
        Epilogue[] epilogues = {affine.withRelu(), affine.withResidual(residual, 0).withRelu(), affine};
        long firstRound = 0;
        for (int round = 0; round < WARM_UP_CALLS / 100; round++) {
            long start = System.nanoTime();
            for (int i = round * 100; i < round * 100 + 100; i++) {
                boolean first = i % 4 == 0, last = i % 4 != 2;
                block(kc, ap, 0, bp, 0, c, 0, NR, MR, NR, first, last, epilogues[i % 3], 0, 0, tile);
                packA(rows, 0, kc, MR, kc, packed); // the weights' packing, which a model's prepare() runs next
            }
            long took = System.nanoTime() - start;
            if (round == 0) {
                firstRound = took;
            } else if (took * 20 < firstRound) {
                return; // C2's code is running: a round ran 20 times as fast as the first, in the interpreter
            }
        }
    }

    /**
     * One MR×NR tile of C at {@code c[cIdx]}: full tiles go straight to C (or, added to it by the
     * 8-row kernel, through {@code tile}), partial ones through {@code tile}. {@code ch} is the
     * epilogue channel of the tile's first row (perRow) or column.
     */
    static void block(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cIdx, int ldc,
                      int rows, int cols, boolean first, boolean last, Epilogue ep, int ch, int resDelta,
                      float[] tile) {
        if (rows == MR && cols == NR) {
            micro(kc, ap, aOff, bp, bOff, c, cIdx, ldc, first, tile);
            if (last && !ep.isIdentity()) {
                // Here, not in micro: inlined there, the epilogue's vector calls came after C2's inlining
                // budget in some compilations and its store then boxed (see "One vector loop per method"
                // in VectorOps; the sgemm allocation guard failed 1 run in 30).
                for (int r = 0; r < MR; r++) {
                    epilogue(c, cIdx + r * ldc, ep, ep.perRow() ? ch + r : ch, resDelta);
                }
            }
            return;
        }
        micro(kc, ap, aOff, bp, bOff, tile, 0, NR, true, tile);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int ci = cIdx + r * ldc + j;
                float v = first ? tile[r * NR + j] : c[ci] + tile[r * NR + j];
                c[ci] = last ? ep.apply(v, ep.perRow() ? ch + r : ch + j, ci + resDelta) : v;
            }
        }
    }

    /**
     * The micro-kernel: C[0:MR, 0:NR] = Apanel(MR×kc) · Bpanel(kc×NR) when {@code first}, else C +=
     * that product; {@code kc ≥ 1}. The product is a chain of FMAs from zero per element, added to C
     * in one rounding. The 6- and 8-row kernels add it through {@code sum} (an MR×NR scratch apart from
     * C) and {@link #addTile}; see "Small enough for C2".
     */
    static void micro(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cIdx, int ldc,
                      boolean first, float[] sum) {
        if (MR == 4) { // a constant: the JIT keeps one branch
            micro4(kc, ap, aOff, bp, bOff, c, cIdx, ldc, first);
            return;
        }
        if (MR == 6) {
            micro6(kc, ap, aOff, bp, bOff, first ? c : sum, first ? cIdx : 0, first ? ldc : NR);
        } else {
            micro8(kc, ap, aOff, bp, bOff, first ? c : sum, first ? cIdx : 0, first ? ldc : NR);
        }
        if (!first) {
            addTile(sum, c, cIdx, ldc);
        }
    }

    /*
     * Small enough for C2. Every Vector API call of a kernel must be inlined while C2 parses the
     * kernel, where it knows each vector's exact class. Past C2's inlining budget (55 to 60 Vector
     * API calls in one compilation, measured with -XX:+LogCompilation) the calls parsed after that
     * point are inlined late ("late_inline" in the log), and the result of a call inlined late has
     * only its declared type, FloatVector: a call made on it is dispatched by type profile, and in some
     * compilations its intrinsic then fails and the vectors are boxed on the heap, for the life of the
     * JVM ("VectorSupport::store failed to inline (intrinsic)"). Where the budget ran out moved from
     * one compilation to the next (it depends on the profile), which made this a flaky failure: with
     * the tile written after the loop as C = (C or −0) + accumulator (STORE_FIRST), the 8-row kernel
     * made 90 such calls, and 3 CI runs in 8 failed ActivationBuffersTest's allocation guard (1.7-2.6
     * MB a warmed-up pass; a JFR profile put them in these additions and stores).
     *
     * So the 8-row kernel stores its tile on the loop's last step, where each accumulator is the FMA
     * just computed, whose class C2 knows (a vector carried around the loop is typed from the declared
     * types; see "Exact receivers" in VectorOps): one call per vector stored, 43 calls in all, and even
     * a store inlined late would know its vector's class. C += product goes through a scratch tile and
     * addTile. A copy of this kernel with calls added still parsed them all with 12 more; it ran out
     * with 21 more. bench/inlining-audit.sh lists the compilations that inline Vector API calls late. The 4-row kernels make 39 calls with the store after the loop, well within the
     * budget, and keep it there: a store on the last step slowed microRows' shorter loop (ResNet-18
     * about 2 % slower on one thread).
     */

    /** {@link #micro} with eight rows, into {@code d[dIdx + r*ldd + j]}: the same chain of FMAs for every element. */
    private static void micro8(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] d, int dIdx, int ldd) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR, ai = aOff + p * 8;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a0 = b0.broadcast(ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = b0.broadcast(ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = b0.broadcast(ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = b0.broadcast(ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = b0.broadcast(ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = b0.broadcast(ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = b0.broadcast(ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = b0.broadcast(ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            if (p == kc - 1) { // see "Small enough for C2"
                c00.intoArray(d, dIdx);
                c01.intoArray(d, dIdx + VL);
                c10.intoArray(d, dIdx + ldd);
                c11.intoArray(d, dIdx + ldd + VL);
                c20.intoArray(d, dIdx + 2 * ldd);
                c21.intoArray(d, dIdx + 2 * ldd + VL);
                c30.intoArray(d, dIdx + 3 * ldd);
                c31.intoArray(d, dIdx + 3 * ldd + VL);
                c40.intoArray(d, dIdx + 4 * ldd);
                c41.intoArray(d, dIdx + 4 * ldd + VL);
                c50.intoArray(d, dIdx + 5 * ldd);
                c51.intoArray(d, dIdx + 5 * ldd + VL);
                c60.intoArray(d, dIdx + 6 * ldd);
                c61.intoArray(d, dIdx + 6 * ldd + VL);
                c70.intoArray(d, dIdx + 7 * ldd);
                c71.intoArray(d, dIdx + 7 * ldd + VL);
            }
        }
    }

    /** {@link #micro8} with six rows, for 256-bit vectors on JDK 17 ({@link #rowsFor}). */
    private static void micro6(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] d, int dIdx, int ldd) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR, ai = aOff + p * 6;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a0 = b0.broadcast(ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = b0.broadcast(ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = b0.broadcast(ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = b0.broadcast(ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = b0.broadcast(ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = b0.broadcast(ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            if (p == kc - 1) { // see "Small enough for C2"
                c00.intoArray(d, dIdx);
                c01.intoArray(d, dIdx + VL);
                c10.intoArray(d, dIdx + ldd);
                c11.intoArray(d, dIdx + ldd + VL);
                c20.intoArray(d, dIdx + 2 * ldd);
                c21.intoArray(d, dIdx + 2 * ldd + VL);
                c30.intoArray(d, dIdx + 3 * ldd);
                c31.intoArray(d, dIdx + 3 * ldd + VL);
                c40.intoArray(d, dIdx + 4 * ldd);
                c41.intoArray(d, dIdx + 4 * ldd + VL);
                c50.intoArray(d, dIdx + 5 * ldd);
                c51.intoArray(d, dIdx + 5 * ldd + VL);
            }
        }
    }

    /** {@link #micro} with four rows. */
    private static void micro4(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cIdx, int ldc,
                               boolean first) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR, ai = aOff + p * 4;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a0 = b0.broadcast(ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = b0.broadcast(ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = b0.broadcast(ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = b0.broadcast(ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        // C = tile, or C += tile, written out here (see "No vector crosses a call" in VectorOps) by one
        // path whatever first is (see STORE_FIRST): −0 + acc is acc bit for bit.
        float[] src = first ? STORE_FIRST : c;
        int s0 = first ? 0 : cIdx, ss = first ? 0 : ldc;
        FloatVector.fromArray(S, src, s0).add(c00).intoArray(c, cIdx);
        FloatVector.fromArray(S, src, s0 + VL).add(c01).intoArray(c, cIdx + VL);
        FloatVector.fromArray(S, src, s0 + ss).add(c10).intoArray(c, cIdx + ldc);
        FloatVector.fromArray(S, src, s0 + ss + VL).add(c11).intoArray(c, cIdx + ldc + VL);
        FloatVector.fromArray(S, src, s0 + 2 * ss).add(c20).intoArray(c, cIdx + 2 * ldc);
        FloatVector.fromArray(S, src, s0 + 2 * ss + VL).add(c21).intoArray(c, cIdx + 2 * ldc + VL);
        FloatVector.fromArray(S, src, s0 + 3 * ss).add(c30).intoArray(c, cIdx + 3 * ldc);
        FloatVector.fromArray(S, src, s0 + 3 * ss + VL).add(c31).intoArray(c, cIdx + 3 * ldc + VL);
    }

    /** Where {@link #touch} leaves what it read, so that the JIT keeps its loads. */
    private static int touched;

    /**
     * Reads one float of every 64-byte line of {@code a[from, from + length)}, so that weights about
     * to be multiplied are in the core's caches before the products start. For the products on a
     * small map at batch 1 (Winograd's on layer3 and layer4: 16 tiles use each slice of U; layer2's
     * on two threads, 24-25 a thread), whose weights come from memory (or a shared L3) at every
     * call: the micro-kernel's loop, 8 FMAs per two loads, keeps
     * only a few cache misses in flight (the reorder buffer fills with FMAs), this loop many.
     * Measured on one core (Zen 5): layer4's 16 Winograd products over 16.8 MB of U 1.38-1.46 ms,
     * 1.28-1.36 with this first, which alone reads the 16.8 MB in 0.35-0.42 ms (about 45 GB/s).
     * Reading ahead from inside the products' loop instead (the next slice, one line per step) made
     * layer4 twice as slow: a load that misses stalls retirement (a prefetch would not; Java has none).
     * Before the direct convolution's products on the small maps (layer4's 3×3/2, 4.7 MB of weights)
     * it made no difference the host's noise could show.
     */
    static void touch(float[] a, int from, int length) {
        int any = 0;
        for (int i = from; i < from + length; i += 16) {
            any |= Float.floatToRawIntBits(a[i]);
        }
        touched = any;
    }

    /**
     * The micro-kernel with A read in place instead of from a packed panel: row r of the 4×NR tile
     * multiplies {@code a[aOff + p*VL + rowOff_r]} for p in {@code [0, kc)}, so the four rows can be
     * any four columns of a k-major matrix whose k-stride is VL (Winograd's transformed tiles, which
     * skip the padding tiles; see {@code VectorWinograd.vIndex}). A constant stride lets C2 hoist the
     * bounds checks of the four loads out of the loop. C is written ({@code first}) or added to; no
     * epilogue. Same FMA chain per element as {@link #micro}.
     */
    static void microRows(int kc, float[] a, int aOff, int row0, int row1, int row2, int row3,
                          float[] bp, int bOff, float[] c, int cIdx, int ldc, boolean first) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR, ai = aOff + p * VL;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a0 = b0.broadcast(a[ai + row0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = b0.broadcast(a[ai + row1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = b0.broadcast(a[ai + row2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = b0.broadcast(a[ai + row3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        // as in micro4
        float[] src = first ? STORE_FIRST : c;
        int s0 = first ? 0 : cIdx, ss = first ? 0 : ldc;
        FloatVector.fromArray(S, src, s0).add(c00).intoArray(c, cIdx);
        FloatVector.fromArray(S, src, s0 + VL).add(c01).intoArray(c, cIdx + VL);
        FloatVector.fromArray(S, src, s0 + ss).add(c10).intoArray(c, cIdx + ldc);
        FloatVector.fromArray(S, src, s0 + ss + VL).add(c11).intoArray(c, cIdx + ldc + VL);
        FloatVector.fromArray(S, src, s0 + 2 * ss).add(c20).intoArray(c, cIdx + 2 * ldc);
        FloatVector.fromArray(S, src, s0 + 2 * ss + VL).add(c21).intoArray(c, cIdx + 2 * ldc + VL);
        FloatVector.fromArray(S, src, s0 + 3 * ss).add(c30).intoArray(c, cIdx + 3 * ldc);
        FloatVector.fromArray(S, src, s0 + 3 * ss + VL).add(c31).intoArray(c, cIdx + 3 * ldc + VL);
    }

    /**
     * {@link #microRows} with six rows, {@code rows[r0 .. r0 + 6)}, for 512-bit vectors (12
     * accumulators of AVX-512's 32 registers): {@code d[dIdx + r*ldd + j]} is written, never added to
     * (a sum over several slices goes through a scratch tile and {@link #addTile(float[], float[],
     * int, int, int)}), on the loop's last step as in {@link #micro8} (see "Small enough for C2"). The
     * same chain of FMAs per element as microRows, so the same bits. Four rows of tiles leave the FMA
     * latency half hidden (8 accumulators: 197-202 GFLOP/s on L1-resident panels against 222-224 for
     * 8 × 2, Zen 5); six hide it.
     *
     * <p>Why six rows and not eight, as the GEMM's own kernel: unlike micro8's rows, which sit side by
     * side in a packed panel (one index, constant displacements), each row here is a tile at its own
     * offset in V (the padding tiles in between are skipped), so each row needs an integer register
     * of its own. With eight, those indices, the step and the panels' indices were more integers than
     * the 13 registers C2 allocates on x86: JDK 17 spilled them to vector registers (its default,
     * {@code -XX:+UseFPUForSpilling}) and moved them back with {@code vmovq} at every step, on the
     * ports that also issue the FMAs of Intel's cores (abstract disassembly, Emerald Rapids). Six
     * fit. ResNet-18 batch 1 on one thread, against eight rows (JDK 17, alternated in one JVM, both
     * orders, Intel host): 0.915 and 1/1.072, 1/1.029; with the spills sent to the stack instead
     * ({@code -XX:-UseFPUForSpilling}, which the launcher passes on Intel CPUs) 0.983; two threads
     * 1.007 and 1/1.000; batch 8 0.952; Temurin 25 0.991. Each row walks its own index ({@code i0 +=
     * VL}) rather than {@code ai + row_r}: with eight rows that alone gained 2.7-4 % (one thread);
     * the 4-row kernel written so ran 7 % slower with 256-bit vectors, so it keeps {@code ai + row_r}.
     * (An 8-row kernel tried before V was stored in blocks of VL tiles read each row with a bounds
     * check and was slower than four; with those blocks, eight rows ran 3-6 % faster than four on
     * Zen 5.)
     */
    static void microRows6(int kc, float[] a, int aOff, int[] rows, int r0, float[] bp, int bOff, float[] d, int dIdx,
                           int ldd) {
        int i0 = aOff + rows[r0], i1 = aOff + rows[r0 + 1], i2 = aOff + rows[r0 + 2], i3 = aOff + rows[r0 + 3];
        int i4 = aOff + rows[r0 + 4], i5 = aOff + rows[r0 + 5];
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kc; p++, i0 += VL, i1 += VL, i2 += VL, i3 += VL, i4 += VL, i5 += VL) {
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector a0 = b0.broadcast(a[i0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = b0.broadcast(a[i1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = b0.broadcast(a[i2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = b0.broadcast(a[i3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = b0.broadcast(a[i4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = b0.broadcast(a[i5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            if (p == kc - 1) {
                c00.intoArray(d, dIdx);
                c01.intoArray(d, dIdx + VL);
                c10.intoArray(d, dIdx + ldd);
                c11.intoArray(d, dIdx + ldd + VL);
                c20.intoArray(d, dIdx + 2 * ldd);
                c21.intoArray(d, dIdx + 2 * ldd + VL);
                c30.intoArray(d, dIdx + 3 * ldd);
                c31.intoArray(d, dIdx + 3 * ldd + VL);
                c40.intoArray(d, dIdx + 4 * ldd);
                c41.intoArray(d, dIdx + 4 * ldd + VL);
                c50.intoArray(d, dIdx + 5 * ldd);
                c51.intoArray(d, dIdx + 5 * ldd + VL);
            }
        }
    }

    /** {@link #addTile(float[], float[], int, int)} for the first {@code rows} rows of the tile. */
    static void addTile(float[] t, float[] c, int cIdx, int ldc, int rows) {
        for (int r = 0; r < rows; r++) {
            int ci = cIdx + r * ldc, ti = r * NR;
            FloatVector.fromArray(S, c, ci).add(FloatVector.fromArray(S, t, ti)).intoArray(c, ci);
            FloatVector.fromArray(S, c, ci + VL).add(FloatVector.fromArray(S, t, ti + VL)).intoArray(c, ci + VL);
        }
    }

    /**
     * NR × −0.0: what {@link #micro4} and {@link #microRows} add their tile to when they write C
     * rather than add to it, so that both cases run one store path. With a branch per case, a
     * compilation made while one case was rare could leave that case's vector additions as calls C2
     * judged too cold to inline; out of line they fall back to Java and allocate on every call, for
     * the life of the JVM (ActivationBuffersTest's allocation guard failed so in CI, 284,880 and
     * 733,392 bytes a call; a JFR allocation profile of a reproduction put the allocations in these
     * additions).
     */
    static final float[] STORE_FIRST = negativeZeros(NR);

    private static float[] negativeZeros(int n) {
        float[] z = new float[n];
        Arrays.fill(z, -0f);
        return z;
    }

    /** {@code c[cIdx + r*ldc + j] += t[r*NR + j]} for an MR×NR tile. */
    static void addTile(float[] t, float[] c, int cIdx, int ldc) {
        for (int r = 0; r < MR; r++) {
            int ci = cIdx + r * ldc, ti = r * NR;
            FloatVector.fromArray(S, c, ci).add(FloatVector.fromArray(S, t, ti)).intoArray(c, ci);
            FloatVector.fromArray(S, c, ci + VL).add(FloatVector.fromArray(S, t, ti + VL)).intoArray(c, ci + VL);
        }
    }

    /**
     * Applies the epilogue in place to one micro-tile row of NR elements at {@code c[idx]}, element for
     * element the same arithmetic as {@link Epilogue#apply}. {@code ch} is the row's channel (perRow)
     * or the channel of the row segment's first column.
     */
    static void epilogue(float[] c, int idx, Epilogue ep, int ch, int resDelta) {
        float[] scale = ep.scale(), shift = ep.shift(), res = ep.residual();
        boolean perRow = ep.perRow();
        for (int j = 0; j < NR; j += VL) {
            FloatVector v = FloatVector.fromArray(S, c, idx + j);
            if (scale != null) {
                FloatVector sc, sh;
                if (perRow) {
                    sc = FloatVector.broadcast(S, scale[ch]);
                    sh = FloatVector.broadcast(S, shift == null ? 0f : shift[ch]);
                } else {
                    sc = FloatVector.fromArray(S, scale, ch + j);
                    sh = shift == null ? FloatVector.zero(S) : FloatVector.fromArray(S, shift, ch + j);
                }
                v = v.fma(sc, sh);
            } else if (shift != null) {
                v = v.add(perRow ? FloatVector.broadcast(S, shift[ch]) : FloatVector.fromArray(S, shift, ch + j));
            }
            if (res != null) {
                v = v.add(FloatVector.fromArray(S, res, idx + j + resDelta));
            }
            if (ep.relu()) {
                v = v.blend(0f, v.compare(VectorOperators.LT, 0f));
            }
            v.intoArray(c, idx + j);
        }
    }
}
