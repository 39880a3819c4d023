package vecnet.multimodal;

/**
 * The plain port of Pillow's BILINEAR resize ({@code Resample.c}: {@code precompute_coeffs},
 * {@code normalize_coeffs_8bpc}, {@code ImagingResampleHorizontal_8bpc} then {@code ...Vertical_8bpc}),
 * written loop for loop with no streaming, strips or kernels: the reference that {@link PillowResize}'s
 * strip-by-strip form is compared with on random images. It was the production code before the strips.
 */
final class PlainPillowResize {
    private static final int PRECISION_BITS = 22;

    private PlainPillowResize() {
    }

    /** (H, W, 3) → (height, width, 3): a horizontal pass if the width changes, then a vertical pass if the height changes. */
    static byte[] resize(byte[] in, int inW, int inH, int width, int height) {
        byte[] tmp = in;
        if (width != inW) {
            tmp = horizontal(in, inW, inH, width);
        }
        if (height != inH) {
            tmp = vertical(tmp, width, inH, height);
        }
        return tmp == in ? in.clone() : tmp;
    }

    private static byte[] horizontal(byte[] in, int inW, int h, int outW) {
        int[][] k = new int[outW][];
        int[] start = coefficients(inW, outW, k);
        byte[] out = new byte[h * outW * 3];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < outW; xx++) {
                for (int c = 0; c < 3; c++) {
                    int acc = 1 << (PRECISION_BITS - 1);
                    for (int x = 0; x < k[xx].length; x++) {
                        acc += (in[(y * inW + start[xx] + x) * 3 + c] & 0xFF) * k[xx][x];
                    }
                    out[(y * outW + xx) * 3 + c] = clip8(acc);
                }
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int w, int inH, int outH) {
        int[][] k = new int[outH][];
        int[] start = coefficients(inH, outH, k);
        byte[] out = new byte[outH * w * 3];
        for (int yy = 0; yy < outH; yy++) {
            for (int i = 0; i < w * 3; i++) {
                int acc = 1 << (PRECISION_BITS - 1);
                for (int y = 0; y < k[yy].length; y++) {
                    acc += (in[(start[yy] + y) * w * 3 + i] & 0xFF) * k[yy][y];
                }
                out[yy * w * 3 + i] = clip8(acc);
            }
        }
        return out;
    }

    /** Pillow's {@code precompute_coeffs} (bilinear, support 1) in 22-bit fixed point: fills {@code k[o]}, returns the starts. */
    private static int[] coefficients(int inSize, int outSize, int[][] k) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = filterscale;
        double ss = 1.0 / filterscale;
        int[] start = new int[outSize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double[] w = new double[xmax];
            double ww = 0;
            for (int x = 0; x < xmax; x++) {
                double t = Math.abs((x + xmin - center + 0.5) * ss);
                w[x] = t < 1.0 ? 1.0 - t : 0.0;
                ww += w[x];
            }
            k[xx] = new int[xmax];
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? w[x] / ww : w[x];
                k[xx][x] = (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
        }
        return start;
    }

    private static byte clip8(int acc) {
        return (byte) Math.max(0, Math.min(255, acc >> PRECISION_BITS));
    }
}
