package vecnet.multimodal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.multimodal.image.RgbRows;

/**
 * The torchvision evaluation transform, reproduced bit for bit (torchvision 0.14 on Pillow 9.4):
 * <pre>
 *   img = Image.open(f).convert('RGB')                    {@link #decode}      file → (H, W, 3) uint8
 *   T.Resize(256)          Pillow BILINEAR, short side    {@link #resize}      → (256·H/W or 256, ..., 3) uint8
 *   T.CenterCrop(224)      round-half-even offsets        {@link #centerCrop}  → (224, 224, 3) uint8
 *   T.ToTensor()           x / 255f                       {@link #toTensor}    → [1, 3, 224, 224] float32 in [0, 1]
 *   T.Normalize(mean, std) (x − mean) / std in float32    {@link #normalize}   → [1, 3, 224, 224]
 * </pre>
 * Every stage is public so each can be compared with Python. The traps, all handled here (see
 * {@code pytorch-parity.md} §5): Resize truncates {@code 256·long/short} and skips resampling when the
 * short side is already 256; Pillow's filter is not Java2D's; CenterCrop uses Python's
 * {@code round}, half to even ({@link Math#rint}, not {@link Math#round}); ToTensor is a true float
 * division (not a multiplication by {@code 1/255f}); Normalize divides by {@code std} in float32.
 *
 * <p>Immutable and thread-safe: build one with {@link #imagenet()} or {@link #builder()} and share it.
 */
public final class ImagePreprocessor {
    /** torchvision's ImageNet channel means (R, G, B), as float32. */
    private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    /** torchvision's ImageNet channel standard deviations (R, G, B), as float32. */
    private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private final int resizeSize;
    private final int cropSize;
    private final float[] mean;
    private final float[] std;
    private final ImageDecoder decoder;

    private ImagePreprocessor(Builder b) {
        this.resizeSize = b.resizeSize;
        this.cropSize = b.cropSize;
        this.mean = b.mean.clone();
        this.std = b.std.clone();
        this.decoder = ImageDecoder.withMaxPixels(b.maxPixels).withExifTranspose(b.exifTranspose);
    }

    /** Resize(256), CenterCrop(224), ToTensor, Normalize(ImageNet mean and std); 100-megapixel limit. */
    public static ImagePreprocessor imagenet() {
        return builder().build();
    }

    /** A builder starting from the {@link #imagenet()} settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of an {@link ImagePreprocessor}; each setter validates its argument. */
    public static final class Builder {
        private int resizeSize = 256;
        private int cropSize = 224;
        private float[] mean = IMAGENET_MEAN.clone();
        private float[] std = IMAGENET_STD.clone();
        private long maxPixels = ImageDecoder.DEFAULT_MAX_PIXELS;
        private boolean exifTranspose;

        private Builder() {
        }

