package vecnet.engine;

/**
 * Winograd's minimal filtering F(m×m, 3×3) for 3×3 stride-1 convolutions (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2015), in two sizes, and its scalar reference.
 *
 * <p>The output is cut into tiles of m×m pixels. Tile t of output channel co is computed from the
 * (m+2)×(m+2) input patches {@code d[ci]} under it (zero outside the image) as
 * <pre>
 *   Y = Aᵀ [ Σ_ci U[ci, co] ⊙ V[t, ci] ] A,      U = G g Gᵀ (once per weight),  V = Bᵀ d B
 * </pre>
 * where ⊙ multiplies element by element. For each transform point ξ the sum over input channels is
 * a matrix product {@code M_ξ[t, co] = Σ_ci V_ξ[t, ci] · U_ξ[ci, co]}.
 *
 * <p>{@link #F4}, F(4×4, 3×3): 36 points, 36 multiply-adds per 16 outputs and channel pair where the
 * direct convolution does 144; its transformed weights are 4× the weights. Interpolation points 0,
 * ±1, ±2 and ∞:
 * <pre>
 *   Bᵀ = [4  0 -5  0  1  0]     G = [ 1/4     0     0]     Aᵀ = [1  1  1  1  1  0]
 *        [0 -4 -4  1  1  0]         [-1/6  -1/6  -1/6]          [0  1 -1  2 -2  0]
 *        [0  4 -4 -1  1  0]         [-1/6   1/6  -1/6]          [0  1  1  4  4  0]
 *        [0 -2 -1  2  1  0]         [1/24  1/12   1/6]          [0  1 -1  8 -8  1]
 *        [0  2 -1 -2  1  0]         [1/24 -1/12   1/6]
 *        [0  4  0 -5  0  1]         [   0     0     1]
 * </pre>
 * {@link #F2}, F(2×2, 3×3): 16 points, 16 multiply-adds per 4 outputs (2.25× fewer than direct), and
 * transformed weights 16/9 of the weights. Points 0, ±1 and ∞:
 * <pre>
 *   Bᵀ = [1  0 -1  0]     G = [  1     0    0]     Aᵀ = [1  1  1  0]
 *        [0  1  1  0]         [1/2   1/2  1/2]          [0  1 -1 -1]
 *        [0 -1  1  0]         [1/2  -1/2  1/2]
 *        [0  1  0 -1]         [  0     0    1]
 * </pre>
 * Why two: on a 7×7 map (ResNet's last stage) F(4×4) covers 49 pixels with four 4×4 tiles, so each
 * transformed weight serves only four tiles, and reading 36·cin·cout floats (38 MB for 512 channels)
 * from memory costs more than the multiplies; F(2×2) reads 16/36 as much for sixteen tiles.
 * {@link #choose} picks by the size of the map alone.
 *
 * <p>Measured in torch, float32 F(4×4, 3×3) moves ResNet-18's logits by under 1e-6 relative
 * (docs/FORMATS-AND-KERNELS.md), 100× inside the 1e-4 contract; F(2×2)'s smaller constants
 * round less.
 *
 * <p>This class holds what both implementations share: the weight transform (computed in double,
 * rounded once), the 1-D transforms written as the exact sequence of float operations that
 * {@link VectorWinograd} repeats lane by lane, and {@link #reference}, plain loops that are the
 * vector code's twin: for the same inputs they give the same bits. The direct convolution of
 * {@link ScalarKernels} stays the reference of the formula itself.
 */
final class Winograd {
    /** F(4×4, 3×3). */
    static final Winograd F4 = new Winograd(4, new double[][] {
            {1.0 / 4, 0, 0},
            {-1.0 / 6, -1.0 / 6, -1.0 / 6},
            {-1.0 / 6, 1.0 / 6, -1.0 / 6},
            {1.0 / 24, 1.0 / 12, 1.0 / 6},
            {1.0 / 24, -1.0 / 12, 1.0 / 6},
            {0, 0, 1},
    });
    /** F(2×2, 3×3). */
    static final Winograd F2 = new Winograd(2, new double[][] {
            {1, 0, 0},
            {1.0 / 2, 1.0 / 2, 1.0 / 2},
            {1.0 / 2, -1.0 / 2, 1.0 / 2},
            {0, 0, 1},
    });
    /** {@link #F4} from this many output tiles per image on. */
    static final int F4_MIN_TILES = 9;
    /** {@link #F2} from this many of its tiles per image on; smaller maps run the direct convolution. */
    static final int F2_MIN_TILES = 4;
    /**
     * The sum over input channels is taken in slices of this many channels, each a fused
     * multiply-add chain, the slices then added in order: the same grouping as the vector GEMM's.
     */
    static final int KC = 256;

