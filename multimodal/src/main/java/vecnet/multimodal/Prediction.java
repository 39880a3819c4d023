package vecnet.multimodal;

import java.util.ArrayList;
import java.util.List;

/**
 * One sample's result: the raw logits, their softmax and the winning class.
 *
 * <pre>  probabilities[k] = exp(logits[k] − max) / Σ_j exp(logits[j] − max)      label = argmax_k logits[k]</pre>
 *
 * Ties go to the lowest index, as {@code torch.argmax} does.
 */
public record Prediction(int label, float[] logits, float[] probabilities) {

    /** The predictions of a batch of logits {@code (N, classes)}, row by row. */
    public static List<Prediction> of(vecnet.engine.Tensor logits) {
        logits.requireRank("logits (N, classes)", 2);
        int n = logits.dim(0), k = logits.dim(1);
        List<Prediction> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] row = new float[k];
            System.arraycopy(logits.data(), i * k, row, 0, k);
            out.add(of(row));
        }
        return out;
    }

    /** The prediction for one row of logits. */
    public static Prediction of(float[] logits) {
        if (logits.length == 0) {
            throw new IllegalArgumentException("no logits");
        }
        int best = 0;
        for (int j = 1; j < logits.length; j++) {
            if (logits[j] > logits[best]) {
                best = j;
            }
        }
        double max = logits[best], sum = 0;
        double[] e = new double[logits.length];
        for (int j = 0; j < logits.length; j++) {
            e[j] = Math.exp(logits[j] - max);
            sum += e[j];
        }
        float[] p = new float[logits.length];
        for (int j = 0; j < logits.length; j++) {
            p[j] = (float) (e[j] / sum);
        }
        return new Prediction(best, logits.clone(), p);
    }

    /** The probability of the winning class. */
    public float confidence() {
        return probabilities[label];
    }
}
