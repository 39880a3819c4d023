package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageRgb;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;
import vecnet.multimodal.train.FeaturesFile;
import vecnet.multimodal.train.ModelFiles;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * {@code vecnet train --features} on the committed output folder of the Spark job
 * ({@code vecnet/parquet/features.parquet}: the bundled demo model's image features of
 * {@code ShapesDataset(7)}'s pictures 0-5, with {@code features-captions.csv}), against
 * {@code vecnet train --data} on the same pictures drawn again here.
 *
 * <p>The committed features were computed by the 512-bit kernels (an AVX-512 host). Kernels of
 * another width add up in another order, so there (an AVX2 host, {@code -Dvecnet.vectorBits=256},
 * {@code -Dvecnet.simd=false}) the features and the trained weights agree with the committed ones to
 * float rounding, not bit for bit.
 */
class TrainFeaturesCliTest extends LibraryTest {
    private static final long PICTURES_SEED = 7; // as spark/write-parquet-fixtures drew them
    /** {@link Kernels#name()} of the kernels spark/write-parquet-fixtures computed the committed features with. */
    private static final String FIXTURE_KERNELS = "vector-512";

    @TempDir
    Path dir;

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(TrainFeaturesCliTest.class.getResource("/vecnet/parquet/" + name).toURI());
    }

    /** The pictures and the manifest the job read: shape_000..005.png, broken.png, and the captions as a manifest. */
    private Path pictures() throws IOException, URISyntaxException {
        Path images = Files.createDirectories(dir.resolve("data/images"));
        ShapesDataset data = new ShapesDataset(PICTURES_SEED);
        for (int i = 0; i < 6; i++) {
            ImageRgb s = data.sample(i).image();
            BufferedImage b = new BufferedImage(s.width(), s.height(), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < s.height(); y++) {
                for (int x = 0; x < s.width(); x++) {
                    b.setRGB(x, y, s.get(y, x, 0) << 16 | s.get(y, x, 1) << 8 | s.get(y, x, 2));
                }
            }
            ImageIO.write(b, "png", images.resolve(String.format("shape_%03d.png", i)).toFile()); // lossless: same pixels
        }
        Files.writeString(images.resolve("broken.png"), "this is not a picture\n");
        Path manifest = dir.resolve("data/captions.csv");
        Files.copy(fixture("features-captions.csv"), manifest);
        return manifest;
    }

    private Path demoModelFolder() throws IOException {
        DemoModel demo = DemoModel.load(ComputePool.sequential());
        Path folder = dir.resolve("demo-model");
        ModelFiles.write(folder, demo.model(), DemoModel.bundle().vocabulary().orElseThrow(), ShapesDataset.LABELS);
        return folder;
    }

    @Test
    void trainingOnTheSparkFeaturesGivesTheSameBitsAsOnThePictures() throws Exception {
        Path manifest = pictures();
        Path model = demoModelFolder();
        Path features = fixture("features.parquet");

        // the features Spark computed are, bit for bit, the ones the trainer computes from the pictures
        // (with the kernels the fixture was made with; else to float rounding)
        String kernels = Kernels.get().name();
        boolean sameKernels = kernels.equals(FIXTURE_KERNELS);
        DemoModel demo = DemoModel.load(ComputePool.sequential());
        ImagePreprocessor pre = ImagePreprocessor.imagenet();
        List<FeaturesFile.Row> rows = FeaturesFile.read(features).rows();
        for (int i = 0; i < rows.size(); i++) {
            float[] want = demo.model().resnet().features(pre.preprocess(dir.resolve(String.format(
                    "data/images/shape_%03d.png", i)))).data();
            String what = "features of shape_" + i + " (if the bundled demo model changed, re-run"
                    + " spark/write-parquet-fixtures)";
            if (sameKernels) {
                assertArrayEquals(want, rows.get(i).features(), what);
            } else {
                Check.close(what + ", kernels " + kernels, want, rows.get(i).features(), 1e-4, 1e-4);
            }
        }

        List<String> common = List.of("--init", model.toString(), "--epochs", "3", "--batch", "2", "--lr", "0.02",
                "--seed", "5", "--skip-bad", "--threads", "2", "--quiet");
        Path a = dir.resolve("a"), b = dir.resolve("b");
        CliRun.Result fromPictures = CliRun.run(args(List.of("train", "--data", manifest.toString(), "--out",
                a.toString()), common));
        CliRun.Result fromFeatures = CliRun.run(args(List.of("train", "--features", features.toString(), "--out",
                b.toString()), common));
        assertEquals(0, fromPictures.status(), fromPictures.err());
        assertEquals(0, fromFeatures.status(), fromFeatures.err());
        assertTrue(fromFeatures.err().contains("skipped 2 bad rows"), fromFeatures.err());
        assertTrue(fromFeatures.err().matches("(?s).*bad row .*\\.parquet:1: .*/images/broken\\.png: bad image: .*"),
                fromFeatures.err());
        for (String f : List.of("vocab.json", "labels.txt")) { // not model.pth: its zip entries carry the time
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
        if (sameKernels) {
            assertArrayEquals(Files.readAllBytes(a.resolve("model.safetensors")),
                    Files.readAllBytes(b.resolve("model.safetensors")), "model.safetensors");
        } else {
            StateDict fromData = StateDict.read(a.resolve("model.safetensors"));
            StateDict fromParquet = StateDict.read(b.resolve("model.safetensors"));
            assertEquals(fromData.keys(), fromParquet.keys());
            for (String k : fromData.keys()) {
                Check.close(k + ", kernels " + kernels, fromData.tensor(k).data(),
                        fromParquet.tensor(k).data(), 1e-4, 1e-3);
            }
        }
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(model.resolve("model.safetensors")),
                Files.readAllBytes(b.resolve("model.safetensors"))), "training changed nothing");
    }

    @Test
    void theFlagsAreCheckedBeforeAnythingIsRead() throws Exception {
        Path model = demoModelFolder();
        String features = fixture("features.parquet").toString(), out = dir.resolve("out").toString();
        assertTrue(CliRun.run("train", "--features", features, "--data", "x.csv", "--init", model.toString(), "--out", out)
                .oneErrorLine().contains("give --data (a manifest of pictures) or --features (a Parquet of image features),"
                        + " not both"));
        assertTrue(CliRun.run("train", "--features", features, "--out", out).oneErrorLine()
                .contains("--features needs --init"));
        assertTrue(CliRun.run("train", "--features", features, "--init", model.toString(), "--out", out,
                "--train-image-branch").oneErrorLine().contains("--train-image-branch needs pictures"));
        assertTrue(CliRun.run("train", "--features", features, "--init", model.toString(), "--out", out,
                "--val-features", features, "--val-fraction", "0.5").oneErrorLine()
                .contains("give one of --val-data, --val-features and --val-fraction"));

        // features of another image branch: refused by row, with the sizes
        Path tiny = dir.resolve("tiny");
        ModelFiles.write(tiny, vecnet.multimodal.train.ModelInit.create(new vecnet.multimodal.train.ModelInit.Sizes(
                new int[] {1, 2, 4, 8}, 40, 6, 8, 8), 1), DemoModel.bundle().vocabulary().orElseThrow(), ShapesDataset.LABELS);
        CliRun.Result r = CliRun.run("train", "--features", features, "--init", tiny.toString(), "--out", out, "--skip-bad");
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains(".parquet:2: 64 image features, but the image branch of --init gives 8"), r.err());

        // the same architecture, another image branch: refused by its digest
        Path other = dir.resolve("other");
        vecnet.multimodal.FusionModel changed = DemoModel.load(ComputePool.sequential()).model();
        changed.namedTensors().get("resnet.0.weight").data()[0] += 1e-3f;
        changed.weightsChanged();
        ModelFiles.write(other, changed, DemoModel.bundle().vocabulary().orElseThrow(), ShapesDataset.LABELS);
        CliRun.Result wrong = CliRun.run("train", "--features", features, "--init", other.toString(), "--out", out,
                "--skip-bad");
        assertEquals(1, wrong.status(), wrong.err());
        assertTrue(wrong.err().contains("the features were computed by image branch "
                + FeaturesFile.read(Path.of(features)).imageBranch().orElseThrow() + ", but --init's is "), wrong.err());

        Path notParquet = dir.resolve("no.parquet");
        Files.writeString(notParquet, "image,text,label\n");
        CliRun.Result bad = CliRun.run("train", "--features", notParquet.toString(), "--init", model.toString(), "--out", out);
        assertEquals(1, bad.status());
        assertTrue(bad.oneErrorLine().contains(notParquet + ": not a Parquet file"), bad.err());
    }

    private static String[] args(List<String> first, List<String> rest) {
        List<String> all = new ArrayList<>(first);
        all.addAll(rest);
        return all.toArray(new String[0]);
    }
}
