package vecnet.engine;

/**
 * Winograd's minimal filtering F(4×4, 3×3) for 3×3 stride-1 convolutions (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2015), and its scalar reference.
 *
 * <p>The output is cut into tiles of 4×4 pixels. Tile t of output channel co is computed from the
 * 6×6 input patches {@code d[ci]} under it (zero outside the image) as
 * <pre>
 *   Y = Aᵀ [ Σ_ci U[ci, co] ⊙ V[t, ci] ] A,      U = G g Gᵀ (6×6, once per weight),  V = Bᵀ d B (6×6)
 * </pre>
 * where ⊙ multiplies element by element. For each of the 36 transform points ξ the sum over input
 * channels is a matrix product {@code M_ξ[t, co] = Σ_ci V_ξ[t, ci] · U_ξ[ci, co]}: 36 multiply-adds
 * per 16 outputs and channel pair, where the direct convolution does 144. The interpolation points
 * are 0, ±1, ±2 and ∞:
 * <pre>
 *   Bᵀ = [4  0 -5  0  1  0]     G = [ 1/4     0     0]     Aᵀ = [1  1  1  1  1  0]
 *        [0 -4 -4  1  1  0]         [-1/6  -1/6  -1/6]          [0  1 -1  2 -2  0]
 *        [0  4 -4 -1  1  0]         [-1/6   1/6  -1/6]          [0  1  1  4  4  0]
 *        [0 -2 -1  2  1  0]         [1/24  1/12   1/6]          [0  1 -1  8 -8  1]
 *        [0  2 -1 -2  1  0]         [1/24 -1/12   1/6]
 *        [0  4  0 -5  0  1]         [   0     0     1]
 * </pre>
 * Measured in torch, float32 F(4×4, 3×3) moves ResNet-18's logits by under 1e-6 relative
 * (docs/FORMATS-AND-KERNELS.md), 100× inside the 1e-4 contract.
 *
 * <p>This class holds what both implementations share: the weight transform (computed in double,
 * rounded once), the 1-D transforms written as the exact sequence of float operations that
 * {@link VectorWinograd} repeats lane by lane, and {@link #reference}, plain loops that are the
 * vector code's twin: for the same inputs they give the same bits. The direct convolution of
 * {@link ScalarKernels} stays the reference of the formula itself.
 */
final class Winograd {
    /** Output tile side, input patch side, and the number of transform points (6×6). */
    static final int TILE = 4, PATCH = 6, POINTS = 36;
    /**
     * The sum over input channels is taken in slices of this many channels, each a fused
     * multiply-add chain, the slices then added in order: the same grouping as the vector GEMM's.
     */
    static final int KC = 256;

    private Winograd() {
    }

    /** True for the convolutions this algorithm computes: 3×3, stride 1, no dilation, one group. */
    static boolean applies(ConvGeometry g) {
        return g.kh() == 3 && g.kw() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.dilH() == 1 && g.dilW() == 1 && g.groups() == 1;
    }

    /** Tiles along an output side of {@code out} pixels. */
    static int tiles(int out) {
        return (out + TILE - 1) / TILE;
    }

    private static final double[][] G = {
            {1.0 / 4, 0, 0},
            {-1.0 / 6, -1.0 / 6, -1.0 / 6},
            {-1.0 / 6, 1.0 / 6, -1.0 / 6},
            {1.0 / 24, 1.0 / 12, 1.0 / 6},
            {1.0 / 24, -1.0 / 12, 1.0 / 6},
            {0, 0, 1},
    };

    /**
     * The transformed weights {@code U[(ξ*cin + ci)*cout + co] = (G g Gᵀ)[ξ]} with {@code g} the 3×3
     * kernel {@code weight[co, ci]} ({@code [cout, cin, 3, 3]}), computed in double and rounded once.
     */
    static float[] transformWeights(ConvGeometry g, float[] weight) {
        int cin = g.cin(), cout = g.cout();
        float[] u = new float[POINTS * cin * cout];
        double[] gg = new double[PATCH * 3];
        for (int co = 0; co < cout; co++) {
            for (int ci = 0; ci < cin; ci++) {
                int w0 = (co * cin + ci) * 9;
                for (int a = 0; a < PATCH; a++) { // gg = G g  (6×3)
                    for (int j = 0; j < 3; j++) {
                        gg[a * 3 + j] = G[a][0] * weight[w0 + j] + G[a][1] * weight[w0 + 3 + j] + G[a][2] * weight[w0 + 6 + j];
                    }
                }
                for (int a = 0; a < PATCH; a++) { // U = (G g) Gᵀ  (6×6)
                    for (int b = 0; b < PATCH; b++) {
                        double v = gg[a * 3] * G[b][0] + gg[a * 3 + 1] * G[b][1] + gg[a * 3 + 2] * G[b][2];
                        u[((a * PATCH + b) * cin + ci) * cout + co] = (float) v;
                    }
                }
            }
        }
        return u;
    }

