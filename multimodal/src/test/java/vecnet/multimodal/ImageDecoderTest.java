package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/**
 * Decoding against Pillow's {@code Image.open(f).convert('RGB')} (the decoded_*.safetensors
 * fixtures), and every file the decoder must refuse.
 */
class ImageDecoderTest extends LibraryTest {
    private final ImageDecoder decoder = ImageDecoder.create();

    @ParameterizedTest(name = "{0}.png")
    @ValueSource(strings = {"gray", "palette", "rgba", "rgb16"})
    void decodesLikePillowConvertRgb(String name) throws IOException {
        ImageFixtureFiles.Array expected = ImageFixtureFiles.read("decoded_" + name + ".safetensors", "rgb");
        ImageRgb img = decoder.decode(Fixtures.file(name + ".png"));
        assertArrayEquals(expected.shape(), new int[] {img.height(), img.width(), 3}, "[H, W, 3]");
        Check.identical(name + ".png decoded", expected.data(), img.toFloatsHwc());
    }

    @Test
    void jpegIsWithinOneLevelOfPillowAndCloseToThePng() throws IOException {
        ImageFixtureFiles.Array expected = ImageFixtureFiles.read("decoded_photo.safetensors", "rgb");
        ImageRgb img = decoder.decode(Fixtures.file("photo.jpg"));
        assertArrayEquals(expected.shape(), new int[] {img.height(), img.width(), 3});
        // both decoders use libjpeg's islow IDCT and fancy upsampling; allow one level anyway
        Check.close("photo.jpg vs Pillow", expected.data(), img.toFloatsHwc(), 1, 0);
        // and it is a picture of src_port.png: quality 90 keeps the mean error small
        float[] png = decoder.decode(Fixtures.file("src_port.png")).toFloatsHwc();
        float[] jpg = img.toFloatsHwc();
        double sum = 0;
        for (int i = 0; i < png.length; i++) {
            sum += Math.abs(png[i] - jpg[i]);
        }
        assertTrue(sum / png.length < 4, "mean |jpeg - png| = " + sum / png.length);
    }

    @Test
    void sixteenBitGrayIsClippedAsPillowDoes(@TempDir Path dir) throws IOException {
        // Pillow 9.4 opens a 16-bit grayscale PNG in mode I; convert('RGB') clips to 0..255
        // (measured: 0, 100, 255, 256, 1000, 65535 -> 0, 100, 255, 255, 255, 255). 16-bit RGB keeps the high byte.
        int[] values = {0, 100, 255, 256, 1000, 65535};
        BufferedImage g16 = new BufferedImage(values.length, 1, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster r = g16.getRaster();
        for (int x = 0; x < values.length; x++) {
            r.setSample(x, 0, 0, values[x]);
        }
        Path file = dir.resolve("g16.png");
        assertTrue(ImageIO.write(g16, "png", file.toFile()));
        ImageRgb img = decoder.decode(file);
        int[] expected = {0, 100, 255, 255, 255, 255};
        for (int x = 0; x < values.length; x++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(expected[x], img.get(0, x, c), "value " + values[x] + " channel " + c);
            }
        }
    }

    @Test
    void grayIsReadFromTheRasterNotThroughGetRgb(@TempDir Path dir) throws IOException {
        // getRGB() on TYPE_BYTE_GRAY converts colour spaces (gray 100 reads as about 167)
        BufferedImage g = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(0, 0, 0, 100);
        g.getRaster().setSample(1, 0, 0, 200);
        Path file = dir.resolve("g.png");
        ImageIO.write(g, "png", file.toFile());
        ImageRgb img = decoder.decode(file);
        assertEquals(100, img.get(0, 0, 1));
        assertEquals(200, img.get(0, 1, 2));
    }

    @Test
    void inMemoryImagesAreReadBandByBandInRgbOrder() throws IOException {
        // the same colour (R=10, G=20, B=30) stored in four layouts whose buffers order the bytes differently
        int[] types = {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB,
            BufferedImage.TYPE_INT_BGR, BufferedImage.TYPE_INT_ARGB};
        for (int type : types) {
            BufferedImage img = new BufferedImage(2, 1, type);
            WritableRaster r = img.getRaster();
            r.setPixel(1, 0, img.getColorModel().hasAlpha() ? new int[] {10, 20, 30, 7} : new int[] {10, 20, 30});
            ImageRgb rgb = ImageDecoder.toRgb(img);
            assertEquals(10, rgb.get(0, 1, 0), "R, type " + type);
            assertEquals(20, rgb.get(0, 1, 1), "G, type " + type);
            assertEquals(30, rgb.get(0, 1, 2), "B, type " + type);
            assertEquals(0, rgb.get(0, 0, 0), "untouched pixel, type " + type);
        }
    }

