package vecnet.multimodal.adopt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.multimodal.Classifier;
import vecnet.multimodal.ImageNet;
import vecnet.multimodal.ModelBundle;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.demo.DemoModel;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;

/**
 * Issue 15, blockers 3 and 4: one object answers from a picture (file, bytes or BufferedImage) and a
 * text, with names and top-k; a model loads as a folder or as one file, from a Path, bytes, a stream
 * or the class path, and every form gives the same answers as the bundled demo model wired by hand.
 */
class ClassifierTest extends LibraryTest {
    @TempDir
    static Path dir;
    static Path oneFile, folder;
    static DemoModel demo;

    @BeforeAll
    static void write() throws IOException {
        demo = DemoModel.load();
        ModelBundle bundle = DemoModel.bundle();
        oneFile = dir.resolve("demo.safetensors");
        bundle.write(oneFile);
        folder = Files.createDirectories(dir.resolve("demo-folder"));
        SafeTensors.write(folder.resolve("model.safetensors"), tensors(bundle.weights()), null); // no metadata at all
        Files.copy(resource("demo_vocab.json"), folder.resolve("vocab.json"));
        Files.writeString(folder.resolve("labels.txt"), String.join("\n", demo.labels()) + "\n");
    }

    private static Map<String, Tensor> tensors(StateDict sd) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String k : sd.keys()) {
            m.put(k, sd.tensor(k));
        }
        return m;
    }

    private static InputStream resource(String name) {
        return ClassifierTest.class.getResourceAsStream("/vecnet/demo/" + name);
    }

    private static byte[] sampleBytes(int i) throws IOException {
        try (InputStream in = resource("sample_" + i + ".png")) {
            return in.readAllBytes();
        }
    }

    /** What the hand-wired demo answers (FusionModel + Tokenizer + ImagePreprocessor), named. */
    private static Prediction expected(DemoModel.BundledSample s) {
        return demo.predict(s.image(), s.question()).withLabels(demo.labels());
    }

    @Test
    void everyFormAndEveryPictureSourceGivesTheHandWiredAnswer() throws Exception {
        byte[] oneFileBytes = Files.readAllBytes(oneFile);
        List<Classifier> forms = new ArrayList<>();
        forms.add(Classifier.load(oneFile));
        forms.add(Classifier.load(folder));
        forms.add(Classifier.load(oneFileBytes));
        forms.add(Classifier.load(new ByteArrayInputStream(oneFileBytes)));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            forms.add(Classifier.load(loader, "demo.safetensors"));   // one file on the class path
            forms.add(Classifier.load(loader, "demo-folder"));        // a folder on the class path
        }
        DemoModel.BundledSample s = DemoModel.samples().get(0);
        Prediction want = expected(s);
        Path png = dir.resolve("sample_0.png");
        Files.write(png, sampleBytes(0));
        BufferedImage picture = ImageIO.read(png.toFile());
        for (int f = 0; f < forms.size(); f++) {
            Classifier c = forms.get(f);
            assertEquals(demo.labels(), c.labels(), "form " + f);
            assertEquals(want, c.predict(png, s.question()), "form " + f + ", Path");
            assertEquals(want, c.predict(sampleBytes(0), s.question()), "form " + f + ", bytes");
            assertEquals(want, c.predict(picture, s.question()), "form " + f + ", BufferedImage");
        }
        assertEquals(s.answer(), want.name());
    }

    @Test
    void batchAndAsyncGiveTheSameAnswersInOrder() throws Exception {
        Classifier c = Classifier.load(oneFile);
        List<DemoModel.BundledSample> samples = DemoModel.samples();
        List<Classifier.Input> inputs = new ArrayList<>();
        List<Prediction> want = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            inputs.add(Classifier.Input.of(sampleBytes(i), samples.get(i).question()));
            want.add(expected(samples.get(i)));
        }
        inputs.addAll(inputs);   // 16 pairs: two batches of 8
        want.addAll(want);
        assertEquals(want, c.predict(inputs));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<List<Prediction>> all = c.predictAsync(inputs, executor);
            Path png = dir.resolve("async.png");
            Files.write(png, sampleBytes(3));
            CompletableFuture<Prediction> one = c.predictAsync(png, samples.get(3).question(), executor);
            assertEquals(want, all.get());
            assertEquals(want.get(3), one.get());
            CompletableFuture<Prediction> missing = c.predictAsync(dir.resolve("none.png"), "what", executor);
            ExecutionException e = assertThrows(ExecutionException.class, missing::get);
            assertTrue(e.getCause().getMessage().contains("none.png"), e.getCause().toString());
        } finally {
            executor.shutdown();
        }
    }

    @Test
    void predictionsAreValuesWithNamesTopKAndAReadableString() {
        // softmax of (1, 3, 2): e^-2, 1, e^-1 over their sum 1.50321 -> 0.0900, 0.6652, 0.2447
        Prediction p = Prediction.of(new float[] {1, 3, 2});
        assertEquals("Prediction[class1 66.5 % (class 1 of 3); then class2 24.5 %, class0 9.0 %]", p.toString());
        Prediction named = p.withLabels(List.of("cat", "dog", "fox"));
        assertEquals("Prediction[dog 66.5 % (class 1 of 3); then fox 24.5 %, cat 9.0 %]", named.toString());
        assertEquals("dog", named.name());
        assertEquals(List.of("dog", "fox"), named.top(2).stream().map(Prediction.Ranked::name).toList());
        assertEquals(0.6652f, named.confidence(), 1e-4f);
        Prediction again = Prediction.of(new float[] {1, 3, 2});
        assertEquals(p, again);
        assertEquals(p.hashCode(), again.hashCode());
        assertNotEquals(p, named);
        assertNotEquals(p, Prediction.of(new float[] {1, 3, 2.5f}));
        float[] logits = p.logits();
        logits[1] = -100;   // a copy: the prediction does not change
        assertEquals(3f, p.logit(1));
    }

    @Test
    void aThousandClassImageModelIsNamedWithTheBundledImagenetClasses() throws IOException {
        // torchvision's key layout with tiny widths and a 1000-class fc, from the tiny fusion fixture
        StateDict tiny = StateDict.read(Fixtures.file("tiny_fusion.safetensors")).withoutPrefix("resnet.");
        Map<String, Tensor> tv = new LinkedHashMap<>();
        Map<String, String> rename = Map.of("0.", "conv1.", "1.", "bn1.", "4.", "layer1.", "5.", "layer2.",
                "6.", "layer3.", "7.", "layer4.");
        for (String k : tiny.keys()) {
            String head = k.substring(0, k.indexOf('.') + 1);
            tv.put(rename.get(head) + k.substring(head.length()), tiny.tensor(k));
        }
        Random rnd = new Random(15);
        float[] w = new float[1000 * 64];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        tv.put("fc.weight", Tensor.of(w, 1000, 64));
        tv.put("fc.bias", Tensor.zeros(1000));
        Path file = dir.resolve("resnet_tv.safetensors");
        SafeTensors.write(file, tv, null);
        Classifier c = Classifier.load(file);
        assertEquals(ImageNet.classNames(), c.labels());
        assertEquals("tench", c.labels().get(0));
        Path png = dir.resolve("for_resnet.png");
        Files.write(png, sampleBytes(1));
        Prediction p = c.predict(png);
        assertEquals(ImageNet.classNames().get(p.label()), p.name());
        assertEquals(5, p.top(5).size());
        assertThrows(IllegalArgumentException.class, () -> c.predict(png, "an image model reads no text"));
    }

    @Test
    void aFusionModelWithoutVocabularySaysWhereToPutIt() throws IOException {
        Path bare = dir.resolve("bare.safetensors");
        SafeTensors.write(bare, tensors(DemoModel.bundle().weights()), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Classifier.load(bare));
        assertTrue(e.getMessage().contains("vocab.json"), e.getMessage());
        String labels = new String(resource("demo_labels.txt").readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(labels.startsWith("red"), labels);
    }
}