    /** Output tile side m, input patch side m + 2, and the number of transform points (m + 2)². */
    final int tile, patch, points;
    private final double[][] gMatrix;

    private Winograd(int tile, double[][] gMatrix) {
        this.tile = tile;
        this.patch = tile + 2;
        this.points = patch * patch;
        this.gMatrix = gMatrix;
    }

    /** True for the convolutions this algorithm computes: 3×3, stride 1, no dilation, one group. */
    static boolean applies(ConvGeometry g) {
        return g.kh() == 3 && g.kw() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.dilH() == 1 && g.dilW() == 1 && g.groups() == 1;
    }

    /**
     * The algorithm for an output map of {@code oh × ow} pixels: {@link #F4} for maps of at least
     * {@link #F4_MIN_TILES} of its tiles, else {@link #F2} for at least {@link #F2_MIN_TILES} of its
     * tiles, else null (the direct convolution). It depends on the map only, never on the batch, so a
     * picture gets the same bits alone or in a batch.
     */
    static Winograd choose(int oh, int ow) {
        if (F4.tiles(oh) * F4.tiles(ow) >= F4_MIN_TILES) {
            return F4;
        }
        return F2.tiles(oh) * F2.tiles(ow) >= F2_MIN_TILES ? F2 : null;
    }

    /** Tiles along an output side of {@code out} pixels. */
    int tiles(int out) {
        return (out + tile - 1) / tile;
    }

    @Override
    public String toString() {
        return "F(" + tile + "x" + tile + ", 3x3)";
    }

    /**
     * The transformed weights {@code U[(ξ*cin + ci)*cout + co] = (G g Gᵀ)[ξ]} with {@code g} the 3×3
     * kernel {@code weight[co, ci]} ({@code [cout, cin, 3, 3]}), computed in double and rounded once.
     */
    float[] transformWeights(ConvGeometry g, float[] weight) {
        int cin = g.cin(), cout = g.cout();
        float[] u = new float[points * cin * cout];
        double[] gg = new double[patch * 3];
        for (int co = 0; co < cout; co++) {
            for (int ci = 0; ci < cin; ci++) {
                transformKernel(weight, (co * cin + ci) * 9, gg, u, ci * cout + co, cin * cout);
            }
        }
        return u;
    }

    /**
     * One 3×3 kernel's {@code G g Gᵀ}: {@code g} at {@code weight[w0 .. w0+9)}, point ξ written to
     * {@code u[uOff + ξ*uStride]}, computed in double and rounded once. {@code gg} is scratch of
     * {@code patch*3}.
     */
    void transformKernel(float[] weight, int w0, double[] gg, float[] u, int uOff, int uStride) {
        double[][] G = gMatrix;
        for (int a = 0; a < patch; a++) { // gg = G g  (patch×3)
            for (int j = 0; j < 3; j++) {
                gg[a * 3 + j] = G[a][0] * weight[w0 + j] + G[a][1] * weight[w0 + 3 + j] + G[a][2] * weight[w0 + 6 + j];
            }
        }
        for (int a = 0; a < patch; a++) { // U = (G g) Gᵀ  (patch×patch)
            for (int b = 0; b < patch; b++) {
                double v = gg[a * 3] * G[b][0] + gg[a * 3 + 1] * G[b][1] + gg[a * 3 + 2] * G[b][2];
                u[uOff + (a * patch + b) * uStride] = (float) v;
            }
        }
    }

    /**
     * The 1-D input transform {@code o = Bᵀ d} of {@link #patch} values read at {@code d[off + i*stride]},
     * written to {@code o[oOff + i*oStride]}. The vector code performs these very operations.
     */
    void inputTransform(float[] d, int off, int stride, float[] o, int oOff, int oStride) {
        if (tile == 2) {
            float d0 = d[off], d1 = d[off + stride], d2 = d[off + 2 * stride], d3 = d[off + 3 * stride];
            o[oOff] = d0 - d2;
            o[oOff + oStride] = d1 + d2;
            o[oOff + 2 * oStride] = d2 - d1;
            o[oOff + 3 * oStride] = d1 - d3;
            return;
        }
        float d0 = d[off], d1 = d[off + stride], d2 = d[off + 2 * stride];
        float d3 = d[off + 3 * stride], d4 = d[off + 4 * stride], d5 = d[off + 5 * stride];
        o[oOff] = Math.fma(4f, d0, Math.fma(-5f, d2, d4));
        o[oOff + oStride] = Math.fma(-4f, d1 + d2, d3 + d4);
        o[oOff + 2 * oStride] = Math.fma(4f, d1 - d2, d4 - d3);
        o[oOff + 3 * oStride] = Math.fma(2f, d3 - d1, d4 - d2);
        o[oOff + 4 * oStride] = Math.fma(2f, d1 - d3, d4 - d2);
        o[oOff + 5 * oStride] = Math.fma(4f, d1, Math.fma(-5f, d3, d5));
    }