    @Test
    void refusesTruncatedJpeg() {
        // ImageIO would return a half-grey picture with only a warning
        Path f = Fixtures.file("truncated.jpg");
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> decoder.decode(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void refusesTruncatedPng(@TempDir Path dir) throws IOException {
        byte[] png = Files.readAllBytes(Fixtures.file("src_land.png"));
        Path f = Files.write(dir.resolve("half.png"), Arrays.copyOf(png, png.length / 2));
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> decoder.decode(f));
        assertTrue(e.getMessage().contains("half.png"), e.getMessage());
    }

    @Test
    void refusesEmptyFilesTextAndDirectories(@TempDir Path dir) throws IOException {
        Path empty = Files.write(dir.resolve("empty.png"), new byte[0]);
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> decoder.decode(empty));
        assertTrue(e.getMessage().contains("empty.png") && e.getMessage().contains("empty"), e.getMessage());

        Path text = Files.writeString(dir.resolve("cat.png"), "a photo of a cat\n");
        e = assertThrows(ImageFormatException.class, () -> decoder.decode(text));
        assertTrue(e.getMessage().contains("cat.png") && e.getMessage().contains("text"), e.getMessage());

        e = assertThrows(ImageFormatException.class, () -> decoder.decode(dir));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());

        assertThrows(NoSuchFileException.class, () -> decoder.decode(dir.resolve("missing.png")));
    }

    @Test
    void otherFormatsPillowReadsDecodeAndWbmpIsRefused(@TempDir Path dir) throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR);
        img.getRaster().setPixel(2, 1, new int[] {200, 100, 50});
        for (String format : new String[] {"bmp", "tiff", "png"}) {
            Path f = dir.resolve("img." + format);
            assertTrue(ImageIO.write(img, format, f.toFile()), format);
            ImageRgb rgb = decoder.decode(f);
            assertEquals(200, rgb.get(1, 2, 0), format);
            assertEquals(100, rgb.get(1, 2, 1), format);
            assertEquals(50, rgb.get(1, 2, 2), format);
        }
        BufferedImage bw = new BufferedImage(8, 2, BufferedImage.TYPE_BYTE_BINARY);
        Path wbmp = dir.resolve("img.wbmp");
        assertTrue(ImageIO.write(bw, "wbmp", wbmp.toFile()));
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> decoder.decode(wbmp));
        assertTrue(e.getMessage().contains("wbmp") && e.getMessage().contains("not supported"), e.getMessage());
    }

    @Test
    void pixelLimitIsCheckedBeforeDecoding(@TempDir Path dir) throws IOException {
        // a valid PNG header announcing 60000 x 60000 (3.6 gigapixels) with almost no data:
        // the limit must trip on the header, before any allocation or decoding error
        Path bomb = Files.write(dir.resolve("bomb.png"), pngHeaderOnly(60000, 60000));
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> decoder.decode(bomb));
        assertTrue(e.getMessage().contains("60000x60000") && e.getMessage().contains("limit"), e.getMessage());

        Path land = Fixtures.file("src_land.png"); // 400 x 300
        assertThrows(ImageFormatException.class, () -> ImageDecoder.withMaxPixels(400 * 300 - 1).decode(land));
        assertEquals(400, ImageDecoder.withMaxPixels(400 * 300).decode(land).width());
        assertThrows(IllegalArgumentException.class, () -> ImageDecoder.withMaxPixels(0));
    }

    /** Signature, IHDR (8-bit RGB) and one tiny IDAT: a valid start of a huge PNG. */
    private static byte[] pngHeaderOnly(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array());
        Deflater d = new Deflater();
        d.setInput(new byte[100]);
        d.finish();
        byte[] buf = new byte[200];
        int n = d.deflate(buf);
        chunk(out, "IDAT", Arrays.copyOf(buf, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
