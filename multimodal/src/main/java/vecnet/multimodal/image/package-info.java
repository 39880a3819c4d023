/**
 * The image decoders behind {@link vecnet.multimodal.ImageDecoder} (not exported): PNG on
 * {@link java.util.zip.Inflater}, JPEG from ImageIO's raw samples with libjpeg's colour tables, the
 * header checks that must pass before ImageIO may decode a BMP, GIF or TIFF, the EXIF orientation,
 * and the limits they share. Each returns {@link vecnet.multimodal.image.Rgb8}, Pillow's
 * {@code convert('RGB')} bytes; for the resize, a YCbCr JPEG can instead stay in its decoded samples
 * and be converted strip by strip ({@link vecnet.multimodal.image.RgbRows}).
 */
package vecnet.multimodal.image;
