package vecnet.multimodal;

import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.multimodal.image.Rgb8;
import vecnet.multimodal.image.RgbRows;

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
 * <p>How it runs (the arithmetic above is untouched, so the bytes are the same): the source is read
 * {@value #STRIP_ROWS} rows at a time into a strip of three planes of columns (pixel {@code x} of the
 * 16 rows side by side), so the horizontal pass for one output column and channel is one
 * {@link Kernels#fixedPointTaps} call over 16 lanes, vectorized like any kernel. Its rows go into a small window, and each output
 * row is computed by the vertical pass as soon as the window holds all its taps. Neither the intermediate
 * image of the horizontal pass nor, for a JPEG, the full-size RGB image ({@link RgbRows}) is ever written.
 *
 * <p>Stateless; the optional pool splits the output rows, and the result does not depend on it.
 */
final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResize() {
    }

    /** {@code img.resize((width, height), Image.BILINEAR)}: (H, W, 3) → (height, width, 3); the same image if the size is unchanged. */
    public static ImageRgb resize(ImageRgb img, int width, int height) {
        return resize(img, width, height, ComputePool.sequential());
    }

    /** As {@link #resize(ImageRgb, int, int)}, rows split over {@code pool}. */
    public static ImageRgb resize(ImageRgb img, int width, int height, ComputePool pool) {
        checkTarget(img.width(), img.height(), width, height);
        if (width == img.width() && height == img.height()) {
            return img; // Pillow returns a copy; ImageRgb is immutable, so the image itself will do
        }
        return resample(new Rgb8(img.width(), img.height(), img.pixels()), width, height, pool);
    }

    /**
     * As {@link #resize(ImageRgb, int, int)}, reading the source strip by strip; an unchanged size
     * gives a copy of the pixels (each axis that keeps its size is filtered with the identity, which
     * reproduces every byte).
     */
    static ImageRgb resize(RgbRows src, int width, int height) {
        checkTarget(src.width(), src.height(), width, height);
        return resample(src, width, height, ComputePool.sequential());
    }

    private static void checkTarget(int inW, int inH, int width, int height) {
        if ((long) Math.max(inW, width) * 3 * STRIP_ROWS > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cannot resize a " + inW + "x" + inH + " image to " + width + "x" + height
                    + ": rows wider than " + (Integer.MAX_VALUE - 8) / (3 * STRIP_ROWS) + " pixels are not supported");
        }
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize target must be at least 1x1, got " + width + "x" + height);
        }
        if ((long) width * height * 3 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("resize target " + width + "x" + height + " of a " + inW + "x" + inH
                    + " image does not fit in one Java array");
        }
    }

    /** Rows of the source read, and horizontally filtered, at a time (a multiple of 4, 8 and 16 lanes). */
    static final int STRIP_ROWS = 16;

    /**
     * Whether a resize has run in this JVM. The first one runs the scalar twins of
     * {@link Kernels#fixedPointTaps} and of the JPEG decoder's colour conversion, the same bytes: it
     * comes before C2 has compiled the vector ones, which would run the Vector API's Java fallbacks in
     * the interpreter and C1. A cold one-picture {@code vecnet classify} of a 500×375 PNG (JDK 17, 2
     * cores, both busy loading and compiling at that time) had its picture decoded, resized and
     * normalized 0.28-0.38 s after the JVM started instead of 0.48-0.57.
     */
    private static volatile boolean resizedBefore;

    private static ImageRgb resample(RgbRows src, int width, int height, ComputePool pool) {
        // Pillow skips the pass of an axis whose size does not change; the identity filter gives the same bytes
        Coefficients horiz = width != src.width() ? Coefficients.bilinear(src.width(), width) : Coefficients.identity(width);
        Coefficients vert = height != src.height() ? Coefficients.bilinear(src.height(), height) : Coefficients.identity(height);
        byte[] out = new byte[height * width * 3];
        Kernels kernels = resizedBefore ? Kernels.get() : Kernels.scalar();
        resizedBefore = true;
        int tasks = Math.min(height, pool.threads());
        pool.parallelFor(tasks, t -> resampleRows(src, horiz, vert, ComputePool.splitStart(height, tasks, t),
                ComputePool.splitStart(height, tasks, t + 1), out, kernels));
        return ImageRgb.wrap(width, height, out);
    }

    /**
     * Output rows {@code [yy0, yy1)} into {@code out} (outH, outW, 3): source strips → horizontal pass
     * → a window of filtered rows → vertical pass, one output row as soon as its taps are in the window.
     * Everything here is scratch of this call, so the calls for different row ranges run in parallel.
     */
    private static void resampleRows(RgbRows src, Coefficients h, Coefficients v, int yy0, int yy1, byte[] out,
                                     Kernels kernels) {
        if (yy0 >= yy1) {
            return;
        }
        int outW = h.count.length;
        int rowLen = outW * 3;
        int in1 = v.start[yy1 - 1] + v.count[yy1 - 1]; // source rows [v.start[yy0], in1) are read
        int maxTaps = 1;
        for (int yy = yy0; yy < yy1; yy++) {
            maxTaps = Math.max(maxTaps, v.count[yy]);
        }
        int inPlane = src.width() * STRIP_ROWS;
        int outPlane = outW * STRIP_ROWS;
        int[] strip = new int[3 * inPlane];             // (3, W, 16 rows), see RgbRows.toStrip
        int[] filtered = new int[3 * outPlane];         // (3, outW, 16 rows): the strip after the horizontal pass
        int[] window = new int[(maxTaps + STRIP_ROWS) * rowLen]; // filtered rows [winStart, winEnd), (rows, outW, 3)
        int[] row = new int[rowLen];
        int winStart = v.start[yy0];
        int winEnd = winStart;
        int yy = yy0;
        while (yy < yy1) {
            int rows = Math.min(STRIP_ROWS, in1 - winEnd);
            // The rows still needed start at the next output row's first tap, less than maxTaps rows back.
            if (winEnd + rows - winStart > maxTaps + STRIP_ROWS) {
                int keep = v.start[yy];
                System.arraycopy(window, (keep - winStart) * rowLen, window, 0, (winEnd - keep) * rowLen);
                winStart = keep;
            }
            src.toStrip(winEnd, rows, strip, STRIP_ROWS, kernels);
            for (int c = 0; c < 3; c++) {
                for (int xx = 0; xx < outW; xx++) {
                    kernels.fixedPointTaps(strip, c * inPlane + h.start[xx] * STRIP_ROWS, STRIP_ROWS, h.count[xx],
                            h.fixed, xx * h.ksize, PRECISION_BITS, filtered, c * outPlane + xx * STRIP_ROWS, STRIP_ROWS);
                }
            }
            for (int r = 0; r < rows; r++) {
                int o = (winEnd - winStart + r) * rowLen;
                for (int f = r; f < outPlane; f += STRIP_ROWS, o += 3) {
                    window[o] = filtered[f];
                    window[o + 1] = filtered[f + outPlane];
                    window[o + 2] = filtered[f + 2 * outPlane];
                }
            }
            winEnd += rows;
            for (; yy < yy1 && v.start[yy] + v.count[yy] <= winEnd; yy++) {
                kernels.fixedPointTaps(window, (v.start[yy] - winStart) * rowLen, rowLen, v.count[yy], v.fixed,
                        yy * v.ksize, PRECISION_BITS, row, 0, rowLen);
                for (int i = 0, o = yy * rowLen; i < rowLen; i++) {
                    out[o + i] = (byte) row[i];
                }
            }
        }
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

        /** The filter of an axis whose size does not change: one tap of weight 1 (2^22), output = input exactly. */
        static Coefficients identity(int size) {
            int[] start = new int[size];
            int[] count = new int[size];
            double[] weights = new double[size];
            int[] fixed = new int[size];
            for (int i = 0; i < size; i++) {
                start[i] = i;
                count[i] = 1;
                weights[i] = 1.0;
                fixed[i] = 1 << PRECISION_BITS;
            }
            return new Coefficients(1, start, count, weights, fixed);
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
