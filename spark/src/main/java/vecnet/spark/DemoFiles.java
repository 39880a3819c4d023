package vecnet.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import vecnet.multimodal.ImageRgb;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;

/**
 * Files to try the job on: the bundled demo model as a model folder, {@code n} fresh demo pictures
 * as JPEG or PNG, and {@code captions.csv} (columns {@code image, text, label}: also a training
 * manifest for {@code vecnet train}), plus two bad rows on purpose: {@code broken.jpg} (text, not a
 * picture) and a picture whose caption is empty.
 *
 * <pre>
 *   java -cp vecnet-spark.jar vecnet.spark.DemoFiles DIR [N]     → DIR/model/, DIR/images/*.jpg, DIR/captions.csv
 * </pre>
 */
public final class DemoFiles {
    /** The bundled demo model's files (resources of vecnet-multimodal). */
    public static final List<String> MODEL_FILES = List.of("demo_model.safetensors", "demo_vocab.json", "demo_labels.txt");
    /** Their names in the model folder: a vecnet model folder, which {@code vecnet} commands read too. */
    public static final List<String> FOLDER_FILES = List.of("model.safetensors", "vocab.json", "labels.txt");

    private DemoFiles() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("Usage: DemoFiles DIR [N]   (writes DIR/model/, DIR/images/*.jpg and DIR/captions.csv)");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        writeModel(dir.resolve("model"));
        writePictures(dir.resolve("images"), dir.resolve("captions.csv"), n, 7, "jpg");
        System.out.println("wrote " + dir.resolve("model") + "/, " + n + " pictures and broken.jpg in " + dir.resolve("images")
                + "/, and " + dir.resolve("captions.csv"));
    }

    /**
     * Copies the bundled demo model's weights, vocabulary and class names into {@code folder}, as
     * {@code model.safetensors}, {@code vocab.json} and {@code labels.txt}: a model folder for the job
     * and for every {@code vecnet} command (such as {@code vecnet train --init}).
     */
    public static Path writeModel(Path folder) throws IOException {
        Files.createDirectories(folder);
        for (int i = 0; i < MODEL_FILES.size(); i++) {
            String name = MODEL_FILES.get(i);
            try (InputStream in = DemoModel.class.getResourceAsStream(DemoModel.RESOURCES + name)) {
                if (in == null) {
                    throw new IOException("bundled resource " + DemoModel.RESOURCES + name + " is missing");
                }
                Files.copy(in, folder.resolve(FOLDER_FILES.get(i)), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return folder;
    }

    /**
     * Samples {@code 0 .. n-1} of {@code ShapesDataset(seed)} as {@code shape_000.<format>}, ... in
     * {@code images}; the last one gets an empty caption, and {@code broken.<format>} holds text.
     * {@code captions} lists {@code image,text,label} with the images' paths relative to its folder,
     * so it is also a training manifest ({@code vecnet train --data}); the job matches them by file name.
     */
    public static void writePictures(Path images, Path captions, int n, long seed, String format) throws IOException {
        Files.createDirectories(images);
        ShapesDataset data = new ShapesDataset(seed);
        StringBuilder csv = new StringBuilder("image,text,label\n");
        Path base = captions.toAbsolutePath().getParent();
        for (int i = 0; i < n; i++) {
            ShapesDataset.Sample s = data.sample(i);
            String name = String.format(Locale.ROOT, "shape_%03d.%s", i, format);
            Files.write(images.resolve(name), encode(s.image(), format));
            csv.append(relative(base, images.resolve(name))).append(',').append(i == n - 1 ? "" : s.question()).append(',').append(s.answer()).append('\n');
        }
        String broken = "broken." + format;
        Files.writeString(images.resolve(broken), "this is not a picture\n");
        csv.append(relative(base, images.resolve(broken))).append(",what colour is the shape,\n");
        Files.writeString(captions, csv, StandardCharsets.UTF_8);
    }

    private static String relative(Path base, Path file) {
        return base.relativize(file.toAbsolutePath()).toString().replace('\\', '/');
    }

    /** {@code image} encoded by ImageIO ({@code "png"} is lossless; {@code "jpg"} is not). */
    public static byte[] encode(ImageRgb image, String format) {
        BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                b.setRGB(x, y, image.get(y, x, 0) << 16 | image.get(y, x, 1) << 8 | image.get(y, x, 2));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(b, format, out)) {
                throw new IllegalArgumentException("ImageIO has no writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
