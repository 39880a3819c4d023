package vecnet.multimodal.image;

import vecnet.engine.Kernels;

/**
 * A decoded picture as Pillow's {@code convert('RGB')} gives it: {@code (H, W, 3)} uint8, interleaved,
 * row after row ({@code rgb[(y*W + x)*3 + c]}). The decoders of this package return it and
 * {@code vecnet.multimodal.ImageDecoder} wraps it, without a copy, in an {@code ImageRgb}.
 */
public record Rgb8(int width, int height, byte[] rgb) implements RgbRows {
    public Rgb8 {
        if (width < 1 || height < 1 || (long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
                    + (long) width * height * 3 + " bytes, got " + rgb.length);
        }
    }

    @Override
    public void toStrip(int y0, int rows, int[] strip, int stripRows, Kernels kernels) {
        toPlanes(rgb, 0, width, y0, rows, strip, stripRows);
    }

    /**
     * The interleaved {@code (H, W, 3)} bytes at {@code in[offset...]}, rows {@code [y0, y0 + rows)}, into
     * the planes of {@link RgbRows#toStrip}: {@code strip[(c*W + x)*stripRows + r] = in[offset + ((y0+r)*W + x)*3 + c]}.
     */
    static void toPlanes(byte[] in, int offset, int width, int y0, int rows, int[] strip, int stripRows) {
        int plane = width * stripRows;
        // a block of 64 columns at a time, so that the part of the strip being written stays in the L1 cache
        for (int x0 = 0; x0 < width; x0 += 64) {
            int x1 = Math.min(width, x0 + 64);
            for (int r = 0; r < rows; r++) {
                int i = offset + ((y0 + r) * width + x0) * 3;
                for (int x = x0, o = x0 * stripRows + r; x < x1; x++, i += 3, o += stripRows) {
                    strip[o] = in[i] & 0xFF;
                    strip[o + plane] = in[i + 1] & 0xFF;
                    strip[o + 2 * plane] = in[i + 2] & 0xFF;
                }
            }
        }
    }
}