        /** The short side after {@code Resize(size)}; default 256. */
        public Builder resize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("resize size must be at least 1, got " + size);
            }
            this.resizeSize = size;
            return this;
        }

        /** The side of {@code CenterCrop(size)}; default 224. */
        public Builder crop(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("crop size must be at least 1, got " + size);
            }
            this.cropSize = size;
            return this;
        }

        /** The per-channel mean (R, G, B) of Normalize; default (0.485, 0.456, 0.406). */
        public Builder mean(float r, float g, float b) {
            this.mean = new float[] {r, g, b};
            return this;
        }

        /** The per-channel standard deviation (R, G, B) of Normalize, all &gt; 0; default (0.229, 0.224, 0.225). */
        public Builder std(float r, float g, float b) {
            if (!(r > 0 && g > 0 && b > 0)) {
                throw new IllegalArgumentException("std must be positive, got (" + r + ", " + g + ", " + b + ")");
            }
            this.std = new float[] {r, g, b};
            return this;
        }

        /** The largest image (width × height) the decoder accepts; default {@link ImageDecoder#DEFAULT_MAX_PIXELS}. */
        public Builder maxPixels(long maxPixels) {
            if (maxPixels < 1) {
                throw new IllegalArgumentException("the pixel limit must be at least 1, got " + maxPixels);
            }
            this.maxPixels = maxPixels;
            return this;
        }

        /**
         * Turn each picture upright from its EXIF Orientation tag before resizing, as
         * {@code ImageOps.exif_transpose}; default off, as torchvision on {@code Image.open} (see
         * {@link ImageDecoder#withExifTranspose}).
         */
        public Builder exifTranspose(boolean on) {
            this.exifTranspose = on;
            return this;
        }

        public ImagePreprocessor build() {
            return new ImagePreprocessor(this);
        }
    }

    /** The short side after resizing (256 by default). */
    public int resizeSize() {
        return resizeSize;
    }

    /** The side of the square crop (224 by default). */
    public int cropSize() {
        return cropSize;
    }

    /** The Normalize mean (R, G, B), a copy. */
    public float[] mean() {
        return mean.clone();
    }

    /** The Normalize std (R, G, B), a copy. */
    public float[] std() {
        return std.clone();
    }

    /** The decoder used by {@link #decode} (its pixel limit comes from {@link Builder#maxPixels}). */
    public ImageDecoder decoder() {
        return decoder;
    }

    // ---------------------------------------------------------------- the whole pipeline

    /** file → [1, 3, crop, crop]: decode, resize, crop, to tensor, normalize. */
    public Tensor preprocess(Path file) throws IOException {
        // the same tensor as preprocess(decode(file)); a JPEG's RGB image is never materialized (PillowResize)
        RgbRows image = decoder.decodeRows(file);
        int[] wh = checkedSize(image.width(), image.height());
        return normalize(toTensor(centerCrop(PillowResize.resize(image, wh[0], wh[1]))));
    }

    /** (H, W, 3) uint8 → [1, 3, crop, crop]: resize, crop, to tensor, normalize. */
    public Tensor preprocess(ImageRgb image) {
        return normalize(toTensor(centerCrop(resize(image))));
    }

    /** N files → [N, 3, crop, crop], images spread over {@link ComputePool#shared()}. */
    public Tensor preprocess(List<Path> files) throws IOException {
        return preprocess(files, ComputePool.shared());
    }

    /**
     * N files → [N, 3, crop, crop], one task per image on {@code pool}; image {@code i} is
     * {@code out[i]}. If a file is refused, the exception of the first failing file is thrown.
     */
    public Tensor preprocess(List<Path> files, ComputePool pool) throws IOException {
        int n = files.size();
        if (n == 0) {
            throw new IllegalArgumentException("no image files given");
        }
        int plane = 3 * cropSize * cropSize;
        float[] out = new float[Math.multiplyExact(n, plane)];
        IOException[] failures = new IOException[n];
        pool.parallelFor(n, i -> {
            try {
                float[] one = preprocess(files.get(i)).data();
                System.arraycopy(one, 0, out, i * plane, plane);
            } catch (IOException e) {
                failures[i] = e;
            }
        });
        for (IOException e : failures) {
            if (e != null) {
                throw e;
            }
        }
        return Tensor.of(out, n, 3, cropSize, cropSize);
    }

    // ---------------------------------------------------------------- the stages

    /** {@code Image.open(file).convert('RGB')}: see {@link ImageDecoder}. */
    public ImageRgb decode(Path file) throws IOException {
        return decoder.decode(file);
    }

    /**
     * {@code T.Resize(resizeSize)}: the short side becomes {@code resizeSize}, the long side
     * {@code resizeSize·long/short} truncated; Pillow BILINEAR ({@link PillowResize}). An image whose
     * short side is already {@code resizeSize} is returned untouched.
     */
    public ImageRgb resize(ImageRgb image) {
        int[] wh = checkedSize(image.width(), image.height());
        return PillowResize.resize(image, wh[0], wh[1]);
    }

    /** The size after {@link #resize}, refused if over the pixel limit (see there). */
    private int[] checkedSize(int width, int height) {
        int[] wh = resizedSize(width, height, resizeSize);
        // A thin strip (1 x 2000 pixels, a few hundred bytes as PNG) resizes to 256 x 512000: the
        // resized image is held to the same pixel limit as the decoded one.
        long pixels = (long) wh[0] * wh[1];
        if (pixels > decoder.maxPixels() && pixels > (long) width * height) {
            throw new IllegalArgumentException("resizing the " + width + "x" + height + " image to "
                    + wh[0] + "x" + wh[1] + " (short side " + resizeSize + ") would give " + pixels
                    + " pixels, more than the limit of " + decoder.maxPixels() + " (ImagePreprocessor.Builder.maxPixels"
                    + " raises it); is the image a thin strip?");
        }
        return wh;
    }

    /**
     * torchvision's {@code _compute_resized_output_size} for an int size: {@code {newW, newH}} with
     * the short side {@code size} and the long side {@code int(size * long / short)}.
     */
    public static int[] resizedSize(int width, int height, int size) {
        int shortSide = Math.min(width, height);
        int longSide = Math.max(width, height);
        // Python's int(size * long / short) truncates a double; for positive ints that is integer division
        long newLong = (long) size * longSide / shortSide;
        if (newLong > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("resizing a " + width + "x" + height + " image to a short side of " + size
                    + " gives a long side of " + newLong + " pixels, more than an int");
        }
        return width <= height ? new int[] {size, (int) newLong} : new int[] {(int) newLong, size};
    }

    /** {@code T.CenterCrop(cropSize)}: see {@link #centerCrop(ImageRgb, int, int)}. */
    public ImageRgb centerCrop(ImageRgb image) {
        return centerCrop(image, cropSize, cropSize);
    }

    /**
     * torchvision's {@code center_crop} to (cropH, cropW). A side smaller than the crop is first
     * zero-padded by {@code (crop − size) // 2} before and {@code (crop − size + 1) // 2} after; then
     * {@code top = round((H − cropH) / 2)}, {@code left = round((W − cropW) / 2)} with Python's
     * round-half-to-even ({@code 341 → 224} gives left 58, {@code 343 → 224} gives 60).
     * (H, W, 3) → (cropH, cropW, 3).
     */
    public static ImageRgb centerCrop(ImageRgb image, int cropH, int cropW) {
        if (cropH < 1 || cropW < 1) {
            throw new IllegalArgumentException("crop size must be at least 1x1, got " + cropW + "x" + cropH);
        }
        int w = image.width();
        int h = image.height();
        int padLeft = cropW > w ? (cropW - w) / 2 : 0;
        int padTop = cropH > h ? (cropH - h) / 2 : 0;
        int paddedW = cropW > w ? w + padLeft + (cropW - w + 1) / 2 : w;
        int paddedH = cropH > h ? h + padTop + (cropH - h + 1) / 2 : h;
        int top = (int) Math.rint((paddedH - cropH) / 2.0);
        int left = (int) Math.rint((paddedW - cropW) / 2.0);
        // output (y, x) reads padded (y + top, x + left) = source (y + top − padTop, x + left − padLeft), or 0
        int dy = top - padTop;
        int dx = left - padLeft;
        byte[] in = image.pixels();
        byte[] out = new byte[cropH * cropW * 3];
        int x0 = Math.max(0, -dx);
        int x1 = Math.min(cropW, w - dx);
        for (int y = 0; y < cropH; y++) {
            int sy = y + dy;
            if (sy < 0 || sy >= h || x1 <= x0) {
                continue;
            }
            System.arraycopy(in, (sy * w + x0 + dx) * 3, out, (y * cropW + x0) * 3, (x1 - x0) * 3);
        }
        return ImageRgb.wrap(cropW, cropH, out);
    }

    /** {@code T.ToTensor()}: (H, W, 3) uint8 → [1, 3, H, W] float32, {@code x[0,c,y,x] = pixel(y,x,c) / 255f} (a true division). */
    public static Tensor toTensor(ImageRgb image) {
        int w = image.width();
        int h = image.height();
        int hw = w * h;
        byte[] in = image.pixels();
        float[] out = new float[3 * hw];
        for (int p = 0; p < hw; p++) {
            out[p] = (in[3 * p] & 0xFF) / 255f;
            out[hw + p] = (in[3 * p + 1] & 0xFF) / 255f;
            out[2 * hw + p] = (in[3 * p + 2] & 0xFF) / 255f;
        }
        return Tensor.of(out, 1, 3, h, w);
    }

    /** {@code T.Normalize(mean, std)}: [N, 3, H, W] → [N, 3, H, W], {@code (x − mean[c]) / std[c]} in float32; the input is not modified. */
    public Tensor normalize(Tensor x) {
        x.requireShape("normalize input", -1, 3, -1, -1);
        int hw = x.dim(2) * x.dim(3);
        float[] in = x.data();
        float[] out = new float[in.length];
        for (int nc = 0; nc < x.dim(0) * 3; nc++) {
            float m = mean[nc % 3];
            float s = std[nc % 3];
            for (int i = nc * hw, end = i + hw; i < end; i++) {
                out[i] = (in[i] - m) / s;
            }
        }
        return Tensor.of(out, x.shape());
    }

    @Override
    public String toString() {
        return "ImagePreprocessor[resize=" + resizeSize + ", crop=" + cropSize + ", mean=" + java.util.Arrays.toString(mean)
                + ", std=" + java.util.Arrays.toString(std) + ", maxPixels=" + decoder.maxPixels()
                + (decoder.exifTranspose() ? ", exifTranspose" : "") + "]";
    }
}
