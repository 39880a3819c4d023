package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImageDecoder;
import vecnet.multimodal.ImageFormatException;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.Tokenizer;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;
import vecnet.weights.StateDictMismatchException;
import vecnet.weights.WeightsFormatException;

/**
 * Bad input at the library's API, one case each, with its defined outcome and message: images
 * (truncated JPEG, CMYK, 1×1, a 20000×20000 PNG bomb of a few hundred bytes, a thin strip that
 * resizing would blow up, an empty file, text named {@code .png}), texts (empty, only whitespace,
 * 100,000 tokens, ids outside the vocabulary) and weights (the wrong model, a shape mismatch).
 * The bombs are also checked not to allocate memory in proportion to what they claim.
 */
class BadInputTest extends LibraryTest {
    @TempDir
    static Path dir;
    private static FusionModel model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        model = FusionModel.load(Fixtures.file("tiny_fusion.safetensors"));
        tokenizer = Tokenizer.load(Fixtures.file("vocab.json"));
    }

    /** The bytes allocated by the current thread while running {@code body}, which must throw {@code type}. */
    private static <T extends Throwable> long allocatedWhileThrowing(Class<T> type, ThrowingSupplier<?> body, String[] message) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        T e = assertThrows(type, body::get);
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        message[0] = e.getMessage();
        return allocated;
    }

    /** A PNG whose IHDR claims width × height (8-bit RGB) with one IDAT of {@code rawBytes} zero bytes, deflated. */
    static byte[] png(int width, int height, int rawBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        FuzzImageTest.chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        FuzzImageTest.chunk(out, "IDAT", FuzzImageTest.deflate(new byte[rawBytes]));
        FuzzImageTest.chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ images

    @Test
    void truncatedJpeg() {
        ImageFormatException e = assertThrows(ImageFormatException.class,
                () -> ImagePreprocessor.imagenet().preprocess(Fixtures.file("truncated.jpg")));
        assertTrue(e.getMessage().contains("truncated.jpg") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void onePixelImageIsResizedToAConstantPicture() throws IOException {
        // 1x1 pixel (R, G, B) = (0, 0, 0) as an 8-bit RGB PNG: Resize(256) gives a constant 256x256 picture,
        // so every value of channel c is Normalize's (0 - mean[c]) / std[c]
        Path f = dir.resolve("one.png");
        Files.write(f, png(1, 1, 4));
        Tensor x = ImagePreprocessor.imagenet().preprocess(f);
        assertArrayEquals(new int[] {1, 3, 224, 224}, x.shape());
        float[] mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 224 * 224; i++) {
                assertEquals((0f - mean[c]) / std[c], x.data()[c * 224 * 224 + i], "channel " + c + " element " + i);
            }
        }
        float[] logits = model.predict(x, new int[][] {{1, 3}}).data();
        assertEquals(5, logits.length);
        for (float v : logits) {
            assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void pngBombOf20000x20000IsRefusedFromItsHeader() throws IOException {
        // 400 megapixels claimed (1.2 GB as RGB) by a file of a few hundred bytes
        Path f = dir.resolve("bomb.png");
        Files.write(f, png(20_000, 20_000, 20_000 * 3 + 1));
        assertTrue(Files.size(f) < 1000, Files.size(f) + " bytes");
        String[] m = new String[1];
        long allocated = assertTimeoutPreemptively(Duration.ofSeconds(30), () ->
                allocatedWhileThrowing(ImageFormatException.class, () -> ImagePreprocessor.imagenet().preprocess(f), m));
        assertTrue(m[0].contains("20000x20000") && m[0].contains("more than the limit of "
                + ImageDecoder.DEFAULT_MAX_PIXELS), m[0]);
        assertTrue(allocated < 16 << 20, "refusing the bomb allocated " + allocated + " bytes");
        // the limit can be raised explicitly; below it, the same header is still refused by a smaller limit
        assertThrows(ImageFormatException.class, () -> ImageDecoder.withMaxPixels(399_999_999L).decode(f));
    }

    @Test
    void thinStripIsRefusedBeforeResizingBlowsItUp() throws IOException {
        // regression (found by FuzzImageTest): a 1x4000 PNG, 12 KB of pixels, resizes to 256x1024000 =
        // 262 megapixels (786 MB); it used to be resized, now the resized size is held to the pixel limit
        Path f = dir.resolve("strip.png");
        Files.write(f, png(1, 4000, 4000 * 4));
        String[] m = new String[1];
        long allocated = allocatedWhileThrowing(IllegalArgumentException.class,
                () -> ImagePreprocessor.imagenet().preprocess(f), m);
        assertTrue(m[0].contains("1x4000") && m[0].contains("256x1024000") && m[0].contains("limit"), m[0]);
        assertTrue(allocated < 16 << 20, "refusing the strip allocated " + allocated + " bytes");
        // a strip whose resized size fits the limit is still processed, as torchvision would
        Path ok = dir.resolve("strip_ok.png");
        Files.write(ok, png(1, 300, 300 * 4));
        assertArrayEquals(new int[] {1, 3, 224, 224}, ImagePreprocessor.imagenet().preprocess(ok).shape());
        // the long side of the resize cannot overflow an int silently
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImagePreprocessor.resizedSize(1, Integer.MAX_VALUE, 256));
        assertTrue(e.getMessage().contains("more than an int"), e.getMessage());
    }

    @Test
    void emptyFile() throws IOException {
        Path f = Files.createFile(dir.resolve("empty.png"));
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImagePreprocessor.imagenet().preprocess(f));
        assertTrue(e.getMessage().contains("empty.png") && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void textFileNamedPng() throws IOException {
        Path f = dir.resolve("notes.png");
        Files.writeString(f, "this is not a picture\n");
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> ImagePreprocessor.imagenet().preprocess(f));
        assertTrue(e.getMessage().contains("notes.png") && e.getMessage().contains("look like text"), e.getMessage());
    }

    // ------------------------------------------------------------------ texts

    @Test
    void emptyAndWhitespaceTexts() {
        for (String text : new String[] {"", " ", "\t\n \u00a0\u3000"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(text));
            assertTrue(e.getMessage().contains("at least one word"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.predict(Tensor.zeros(1, 3, 32, 32), new int[][] {{}}));
        assertTrue(e.getMessage().contains("has no tokens"), e.getMessage());
    }

    @Test
    void hundredThousandTokensWork() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            sb.append(i % 3 == 0 ? "the " : i % 3 == 1 ? "cat " : "zzz ");
        }
        int[] ids = tokenizer.encode(sb.toString());
        assertEquals(100_000, ids.length);
        assertEquals(0, ids[2]);   // unknown word
        // runs in memory linear in the tokens (the LSTM output is 100,000 x 16 floats) and gives finite logits;
        // the same text given twice in a batch gives the same row twice
        float[] logits = assertTimeoutPreemptively(Duration.ofSeconds(120),
                () -> model.predict(Tensor.zeros(2, 3, 32, 32), new int[][] {ids, ids}).data());
        for (int c = 0; c < 5; c++) {
            assertTrue(Float.isFinite(logits[c]));
            assertEquals(logits[c], logits[5 + c]);
        }
    }

    @Test
    void idsOutsideTheVocabulary() {
        for (int bad : new int[] {50, -1, Integer.MAX_VALUE}) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> model.predict(Tensor.zeros(1, 3, 32, 32), new int[][] {{1, bad, 3}}));
            assertTrue(e.getMessage().contains("id " + bad) && e.getMessage().contains("vocabulary of 50"), e.getMessage());
        }
    }

    @Test
    void imagesAndTextsOfDifferentCountsOrShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.predict(Tensor.zeros(2, 3, 32, 32), new int[][] {{1}}));
        assertTrue(e.getMessage().contains("2 images but 1 texts"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.predict(Tensor.zeros(1, 4, 32, 32), new int[][] {{1}}));
        assertThrows(IllegalArgumentException.class, () -> model.predict(Tensor.zeros(3, 32, 32), new int[][] {{1}}));
    }

    // ------------------------------------------------------------------ weights

    @Test
    void wrongModelForTheCommand() throws IOException {
        // a plain state_dict of other tensors as a fusion model
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FusionModel.load(Fixtures.file("views.pth")));
        assertTrue(e.getMessage().contains("unexpected key"), e.getMessage());
        // a ResNet without the text branch as a fusion model
        StateDict tiny = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        Map<String, Tensor> resnetOnly = new LinkedHashMap<>();
        for (String k : tiny.keys()) {
            if (k.startsWith("resnet.")) {
                resnetOnly.put(k, tiny.tensor(k));
            }
        }
        Path f = dir.resolve("resnet_only.safetensors");
        SafeTensors.write(f, resnetOnly, null);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> FusionModel.load(f));
        assertTrue(missing.getMessage().contains("embedding.weight"), missing.getMessage());
        // the fusion model as an ImageNet classifier: its image branch loads (by design, for features),
        // classifying is refused because it has no fc
        ResNet18 branch = ResNet18.load(Fixtures.file("tiny_fusion.safetensors"));
        IllegalStateException noFc = assertThrows(IllegalStateException.class,
                () -> branch.classify(Tensor.zeros(1, 3, 32, 32)));
        assertTrue(noFc.getMessage().contains("no fc classifier"), noFc.getMessage());
        // a state_dict of other tensors as a ResNet
        IllegalArgumentException notResnet = assertThrows(IllegalArgumentException.class,
                () -> ResNet18.load(Fixtures.file("views.pth")));
        assertTrue(notResnet.getMessage().contains("not a ResNet state_dict"), notResnet.getMessage());
        // an image is not a weights file
        WeightsFormatException w = assertThrows(WeightsFormatException.class, () -> FusionModel.load(Fixtures.file("gray.png")));
        assertTrue(w.getMessage().contains("gray.png") && w.getMessage().contains("not a weights file"), w.getMessage());
    }

    @Test
    void shapeMismatchNamesTheKeyAndBothShapes() throws IOException {
        StateDict tiny = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String k : tiny.keys()) {
            m.put(k, k.equals("resnet.4.0.conv2.weight") ? Tensor.zeros(8, 8, 5, 5) : tiny.tensor(k));
        }
        Path f = dir.resolve("mismatch.safetensors");
        SafeTensors.write(f, m, null);
        StateDictMismatchException e = assertThrows(StateDictMismatchException.class, () -> FusionModel.load(f));
        assertTrue(e.getMessage().contains("conv2.weight") && e.getMessage().contains("[8, 8, 5, 5]")
                && e.getMessage().contains("[8, 8, 3, 3]"), e.getMessage());
    }
}
