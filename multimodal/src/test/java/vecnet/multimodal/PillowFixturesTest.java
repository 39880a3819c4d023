package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * Every file of {@code weights/fixtures/images} (one per encoding: JPEG subsamplings, progressive,
 * grey, ICC profiles, Adobe transforms, CMYK, YCCK; {@code t*.jpg}, written by libjpeg-turbo's cjpeg and
 * jpegtran: 4:4:0, 4:1:1, 4:1:0, 3x1, 1x3 and mixed sampling factors, images 2-4 pixels wide, restart
 * intervals in rows and in MCUs, baseline and progressive; PNG of every colour type, bit depth, filter and
 * Adam7; BMP, GIF, TIFF), decoded bit for bit as Pillow's {@code Image.open(f).convert('RGB')}, and
 * preprocessed bit for bit as torchvision (the SHA-256 of the float32 tensor). The expected values are
 * Pillow's, written by {@code weights/python/make_image_fixtures.py}.
 */
class PillowFixturesTest extends LibraryTest {
    private static StateDict expected;

    @BeforeAll
    static void load() throws IOException {
        expected = StateDict.read(dir().resolve("expected.safetensors"));
        if (!"1".equals(expected.metadata().get("vecnet_fixtures"))) {
            fail("images/expected.safetensors has the wrong version; re-run /usr/bin/python3 weights/python/make_image_fixtures.py");
        }
    }

    static Path dir() {
        return Fixtures.dir().resolve("images");
    }

    static Stream<String> images() throws IOException {
        try (Stream<Path> files = Files.list(dir())) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".safetensors"))
                    .sorted().toList();
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void decodesAndPreprocessesBitForBitAsPillowAndTorchvision(String name) throws IOException {
        if (!expected.contains(name)) {
            fail(name + " is not in images/expected.safetensors; re-run /usr/bin/python3 weights/python/make_image_fixtures.py");
        }
        ImageRgb img = ImageDecoder.create().decode(dir().resolve(name));
        assertArrayEquals(expected.shape(name), new int[] {img.height(), img.width(), 3}, name + ": [H, W, 3]");
        Check.identical(name + " (Pillow mode " + expected.metadata().get("mode:" + name) + ") decoded",
                expected.tensor(name).data(), img.toFloatsHwc());
        Tensor x = ImagePreprocessor.imagenet().preprocess(img);
        assertEquals(expected.metadata().get("sha256:" + name), sha256(x.data()), name + ": SHA-256 of the preprocessed tensor");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void preprocessingTheFileDirectlyGivesTorchvisionsTensor(String name) throws IOException {
        // preprocess(Path) never builds the decoded ImageRgb of a JPEG: it resizes from the YCbCr samples
        Tensor x = ImagePreprocessor.imagenet().preprocess(dir().resolve(name));
        assertEquals(expected.metadata().get("sha256:" + name), sha256(x.data()), name + ": SHA-256 of the preprocessed tensor");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"exif_3.jpg", "exif_6.jpg", "exif_8.jpg"})
    void exifTransposeIsOptInAndMatchesImageOps(String name) throws IOException {
        Path f = dir().resolve(name);
        ImageRgb stored = ImageDecoder.create().decode(f);
        ImageRgb upright = ImageDecoder.create().withExifTranspose(true).decode(f);
        assertEquals(expected.metadata().get("shape:" + name), upright.height() + "x" + upright.width(), name + ": HxW");
        assertEquals(expected.metadata().get("exif:" + name), sha256(upright.toBytes()),
                name + ": SHA-256 of ImageOps.exif_transpose(img).convert('RGB')");
        assertNotEquals(stored, upright, name + ": the orientation tag changed nothing");
        Tensor viaBuilder = ImagePreprocessor.builder().exifTranspose(true).build().preprocess(f);
        Check.identical(name + " preprocessed upright", ImagePreprocessor.imagenet().preprocess(upright).data(), viaBuilder.data());
    }

    /** The hex SHA-256 of some bytes. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The hex SHA-256 of the floats as little-endian float32 bytes (numpy's {@code astype('<f4').tobytes()}). */
    static String sha256(float[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return sha256(b.array());
    }
}
