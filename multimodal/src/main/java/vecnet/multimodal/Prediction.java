package vecnet.multimodal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One sample's result: the raw logits, their softmax, the winning class, and the class names when
 * the model has them.
 *
 * <pre>  probabilities[k] = exp(logits[k] − max) / Σ_j exp(logits[j] − max)      label = argmax_k logits[k]</pre>
 *
 * Ties go to the lowest index, as {@code torch.argmax} does. A value: immutable (the arrays are
 * copied in and out), equal to another prediction with the same label, logits, probabilities and
 * names, and printed readably: {@code Prediction[red 99.8 % (class 0 of 8); then blue 0.1 %, star 0.0 %]}.
 *
 * @param label         the index of the winning class
 * @param logits        the model's output row, {@code classes} values
 * @param probabilities its softmax
 * @param labels        the class names in class order, or an empty list when the model has none
 */
public record Prediction(int label, float[] logits, float[] probabilities, List<String> labels) {

    /** One class of a ranking: its index, name and probability. */
    public record Ranked(int index, String name, float probability) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %.1f %%", name, 100.0 * probability);
        }
    }

    public Prediction {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(probabilities, "probabilities");
        if (logits.length == 0 || probabilities.length != logits.length) {
            throw new IllegalArgumentException(logits.length + " logits and " + probabilities.length
                    + " probabilities: need the same number, at least one");
        }
        if (label < 0 || label >= logits.length) {
            throw new IllegalArgumentException("label " + label + " outside [0, " + logits.length + ")");
        }
        labels = labels == null ? List.of() : List.copyOf(labels);
        if (!labels.isEmpty() && labels.size() != logits.length) {
            throw new IllegalArgumentException(labels.size() + " class names for " + logits.length + " classes");
        }
        logits = logits.clone();
        probabilities = probabilities.clone();
    }

    /** The predictions of a batch of logits {@code (N, classes)}, row by row, without class names. */
    public static List<Prediction> of(vecnet.engine.Tensor logits) {
        return of(logits, List.of());
    }

    /** The predictions of a batch of logits {@code (N, classes)}, row by row, named by {@code labels} (or none if empty). */
    public static List<Prediction> of(vecnet.engine.Tensor logits, List<String> labels) {
        logits.requireRank("logits (N, classes)", 2);
        int n = logits.dim(0), k = logits.dim(1);
        List<Prediction> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] row = new float[k];
            System.arraycopy(logits.data(), i * k, row, 0, k);
            out.add(of(row).withLabels(labels));
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
        return new Prediction(best, logits, p, List.of());
    }

    /** The same prediction named by {@code names} (one per class; an empty list for none). */
    public Prediction withLabels(List<String> names) {
        return new Prediction(label, logits, probabilities, names);
    }

    /** A copy of the logits. */
    @Override
    public float[] logits() {
        return logits.clone();
    }

    /** A copy of the probabilities. */
    @Override
    public float[] probabilities() {
        return probabilities.clone();
    }

    /** The number of classes. */
    public int classes() {
        return logits.length;
    }

    /** The probability of the winning class. */
    public float confidence() {
        return probabilities[label];
    }

    /** The probability of class {@code k}. */
    public float probability(int k) {
        return probabilities[k];
    }

    /** The logit of class {@code k}. */
    public float logit(int k) {
        return logits[k];
    }

    /** The winning class's name ({@code "class" + label} when the model has no names). */
    public String name() {
        return name(label);
    }

    /** The name of class {@code k}. */
    public String name(int k) {
        return labels.isEmpty() ? "class" + k : labels.get(k);
    }

    /** The {@code k} most probable classes, most probable first; ties go to the lower index. */
    public List<Ranked> top(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("top-k needs k >= 1, got " + k);
        }
        Integer[] idx = new Integer[logits.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        // by logit: the order of the probabilities, without ties made by their rounding
        Arrays.sort(idx, (x, y) -> logits[x] != logits[y] ? Float.compare(logits[y], logits[x]) : Integer.compare(x, y));
        List<Ranked> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k, idx.length); i++) {
            out.add(new Ranked(idx[i], name(idx[i]), probabilities[idx[i]]));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prediction p && label == p.label && Arrays.equals(logits, p.logits)
                && Arrays.equals(probabilities, p.probabilities) && labels.equals(p.labels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(label, Arrays.hashCode(logits), Arrays.hashCode(probabilities), labels);
    }

    /** {@code Prediction[red 99.8 % (class 0 of 8); then blue 0.1 %, star 0.0 %]}: the winner and the next two. */
    @Override
    public String toString() {
        List<Ranked> top = top(3);
        StringBuilder sb = new StringBuilder("Prediction[").append(top.get(0)).append(" (class ").append(label)
                .append(" of ").append(logits.length).append(')');
        for (int i = 1; i < top.size(); i++) {
            sb.append(i == 1 ? "; then " : ", ").append(top.get(i));
        }
        return sb.append(']').toString();
    }
}