    /**
     * The 1-D input transform {@code o = Bᵀ d} of six values read at {@code d[off + i*stride]},
     * written to {@code o[oOff + i*oStride]}. The vector code performs these very operations.
     */
    static void inputTransform(float[] d, int off, int stride, float[] o, int oOff, int oStride) {
        float d0 = d[off], d1 = d[off + stride], d2 = d[off + 2 * stride];
        float d3 = d[off + 3 * stride], d4 = d[off + 4 * stride], d5 = d[off + 5 * stride];
        o[oOff] = Math.fma(4f, d0, Math.fma(-5f, d2, d4));
        o[oOff + oStride] = Math.fma(-4f, d1 + d2, d3 + d4);
        o[oOff + 2 * oStride] = Math.fma(4f, d1 - d2, d4 - d3);
        o[oOff + 3 * oStride] = Math.fma(2f, d3 - d1, d4 - d2);
        o[oOff + 4 * oStride] = Math.fma(2f, d1 - d3, d4 - d2);
        o[oOff + 5 * oStride] = Math.fma(4f, d1, Math.fma(-5f, d3, d5));
    }

    /** The 1-D output transform {@code y = Aᵀ m}: six values in, four out, laid out as in {@link #inputTransform}. */
    static void outputTransform(float[] m, int off, int stride, float[] y, int yOff, int yStride) {
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
    static void reference(ConvGeometry g, float[] u, float[] x, int n, int h, int w, float[] y, Epilogue ep) {
        int cin = g.cin(), cout = g.cout(), oh = g.outH(h), ow = g.outW(w);
        float[] d = new float[POINTS], t = new float[POINTS], v = new float[cin * POINTS];
        float[] m = new float[POINTS], z = new float[TILE * PATCH], out = new float[TILE * TILE];
        for (int b = 0; b < n; b++) {
            for (int ty = 0; ty < tiles(oh); ty++) {
                for (int tx = 0; tx < tiles(ow); tx++) {
                    for (int ci = 0; ci < cin; ci++) { // V[ci] = Bᵀ d B: columns first, then rows
                        for (int r = 0; r < PATCH; r++) {
                            for (int c = 0; c < PATCH; c++) {
                                int iy = ty * TILE + r - g.padH(), ix = tx * TILE + c - g.padW();
                                boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                                d[r * PATCH + c] = inside ? x[((b * cin + ci) * h + iy) * w + ix] : 0f;
                            }
                        }
                        for (int c = 0; c < PATCH; c++) {
                            inputTransform(d, c, PATCH, t, c, PATCH);
                        }
                        for (int r = 0; r < PATCH; r++) {
                            inputTransform(t, r * PATCH, 1, v, ci * POINTS + r * PATCH, 1);
                        }
                    }
                    for (int co = 0; co < cout; co++) {
                        for (int xi = 0; xi < POINTS; xi++) { // M_ξ = Σ_ci V_ξ[ci] U_ξ[ci, co], by slices of KC
                            float sum = 0f;
                            for (int k0 = 0; k0 < cin; k0 += KC) {
                                float s = 0f;
                                for (int ci = k0; ci < Math.min(cin, k0 + KC); ci++) {
                                    s = Math.fma(v[ci * POINTS + xi], u[(xi * cin + ci) * cout + co], s);
                                }
                                sum = k0 == 0 ? s : s + sum;
                            }
                            m[xi] = sum;
                        }
                        for (int c = 0; c < PATCH; c++) { // Y = Aᵀ M A: columns first, then rows
                            outputTransform(m, c, PATCH, z, c, PATCH);
                        }
                        for (int i = 0; i < TILE; i++) {
                            outputTransform(z, i * PATCH, 1, out, i * TILE, 1);
                        }
                        for (int i = 0; i < TILE; i++) {
                            for (int j = 0; j < TILE; j++) {
                                int oy = ty * TILE + i, ox = tx * TILE + j;
                                if (oy < oh && ox < ow) {
                                    int idx = ((b * cout + co) * oh + oy) * ow + ox;
                                    y[idx] = ep.apply(out[i * TILE + j], co, ep.residualOffset() + idx);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
