package vecnet.multimodal;

import java.util.Arrays;

/**
 * Why the model gave class {@code classIndex} the logit it did, as computed by {@link Explainer}.
 *
 * <pre>
 *   logit_c = W_c[:F]·image + W_c[F:]·text + b_c          split: image, text, bias (exact, the head is linear)
 *   margin  = split(c) − split(runnerUp)                   the same three parts for the lead over the next class
 *   cam     (h4, w4) row-major, cam[y,x] = (1/(h4·w4)) Σ_k W_c,k · A4_k(y,x); Σ cam = split.image
 *   gradCam (h_l, w_l) at layer2 or layer3, or null       see {@link Explainer}
 *   tokens  attribution (integrated gradients), leave-one-out change of the logit
 * </pre>
 *
 * For a torchvision ResNet-18 classifier there is no text: {@code split.text} is 0 and the token
 * arrays are empty. Arrays are owned by this object: do not modify them.
 *
 * @param classIndex   the explained class
 * @param logit        the model's logit for it (the fused forward pass, float32)
 * @param split        the three parts of {@code logit}, summed in double
 * @param runnerUp     the class with the highest logit other than {@code classIndex}, or −1 with one class
 * @param margin       {@code split(classIndex) − split(runnerUp)}, part by part (zeros without a runner-up)
 * @param cam          the class activation map on layer4's grid
 * @param gradCam      Grad-CAM on {@code gradCamLayer}'s grid, or null when not asked for
 * @param gradCamLayer 2 or 3, or 0 without Grad-CAM
 * @param ids          the token ids of the text
 * @param attributions integrated gradients per token (summed over the embedding)
 * @param leaveOneOut  {@code logit − logit with token t replaced by the baseline id}, per token
 * @param textDelta    {@code text part − the baseline text's text part}, which the attributions should sum to
 * @param completeness {@code |Σ attributions − textDelta| / max(|textDelta|, 1e-6)}, a fraction (0.01 = 1 %)
 * @param steps        the integrated-gradients steps used (0 without text)
 */
public record Explanation(int classIndex, float logit, Split split, int runnerUp, Split margin, Grid cam, Grid gradCam,
                          int gradCamLayer, int[] ids, float[] attributions, float[] leaveOneOut, double textDelta,
                          double completeness, int steps) {

    /** The three parts of a logit (or of a margin between two logits). */
    public record Split(double image, double text, double bias) {
        public double total() {
            return image + text + bias;
        }
    }

    /** A {@code height × width} map, row-major: {@code values[y·width + x]}. */
    public record Grid(int height, int width, float[] values) {
        public Grid {
            if (values.length != height * width) {
                throw new IllegalArgumentException("a " + height + "×" + width + " grid needs " + height * width
                        + " values, got " + values.length);
            }
        }

        public float get(int y, int x) {
            return values[y * width + x];
        }

        /** The sum of the cells, in double. */
        public double sum() {
            double s = 0;
            for (float v : values) {
                s += v;
            }
            return s;
        }

        /** The cell with the highest value, as {@code {y, x}} (the first one on ties). */
        public int[] argmax() {
            int best = 0;
            for (int i = 1; i < values.length; i++) {
                if (values[i] > values[best]) {
                    best = i;
                }
            }
            return new int[] {best / width, best % width};
        }

        @Override
        public String toString() {
            return "Grid(" + height + "×" + width + ", sum " + sum() + ")";
        }
    }

    /**
     * Which input decided against the runner-up: for a class ahead of it ({@code margin ≥ 0}) the
     * modality with the larger part of the margin ({@code "image"} on ties); for a class behind the
     * top one (its runner-up) the modality with the more negative part, the one that kept it behind;
     * {@code "none"} without a runner-up.
     */
    public String decidedBy() {
        if (runnerUp < 0) {
            return "none";
        }
        if (margin.total() >= 0) {
            return margin.image() >= margin.text() ? "image" : "text";
        }
        return margin.image() <= margin.text() ? "image" : "text";
    }

    /** The token with the largest attribution, or −1 without text. */
    public int topToken() {
        int best = -1;
        for (int t = 0; t < attributions.length; t++) {
            if (best < 0 || attributions[t] > attributions[best]) {
                best = t;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "Explanation(class " + classIndex + ", logit " + logit + ", " + split + ", runner-up " + runnerUp
                + ", decided by " + decidedBy() + ", cam " + cam + ", attributions " + Arrays.toString(attributions) + ")";
    }
}
