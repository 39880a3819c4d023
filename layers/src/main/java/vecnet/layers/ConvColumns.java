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
 * onto the input pixel it came from. Plain loops: both are memory moves, a small part of the time.
 * Each task owns whole rows of {@code col} or whole planes of {@code x}, and a pixel's sum is
 * always taken in the order {@code (i, j, oh, ow)}, so results do not depend on the thread count.
 */
final class ConvColumns {
    private ConvColumns() {
    }

    /** {@code x (n, cin, h, w)} -> {@code col (cin·kh·kw, n·outH·outW)}, laid out as in the class comment. */
    static float[] im2col(ComputePool pool, ConvGeometry g, float[] x, int n, int h, int w) {
        int oh = g.outH(h), ow = g.outW(w), p = oh * ow, np = n * p;
        int rows = g.cin() * g.kh() * g.kw();
        float[] col = new float[rows * np];
        pool.parallelFor(rows, r -> {
            int j = r % g.kw(), i = (r / g.kw()) % g.kh(), ci = r / (g.kw() * g.kh());
            for (int b = 0; b < n; b++) {
                int plane = (b * g.cin() + ci) * h * w;
                int q = r * np + b * p;
                for (int y = 0; y < oh; y++) {
                    int ih = y * g.strideH() - g.padH() + i * g.dilH();
                    if (ih < 0 || ih >= h) {
                        q += ow;   // the row stays zero
                        continue;
                    }
                    int rowStart = plane + ih * w;
                    for (int xo = 0; xo < ow; xo++, q++) {
                        int iw = xo * g.strideW() - g.padW() + j * g.dilW();
                        if (iw >= 0 && iw < w) {
                            col[q] = x[rowStart + iw];
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
        int kk = g.kh() * g.kw();
        pool.parallelFor(n * g.cin(), plane -> {
            int b = plane / g.cin(), ci = plane % g.cin();
            int base = plane * h * w;
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    int q0 = (ci * kk + i * g.kw() + j) * np + b * p;
                    for (int y = 0; y < oh; y++) {
                        int ih = y * g.strideH() - g.padH() + i * g.dilH();
                        if (ih < 0 || ih >= h) {
                            continue;
                        }
                        int rowStart = base + ih * w, q = q0 + y * ow;
                        for (int xo = 0; xo < ow; xo++) {
                            int iw = xo * g.strideW() - g.padW() + j * g.dilW();
                            if (iw >= 0 && iw < w) {
                                dx[rowStart + iw] += col[q + xo];
                            }
                        }
                    }
                }
            }
        });
    }
}
