package vecnet.multimodal.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.weights.StateDict;

/**
 * A new fusion model with PyTorch's initialisation, seeded (the distributions of
 * {@code training-parity.md}, drawn from {@link java.util.Random}{@code (seed)}, not torch's stream):
 * <ul>
 * <li>ResNet (torchvision's re-initialisation): convolutions {@code kaiming_normal_(mode='fan_out',
 *     nonlinearity='relu')}, i.e. N(0, 2/(C_out·k·k)); batch-norms weight 1, bias 0, running mean 0,
 *     variance 1;</li>
 * <li>{@code embedding.weight} N(0, 1);</li>
 * <li>LSTM weights and biases U(−1/√H, 1/√H);</li>
 * <li>{@code fc} weight and bias U(−1/√fan_in, 1/√fan_in) ({@code kaiming_uniform_(a=√5)}).</li>
 * </ul>
 * Tensors are drawn in state_dict order, so a seed always gives the same model.
 */
public final class ModelInit {
    /**
     * The sizes of a fusion model.
     *
     * @param widths        the four ResNet stage widths (torchvision's resnet18: 64, 128, 256, 512)
     * @param vocabularyRows rows of {@code embedding.weight} (token ids below it)
     * @param embeddingDim  the embedding width
     * @param hidden        the LSTM's hidden size
     * @param classes       the output classes
     */
    public record Sizes(int[] widths, int vocabularyRows, int embeddingDim, int hidden, int classes) {
        /** The seed's model: ResNet-18, embedding 300, LSTM 256. */
        public static Sizes seed(int vocabularyRows, int classes) {
            return new Sizes(new int[] {64, 128, 256, 512}, vocabularyRows, 300, 256, classes);
        }
    }

    private ModelInit() {
    }

    /** A new model of {@code sizes}, initialised from {@code seed}. */
    public static FusionModel create(Sizes sizes, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        resnet(sd, sizes.widths(), r);
        textAndHead(sd, sizes, sizes.widths()[3], r);
        return FusionModel.fromStateDict(StateDict.of(sd), Kernels.get());
    }

    /**
     * A model whose ResNet comes from torchvision resnet18 weights ({@code conv1.*}, {@code layer1.*}...,
     * {@code fc.*} dropped) and whose text branch and head are new, initialised from {@code seed}.
     */
    public static FusionModel fromTorchvision(StateDict resnet18, Sizes sizes, long seed) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (String k : resnet18.keys()) {
            String head = k.substring(0, k.indexOf('.'));
            String rest = k.substring(k.indexOf('.'));
            String idx = switch (head) {
                case "conv1" -> "0";
                case "bn1" -> "1";
                case "layer1" -> "4";
                case "layer2" -> "5";
                case "layer3" -> "6";
                case "layer4" -> "7";
                case "fc" -> null;
                default -> throw new IllegalArgumentException("unexpected key '" + k + "' in torchvision resnet18 weights");
            };
            if (idx != null) {
                sd.put("resnet." + idx + rest, resnet18.tensor(k));
            }
        }
        if (!sd.containsKey("resnet.0.weight")) {
            throw new IllegalArgumentException("not torchvision resnet18 weights: no conv1.weight");
        }
        int width = sd.get("resnet.7.1.bn2.weight") == null ? 512 : sd.get("resnet.7.1.bn2.weight").size();
        textAndHead(sd, sizes, width, new Random(seed));
        return FusionModel.fromStateDict(StateDict.of(sd), Kernels.get());
    }

    private static void resnet(Map<String, Tensor> sd, int[] widths, Random r) {
        conv(sd, "resnet.0", widths[0], 3, 7, r);
        bn(sd, "resnet.1", widths[0]);
        int in = widths[0];
        for (int l = 0; l < 4; l++) {
            for (int b = 0; b < 2; b++) {
                String p = "resnet." + (l + 4) + "." + b + ".";
                int cin = b == 0 ? in : widths[l];
                conv(sd, p + "conv1", widths[l], cin, 3, r);
                bn(sd, p + "bn1", widths[l]);
                conv(sd, p + "conv2", widths[l], widths[l], 3, r);
                bn(sd, p + "bn2", widths[l]);
                if (b == 0 && (l > 0 || cin != widths[l])) {
                    conv(sd, p + "downsample.0", widths[l], cin, 1, r);
                    bn(sd, p + "downsample.1", widths[l]);
                }
            }
            in = widths[l];
        }
    }

    private static void textAndHead(Map<String, Tensor> sd, Sizes s, int imageFeatures, Random r) {
        Tensor emb = Tensor.zeros(s.vocabularyRows(), s.embeddingDim());
        for (int i = 0; i < emb.size(); i++) {
            emb.data()[i] = (float) r.nextGaussian();
        }
        sd.put("embedding.weight", emb);
        int h = s.hidden();
        double k = 1 / Math.sqrt(h);
        sd.put("lstm.weight_ih_l0", uniform(r, k, 4 * h, s.embeddingDim()));
        sd.put("lstm.weight_hh_l0", uniform(r, k, 4 * h, h));
        sd.put("lstm.bias_ih_l0", uniform(r, k, 4 * h));
        sd.put("lstm.bias_hh_l0", uniform(r, k, 4 * h));
        int fanIn = imageFeatures + h;
        double f = 1 / Math.sqrt(fanIn);
        sd.put("fc.weight", uniform(r, f, s.classes(), fanIn));
        sd.put("fc.bias", uniform(r, f, s.classes()));
    }

    private static void conv(Map<String, Tensor> sd, String name, int cout, int cin, int k, Random r) {
        Tensor w = Tensor.zeros(cout, cin, k, k);
        double std = Math.sqrt(2.0 / (cout * k * k));
        for (int i = 0; i < w.size(); i++) {
            w.data()[i] = (float) (r.nextGaussian() * std);
        }
        sd.put(name + ".weight", w);
    }

    private static void bn(Map<String, Tensor> sd, String name, int c) {
        Tensor one = Tensor.zeros(c);
        java.util.Arrays.fill(one.data(), 1f);
        sd.put(name + ".weight", one);
        sd.put(name + ".bias", Tensor.zeros(c));
        sd.put(name + ".running_mean", Tensor.zeros(c));
        sd.put(name + ".running_var", one.copy());
        sd.put(name + ".num_batches_tracked", Tensor.zeros());
    }

    private static Tensor uniform(Random r, double bound, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return t;
    }
}
