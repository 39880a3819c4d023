package vecnet.multimodal.image;

/**
 * A decoded picture as Pillow's {@code convert('RGB')} gives it: {@code (H, W, 3)} uint8, interleaved,
 * row after row ({@code rgb[(y*W + x)*3 + c]}). The decoders of this package return it and
 * {@code vecnet.multimodal.ImageDecoder} wraps it, without a copy, in an {@code ImageRgb}.
 */
public record Rgb8(int width, int height, byte[] rgb) {
    public Rgb8 {
        if (width < 1 || height < 1 || (long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
                    + (long) width * height * 3 + " bytes, got " + rgb.length);
        }
    }
}
