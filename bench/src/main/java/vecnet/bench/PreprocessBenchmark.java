package vecnet.bench;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import vecnet.engine.Tensor;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageRgb;

/**
 * Image preprocessing speed: a PNG or JPEG file to the [1, 3, 224, 224] tensor (decode, Resize(256),
 * CenterCrop(224), ToTensor, Normalize), one image on one thread, as a model server would do per
 * request. The Python twin is {@code bench/python/preprocess_bench.py} (Pillow + torchvision on the
 * very same pixels); compare the two only on an otherwise idle machine.
 *
 * <p>The images are generated in {@code @Setup} with a fixed integer formula (a gradient plus
 * hash noise, so PNG compression has work to do): 1920x1080 (a screenshot or phone video frame) and
 * 4000x3000 (a 12-megapixel photo). Besides the whole pipeline, {@link #decodeOnly} and
 * {@link #resizeCropTensor} split the time between decoding and the rest.
 *
 * <p>Average time per operation; one fork with the Vector API flag like every vecnet benchmark
 * (preprocessing does not use it, but the JVM setup stays the same across benchmarks); warm-up
 * long enough for the resize loops to be compiled by C2.
 * Run: {@code java -jar bench/target/benchmarks.jar PreprocessBenchmark}.
 * To write the same images for the Python script: {@code java -cp bench/target/benchmarks.jar vecnet.bench.PreprocessBenchmark DIR}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class PreprocessBenchmark {

    @Param({"1920x1080", "4000x3000"})
    public String size;

    /** png (lossless, zlib level of ImageIO's writer) or jpg (ImageIO's writer, quality 0.9, 4:2:0, baseline). */
    @Param({"png", "jpg"})
    public String format;

    private Path dir;
    private Path file;
    private ImageRgb decoded;
    private final ImagePreprocessor pre = ImagePreprocessor.imagenet();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("vecnet-preprocess-bench");
        String[] wh = size.split("x");
        file = writeImage(dir, Integer.parseInt(wh[0]), Integer.parseInt(wh[1]), format);
        decoded = pre.decode(file);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    /** File → [1, 3, 224, 224]: the number to compare with preprocess_bench.py. */
    @Benchmark
    public Tensor fileToTensor() throws IOException {
        return pre.preprocess(file);
    }

    /** Decoding alone: our PNG decoder, or ImageIO's JPEG entropy decoding plus our colour conversion. */
    @Benchmark
    public ImageRgb decodeOnly() throws IOException {
        return pre.decode(file);
    }

    /** Everything after decoding: Pillow-exact resize, crop, ToTensor, Normalize. */
    @Benchmark
    public Tensor resizeCropTensor() {
        return pre.preprocess(decoded);
    }

    /**
     * Writes {@code bench_<W>x<H>.<format>} (png or jpg): {@code R = 255x/(W−1) + n}, {@code G = 255y/(H−1) + n},
     * {@code B = 255(x+y)/(W+H−2) + n}, clamped, with {@code n = ((x·73856093) ^ (y·19349663) ^ (c·83492791)) & 31 − 16}
     * (integer arithmetic; preprocess_bench.py computes the same pixels).
     */
    public static Path writeImage(Path dir, int w, int h, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        int[] row = new int[w * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int[] base = {255 * x / (w - 1), 255 * y / (h - 1), 255 * (x + y) / (w + h - 2)};
                for (int c = 0; c < 3; c++) {
                    int n = ((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) & 31;
                    row[3 * x + c] = Math.max(0, Math.min(255, base[c] + n - 16));
                }
            }
            img.getRaster().setPixels(0, y, w, 1, row);
        }
        Path f = dir.resolve("bench_" + w + "x" + h + "." + format);
        if (format.equals("png")) {
            if (!ImageIO.write(img, "png", f.toFile())) {
                throw new IOException("no PNG writer");
            }
            return f;
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        Files.deleteIfExists(f); // the stream does not truncate an existing file
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return f;
    }

    /** Writes both benchmark images into the folder given as argument (for preprocess_bench.py). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: PreprocessBenchmark DIR");
        }
        Path d = Files.createDirectories(Path.of(args[0]));
        for (String format : new String[] {"png", "jpg"}) {
            writeImage(d, 1920, 1080, format);
            writeImage(d, 4000, 3000, format);
        }
    }
}