    /** The 1-D output transform {@code y = Aᵀ m}: {@link #patch} values in, {@link #tile} out, laid out as in {@link #inputTransform}. */
    void outputTransform(float[] m, int off, int stride, float[] y, int yOff, int yStride) {
        if (tile == 2) {
            float m0 = m[off], m1 = m[off + stride], m2 = m[off + 2 * stride], m3 = m[off + 3 * stride];
            y[yOff] = m0 + m1 + m2;
            y[yOff + yStride] = m1 - m2 - m3;
            return;
        }
        float m0 = m[off], m1 = m[off + stride], m2 = m[off + 2 * stride];
        float m3 = m[off + 3 * stride], m4 = m[off + 4 * stride], m5 = m[off + 5 * stride];
        float a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
        y[yOff] = m0 + a + c;
        y[yOff + yStride] = Math.fma(2f, d, b);
        y[yOff + 2 * yStride] = Math.fma(4f, c, a);
        y[yOff + 3 * yStride] = Math.fma(8f, d, b) + m5;
    }

    /**
     * The whole convolution with plain loops, tile by tile: {@code y = ep(conv(x, w))} as
     * {@link Kernels.Conv2dPlan#run} states it, with {@code u} from {@link #transformWeights}.
     * {@code x} is {@code [n, cin, h, w]}, {@code y} is {@code [n, cout, outH, outW]}. Sequential; it
     * exists to be read and to test {@link VectorWinograd} against.
     */
    void reference(ConvGeometry g, float[] u, float[] x, int n, int h, int w, float[] y, Epilogue ep) {
        int cin = g.cin(), cout = g.cout(), oh = g.outH(h), ow = g.outW(w);
        float[] d = new float[points], t = new float[points], v = new float[cin * points];
        float[] m = new float[points], z = new float[tile * patch], out = new float[tile * tile];
        for (int b = 0; b < n; b++) {
            for (int ty = 0; ty < tiles(oh); ty++) {
                for (int tx = 0; tx < tiles(ow); tx++) {
                    for (int ci = 0; ci < cin; ci++) { // V[ci] = Bᵀ d B: columns first, then rows
                        for (int r = 0; r < patch; r++) {
                            for (int c = 0; c < patch; c++) {
                                int iy = ty * tile + r - g.padH(), ix = tx * tile + c - g.padW();
                                boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                                d[r * patch + c] = inside ? x[((b * cin + ci) * h + iy) * w + ix] : 0f;
                            }
                        }
                        for (int c = 0; c < patch; c++) {
                            inputTransform(d, c, patch, t, c, patch);
                        }
                        for (int r = 0; r < patch; r++) {
                            inputTransform(t, r * patch, 1, v, ci * points + r * patch, 1);
                        }
                    }
                    for (int co = 0; co < cout; co++) {
                        for (int xi = 0; xi < points; xi++) { // M_ξ = Σ_ci V_ξ[ci] U_ξ[ci, co], by slices of KC
                            float sum = 0f;
                            for (int k0 = 0; k0 < cin; k0 += KC) {
                                float s = 0f;
                                for (int ci = k0; ci < Math.min(cin, k0 + KC); ci++) {
                                    s = Math.fma(v[ci * points + xi], u[(xi * cin + ci) * cout + co], s);
                                }
                                sum = k0 == 0 ? s : s + sum;
                            }
                            m[xi] = sum;
                        }
                        for (int c = 0; c < patch; c++) { // Y = Aᵀ M A: columns first, then rows
                            outputTransform(m, c, patch, z, c, patch);
                        }
                        for (int i = 0; i < tile; i++) {
                            outputTransform(z, i * patch, 1, out, i * tile, 1);
                        }
                        for (int i = 0; i < tile; i++) {
                            for (int j = 0; j < tile; j++) {
                                int oy = ty * tile + i, ox = tx * tile + j;
                                if (oy < oh && ox < ow) {
                                    int idx = ((b * cout + co) * oh + oy) * ow + ox;
                                    y[idx] = ep.apply(out[i * tile + j], co, ep.residualOffset() + idx);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
