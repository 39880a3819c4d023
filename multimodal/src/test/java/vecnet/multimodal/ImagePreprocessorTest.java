package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/**
 * The whole torchvision pipeline against the committed fixtures, stage by stage, bit for bit:
 * Pillow's resized and cropped uint8 images and torchvision's final tensors
 * (weights/python/make_fixtures.py; torchvision 0.14, Pillow 9.4).
 */
class ImagePreprocessorTest extends LibraryTest {
    private final ImagePreprocessor pre = ImagePreprocessor.imagenet();

    /** case, resized W x H (from the fixture README: Resize(256) of 400x300, 150x200, 343x256). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"land, 341, 256", "port, 256, 341", "noop, 343, 256"})
    void everyStageMatchesTorchvisionBitForBit(String name, int resizedW, int resizedH) throws IOException {
        ImageRgb src = pre.decode(Fixtures.file("src_" + name + ".png"));

        ImageRgb resized = pre.resize(src);
        ImageRgb expectedResized = pre.decode(Fixtures.file("resized_" + name + ".png"));
        assertEquals(resizedW, resized.width(), "resized width");
        assertEquals(resizedH, resized.height(), "resized height");
        Check.identical(name + ": Resize(256) pixels", expectedResized.toFloatsHwc(), resized.toFloatsHwc());

        ImageRgb cropped = pre.centerCrop(resized);
        ImageRgb expectedCrop = pre.decode(Fixtures.file("crop_" + name + ".png"));
        assertEquals(224, cropped.width());
        assertEquals(224, cropped.height());
        Check.identical(name + ": CenterCrop(224) pixels", expectedCrop.toFloatsHwc(), cropped.toFloatsHwc());

        ImageFixtureFiles.Array expected = ImageFixtureFiles.preprocessed(name);
        Tensor fromFile = pre.preprocess(Fixtures.file("src_" + name + ".png"));
        assertArrayEquals(expected.shape(), fromFile.shape());
        Check.identical(name + ": preprocessed tensor", expected.data(), fromFile.data());
        // and the stages chained by hand give the same tensor
        Check.identical(name + ": stages chained", expected.data(),
                pre.normalize(ImagePreprocessor.toTensor(cropped)).data());
    }

    @Test
    void noOpResizeReturnsTheImageUntouched() throws IOException {
        ImageRgb src = pre.decode(Fixtures.file("src_noop.png"));
        assertSame(src, pre.resize(src), "short side already 256: no resampling");
    }

    @Test
    void batchIsTheSingleImagesStackedInOrder() throws IOException {
        List<Path> files = List.of(Fixtures.file("src_port.png"), Fixtures.file("src_land.png"),
                Fixtures.file("src_noop.png"), Fixtures.file("src_port.png"));
        String[] names = {"port", "land", "noop", "port"};
        try (ComputePool pool = ComputePool.create(3)) {
            Tensor batch = pre.preprocess(files, pool);
            assertArrayEquals(new int[] {4, 3, 224, 224}, batch.shape());
            int plane = 3 * 224 * 224;
            for (int i = 0; i < names.length; i++) {
                float[] expected = ImageFixtureFiles.preprocessed(names[i]).data();
                float[] got = java.util.Arrays.copyOfRange(batch.data(), i * plane, (i + 1) * plane);
                Check.identical("batch image " + i + " (" + names[i] + ")", expected, got);
            }
        }
    }

    @Test
    void batchNamesTheFileThatFails(@TempDir Path dir) throws IOException {
        Path bad = Files.writeString(dir.resolve("notes.png"), "not an image");
        try (ComputePool pool = ComputePool.create(2)) {
            ImageFormatException e = assertThrows(ImageFormatException.class,
                    () -> pre.preprocess(List.of(Fixtures.file("src_land.png"), bad), pool));
            assertTrue(e.getMessage().contains("notes.png"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> pre.preprocess(List.of()));
    }

    @Test
    void oneInstanceIsSafeToShareBetweenThreads() throws Exception {
        float[] expected = ImageFixtureFiles.preprocessed("land").data();
        Path src = Fixtures.file("src_land.png");
        ExecutorService ex = Executors.newFixedThreadPool(4);
        try {
            List<Future<Tensor>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(ex.submit(() -> pre.preprocess(src)));
            }
            for (Future<Tensor> f : results) {
                Check.identical("concurrent preprocess", expected, f.get().data());
            }
        } finally {
            ex.shutdown();
        }
    }

    @Test
    void resizedSizeTruncatesTheLongSide() {
        // torchvision: new_long = int(256 * long / short)
        assertArrayEquals(new int[] {341, 256}, ImagePreprocessor.resizedSize(400, 300, 256)); // 341.33
        assertArrayEquals(new int[] {256, 341}, ImagePreprocessor.resizedSize(150, 200, 256));
        assertArrayEquals(new int[] {343, 256}, ImagePreprocessor.resizedSize(343, 256, 256));
        assertArrayEquals(new int[] {256, 256}, ImagePreprocessor.resizedSize(999, 999, 256));
        assertArrayEquals(new int[] {455, 256}, ImagePreprocessor.resizedSize(1920, 1080, 256)); // 455.11
        assertArrayEquals(new int[] {256, 76800}, ImagePreprocessor.resizedSize(1, 300, 256));
    }

    @Test
    void centerCropRoundsHalfToEven() {
        // 341 - 224 = 117 → round(58.5) = 58; 343 - 224 = 119 → round(59.5) = 60; Math.round would give 59 and 60
        ImageRgb img341 = columns(341, 1);
        assertEquals(58, ImagePreprocessor.centerCrop(img341, 1, 224).get(0, 0, 0));
        ImageRgb img343 = columns(343, 1);
        assertEquals(60, ImagePreprocessor.centerCrop(img343, 1, 224).get(0, 0, 0));
    }

    @Test
    void centerCropZeroPadsSmallImagesLikeTorchvision() {
        // a 3x2 image whose R channel is 1..6 (row-major); crop (h=4, w=5): pad 1 left/right, 1 top/bottom.
        // Expected from torchvision 0.14 F.center_crop on the same image (worked out by hand, checked in Python).
        ImageRgb small = ImageRgb.of(3, 2, ramp(3, 2, 3));
        int[][] expectedR = {
            {0, 0, 0, 0, 0},
            {0, 1, 4, 7, 0},
            {0, 10, 13, 16, 0},
            {0, 0, 0, 0, 0}};
        assertChannel0(expectedR, ImagePreprocessor.centerCrop(small, 4, 5));
        // a 9x2 image, crop (h=5, w=4): rows padded 1 above and 2 below, columns cropped from round(2.5) = 2
        ImageRgb wide = ImageRgb.of(9, 2, ramp(9, 2, 3));
        int[][] expectedWide = {
            {0, 0, 0, 0},
            {7, 10, 13, 16},
            {34, 37, 40, 43},
            {0, 0, 0, 0},
            {0, 0, 0, 0}};
        assertChannel0(expectedWide, ImagePreprocessor.centerCrop(wide, 5, 4));
    }

    @Test
    void toTensorIsATrueFloatDivisionAndNormalizeIsFloat32() {
        byte[] px = new byte[256 * 3];
        for (int v = 0; v < 256; v++) {
            px[3 * v] = (byte) v;
            px[3 * v + 1] = (byte) (255 - v);
            px[3 * v + 2] = (byte) (v * 7);
        }
        ImageRgb img = ImageRgb.of(256, 1, px);
        Tensor t = ImagePreprocessor.toTensor(img);
        assertArrayEquals(new int[] {1, 3, 1, 256}, t.shape());
        float[] expected = new float[3 * 256];
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        float[] expectedNorm = new float[3 * 256];
        for (int v = 0; v < 256; v++) {
            int[] rgb = {v, 255 - v, (v * 7) & 0xFF};
            for (int c = 0; c < 3; c++) {
                expected[c * 256 + v] = (float) rgb[c] / 255f;
                expectedNorm[c * 256 + v] = (expected[c * 256 + v] - mean[c]) / std[c];
            }
        }
        Check.identical("ToTensor", expected, t.data());
        Check.identical("Normalize", expectedNorm, pre.normalize(t).data());
        assertEquals(1f, t.get(0, 0, 0, 255));
        assertTrue(126 / 255f != 126 * (1f / 255f), "the trap this test guards: multiplying by 1/255 differs");
    }

    @Test
    void settingsAreParameters() throws IOException {
        ImagePreprocessor small = ImagePreprocessor.builder().resize(100).crop(64)
                .mean(0.5f, 0.5f, 0.5f).std(0.5f, 0.25f, 1f).build();
        ImageRgb src = small.decode(Fixtures.file("src_land.png"));
        ImageRgb resized = small.resize(src);
        assertEquals(133, resized.width()); // int(100 * 400 / 300)
        assertEquals(100, resized.height());
        Tensor t = small.preprocess(src);
        assertArrayEquals(new int[] {1, 3, 64, 64}, t.shape());
        float r = ImagePreprocessor.centerCrop(resized, 64, 64).get(0, 0, 0) / 255f;
        assertEquals((r - 0.5f) / 0.5f, t.get(0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().std(0.2f, 0f, 0.2f));
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().crop(0));
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().resize(-1));
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> ImagePreprocessor.builder().maxPixels(1000).build().preprocess(Fixtures.file("src_land.png")));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    /** An image w x 1 whose R channel in column x is x (mod 256). */
    private static ImageRgb columns(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                px[(y * w + x) * 3] = (byte) x;
            }
        }
        return ImageRgb.of(w, h, px);
    }

    /** Bytes 1, 2, 3, ... for a w x h x c image. */
    private static byte[] ramp(int w, int h, int c) {
        byte[] px = new byte[w * h * c];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i + 1);
        }
        return px;
    }

    private static void assertChannel0(int[][] expected, ImageRgb img) {
        assertEquals(expected.length, img.height(), "height");
        assertEquals(expected[0].length, img.width(), "width");
        for (int y = 0; y < expected.length; y++) {
            for (int x = 0; x < expected[0].length; x++) {
                assertEquals(expected[y][x], img.get(y, x, 0), "R at (" + y + ", " + x + ")");
            }
        }
    }
}
