package vecnet.multimodal.train;

import java.io.IOException;
import java.util.Objects;
import vecnet.engine.Tensor;

/**
 * One training sample: an image (a source that yields the preprocessed tensor) or its precomputed
 * image features, the token ids of its text, and its class index.
 *
 * @param image    yields {@code (3, H, W)} or {@code (1, 3, H, W)}, preprocessed as the model expects;
 *                 null when {@code features} are given
 * @param features the ResNet's features {@code F_img} for this image (the frozen image branch), or null
 * @param tokenIds the text, at least one id
 * @param label    the class index, {@code ≥ 0}
 * @param cacheKey what identifies the image's content for a feature cache on disk (e.g. a SHA-256 of
 *                 the file), or null to cache in memory only
 * @param source   where the sample comes from, for messages (e.g. {@code train.csv:12})
 */
public record Example(ImageSource image, float[] features, int[] tokenIds, int label, String cacheKey, String source) {
    public Example {
        Objects.requireNonNull(tokenIds, "tokenIds");
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException((source == null ? "" : source + ": ") + "empty text (no token)");
        }
        if ((image == null) == (features == null)) {
            throw new IllegalArgumentException("an example has either an image or its features");
        }
        if (label < 0) {
            throw new IllegalArgumentException("label must be ≥ 0, got " + label);
        }
    }

    /** Yields an image tensor when asked (decoding a file, drawing a picture...). */
    @FunctionalInterface
    public interface ImageSource {
        Tensor load() throws IOException;
    }

    /** A sample from an image source. */
    public static Example ofImage(ImageSource image, int[] tokenIds, int label) {
        return new Example(Objects.requireNonNull(image, "image"), null, tokenIds, label, null, null);
    }

    /** A sample from precomputed image features. */
    public static Example ofFeatures(float[] features, int[] tokenIds, int label) {
        return new Example(null, Objects.requireNonNull(features, "features"), tokenIds, label, null, null);
    }

    /** The same sample with a cache key and a source for messages. */
    public Example withKey(String key, String where) {
        return new Example(image, features, tokenIds, label, key, where);
    }
}
