package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.testing.Fixtures;
import vecnet.testing.FuzzHarness;
import vecnet.testing.LibraryTest;
import vecnet.weights.StateDict;

/**
 * Structure-aware mutations of a valid model (the tiny fusion fixture, as a state_dict): a key,
 * a whole BasicBlock or stage removed, a block or LSTM layer added, a tensor re-shaped or renamed,
 * a NaN, ±Inf or non-positive {@code running_var} planted at a random index. Every mutant is a
 * defect of the seed's fixed architecture, so the property is stronger than the harness's: none
 * may load; each must be refused with an {@link IllegalArgumentException} (a
 * {@link vecnet.weights.StateDictMismatchException} for keys and shapes) that has a message.
 */
class FuzzModelTest extends LibraryTest {
    private static final long SEED = FuzzHarness.seed(0x5eed_f0_0dL);
    private static final long MAX_ALLOC = 64L << 20;
    private static Map<String, Tensor> fixture;

    @BeforeAll
    static void load() throws IOException {
        StateDict sd = StateDict.read(Fixtures.file("tiny_fusion.safetensors"));
        fixture = new LinkedHashMap<>();
        for (String k : sd.keys()) {
            fixture.put(k, sd.tensor(k));
        }
    }

    @Test
    void mutatedModelsAreAllRefused() {
        int n = FuzzHarness.iterations(400);
        FuzzHarness.Stats s = FuzzHarness.run("model-structure", SEED, n, Duration.ofSeconds(60 + n / 10), MAX_ALLOC,
                t -> t instanceof IllegalArgumentException, (i, rnd, label) -> {
                    Map<String, Tensor> m = mutant(rnd, label);
                    return new FuzzHarness.Input(label.toString().getBytes(StandardCharsets.UTF_8),
                            () -> FusionModel.fromStateDict(StateDict.of(m)));
                });
        assertEquals(0, s.valid, "every mutant is a defect and must be refused: " + s);
    }

    private static Map<String, Tensor> mutant(Random rnd, StringBuilder label) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        fixture.forEach((k, v) -> m.put(k, Tensor.of(v.data().clone(), v.shape())));
        List<String> keys = new ArrayList<>(m.keySet());
        switch (rnd.nextInt(8)) {
            case 0: { // one key removed
                String k = keys.get(rnd.nextInt(keys.size()));
                m.remove(k);
                label.append("removed ").append(k);
                break;
            }
            case 1: { // a whole block or stage removed: every key under a prefix
                String[] prefixes = {"resnet.4.1.", "resnet.5.0.", "resnet.6.1.", "resnet.7.", "resnet.5.0.downsample.",
                    "resnet.1.", "lstm.", "fc."};
                String p = prefixes[rnd.nextInt(prefixes.length)];
                m.keySet().removeIf(k -> k.startsWith(p));
                label.append("removed ").append(p).append('*');
                break;
            }
            case 2: { // a block added (copy of block 1 as block 2), or a second LSTM layer
                if (rnd.nextBoolean()) {
                    int stage = 4 + rnd.nextInt(4);
                    fixture.forEach((k, v) -> {
                        if (k.startsWith("resnet." + stage + ".1.")) {
                            m.put("resnet." + stage + ".2." + k.substring(("resnet." + stage + ".1.").length()), v);
                        }
                    });
                    label.append("added block resnet.").append(stage).append(".2");
                } else {
                    m.put("lstm.weight_ih_l1", m.get("lstm.weight_hh_l0"));
                    label.append("added lstm layer 1");
                }
                break;
            }
            case 3: { // a tensor re-shaped: one dimension grown or shrunk by one
                String k = keys.get(rnd.nextInt(keys.size()));
                int[] shape = m.get(k).shape();
                if (shape.length == 0) {
                    m.put(k, Tensor.zeros(2));
                } else {
                    int d = rnd.nextInt(shape.length);
                    if (k.equals("embedding.weight") && d == 0) {
                        d = 1;      // the number of rows is the vocabulary's size, free in the architecture
                    }
                    shape[d] = shape[d] > 1 && rnd.nextBoolean() ? shape[d] - 1 : shape[d] + 1;
                    m.put(k, Tensor.zeros(shape));
                }
                label.append("reshaped ").append(k);
                break;
            }
            case 4: { // a key renamed
                String k = keys.get(rnd.nextInt(keys.size()));
                m.put(k + (rnd.nextBoolean() ? "_" : "\u001b[2J"), m.remove(k));
                label.append("renamed ").append(k);
                break;
            }
            case 5: case 6: { // NaN or an infinity in a floating-point weight
                String k = keys.get(rnd.nextInt(keys.size()));
                while (k.endsWith("num_batches_tracked")) {
                    k = keys.get(rnd.nextInt(keys.size()));
                }
                float[] d = m.get(k).data();
                float bad = new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                    Float.intBitsToFloat(0x7f80_0001)}[rnd.nextInt(4)];
                d[rnd.nextInt(d.length)] = bad;
                label.append(bad).append(" in ").append(k);
                break;
            }
            default: { // a running_var that is zero or negative
                List<String> vars = keys.stream().filter(k -> k.endsWith("running_var")).toList();
                String k = vars.get(rnd.nextInt(vars.size()));
                float[] d = m.get(k).data();
                d[rnd.nextInt(d.length)] = rnd.nextBoolean() ? 0f : -rnd.nextFloat() - 1e-30f;
                label.append("non-positive running_var in ").append(k);
                break;
            }
        }
        return m;
    }
}
