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
 * It is never built: the weight gradient reads the input directly
 * ({@link vecnet.engine.Kernels#convWeightGradient}). {@link #col2imAdd} is its transpose, adding
 * every entry of a column-shaped gradient back onto the input pixel it came from: a plain loop whose
 * inner loop runs over the output columns that fall inside the input, so that with stride 1 it is
 * a contiguous add the JIT vectorizes. Each task owns whole planes of {@code x}, and a pixel's sum
 * is always taken in the order {@code (i, j, oh, ow)}, so results do not depend on the thread count.
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

    /**
     * {@code dx[n, ci, ih, iw] += Σ col[r, q]} over the entries of X̂ read from that pixel;
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
