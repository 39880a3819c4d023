package vecnet.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3×3 stride-1 convolution by Winograd's F(4×4, 3×3) or F(2×2, 3×3) ({@link Winograd}) with the
 * Vector API; the arithmetic of {@link Winograd#reference}, bit for bit. Below, m is the tile side
 * (4 or 2) and the patch side is m + 2.
 *
 * <p>A call runs picture by picture (F(2×2): in groups of pictures, see {@link #run}), in tasks of
 * (block of tiles, block of output channels); with groups enough for every thread, each thread takes
 * whole groups and runs their tasks alone:
 * <ol>
 *   <li>The input is copied, zero-padded, into m² phase planes per channel, the pictures of a group
 *       one after the other, {@code P[ci, py, px, b, v, u] = x[b, ci, m*v + py - padH, m*u + px - padW]}
 *       with {@code u < tilesW + 1}. Element (r, c) of tile (ty, tx)'s patch is then at a fixed
 *       offset from {@code j = (b*(tilesH + 1) + ty)*(tilesW + 1) + tx}, so one vector load reads it
 *       for VL tiles in a row. (Index {@code tx = tilesW} and row {@code ty = tilesH} are padding
 *       tiles: transformed with the others, never used.) Where the threads share out the tiles,
 *       each task copies the rows its own tiles read (two tasks copy the rows their tiles share);
 *       else one copy, made before the tasks, serves them all (see {@link #runGroup}).</li>
 *   <li>Each task transforms the patches of its tiles for every input channel, {@code V[ξ, ci, j]}
 *       (stored in blocks of VL tiles, {@link #vIndex});
 *       runs the (m + 2)² products
 *       {@code M_ξ[t, co] = Σ_ci V_ξ[ci, t] U_ξ[ci, co]} on {@link VectorGemm#microRows} (four tiles ×
 *       two vectors of channels, U packed once like a GEMM's B panels; six tiles with 512-bit
 *       vectors, {@link VectorGemm#microRows6}; a task of at most 16 tiles with 512-bit vectors
 *       gathers its tiles into the GEMM's packed panels and runs its own micro-kernel,
 *       {@link #multiplyGathered}); transforms each tile back,
 *       {@code Aᵀ M A}, lanes over output channels, and writes it with the epilogue.</li>
 * </ol>
 * Every output element is computed by one task with the same operations whatever the blocks, so
 * the thread count never changes a result.
 *
 * <p>{@link Winograd#choose} picks the algorithm from the size of the output map: F(4×4) for large
 * maps, F(2×2) for small ones (ResNet's 7×7), where F(4×4)'s transformed weights, 4× the size of
 * the weights and each used by only four tiles, cost more memory traffic than the multiplies they
 * save; and the direct implicit GEMM ({@link VectorConv}) below that. The choice depends on the
 * image size only, never on the batch, so a picture gets the same bits alone or in a batch. The
 * transformed weights (and the direct plan) are made on first use, so a model holds only those its
 * pictures need.
 */
final class VectorWinograd implements Kernels.Conv2dPlan {
    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final VectorSpecies<Integer> IS = S.withLanes(int.class);
    /** -0.0 in every lane: a constant, so C2 knows its exact class (see "Exact receivers" in {@link VectorOps}). */
    private static final FloatVector NEGATIVE_ZERO = FloatVector.broadcast(S, -0f);
    private static final int VL = VectorGemm.VL, NR = VectorGemm.NR;
    /** Where U, V, M and the scratch panels keep their data from: {@link VectorGemm#PAD}. */
    private static final int PAD = VectorGemm.PAD;
    /** Tiles per product of {@link VectorGemm#microRows}: its four rows. */
    private static final int MR = 4;
    /**
     * With 512-bit vectors (where {@link VectorGemm#MR} is 8), six tiles per product ({@link
     * VectorGemm#microRows6}: why six there); AVX2's 16 registers hold only the four-row tile.
     */
    private static final boolean SIX_ROWS = VectorGemm.MR == 8;
    /** A task's tiles are taken in groups of this many, the last group padded with its last tile. */
    private static final int GROUP = SIX_ROWS ? 6 : MR;
    private static final int KC = Winograd.KC;
    /** Sizes of the scratch buffers: those of F(4×4), the larger algorithm. */
    private static final int MAX_TILE = 4, MAX_POINTS = 36;
    /**
     * Most groups of four tiles per task: bounds the transformed-input scratch (36 × cin × 100 floats).
     * Each task reads all of U, so larger blocks read it fewer times; measured on layer1 (64 channels,
     * 56²), 8 → 16 made the convolution 3-7 % faster on one thread and 8-10 % on two; with the 8-row
     * products, 16 → 25 (layer1 in two blocks instead of four) 3 % and 4 % (ResNet-18 batch 1, alternated
     * in one JVM: 0.991-1.005 on one thread, 0.974-0.980 on two; batch 8 on two 1.014).
     */
    private static final int MAX_QUADS = 25;

    private final ConvGeometry g;
    /** The algorithm of every call, or null: {@link Winograd#choose} by the map's size. */
    private final Winograd forced;
    /** Output channels in panels of NR. */
    private final int coPanels;
    /** The weights, from which the plans below are made on first use. */
    private final float[] weight;
    /** For F(4×4) and F(2×2): U packed per point ξ and NR-channel panel, {@code u[((ξ*coPanels + cp)*cin + ci)*NR + j]}, channels past cout zero. */
    private volatile float[] u4, u2;
    private volatile Kernels.Conv2dPlan direct;

    private VectorWinograd(ConvGeometry g, float[] weight, Winograd forced) {
        this.g = g;
        this.forced = forced;
        this.coPanels = (g.cout() + NR - 1) / NR;
        this.weight = weight.clone();
    }

    /**
     * A plan for a convolution {@link Winograd#applies} to: {@code forced} on every call, or when it is
     * null, the algorithm {@link Winograd#choose} gives for the map (and the direct convolution on
     * the smallest maps).
     */
    static Kernels.Conv2dPlan plan(ConvGeometry g, float[] weight, Winograd forced) {
        if (!Winograd.applies(g)) {
            throw new IllegalArgumentException("Winograd F(4x4,3x3) needs a 3x3 stride-1 convolution with one group: " + g);
        }
        g.checkWeights(weight);
        return new VectorWinograd(g, weight, forced);
    }

    @Override
    public ConvGeometry geometry() {
        return g;
    }

    /** The transformed and packed weights of {@code f}, made on first use. */
    private float[] transformed(Winograd f) {
        float[] t = f == Winograd.F4 ? u4 : u2;
        if (t == null) {
            synchronized (this) {
                t = f == Winograd.F4 ? u4 : u2;
                if (t == null) {
                    t = transformAndPack(f);
                    if (f == Winograd.F4) {
                        u4 = t;
                    } else {
                        u2 = t;
                    }
                }
            }
        }
        return t;
    }

    private Kernels.Conv2dPlan direct() {
        Kernels.Conv2dPlan d = direct;
        if (d == null) {
            synchronized (this) {
                d = direct;
                if (d == null) {
                    d = VectorConv.plan(g, weight);
                    direct = d;
                }
            }
        }
        return d;
    }

    /**
     * {@link Winograd#transformWeights} straight into the GEMM's layout: point ξ, panel of NR output
     * channels, input channel ci, the panel's NR values side by side, from {@link VectorGemm#PAD} on
     * (as V, M and the gathered panels are in their scratch arrays). Each block of input channels
     * of a panel is transformed into a small buffer (its point planes a little more than a power of
     * two apart, so that they do not share cache sets), then copied out as one run per point.
     */
    private float[] transformAndPack(Winograd f) {
        int cin = g.cin(), cout = g.cout(), points = f.points;
        float[] packed = new float[points * coPanels * cin * NR + PAD];
        int block = Math.min(cin, 16), plane = block * NR + 16;
        float[] buffer = new float[points * plane];
        double[] gg = new double[f.patch * 3];
        for (int cp = 0; cp < coPanels; cp++) {
            for (int c0 = 0; c0 < cin; c0 += block) {
                int c1 = Math.min(cin, c0 + block);
                for (int ci = c0; ci < c1; ci++) {
                    for (int r = 0; r < NR; r++) {
                        int co = cp * NR + r, at = (ci - c0) * NR + r;
                        if (co < cout) {
                            f.transformKernel(weight, (co * cin + ci) * 9, gg, buffer, at, plane);
                        } else {
                            for (int xi = 0; xi < points; xi++) {
                                buffer[at + xi * plane] = 0f;
                            }
                        }
                    }
                }
                for (int xi = 0; xi < points; xi++) {
                    System.arraycopy(buffer, xi * plane, packed, PAD + ((xi * coPanels + cp) * cin + c0) * NR,
                            (c1 - c0) * NR);
                }
            }
        }
        return packed;
    }

    /** Per-thread buffers, grown on demand and reused: a warmed-up call allocates only a few small objects. */
    private static final class Scratch {
        float[] phases = new float[0];
        float[] v = new float[0];
        float[] m = new float[0];
        /** The transforms' first passes, from {@link VectorGemm#PAD} on. */
        final float[] tmp = new float[PAD + MAX_POINTS * VL];
        /** A 6 × NR product of {@link VectorGemm#microRows6} on its way to being added to M. */
        final float[] sum = new float[GROUP * NR];
        /** A tile of {@link VectorGemm#block}'s on its way into M, {@link #multiplyGathered}. */
        final float[] tile = new float[VectorGemm.MR * NR];
        /** Where V holds each tile of a task of at most VL tiles, {@link #multiplyGathered}. */
        final int[] lanes = new int[VL];
        /** Where those tiles go in their packed panels, {@link #multiplyGathered}. */
        final int[] into = new int[VL];
        /** V's columns of those tiles packed as the GEMM's A panels, {@link #multiplyGathered}. */
        float[] vt = new float[0];
        final float[] out = new float[MAX_TILE * MAX_TILE * VL];
        final int[] patchOffset = new int[MAX_POINTS];
        /** {@link #phaseMap}: where each float of one channel's phase planes comes from, and whether it is kept. */
        int[] map = new int[0];

        int[] map(int size) {
            if (map.length < size) {
                map = new int[size];
            }
            return map;
        }

        /** Per task: the column in V of each of its tiles, {@link #block}. */
        int[] rows = new int[0];

        int[] rows(int size) {
            if (rows.length < size) {
                rows = new int[size];
            }
            return rows;
        }


        float[] phases(int size) {
            if (phases.length < size) {
                phases = new float[size];
            }
            return phases;
        }

        float[] v(int size) {
            if (v.length < size) {
                v = new float[size];
            }
            return v;
        }

        float[] m(int size) {
            if (m.length < size) {
                m = new float[size];
            }
            return m;
        }

        float[] vt(int size) {
            if (vt.length < size) {
                vt = new float[size];
            }
            return vt;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * The shape of one group of {@code images} pictures with tiles of {@code tile}² pixels.
     * {@code rowLen = tilesW + 1} tiles per row of a picture's extended grid ({@code grid} =
     * {@code tilesH + 1} rows of {@code rowLen}); the group's grids follow one another, so that row G
     * of the group is row {@code G % (tilesH + 1)} of picture {@code G / (tilesH + 1)}. Tile t of the
     * group is tile {@code t % (tilesH·tilesW)} of picture {@code t / (tilesH·tilesW)}.
     */
    private record Shape(int tile, int images, int h, int w, int oh, int ow, int tilesH, int tilesW, int rowLen) {
        int grid() {
            return (tilesH + 1) * rowLen;
        }

        int imageTiles() {
            return tilesH * tilesW;
        }

        /** Index in the group's extended grids of real tile t ({@code t = image*tilesH*tilesW + ty*tilesW + tx}). */
        int extended(int t) {
            int local = t % imageTiles();
            return t / imageTiles() * grid() + local / tilesW * rowLen + local % tilesW;
        }
    }

    @Override
    public void prepare(int h, int w) {
        g.checkInput(h, w);
        Winograd f = forced != null ? forced : Winograd.choose(g.outH(h), g.outW(w));
        if (f == null) {
            direct();
        } else {
            transformed(f);
        }
    }

    @Override
    public void run(ComputePool pool, float[] x, int n, int h, int w, float[] y, Epilogue ep) {
        g.checkInput(h, w);
        if (!ep.perRow()) {
            throw new IllegalArgumentException("a convolution epilogue is per output channel (perRow)");
        }
        int oh = g.outH(h), ow = g.outW(w);
        Winograd f = forced != null ? forced : Winograd.choose(oh, ow); // per image, never per batch
        if (f == null) {
            direct().run(pool, x, n, h, w, y, ep);
            return;
        }
        int th = f.tiles(oh), tw = f.tiles(ow);
        float[] uu = transformed(f);
        // F(2×2) runs on the smallest maps (ResNet's layer4, 7×7: 16 tiles a picture), where U is
        // 1.8× the weights (16.8 MB for 512 channels) and was streamed once per picture: there the
        // pictures go in groups of about GROUP_TILES tiles, phase planes side by side, so that one
        // pass over U serves the group (measured: layer4's convolution 10-16 % faster a picture at
        // batch 8; for F(4×4) on layer3, no gain). Each output is computed as before: same bits.
        int group = f == Winograd.F2 ? Math.max(1, Math.min(n, GROUP_TILES / (th * tw))) : 1;
        int groups = ceilDiv(n, group), threads = pool.threads();
        if (threads > 1 && groups >= threads && (groups % threads == 0 || groups >= 4 * threads)) {
            // Groups enough for every thread: each takes whole groups and runs them as one thread
            // would, so no two threads share a picture's rows or split its few tiles (ResNet-18 at
            // batch 8 on two threads, alternated in one JVM: 8-9 % faster at 512 bits, 8 % at 256).
            pool.parallelFor(groups, q -> runGroup(ALONE, x, q * group,
                    new Shape(f.tile, Math.min(group, n - q * group), h, w, oh, ow, th, tw, tw + 1), uu, y, ep));
            return;
        }
        for (int b0 = 0; b0 < n; b0 += group) {
            runGroup(pool, x, b0, new Shape(f.tile, Math.min(group, n - b0), h, w, oh, ow, th, tw, tw + 1), uu, y, ep);
        }
    }

    /** The pool of a task that runs a group of pictures on its own thread. */
    private static final ComputePool ALONE = ComputePool.sequential();

    /** Tiles of a group of pictures for F(2×2): see {@link #run}. */
    private static final int GROUP_TILES = 64;

    private void runGroup(ComputePool pool, float[] x, int b0, Shape sh, float[] uu, float[] y, Epilogue ep) {
        int tiles = sh.images() * sh.imageTiles();
        int threads = pool.threads(), quads = (tiles + MR - 1) / MR, maxQuads = MAX_QUADS * sh.images();
        int tileBlocks = (quads + maxQuads - 1) / maxQuads;
        if (threads > 1 && tileBlocks % threads != 0 && sh.images() == 1) {
            int even = (tileBlocks + threads - 1) / threads * threads;
            if (quads / even >= 4) { // blocks of at least 16 tiles, so U is read for enough of them
                tileBlocks = even;
            }
        }
        int coBlocks = 1;
        if (tileBlocks < threads) { // few tiles (a small map): split the channels too
            coBlocks = Math.min(coPanels, (threads + tileBlocks - 1) / tileBlocks);
        }
        int tb = tileBlocks, cb = coBlocks;
        // Where the threads share out the tiles, each task copies the input rows its tiles read (its
        // own phase planes, in its core's cache); else (one thread, or tasks that split the output
        // channels and each read all of the input) one copy of the whole input serves all tasks,
        // made before them by all threads, a block of channels each. Measured, the own copies on two
        // threads: layer1 23 % faster, layer2 12 %; on one thread, one copy is faster (no row copied
        // twice).
        float[] shared = null;
        int sharedSize = 0;
        if (threads == 1 || tb < threads) {
            // A task's vector loads read up to rowLen + VL floats past its last tile: into the next
            // phase plane, past the last one into NR floats of slack.
            int cin = g.cin(), rows = sh.images() * (sh.tilesH + 1), phaseSize = rows * sh.rowLen;
            int parts = Math.min(cin, 4 * threads);
            float[] p = SCRATCH.get().phases(cin * sh.tile * sh.tile * phaseSize + NR);
            int[] map = phaseMap(SCRATCH.get(), sh, 0, rows, phaseSize);
            pool.parallelFor(parts, part -> splitPhases(x, b0, sh, ComputePool.splitStart(cin, parts, part),
                    ComputePool.splitStart(cin, parts, part + 1), map, phaseSize, p));
            shared = p;
            sharedSize = phaseSize;
        }
        float[] phases = shared;
        int phaseSize = sharedSize;
        if (tb * cb == threads && cb == 1) { // one block of tiles a thread, sized to its speed
            pool.parallelForShares(quads, (q0, q1) -> block(SCRATCH.get(), sh, x, phases, phaseSize, uu, b0, q0 * MR,
                    Math.min(q1 * MR, tiles), 0, coPanels, y, ep));
        } else if (tb * cb == threads && tb == 1) { // one block of channels a thread, sized to its speed
            pool.parallelForShares(coPanels, (cp0, cp1) -> block(SCRATCH.get(), sh, x, phases, phaseSize, uu, b0, 0,
                    tiles, cp0, cp1, y, ep));
        } else {
            pool.parallelFor(tb * cb, task -> {
                int cBlock = task % cb, tBlock = task / cb;
                int q0 = ComputePool.splitStart(quads, tb, tBlock), q1 = ComputePool.splitStart(quads, tb, tBlock + 1);
                int cp0 = ComputePool.splitStart(coPanels, cb, cBlock), cp1 = ComputePool.splitStart(coPanels, cb, cBlock + 1);
                if (q1 > q0 && cp1 > cp0) {
                    block(SCRATCH.get(), sh, x, phases, phaseSize, uu, b0, q0 * MR, Math.min(q1 * MR, tiles), cp0, cp1, y, ep);
                }
            });
        }
    }

    /**
     * Where {@link #splitPhases} finds each float of one channel's phase planes, rows {@code [g0, g0 +
     * rows)} of the group's extended grids (row G is row {@code G % (tilesH + 1)} of the group's
     * picture {@code G / (tilesH + 1)}), {@code phaseSize} floats a phase: first, for each float, the
     * offset of its source pixel from the channel's plane in the group's first picture (0 for
     * padding); then, from {@code n = m²·phaseSize} on, an int of all ones where the pixel is inside
     * the picture, zeros where it is padding or the row is past the last picture. The same for every
     * channel, so made once per call (or per task).
     */
    private int[] phaseMap(Scratch s, Shape sh, int g0, int rows, int phaseSize) {
        int tile = sh.tile, n = tile * tile * phaseSize, gridRows = sh.tilesH + 1, lastRow = sh.images() * gridRows;
        int h = sh.h, w = sh.w, padH = g.padH(), padW = g.padW(), rowLen = sh.rowLen, imageSize = g.cin() * h * w;
        int[] map = s.map(2 * n);
        for (int py = 0; py < tile; py++) {
            for (int px = 0; px < tile; px++) {
                int at = (py * tile + px) * phaseSize;
                for (int row = g0; row < g0 + rows; row++) {
                    int image = row / gridRows, iy = tile * (row % gridRows) + py - padH;
                    boolean rowInside = row < lastRow && iy >= 0 && iy < h;
                    for (int u = 0; u < rowLen; u++, at++) {
                        int ix = tile * u + px - padW;
                        boolean inside = rowInside && ix >= 0 && ix < w;
                        map[at] = inside ? image * imageSize + iy * w + ix : 0;
                        map[n + at] = inside ? -1 : 0;
                    }
                }
            }
        }
        return map;
    }

    /**
     * Fills the phase planes of channels {@code [c0, c1)} from the group's pictures with {@link
     * #phaseMap}'s {@code map}: one gather per VL floats, its lanes and-ed with the map's keep bits
     * (zero for padding; {@code -0 + v} is v, bit for bit). A copy, so the planes hold the input's
     * bits. The scalar copy it replaces (each input row dealt pixel by pixel to the m phases of its
     * row) spent most of its time on the rows' ends on the small maps, where rows are a few tiles long:
     * per call on one thread (Zen 5, 512 bits) layer1 128 → 106 µs, layer2 92 → 59, layer3 102 → 42,
     * layer4 58 → 24.
     */
    private void splitPhases(float[] x, int b0, Shape sh, int c0, int c1, int[] map, int phaseSize, float[] p) {
        int n = sh.tile * sh.tile * phaseSize, hw = sh.h * sh.w, cin = g.cin(), full = n / VL * VL;
        for (int c = c0; c < c1; c++) {
            int base = (b0 * cin + c) * hw, dst = c * n;
            for (int i = 0; i < full; i += VL) {
                IntVector kept = IntVector.fromArray(IS, map, n + i).and(FloatVector.fromArray(S, x, base, map, i).reinterpretAsInts());
                NEGATIVE_ZERO.add(kept.reinterpretAsFloats()).intoArray(p, dst + i);
            }
            for (int i = full; i < n; i++) {
                p[dst + i] = map[n + i] != 0 ? x[base + map[i]] : 0f;
            }
        }
    }

    /** {@code ceil(a / b)} for b > 0 and any a. */
    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    /**
     * One task: real tiles {@code [t0, t1)} of the group of pictures from b on (tile t is tile
     * {@code t % (tilesH·tilesW)} of picture {@code b + t / (tilesH·tilesW)}), output channel panels
     * {@code [cp0, cp1)}. Its three steps are methods of their own, each compiled on its own:
     * inlined into one method, their Vector API calls went past C2's inlining budget
     * (NodeCountInliningCutoff); the calls parsed after that point are inlined late, where C2 no
     * longer knows the vectors' exact classes, and in some runs it then left a store to Java, boxing
     * vectors for good (see "Exact receivers" in {@link VectorOps}).
     */
    private void block(Scratch s, Shape sh, float[] x, float[] shared, int sharedSize, float[] uu, int b, int t0,
                       int t1, int cp0, int cp1, float[] y, Epilogue ep) {
        int cin = g.cin(), patch = sh.tile + 2, points = patch * patch;
        int jLo = sh.extended(t0) / VL * VL, jHi = (sh.extended(t1 - 1) + VL) / VL * VL, jb = jHi - jLo;
        float[] p = shared;
        int phaseSize = sharedSize, first = 0;
        if (p == null) {
            // The task's own copy: the rows of the grids its real tiles' patches reach, from the row
            // of extended index jLo to the one below its last tile. Lanes past the last real tile
            // (up to jHi) read on, into the next phase plane or the slack after the last: values
            // they transform but no product reads. (Copying rows for them too, up to jHi + rowLen,
            // made layer1's and layer2's copies on two threads about a fifth longer: ResNet-18 batch 1
            // on 2 threads 1.3-1.9 % slower, 4 runs interleaved in one JVM.)
            int rowLen = sh.rowLen, g0 = jLo / rowLen, phaseRows = sh.extended(t1 - 1) / rowLen + 2 - g0;
            phaseSize = phaseRows * rowLen;
            first = g0 * rowLen;
            p = s.phases(cin * sh.tile * sh.tile * phaseSize + VL + rowLen + 2);
            splitPhases(x, b, sh, 0, cin, phaseMap(s, sh, g0, phaseRows, phaseSize), phaseSize, p);
        }
        int vStride = spread(cin * jb);
        float[] v = s.v(points * vStride + PAD);
        transformInputs(s, sh, p, phaseSize, first, jLo, jHi, v, vStride);
        int tq = (t1 - t0 + GROUP - 1) / GROUP * GROUP, ldc = (cp1 - cp0) * NR, mStride = spread(tq * ldc);
        float[] m = s.m(points * mStride + PAD);
        int[] rows = s.rows(tq);
        for (int t = t0; t < t0 + tq; t++) { // a partial group repeats its last tile; those rows are not read
            rows[t - t0] = vIndex(0, sh.extended(Math.min(t, t1 - 1)) - jLo, cin);
        }
        // With a single picture's few tiles, the weights come from memory: read each slice first (see
        // VectorGemm.touch). The first picture of a call only: for the next ones they are in the caches, if anywhere.
        boolean touch = b == 0 && t1 - t0 <= TOUCH_TILES;
        multiply(sh, v, vStride, rows, uu, t0, t1, cp0, cp1, m, mStride, touch, s);
        transformOutputs(s, sh, m, mStride, b, t0, t1, cp0, cp1, y, ep);
        if (ep.residual() != null) {
            addResiduals(sh, b, t0, t1, cp0, cp1, y, ep);
        }
    }

    /**
     * The distance between two point planes of V or M, in floats: at least {@code size}, and an odd
     * number of 64-byte lines. The transforms touch all 36 (or 16) planes for every group of tiles;
     * planes a multiple of 4 KB apart (64 channels × 48 tiles is 12 KB) fall in one set of the L1
     * cache, which holds 12 lines of a set, and measured: the input transform of layer1 ran 3.4× slower
     * than with 61 channels. An odd number of lines puts consecutive planes in different sets.
     */
    static int spread(int size) {
        return (size + 31) / 32 * 32 + 16;
    }

    /**
     * Where V (within one point plane) holds channel {@code ci} of the tile at {@code j} (counted from
     * the task's first extended tile): tiles in blocks of VL, each block channel-major, {@code
     * [j / VL][ci][j % VL]}. The transforms write VL tiles of one channel as one vector; the products
     * read channel after channel at a constant stride, VL, which lets C2 hoist the bounds checks out
     * of {@link VectorGemm#microRows}' loop (with the tiles of all channels in one row, the stride
     * was the row's length, a variable: a check per row and step, 41 instructions a step instead
     * of 26).
     */
    private static int vIndex(int ci, int j, int cin) {
        return (j / VL * cin + ci) * VL + j % VL;
    }

    /**
     * 1. V[ξ, ci, j - jLo] ({@link #vIndex}) for the extended tiles [jLo, jHi), whole vectors, from the phase planes
     * {@code p} of {@link #splitPhases} ({@code phaseSize} floats each), which start at extended index
     * {@code first}.
     */
    private void transformInputs(Scratch s, Shape sh, float[] p, int phaseSize, int first, int jLo, int jHi,
                                 float[] v, int vStride) {
        int cin = g.cin(), tile = sh.tile, patch = tile + 2;
        int[] off = s.patchOffset;
        for (int r = 0; r < patch; r++) {
            for (int c = 0; c < patch; c++) {
                off[r * patch + c] = ((r % tile) * tile + c % tile) * phaseSize + (r / tile) * sh.rowLen + c / tile - first;
            }
        }
        if (tile == 4) {
            transformInputs6(p, tile * tile * phaseSize, off, cin, jLo, jHi, s.tmp, v, vStride);
        } else {
            transformInputs4(p, tile * tile * phaseSize, off, cin, jLo, jHi, s.tmp, v, vStride);
        }
    }

    /**
     * 2. M_ξ[t - t0, co - cp0*NR] for the tiles [t0, t1) (in groups of four) and channel panels [cp0, cp1);
     * {@code rows[t - t0]} is tile t's column in V.
     */
    private void multiply(Shape sh, float[] v, int vStride, int[] rows, float[] uu, int t0, int t1, int cp0, int cp1,
                          float[] m, int mStride, boolean touch, Scratch s) {
        if (GATHER && t1 - t0 <= VL) {
            multiplyGathered(sh, v, vStride, rows, uu, t1 - t0, cp0, cp1, m, mStride, touch, s);
            return;
        }
        float[] sum = s.sum;
        int cin = g.cin(), patch = sh.tile + 2, points = patch * patch, ldc = (cp1 - cp0) * NR;
        int tq = (t1 - t0 + GROUP - 1) / GROUP * GROUP;
        for (int xi = 0; xi < points; xi++) {
            for (int cp = cp0; cp < cp1; cp++) {
                for (int k0 = 0; k0 < cin; k0 += KC) {
                    int kc = Math.min(KC, cin - k0);
                    int vOff = PAD + xi * vStride + vIndex(k0, 0, cin), uOff = PAD + ((xi * coPanels + cp) * cin + k0) * NR;
                    if (touch) {
                        VectorGemm.touch(uu, uOff, kc * NR);
                    }
                    int i = 0;
                    for (; SIX_ROWS && i + GROUP <= tq; i += GROUP) { // rows past t1 - t0 repeat the last tile
                        int at = PAD + xi * mStride + i * ldc + (cp - cp0) * NR;
                        if (k0 == 0) {
                            VectorGemm.microRows6(kc, v, vOff, rows, i, uu, uOff, m, at, ldc);
                        } else {
                            VectorGemm.microRows6(kc, v, vOff, rows, i, uu, uOff, sum, 0, NR);
                            VectorGemm.addTile(sum, m, at, ldc, GROUP);
                        }
                    }
                    for (; i < t1 - t0; i += MR) {
                        VectorGemm.microRows(kc, v, vOff, rows[i], rows[i + 1], rows[i + 2], rows[i + 3],
                                uu, uOff, m, PAD + xi * mStride + i * ldc + (cp - cp0) * NR, ldc, k0 == 0);
                    }
                }
            }
        }
    }

    /**
     * 2, for a task of at most VL tiles with 512-bit vectors (layer3's and layer4's 16 tiles at batch
     * 1): the same products as {@link #multiply}, on the GEMM's own micro-kernel. V's columns of the
     * task's {@code count} tiles are gathered once per call into panels of {@code MR} tiles packed as
     * the GEMM packs A ({@code vt[PAD + ((ξ*VL/MR + t/MR)*cin + ci)*MR + t%MR]}, lanes past the last tile
     * repeating it), so that a panel's rows sit side by side and {@link VectorGemm#block} reads them
     * at one offset; each slice of U is then read once per panel of tiles (twice for 16 tiles), and
     * M is written as multiply writes it. Each element is the same chain of FMAs over a slice, added
     * to M slice after slice, so the same bits.
     *
     * <p>Why: {@link VectorGemm#microRows6} reads its six tiles at six offsets in V (six integer
     * registers and their increments a step) and reads U once per six tiles (three times for 16,
     * the last two rows repeating a tile); a kernel with the tiles in the lanes (16 output channels
     * in the accumulators, U broadcast), which read U once, made 17 loads per 16 FMAs, more than this
     * core's vector load ports issue beside them. The GEMM's 8 × 2 tile makes 10 (bench/RESULTS.md,
     * "Winograd's small maps on the GEMM's micro-kernel").
     */
    private void multiplyGathered(Shape sh, float[] v, int vStride, int[] rows, float[] uu, int count, int cp0,
                                  int cp1, float[] m, int mStride, boolean touch, Scratch s) {
        int cin = g.cin(), patch = sh.tile + 2, points = patch * patch, ldc = (cp1 - cp0) * NR, mr = VectorGemm.MR;
        int[] lanes = s.lanes, into = s.into;
        for (int t = 0; t < VL; t++) {
            lanes[t] = rows[Math.min(t, count - 1)];
            into[t] = t / mr * cin * mr + t % mr;
        }
        float[] vt = s.vt(points * cin * VL + PAD), tile = s.tile;
        for (int xi = 0; xi < points; xi++) {
            for (int ci = 0; ci < cin; ci++) {
                FloatVector.fromArray(S, v, PAD + xi * vStride + ci * VL, lanes, 0)
                        .intoArray(vt, PAD + xi * VL * cin + ci * mr, into, 0);
            }
        }
        for (int xi = 0; xi < points; xi++) {
            for (int cp = cp0; cp < cp1; cp++) {
                for (int k0 = 0; k0 < cin; k0 += KC) {
                    int kc = Math.min(KC, cin - k0);
                    int uOff = PAD + ((xi * coPanels + cp) * cin + k0) * NR;
                    if (touch) {
                        VectorGemm.touch(uu, uOff, kc * NR);
                    }
                    for (int t = 0; t < count; t += mr) {
                        VectorGemm.block(kc, vt, PAD + (xi * VL + t) * cin + k0 * mr, uu, uOff, m,
                                PAD + xi * mStride + t * ldc + (cp - cp0) * NR, ldc, Math.min(mr, count - t), NR, k0 == 0,
                                false, Epilogue.NONE, 0, 0, tile);
                    }
                }
            }
        }
    }

    /**
     * Products on the GEMM's micro-kernel for tasks of at most VL tiles ({@link #multiplyGathered}):
     * for 512-bit vectors, whose VL of 16 tiles make two of its 8-row panels.
     */
    private static final boolean GATHER = VL == 16 && VL % VectorGemm.MR == 0;

    /**
     * Tasks with at most this many tiles (of the first picture of a call) read each slice of U with
     * {@link VectorGemm#touch} first: layer3's and layer4's 16 tiles, and layer2's 49 cut in two on
     * two threads (16 → 32, layer2's convolution alone on two threads, alternated in one JVM: about
     * 10-15 % faster in either order at 512 bits, 0.91-1.02 at 256; ResNet-18 batch 1 on two threads
     * 0.984, and 0.989 with the builds swapped; at 256 bits 0.990 and 1.007, no change either way).
     * Touching U before layer1's blocks and layer2's on one thread as well changed nothing (0.99-1.02).
     */
    private static final int TOUCH_TILES = 32;

    /**
     * 3. Y = Aᵀ M A per tile, VL output channels at a time, then the epilogue per channel; one method
     * per algorithm, so that each compiles within C2's inlining budget (see {@link #block}).
     */
    private void transformOutputs(Scratch s, Shape sh, float[] m, int mStride, int b, int t0, int t1, int cp0, int cp1,
                                  float[] y, Epilogue ep) {
        if (sh.tile == 4) {
            transformOutputs6(s, sh, m, mStride, b, t0, t1, cp0, cp1, y, ep);
        } else {
            transformOutputs4(s, sh, m, mStride, b, t0, t1, cp0, cp1, y, ep);
        }
    }

    private void transformOutputs6(Scratch s, Shape sh, float[] m, int mStride, int b, int t0, int t1, int cp0, int cp1,
                                   float[] y, Epilogue ep) {
        int cout = g.cout(), ldc = (cp1 - cp0) * NR;
        for (int t = t0; t < t1; t++) {
            int image = b + t / sh.imageTiles(), local = t % sh.imageTiles(), ty = local / sh.tilesW, tx = local % sh.tilesW;
            for (int co = cp0 * NR; co < Math.min(cout, cp1 * NR); co += VL) {
                int base = PAD + (t - t0) * ldc + co - cp0 * NR;
                // Six passes down M's columns, tmp[i][ξc] = Aᵀ M[:, ξc], then four along tmp's rows,
                // out[i][j] = Aᵀ tmp[i, :], through one call: inlined twice, with block inlining this
                // method and transformOutputs4, the transforms took block past C2's inlining budget in
                // some runs (see "Small enough for C2" in VectorGemm).
                for (int pass = 0; pass < 10; pass++) {
                    boolean column = pass < 6;
                    int i = column ? pass : pass - 6;
                    outputTransform6(column ? m : s.tmp, column ? base + i * mStride : PAD + i * 6 * VL,
                            column ? 6 * mStride : VL, column ? s.tmp : s.out, column ? PAD + i * VL : i * 4 * VL,
                            column ? 6 * VL : VL);
                }
                store(s, sh, image, ty, tx, co, Math.min(VL, cout - co), y, ep);
            }
        }
    }

    private void transformOutputs4(Scratch s, Shape sh, float[] m, int mStride, int b, int t0, int t1, int cp0, int cp1,
                                   float[] y, Epilogue ep) {
        int cout = g.cout(), ldc = (cp1 - cp0) * NR;
        for (int t = t0; t < t1; t++) {
            int image = b + t / sh.imageTiles(), local = t % sh.imageTiles(), ty = local / sh.tilesW, tx = local % sh.tilesW;
            for (int co = cp0 * NR; co < Math.min(cout, cp1 * NR); co += VL) {
                int base = PAD + (t - t0) * ldc + co - cp0 * NR;
                for (int c = 0; c < 4; c++) { // columns: tmp[i][ξc] = Aᵀ M[:, ξc]
                    outputTransform4(m, base + c * mStride, 4 * mStride, s.tmp, PAD + c * VL, 4 * VL);
                }
                for (int i = 0; i < 2; i++) { // rows: out[i][j] = Aᵀ tmp[i, :]
                    outputTransform4(s.tmp, PAD + i * 4 * VL, VL, s.out, i * 2 * VL, VL);
                }
                store(s, sh, image, ty, tx, co, Math.min(VL, cout - co), y, ep);
            }
        }
    }

    /**
     * {@link Winograd#inputTransform} of F(4×4), {@code Bᵀ d B}, for every group of VL tiles {@code j} in
     * [jLo, jHi) and, within it, every channel: six passes down the patches' columns ({@code d[r][c] =
     * p[ci*planeSize + j + off[r*6 + c]]} into {@code tmp[ξr][c]}), then six along the rows of {@code tmp}
     * into {@code V[ξr*6 + ξc, ci, j - jLo]}. Channels inner, so that each of V's 36 point planes is
     * written front to back (a group's channels lie side by side in V); with the groups inner, each plane
     * was written at up to eight places {@code cin·VL} floats apart at once (4 KB for layer1), and
     * ResNet-18 ran 4-5 % slower on the Intel host (bench/RESULTS.md, "The input transform's loops"). One
     * copy of the arithmetic, in a method too large for C2 to inline (see "One vector loop per method" in
     * {@link VectorOps}): called from two sites of one loop (columns, rows), the 32-operation transform
     * was inlined twice into one compilation when C2 compiled that loop before the transform, went past
     * C2's inlining budget, and the calls inlined late then boxed vectors for good (the engine's
     * allocation guards failed 3 runs in 30, in this method and in {@link VectorGemm#micro}'s epilogue).
     */
    private static void transformInputs6(float[] p, int planeSize, int[] off, int cin, int jLo, int jHi, float[] tmp,
                                         float[] v, int vStride) {
        FloatVector two = FloatVector.broadcast(S, 2f), four = FloatVector.broadcast(S, 4f);
        FloatVector minusFour = FloatVector.broadcast(S, -4f), minusFive = FloatVector.broadcast(S, -5f);
        for (int j = jLo; j < jHi; j += VL) { // channels inner: each point plane of V written in order
            for (int ci = 0; ci < cin; ci++) {
                int at = ci * planeSize + j, vAt = PAD + vIndex(ci, j - jLo, cin); // the phase planes hold one image
                for (int pass = 0; pass < 12; pass++) {
                    boolean column = pass < 6;
                    int k = column ? pass : pass - 6;
                    float[] src = column ? p : tmp, dst = column ? tmp : v;
                    int i0, i1, i2, i3, i4, i5, o, step;
                    if (column) { // column k of the patches → tmp[PAD + ξr*6*VL + k*VL]
                        i0 = at + off[k];
                        i1 = at + off[6 + k];
                        i2 = at + off[12 + k];
                        i3 = at + off[18 + k];
                        i4 = at + off[24 + k];
                        i5 = at + off[30 + k];
                        o = PAD + k * VL;
                        step = 6 * VL;
                    } else { // row k of tmp → V[k*6 + ξc, ci, j]
                        i0 = PAD + k * 6 * VL;
                        i1 = i0 + VL;
                        i2 = i0 + 2 * VL;
                        i3 = i0 + 3 * VL;
                        i4 = i0 + 4 * VL;
                        i5 = i0 + 5 * VL;
                        o = vAt + k * 6 * vStride;
                        step = vStride;
                    }
                    FloatVector d0 = FloatVector.fromArray(S, src, i0);
                    FloatVector d1 = FloatVector.fromArray(S, src, i1);
                    FloatVector d2 = FloatVector.fromArray(S, src, i2);
                    FloatVector d3 = FloatVector.fromArray(S, src, i3);
                    FloatVector d4 = FloatVector.fromArray(S, src, i4);
                    FloatVector d5 = FloatVector.fromArray(S, src, i5);
                    d0.fma(four, d2.fma(minusFive, d4)).intoArray(dst, o);
                    d1.add(d2).fma(minusFour, d3.add(d4)).intoArray(dst, o + step);
                    d1.sub(d2).fma(four, d4.sub(d3)).intoArray(dst, o + 2 * step);
                    d3.sub(d1).fma(two, d4.sub(d2)).intoArray(dst, o + 3 * step);
                    d1.sub(d3).fma(two, d4.sub(d2)).intoArray(dst, o + 4 * step);
                    d1.fma(four, d3.fma(minusFive, d5)).intoArray(dst, o + 5 * step);
                }
            }
        }
    }

    /** {@link #transformInputs6} for F(2×2): {@link Winograd#inputTransform} on 4×4 patches, four passes each way. */
    private static void transformInputs4(float[] p, int planeSize, int[] off, int cin, int jLo, int jHi, float[] tmp,
                                         float[] v, int vStride) {
        for (int j = jLo; j < jHi; j += VL) {
            for (int ci = 0; ci < cin; ci++) {
                int at = ci * planeSize + j, vAt = PAD + vIndex(ci, j - jLo, cin);
                for (int pass = 0; pass < 8; pass++) {
                    boolean column = pass < 4;
                    int k = column ? pass : pass - 4;
                    float[] src = column ? p : tmp, dst = column ? tmp : v;
                    int i0, i1, i2, i3, o, step;
                    if (column) {
                        i0 = at + off[k];
                        i1 = at + off[4 + k];
                        i2 = at + off[8 + k];
                        i3 = at + off[12 + k];
                        o = PAD + k * VL;
                        step = 4 * VL;
                    } else {
                        i0 = PAD + k * 4 * VL;
                        i1 = i0 + VL;
                        i2 = i0 + 2 * VL;
                        i3 = i0 + 3 * VL;
                        o = vAt + k * 4 * vStride;
                        step = vStride;
                    }
                    FloatVector d0 = FloatVector.fromArray(S, src, i0);
                    FloatVector d1 = FloatVector.fromArray(S, src, i1);
                    FloatVector d2 = FloatVector.fromArray(S, src, i2);
                    FloatVector d3 = FloatVector.fromArray(S, src, i3);
                    d0.sub(d2).intoArray(dst, o);
                    d1.add(d2).intoArray(dst, o + step);
                    d2.sub(d1).intoArray(dst, o + 2 * step);
                    d1.sub(d3).intoArray(dst, o + 3 * step);
                }
            }
        }
    }

    /** {@link Winograd#outputTransform} of F(2×2): four vectors read at {@code m[off + i*stride]}, two written at {@code y[yOff + i*yStride]}. */
    private static void outputTransform4(float[] m, int off, int stride, float[] y, int yOff, int yStride) {
        FloatVector m0 = FloatVector.fromArray(S, m, off);
        FloatVector m1 = FloatVector.fromArray(S, m, off + stride);
        FloatVector m2 = FloatVector.fromArray(S, m, off + 2 * stride);
        FloatVector m3 = FloatVector.fromArray(S, m, off + 3 * stride);
        m0.add(m1).add(m2).intoArray(y, yOff);
        m1.sub(m2).sub(m3).intoArray(y, yOff + yStride);
    }

    /** {@link Winograd#outputTransform} of F(4×4): six vectors read at {@code m[off + i*stride]}, four written at {@code y[yOff + i*yStride]}. */
    private static void outputTransform6(float[] m, int off, int stride, float[] y, int yOff, int yStride) {
        FloatVector m0 = FloatVector.fromArray(S, m, off);
        FloatVector m1 = FloatVector.fromArray(S, m, off + stride);
        FloatVector m2 = FloatVector.fromArray(S, m, off + 2 * stride);
        FloatVector m3 = FloatVector.fromArray(S, m, off + 3 * stride);
        FloatVector m4 = FloatVector.fromArray(S, m, off + 4 * stride);
        FloatVector m5 = FloatVector.fromArray(S, m, off + 5 * stride);
        FloatVector a = m1.add(m2), b = m1.sub(m2), c = m3.add(m4), d = m3.sub(m4);
        m0.add(a).add(c).intoArray(y, yOff);
        d.fma(FloatVector.broadcast(S, 2f), b).intoArray(y, yOff + yStride);
        c.fma(FloatVector.broadcast(S, 4f), a).intoArray(y, yOff + 2 * yStride);
        d.fma(FloatVector.broadcast(S, 8f), b).add(m5).intoArray(y, yOff + 3 * yStride);
    }

    /**
     * Writes one output tile for {@code lanes} channels from {@code co} on: {@code s.out[(i*m + j)*VL + l]}
     * is pixel (m*ty + i, m*tx + j) of channel co + l before the epilogue; pixels past the image are dropped.
     * The epilogue is {@link Epilogue#apply}'s arithmetic written as one {@code fma(acc, scale, shift)}
     * (scale 1 and shift −0 stand for none: both leave every float unchanged), then the residual, then
     * ReLU. With VL channels the affine part (and ReLU when there is no residual) runs here on whole
     * vectors, the channels in the lanes; the residual and the ReLU after it are added later by
     * {@link #addResiduals}, along the output's rows, where the residual is read as it is laid out.
     */
    private void store(Scratch s, Shape sh, int b, int ty, int tx, int co, int lanes, float[] y, Epilogue ep) {
        float[] out = s.out, scale = ep.scale(), shift = ep.shift(), res = ep.residual();
        boolean relu = ep.relu();
        int tile = sh.tile;
        int resDelta = ep.residualOffset(), rows = Math.min(tile, sh.oh - ty * tile), cols = Math.min(tile, sh.ow - tx * tile);
        int origin = (b * g.cout() + co) * sh.oh * sh.ow + ty * tile * sh.ow + tx * tile, planeSize = sh.oh * sh.ow;
        if (lanes == VL) {
            // One call of affine only: a second call site, inlined too, pushed the caller past C2's
            // inlining budget, and the late-inlined vector calls then boxed (see block).
            affine(out, tile * tile * VL, scale, shift, co, relu && res == null);
            if (rows == tile && cols == tile && tile == 4) {
                scatter4(out, y, origin, planeSize, sh.ow);
            } else if (rows == tile && cols == tile) {
                scatter2(out, y, origin, planeSize, sh.ow);
            } else {
                for (int l = 0; l < VL; l++) {
                    int plane = origin + l * planeSize;
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            y[plane + i * sh.ow + j] = out[(i * tile + j) * VL + l];
                        }
                    }
                }
            }
            return;
        }
        for (int l = 0; l < lanes; l++) {
            int ch = co + l;
            float sc = scale == null ? 1f : scale[ch], sf = shift != null ? shift[ch] : scale != null ? 0f : -0f;
            int plane = origin + l * planeSize;
            for (int i = 0; i < rows; i++) {
                int row = plane + i * sh.ow;
                for (int j = 0; j < cols; j++) {
                    float acc = Math.fma(out[(i * tile + j) * VL + l], sc, sf);
                    if (res != null) {
                        acc = acc + res[resDelta + row + j];
                    }
                    if (relu && acc < 0f) {
                        acc = 0f;
                    }
                    y[row + j] = acc;
                }
            }
        }
    }

    /*
     * A whole tile of VL channels, unrolled: per channel, one straight run of loads and stores whose
     * indices are linear in the channel, so C2 checks the bounds once per loop, not once per float.
     */

    /** {@code out[(i*4 + j)*VL + l] → y[origin + l*planeSize + i*ow + j]} for a whole 4×4 tile. */
    private static void scatter4(float[] out, float[] y, int origin, int planeSize, int ow) {
        for (int l = 0; l < VL; l++) {
            int r0 = origin + l * planeSize, r1 = r0 + ow, r2 = r1 + ow, r3 = r2 + ow;
            y[r0] = out[l];
            y[r0 + 1] = out[VL + l];
            y[r0 + 2] = out[2 * VL + l];
            y[r0 + 3] = out[3 * VL + l];
            y[r1] = out[4 * VL + l];
            y[r1 + 1] = out[5 * VL + l];
            y[r1 + 2] = out[6 * VL + l];
            y[r1 + 3] = out[7 * VL + l];
            y[r2] = out[8 * VL + l];
            y[r2 + 1] = out[9 * VL + l];
            y[r2 + 2] = out[10 * VL + l];
            y[r2 + 3] = out[11 * VL + l];
            y[r3] = out[12 * VL + l];
            y[r3 + 1] = out[13 * VL + l];
            y[r3 + 2] = out[14 * VL + l];
            y[r3 + 3] = out[15 * VL + l];
        }
    }

    /** {@link #scatter4} for a 2×2 tile. */
    private static void scatter2(float[] out, float[] y, int origin, int planeSize, int ow) {
        for (int l = 0; l < VL; l++) {
            int r0 = origin + l * planeSize, r1 = r0 + ow;
            y[r0] = out[l];
            y[r0 + 1] = out[VL + l];
            y[r1] = out[2 * VL + l];
            y[r1 + 1] = out[3 * VL + l];
        }
    }

    /**
     * {@code out[k] = fma(out[k], scale[co..], shift[co..])} for the tile's m² vectors ({@code length}
     * floats), then ReLU if asked. Slots of pixels past the image hold garbage, which is never stored.
     */
    private static void affine(float[] out, int length, float[] scale, float[] shift, int co, boolean relu) {
        FloatVector sc = scale == null ? FloatVector.broadcast(S, 1f) : FloatVector.fromArray(S, scale, co);
        FloatVector sf = shift != null ? FloatVector.fromArray(S, shift, co)
                : FloatVector.broadcast(S, scale != null ? 0f : -0f);
        for (int k = 0; k < length; k += VL) {
            FloatVector v = FloatVector.fromArray(S, out, k).fma(sc, sf);
            if (relu) {
                v = v.blend(0f, v.compare(VectorOperators.LT, 0f));
            }
            v.intoArray(out, k);
        }
    }

    /**
     * The end of the epilogue for the task's tiles {@code [t0, t1)} of the pictures from b on and its
     * channels of whole VL-blocks in panels {@code [cp0, cp1)}, once {@link #store} has written them:
     * {@code y = y + residual}, then ReLU if asked, the arithmetic {@link Epilogue#apply} ends with. It
     * runs along the output's rows (a run of whole tile rows is one stretch of each channel's plane),
     * a vector at a time. Gathering each 4×4 tile's residual into the channels-in-lanes layout
     * instead, sixteen floats from sixteen planes per vector, took a tenth of layer2's time on two
     * threads (JFR).
     */
    private void addResiduals(Shape sh, int b, int t0, int t1, int cp0, int cp1, float[] y, Epilogue ep) {
        int c0 = cp0 * NR, c1 = Math.min(cp1 * NR, g.cout() / VL * VL); // the others: see store's lanes < VL
        int tile = sh.tile, oh = sh.oh, ow = sh.ow, planeSize = oh * ow, imageTiles = sh.imageTiles(), tw = sh.tilesW;
        float[] res = ep.residual();
        int resDelta = ep.residualOffset();
        boolean relu = ep.relu();
        for (int t = t0; t < t1; ) {
            int image = b + t / imageTiles, local = t % imageTiles, ty = local / tw, tx = local % tw;
            int imageBase = image * g.cout() * planeSize;
            int wholeRows = tx == 0 ? Math.min((t1 - t) / tw, sh.tilesH - ty) : 0;
            if (wholeRows > 0) { // tile rows [ty, ty + wholeRows): one stretch of each plane
                int from = ty * tile * ow, to = Math.min(oh, (ty + wholeRows) * tile) * ow;
                for (int c = c0; c < c1; c++) {
                    int at = imageBase + c * planeSize + from;
                    addRelu(y, at, res, at + resDelta, to - from, relu);
                }
                t += wholeRows * tw;
                continue;
            }
            int txEnd = Math.min(tw, tx + (t1 - t)); // part of one tile row
            int x0 = tx * tile, x1 = Math.min(ow, txEnd * tile);
            for (int c = c0; c < c1; c++) {
                for (int i = ty * tile; i < Math.min(oh, ty * tile + tile); i++) {
                    int at = imageBase + c * planeSize + i * ow + x0;
                    addRelu(y, at, res, at + resDelta, x1 - x0, relu);
                }
            }
            t += txEnd - tx;
        }
    }

    /** {@code y[at..] = y + res[rAt..]}, then ReLU if asked (a blend on {@code < 0}, as {@link #affine}), for {@code len} floats. */
    private static void addRelu(float[] y, int at, float[] res, int rAt, int len, boolean relu) {
        int i = 0;
        for (; i <= len - VL; i += VL) {
            FloatVector v = FloatVector.fromArray(S, y, at + i).add(FloatVector.fromArray(S, res, rAt + i));
            if (relu) {
                v = v.blend(0f, v.compare(VectorOperators.LT, 0f));
            }
            v.intoArray(y, at + i);
        }
        for (; i < len; i++) {
            float v = y[at + i] + res[rAt + i];
            y[at + i] = relu && v < 0f ? 0f : v;
        }
    }
}
