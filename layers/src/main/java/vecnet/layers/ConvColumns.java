package vecnet.layers;

import vecnet.engine.ComputePool;
import vecnet.engine.ConvGeometry;

/**
 * The column ("im2col") form of a convolution's input, for the backward pass, where the products
 * are ordinary GEMMs over the whole batch:
 *
 * <pre>
 *   col[r, q]  with  r = (ci·kh + i)·kw + j   (ci over all cin channels; group g owns rows [g·K, (g+1)·K), K = cin/groups·kh·kw)
 *                    q = n·P + oh·outW + ow    (P = outH·outW)
 *   col[r, q] = x[n, ci, oh·sh − ph + i·dh, ow·sw − pw + j·dw], zero outside the input
 * </pre>
 *
 * {@link #im2col} builds it; {@link #col2imAdd} is its transpose, adding every column entry back
 * onto the input pixel it came from. Plain loops (memory moves, a small part of the time) whose
 * inner loop runs over the output columns that fall inside the input, so that with stride 1 it is
 * a contiguous copy or add the JIT vectorizes. Each task owns whole rows of {@code col} or whole
 * planes of {@code x}, and a pixel's sum is always taken in the order {@code (i, j, oh, ow)}, so
 * results do not depend on the thread count.
 */
final class ConvColumns {
    private ConvColumns() {
    }

    /** The first output column {@code ow} whose input column {@code ow·sw − pw + j·dw} is ≥ 0. */
    private static int firstInside(ConvGeometry g, int j) {
        int shift = g.padW() - j * g.dilW();   // ow·sw ≥ shift
        return Math.max(0, -Math.floorDiv(-shift, g.strideW()));
    }

    /** One past the last output column whose input column is < w. */
    private static int endInside(ConvGeometry g, int j, int w, int ow) {
        int shift = w - 1 + g.padW() - j * g.dilW();   // ow·sw ≤ shift
        return shift < 0 ? 0 : Math.min(ow, shift / g.strideW() + 1);
    }

    /** {@code x (n, cin, h, w)} -> {@code col (cin·kh·kw, n·outH·outW)}, laid out as in the class comment. */
    static float[] im2col(ComputePool pool, ConvGeometry g, float[] x, int n, int h, int w) {
        int oh = g.outH(h), ow = g.outW(w), p = oh * ow, np = n * p;
        int rows = g.cin() * g.kh() * g.kw(), sw = g.strideW();
        float[] col = new float[rows * np];
        pool.parallelFor(rows, r -> {
            int j = r % g.kw(), i = (r / g.kw()) % g.kh(), ci = r / (g.kw() * g.kh());
            int lo = firstInside(g, j), hi = endInside(g, j, w, ow), off = j * g.dilW() - g.padW();
            for (int b = 0; b < n; b++) {
                int plane = (b * g.cin() + ci) * h * w;
                for (int y = 0; y < oh; y++) {
                    int ih = y * g.strideH() - g.padH() + i * g.dilH();
                    if (ih < 0 || ih >= h || lo >= hi) {
                        continue;   // the row stays zero
                    }
                    int src = plane + ih * w + off, q = r * np + b * p + y * ow;
                    if (sw == 1) {
                        System.arraycopy(x, src + lo, col, q + lo, hi - lo);
                    } else {
                        for (int xo = lo; xo < hi; xo++) {
                            col[q + xo] = x[src + xo * sw];
                        }
                    }
                }
            }
        });
        return col;
    }

    /**
     * {@code dx[n, ci, ih, iw] += Σ col[r, q]} over the entries {@link #im2col} read from that pixel;
     * {@code dx} is {@code (n, cin, h, w)}, one task per {@code (n, ci)} plane.
     */
    static void col2imAdd(ComputePool pool, ConvGeometry g, float[] col, int n, int h, int w, float[] dx) {
        int oh = g.outH(h), ow = g.outW(w), p = oh * ow, np = n * p;
        int kk = g.kh() * g.kw(), sw = g.strideW();
        pool.parallelFor(n * g.cin(), plane -> {
            int b = plane / g.cin(), ci = plane % g.cin();
            int base = plane * h * w;
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    int lo = firstInside(g, j), hi = endInside(g, j, w, ow), off = j * g.dilW() - g.padW();
                    int q0 = (ci * kk + i * g.kw() + j) * np + b * p;
                    for (int y = 0; y < oh; y++) {
                        int ih = y * g.strideH() - g.padH() + i * g.dilH();
                        if (ih < 0 || ih >= h) {
                            continue;
                        }
                        int dst = base + ih * w + off, q = q0 + y * ow;
                        if (sw == 1) {
                            for (int xo = lo; xo < hi; xo++) {
                                dx[dst + xo] += col[q + xo];
                            }
                        } else {
                            for (int xo = lo; xo < hi; xo++) {
                                dx[dst + xo * sw] += col[q + xo];
                            }
                        }
                    }
                }
            }
        });
    }
}
