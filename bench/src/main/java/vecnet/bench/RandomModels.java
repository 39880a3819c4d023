package vecnet.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import vecnet.engine.Tensor;
import vecnet.weights.StateDict;

/**
 * Full-size models with seeded random weights, built in Java so benchmarks need no Python and no
 * download: torchvision's resnet18 (122 keys, with its fc) and the seed's fusion model (127 keys,
 * vocabulary 10000, embedding 300, LSTM hidden 256, 10 classes). Weights are uniform with a
 * Kaiming-like scale and batch-norm statistics are randomized, so activations stay finite.
 */
final class RandomModels {
    private RandomModels() {
    }

    /** torchvision.models.resnet18() keys, each prefixed (e.g. "" or "resnet."), with or without fc. */
    static Map<String, Tensor> resnet18(String prefix, boolean withFc, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        boolean seq = !prefix.isEmpty();
        conv(sd, rnd, prefix + (seq ? "0" : "conv1"), 64, 3, 7);
        bn(sd, rnd, prefix + (seq ? "1" : "bn1"), 64);
        int cin = 64;
        int[] widths = {64, 128, 256, 512};
        for (int l = 0; l < 4; l++) {
            String layer = prefix + (seq ? String.valueOf(l + 4) : "layer" + (l + 1));
            for (int b = 0; b < 2; b++) {
                String p = layer + "." + b + ".";
                int in = b == 0 ? cin : widths[l];
                conv(sd, rnd, p + "conv1", widths[l], in, 3);
                bn(sd, rnd, p + "bn1", widths[l]);
                conv(sd, rnd, p + "conv2", widths[l], widths[l], 3);
                bn(sd, rnd, p + "bn2", widths[l]);
                if (b == 0 && l > 0) {
                    conv(sd, rnd, p + "downsample.0", widths[l], in, 1);
                    bn(sd, rnd, p + "downsample.1", widths[l]);
                }
            }
            cin = widths[l];
        }
        if (withFc) {
            sd.put("fc.weight", uniform(rnd, 1 / Math.sqrt(512), 1000, 512));
            sd.put("fc.bias", uniform(rnd, 1 / Math.sqrt(512), 1000));
        }
        return sd;
    }

    /** The seed's MultimodalModel(num_classes=10) state_dict. */
    static StateDict fusion(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        Map<String, Tensor> sd = resnet18("resnet.", false, seed);
        sd.put("embedding.weight", uniform(rnd, 1.0, 10000, 300));
        double s = 1 / Math.sqrt(256);
        sd.put("lstm.weight_ih_l0", uniform(rnd, s, 1024, 300));
        sd.put("lstm.weight_hh_l0", uniform(rnd, s, 1024, 256));
        sd.put("lstm.bias_ih_l0", uniform(rnd, s, 1024));
        sd.put("lstm.bias_hh_l0", uniform(rnd, s, 1024));
        sd.put("fc.weight", uniform(rnd, 1 / Math.sqrt(768), 10, 768));
        sd.put("fc.bias", uniform(rnd, 1 / Math.sqrt(768), 10));
        return StateDict.of(sd);
    }

    /** Token ids in [0, 10000). */
    static int[][] tokens(int batch, int length, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] ids = new int[batch][length];
        for (int[] row : ids) {
            for (int i = 0; i < length; i++) {
                row[i] = rnd.nextInt(10000);
            }
        }
        return ids;
    }

    /** An input batch (N, 3, 224, 224) of roughly normalized values. */
    static Tensor images(int batch, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(batch, 3, 224, 224);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextDouble(-2, 2);
        }
        return t;
    }

    private static void conv(Map<String, Tensor> sd, SplittableRandom rnd, String name, int cout, int cin, int k) {
        sd.put(name + ".weight", uniform(rnd, Math.sqrt(6.0 / (cin * k * k)), cout, cin, k, k));
    }

    private static void bn(Map<String, Tensor> sd, SplittableRandom rnd, String name, int c) {
        Tensor w = Tensor.zeros(c), b = Tensor.zeros(c), mean = Tensor.zeros(c), var = Tensor.zeros(c);
        for (int i = 0; i < c; i++) {
            w.data()[i] = (float) rnd.nextDouble(0.5, 1.5);
            b.data()[i] = (float) rnd.nextDouble(-0.2, 0.2);
            mean.data()[i] = (float) rnd.nextDouble(-0.2, 0.2);
            var.data()[i] = (float) rnd.nextDouble(0.5, 1.5);
        }
        sd.put(name + ".weight", w);
        sd.put(name + ".bias", b);
        sd.put(name + ".running_mean", mean);
        sd.put(name + ".running_var", var);
        sd.put(name + ".num_batches_tracked", Tensor.zeros());
    }

    private static Tensor uniform(SplittableRandom rnd, double bound, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextDouble(-bound, bound);
        }
        return t;
    }
}
