package vecnet.multimodal.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.multimodal.Classifier;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.Tokenizer;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * The library usage shown in the README ("Library usage"), compiled and run: the code between the
 * {@code README} markers is the README's, with its printing replaced by assertions.
 */
class LibraryUsageTest extends LibraryTest {

    @Test
    void fusionModelLoadOncePredictMany() throws Exception {
        Path weights = Fixtures.file("tiny_fusion.pth"), vocab = Fixtures.file("vocab.json");
        Path picture = Fixtures.file("src_land.png");
        // README begin: fusion
        FusionModel model = FusionModel.load(weights);                  // .pth or .safetensors, loaded once
        Tokenizer tokenizer = Tokenizer.load(vocab);                    // {token: id} JSON or one token per line
        ImagePreprocessor pre = ImagePreprocessor.imagenet();          // Resize(256) CenterCrop(224) Normalize
        Tensor image = pre.preprocess(picture);                         // [1, 3, 224, 224]
        int[] ids = tokenizer.encode("a dog on the grass");             // text.lower().split(), unknown -> 0
        Prediction p = model.classify(image, new int[][] {ids}).get(0); // label, logits, probabilities
        // README end: fusion
        assertEquals(model.numClasses(), p.probabilities().length);
        assertTrue(p.confidence() > 0 && p.confidence() <= 1);

        // README begin: threads
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try (ComputePool pool = ComputePool.create(2)) {                // the compute threads this model uses
            FusionModel shared = model.withPool(pool);                  // same weights, another pool
            List<Future<Prediction>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {                               // one model, many calling threads
                answers.add(callers.submit(() -> shared.classify(image, new int[][] {ids}).get(0)));
            }
            for (Future<Prediction> f : answers) {
                Prediction q = f.get();
                // README end: threads
                assertEquals(p.label(), q.label());
                assertEquals(p.logits()[p.label()], q.logits()[p.label()]);
            }
        } finally {
            callers.shutdown();
        }

        Path other = weights;
        float before = model.predict(image, new int[][] {ids}).data()[0];
        // README begin: weights
        Tensor w = model.namedTensors().get("fc.weight");               // the live weights, under the seed's keys
        w.data()[0] += 100f;                                            // change them in place,
        model.weightsChanged();                                         // then say so once: the next call sees them
        // README end: weights
        float after = model.predict(image, new int[][] {ids}).data()[0];
        assertTrue(after != before, "the change must show: " + before + " -> " + after);
        // README begin: weights
        StateDict.read(other).loadInto(model);                          // loading does both
        // README end: weights
        assertEquals(before, model.predict(image, new int[][] {ids}).data()[0]);
    }

    @Test
    void theClassifier(@TempDir Path dir) throws Exception {
        Path modelDir = java.nio.file.Files.createDirectories(dir.resolve("shapes-model"));
        DemoModel.bundle().write(modelDir.resolve("model.safetensors")); // one file holding vocabulary and labels
        Path photo = dir.resolve("photo.png");
        try (var in = LibraryUsageTest.class.getResourceAsStream("/vecnet/demo/sample_0.png")) {
            java.nio.file.Files.copy(in, photo);                          // a yellow shape
        }
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            // README begin: classifier
            Classifier classifier = Classifier.load(modelDir);              // a folder, one file, bytes, a stream, a resource
            Prediction answer = classifier.predict(photo, "what colour is the shape"); // or a BufferedImage, or bytes
            String name = answer.name();                                    // "yellow"; also top(3), confidence()
            CompletableFuture<Prediction> later = classifier.predictAsync(photo, "which shape is it", executor);
            // README end: classifier
            assertEquals("yellow", name);
            assertTrue(answer.toString().startsWith("Prediction[yellow "), answer.toString());
            assertTrue(demoShapes().contains(later.get().name()), later.get().toString());
        } finally {
            executor.shutdown();
        }
    }

    private static List<String> demoShapes() {
        return List.of("circle", "square", "triangle", "star");
    }

    @Test
    void theBundledDemoModel() throws IOException {
        // README begin: demo
        DemoModel demo = DemoModel.load();                              // bundled: no file, no download
        ShapesDataset.Sample s = new ShapesDataset(7).sample(0);        // a fresh picture and question
        Prediction answer = demo.predict(s.image(), s.question());
        String said = demo.labels().get(answer.label());                // e.g. "red" or "star"
        // README end: demo
        assertEquals(s.answer(), said, s.question());
    }

    /** The regions between the README markers of this file stand, line for line, in README.md. */
    @Test
    void readmeShowsExactlyThisCode() throws IOException {
        Path root = Fixtures.dir().getParent().getParent();
        List<String> readme = java.nio.file.Files.readAllLines(root.resolve("README.md")).stream()
                .map(String::strip).toList();
        List<String> source = java.nio.file.Files.readAllLines(
                root.resolve("multimodal/src/test/java/vecnet/multimodal/demo/LibraryUsageTest.java"));
        boolean inside = false;
        int checked = 0;
        for (String line : source) {
            String t = line.strip();
            if (t.startsWith("// README begin:")) {
                inside = true;
            } else if (t.startsWith("// README end:")) {
                inside = false;
            } else if (inside && !t.isEmpty()) {
                assertTrue(readme.contains(t), "README.md lacks the line of LibraryUsageTest: " + t);
                checked++;
            }
        }
        assertTrue(checked >= 15, "only " + checked + " README lines found between the markers");
    }
}
