package vecnet.multimodal;

import vecnet.engine.ComputePool;

/**
 * Pillow's {@code Image.resize(size, Image.BILINEAR)} on 8-bit RGB, ported so that the output is
 * byte-identical (Pillow 9.4, {@code src/libImaging/Resample.c}). This is what torchvision's
 * {@code Resize} runs on a PIL image. Java2D's bilinear scaling is a different filter (up to 14
 * levels off): never use it for this.
 *
 * <p>The filter is separable: a horizontal pass (only if the width changes) writes a uint8 image,
 * then a vertical pass (only if the height changes). For one axis of input size {@code in} and
 * output size {@code out}, all in double:
 * <pre>
 *   scale = in / out;  filterscale = max(scale, 1);  support = 1 · filterscale   (widened when downscaling: antialiasing)
 *   center = (o + 0.5) · scale
 *   xmin = max((int)(center − support + 0.5), 0);  xmax = min((int)(center + support + 0.5), in)
 *   w[x] = tri((x − center + 0.5) / filterscale),  tri(t) = max(0, 1 − |t|),   for x in [xmin, xmax)
 *   w[x] /= Σ w                                    (the window is clipped at the edges and renormalised)
 *   k[x] = (int)(0.5 + w[x] · 2^22)                 (22-bit fixed point)
 *   out[o] = clamp((2^21 + Σ in[x] · k[x]) >> 22, 0, 255)   (int32 accumulation, rounding by 2^21)
 * </pre>
 *
 * <p>Stateless; the optional pool splits the rows, and the result does not depend on it.
 */
