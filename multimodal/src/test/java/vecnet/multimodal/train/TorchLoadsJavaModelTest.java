package vecnet.multimodal.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ModelBundle;
import vecnet.multimodal.Vocabulary;
import vecnet.testing.LibraryTest;
import vecnet.testing.Torch;
import vecnet.weights.SafeTensors;
import vecnet.weights.internal.Json;

/**
 * A model trained in Java (image branch trained, so the batch-norm statistics moved) and written by
 * {@link ModelFiles} is loaded by PyTorch's {@code MultimodalModel.load_state_dict} from
 * {@code model.safetensors} and from {@code model.pth} ({@code torch.load}), and gives the logits
 * Java computes from the same folder through {@link ModelBundle}. Skipped without Debian's torch.
 */
class TorchLoadsJavaModelTest extends LibraryTest {
    @Test
    void pytorchGetsTheSameLogits(@TempDir Path dir) throws Exception {
        assumeTrue(Torch.available(), "Debian's torch (/usr/bin/python3 with torch) is not installed");
        ModelInit.Sizes sizes = new ModelInit.Sizes(new int[] {8, 16, 32, 64}, 20, 12, 16, 4);
        FusionModel model = ModelInit.create(sizes, 5);
        SplittableRandom r = new SplittableRandom(8);
        List<Example> data = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            float[] px = new float[3 * 48 * 48];
            for (int j = 0; j < px.length; j++) {
                px[j] = (float) r.nextGaussian();
            }
            data.add(Example.ofImage(() -> Tensor.of(px.clone(), 3, 48, 48), new int[] {1 + i % 5, 2 + i % 7}, i % 4));
        }
        new Trainer(model, TrainOptions.defaults().withEpochs(2).withBatch(4).withImageBranch("all", 0.01))
                .fit(data, List.of(), new Trainer.Listener() {});
        Map<String, Integer> words = new LinkedHashMap<>();
        words.put("<unk>", 0);
        for (int i = 1; i < 20; i++) {
            words.put("w" + i, i);
        }
        Path folder = dir.resolve("model");
        ModelFiles.write(folder, model, Vocabulary.of(words), List.of("a", "b", "c", "d"));

        int n = 3, t = 4;
        Tensor images = Tensor.zeros(n, 3, 48, 48);
        for (int i = 0; i < images.size(); i++) {
            images.data()[i] = (float) r.nextGaussian();
        }
        int[][] ids = new int[n][t];
        Tensor idTensor = Tensor.zeros(n, t);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < t; j++) {
                ids[i][j] = r.nextInt(20);
                idTensor.data()[i * t + j] = ids[i][j];
            }
        }
        Path inputs = dir.resolve("inputs.safetensors");
        SafeTensors.write(inputs, Map.of("images", images, "ids", idTensor), Map.of());

        ModelBundle bundle = ModelBundle.load(folder);
        assertEquals(List.of("a", "b", "c", "d"), bundle.labels().orElseThrow());
        assertEquals(19, bundle.vocabulary().orElseThrow().maxId());
        Tensor java = FusionModel.fromStateDict(bundle.weights()).predict(images, ids);

        Process p = new ProcessBuilder(Torch.PYTHON.toString(), Path.of("..", "weights", "python", "load_java_model.py")
                .toString(), folder.toString(), inputs.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(true, p.waitFor(300, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), output);
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) Json.parse(output.lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(127L, ((Number) result.get("keys")).longValue());
        for (String file : List.of("safetensors", "pth")) {
            List<?> rows = (List<?>) result.get(file);
            for (int i = 0; i < n; i++) {
                List<?> row = (List<?>) rows.get(i);
                for (int c = 0; c < 4; c++) {
                    double ref = ((Number) row.get(c)).doubleValue();
                    double got = java.data()[i * 4 + c];
                    assertEquals(ref, got, 1e-4 * Math.max(1, Math.abs(ref)), file + " logit [" + i + "][" + c + "]");
                }
            }
        }
    }
}
