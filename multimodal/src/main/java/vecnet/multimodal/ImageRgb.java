package vecnet.multimodal;

import java.util.Arrays;

/**
 * An 8-bit RGB image, the Java twin of a PIL image in mode {@code 'RGB'} (or of the numpy array
 * {@code np.asarray(img)}, shape {@code (H, W, 3)}, dtype uint8).
 *
 * <p>Pixels are stored interleaved, row after row: channel {@code c} of pixel {@code (y, x)} is
 * {@code pixels[(y*W + x)*3 + c]}, with {@code c = 0, 1, 2} for R, G, B. This is the image that
 * {@link ImageDecoder} returns and that {@link PillowResize} and {@link ImagePreprocessor#centerCrop}
 * work on, so every stage of the preprocessing can be checked against Pillow byte for byte.
 *
 * <p>Immutable: the constructor and {@link #toBytes()} copy the array.
 */
public final class ImageRgb {
    private final int width;
    private final int height;
    private final byte[] pixels; // (H, W, 3) uint8, row-major, never exposed

    private ImageRgb(int width, int height, byte[] pixels) {
        this.width = width;
        this.height = height;
        this.pixels = pixels;
    }

    /** An image from interleaved RGB bytes {@code (H, W, 3)}; the array is copied. */
    public static ImageRgb of(int width, int height, byte[] rgb) {
        check(width, height, rgb);
        return new ImageRgb(width, height, rgb.clone());
    }

    /** Wraps an array that nobody else holds (package-private: the pipeline stages use it to avoid a copy). */
    static ImageRgb wrap(int width, int height, byte[] rgb) {
        check(width, height, rgb);
        return new ImageRgb(width, height, rgb);
    }

    private static void check(int width, int height, byte[] rgb) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be at least 1x1, got " + width + "x" + height);
        }
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image holds "
                    + (long) width * height * 3 + " bytes, the array has " + rgb.length);
        }
    }

    /** W, the number of columns. */
    public int width() {
        return width;
    }

    /** H, the number of rows. */
    public int height() {
        return height;
    }

    /** Channel {@code c} (0 = R, 1 = G, 2 = B) of the pixel in row {@code y}, column {@code x}, in [0, 255]. */
    public int get(int y, int x, int c) {
        if (y < 0 || y >= height || x < 0 || x >= width || c < 0 || c > 2) {
            throw new IndexOutOfBoundsException("(y=" + y + ", x=" + x + ", c=" + c + ") outside a "
                    + width + "x" + height + " RGB image");
        }
        return pixels[(y * width + x) * 3 + c] & 0xFF;
    }

    /** A copy of the pixels, {@code (H, W, 3)} uint8 interleaved as described in the class comment. */
    public byte[] toBytes() {
        return pixels.clone();
    }

    /** The pixels as floats 0..255 in HWC order, e.g. to compare with a {@code U8 [H,W,3]} fixture. */
    public float[] toFloatsHwc() {
        float[] out = new float[pixels.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = pixels[i] & 0xFF;
        }
        return out;
    }

    /** The backing array, not a copy: package-private, for the pipeline stages only. */
    byte[] pixels() {
        return pixels;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageRgb other && width == other.width && height == other.height
                && Arrays.equals(pixels, other.pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "ImageRgb[" + width + "x" + height + "]";
    }
}