public final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResize() {
    }

    /** {@code img.resize((width, height), Image.BILINEAR)}: (H, W, 3) → (height, width, 3); the same image if the size is unchanged. */
    public static ImageRgb resize(ImageRgb img, int width, int height) {
        return resize(img, width, height, ComputePool.sequential());
    }

    /** As {@link #resize(ImageRgb, int, int)}, rows split over {@code pool}. */
    public static ImageRgb resize(ImageRgb img, int width, int height, ComputePool pool) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize target must be at least 1x1, got " + width + "x" + height);
        }
        if ((long) width * height * 3 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("resize target " + width + "x" + height + " of " + img
                    + " does not fit in one Java array");
        }
        if (width == img.width() && height == img.height()) {
            return img; // Pillow returns a copy; ImageRgb is immutable, so the image itself will do
        }
        Coefficients vert = Coefficients.bilinear(img.height(), height);
        ImageRgb tmp = img;
        if (width != img.width()) {
            Coefficients horiz = Coefficients.bilinear(img.width(), width);
            // only the source rows the vertical pass will read: [first, last)
            int first = height != img.height() ? vert.start[0] : 0;
            int last = height != img.height() ? vert.start[height - 1] + vert.count[height - 1] : img.height();
            tmp = horizontal(img, horiz, first, last, pool);
            if (height != img.height()) {
                vert = vert.shifted(-first);
            }
        }
        if (height != img.height()) {
            tmp = vertical(tmp, vert, pool);
        }
        return tmp;
    }

    /**
     * The filter weights of one axis, before the fixed-point step, exactly as Pillow's
     * {@code precompute_coeffs}: row {@code o} holds {@code count[o]} weights for the input
     * samples {@code start[o] ...}. Public so tests and students can look at them.
     */
    public static double[][] bilinearWeights(int inSize, int outSize) {
        Coefficients c = Coefficients.bilinear(inSize, outSize);
        double[][] w = new double[outSize][];
        for (int o = 0; o < outSize; o++) {
            w[o] = java.util.Arrays.copyOfRange(c.weights, o * c.ksize, o * c.ksize + c.count[o]);
        }
        return w;
    }

    /** Horizontal pass on rows [first, last): (H, W, 3) → (last − first, outW, 3). */
    private static ImageRgb horizontal(ImageRgb img, Coefficients c, int first, int last, ComputePool pool) {
        int inW = img.width();
        int outW = c.count.length;
        int rows = last - first;
        byte[] in = img.pixels();
        byte[] out = new byte[rows * outW * 3];
        int tasks = Math.min(rows, Math.max(1, pool.threads() * 4));
        pool.parallelFor(tasks, t -> {
            int y0 = ComputePool.splitStart(rows, tasks, t);
            int y1 = ComputePool.splitStart(rows, tasks, t + 1);
            for (int y = y0; y < y1; y++) {
                int inRow = (first + y) * inW * 3;
                int o = y * outW * 3;
                for (int xx = 0; xx < outW; xx++) {
                    int kOff = xx * c.ksize;
                    int p = inRow + c.start[xx] * 3;
                    int r = 1 << (PRECISION_BITS - 1);
                    int g = r;
                    int b = r;
                    for (int x = 0; x < c.count[xx]; x++, p += 3) {
                        int k = c.fixed[kOff + x];
                        r += (in[p] & 0xFF) * k;
                        g += (in[p + 1] & 0xFF) * k;
                        b += (in[p + 2] & 0xFF) * k;
                    }
                    out[o++] = clip8(r);
                    out[o++] = clip8(g);
                    out[o++] = clip8(b);
                }
            }
        });
        return ImageRgb.wrap(outW, rows, out);
    }

    /** Vertical pass: (H, W, 3) → (outH, W, 3). */
    private static ImageRgb vertical(ImageRgb img, Coefficients c, ComputePool pool) {
        int rowLen = img.width() * 3;
        int outH = c.count.length;
        byte[] in = img.pixels();
        byte[] out = new byte[outH * rowLen];
        int tasks = Math.min(outH, Math.max(1, pool.threads() * 4));
        pool.parallelFor(tasks, t -> {
            int[] acc = new int[rowLen];
            int y0 = ComputePool.splitStart(outH, tasks, t);
            int y1 = ComputePool.splitStart(outH, tasks, t + 1);
            for (int yy = y0; yy < y1; yy++) {
                java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
                int kOff = yy * c.ksize;
                for (int y = 0; y < c.count[yy]; y++) {
                    int k = c.fixed[kOff + y];
                    int p = (c.start[yy] + y) * rowLen;
                    for (int i = 0; i < rowLen; i++) {
                        acc[i] += (in[p + i] & 0xFF) * k;
                    }
                }
                int o = yy * rowLen;
                for (int i = 0; i < rowLen; i++) {
                    out[o + i] = clip8(acc[i]);
                }
            }
        });
        return ImageRgb.wrap(img.width(), outH, out);
    }

    /** Pillow's {@code clip8}: {@code clamp(acc >> 22, 0, 255)}. */
    private static byte clip8(int acc) {
        if (acc >= (1 << PRECISION_BITS << 8)) {
            return (byte) 255;
        }
        if (acc <= 0) {
            return 0;
        }
        return (byte) (acc >> PRECISION_BITS);
    }

    /** One axis's filter: {@code ksize} slots per output sample, {@code count[o]} of them used from {@code start[o]}. */
    private static final class Coefficients {
        final int ksize;
        final int[] start;
        final int[] count;
        final double[] weights;
        final int[] fixed;

        private Coefficients(int ksize, int[] start, int[] count, double[] weights, int[] fixed) {
            this.ksize = ksize;
            this.start = start;
            this.count = count;
            this.weights = weights;
            this.fixed = fixed;
        }

        /** Pillow's {@code precompute_coeffs} with the bilinear filter (support 1), then {@code normalize_coeffs_8bpc}. */
        static Coefficients bilinear(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterscale = Math.max(scale, 1.0);
            double support = 1.0 * filterscale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[outSize];
            int[] count = new int[outSize];
            double[] kk = new double[outSize * ksize];
            double ss = 1.0 / filterscale;
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ww = 0.0;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                int k = xx * ksize;
                for (int x = 0; x < xmax; x++) {
                    double w = triangle((x + xmin - center + 0.5) * ss);
                    kk[k + x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    if (ww != 0.0) {
                        kk[k + x] /= ww;
                    }
                }
                start[xx] = xmin;
                count[xx] = xmax;
            }
            int[] fixed = new int[kk.length];
            for (int i = 0; i < kk.length; i++) {
                fixed[i] = kk[i] < 0 ? (int) (-0.5 + kk[i] * (1 << PRECISION_BITS))
                        : (int) (0.5 + kk[i] * (1 << PRECISION_BITS));
            }
            return new Coefficients(ksize, start, count, kk, fixed);
        }

        /** The same filter reading input sample {@code start + delta} (after the horizontal pass kept only some rows). */
        Coefficients shifted(int delta) {
            int[] s = start.clone();
            for (int i = 0; i < s.length; i++) {
                s[i] += delta;
            }
            return new Coefficients(ksize, s, count, weights, fixed);
        }

        /** Pillow's {@code bilinear_filter}: the triangle {@code max(0, 1 − |t|)}. */
        private static double triangle(double t) {
            if (t < 0.0) {
                t = -t;
            }
            return t < 1.0 ? 1.0 - t : 0.0;
        }
    }
}
