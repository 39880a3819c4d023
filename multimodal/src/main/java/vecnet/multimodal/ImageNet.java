package vecnet.multimodal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The 1000 ImageNet class names in torchvision's order (line {@code k} names logit {@code k}),
 * bundled in this module as {@code vecnet/imagenet_classes.txt} by
 * {@code weights/python/write_imagenet_classes.py}.
 */
public final class ImageNet {
    private ImageNet() {
    }

    private static final class Holder {
        static final List<String> NAMES = read();
    }

    /** The 1000 names, read once; an unmodifiable list. */
    public static List<String> classNames() {
        return Holder.NAMES;
    }

    private static List<String> read() {
        try (InputStream in = ImageNet.class.getResourceAsStream("/vecnet/imagenet_classes.txt")) {
            if (in == null) {
                throw new IOException("the bundled resource vecnet/imagenet_classes.txt is missing");
            }
            List<String> names = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            if (names.size() != 1000) {
                throw new IOException("vecnet/imagenet_classes.txt has " + names.size() + " names, expected 1000");
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
