package vecnet.multimodal.image;

import vecnet.engine.Kernels;

/**
 * A decoded picture that the resize reads a strip of rows at a time, so that a decoder can hand over
 * its samples without first writing the whole {@code (H, W, 3)} RGB image: the JPEG decoder converts
 * YCbCr to RGB strip by strip, straight into the resize's buffer ({@link JpegDecoder#decodeRows}).
 * The pixels are those of Pillow's {@code convert('RGB')}, as in {@link Rgb8}.
 */
public interface RgbRows {
    /** W, the number of columns. */
    int width();

    /** H, the number of rows. */
    int height();

    /**
     * Writes rows {@code [y0, y0 + rows)} into {@code strip} as three planes of columns (the layout in
     * which a horizontal filter reads one column of all the strip's rows with one vector): channel
     * {@code c} of pixel {@code (y0 + r, x)} goes to {@code strip[(c*W + x)*stripRows + r]} as an int in
     * 0..255. Requires {@code rows ≤ stripRows} and {@code strip.length ≥ 3·W·stripRows}; the entries
     * of rows {@code r ≥ rows} are left as they are or overwritten with values in 0..255. A conversion
     * on the way runs on {@code kernels} (every kernel set gives the same bytes).
     */
    void toStrip(int y0, int rows, int[] strip, int stripRows, Kernels kernels);
}
