package vecnet.multimodal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.layers.Gradients;
import vecnet.layers.LSTM;
import vecnet.layers.Linear;

/**
 * Explains one prediction of a {@link FusionModel} (or of a torchvision {@link ResNet18} with its
 * {@code fc}): which part of the logit came from the picture and which from the words, where in the
 * picture, and which words. Everything follows from the head being linear.
 *
 * <p><b>Split.</b> With {@code F} image features, {@code logit_c = W_c[:F]·image + W_c[F:]·text + b_c}
 * exactly; each part is a dot product summed in double. The margin over the runner-up (the next
 * highest logit) is split the same way, and the modality with the larger share of it "decided".
 *
 * <p><b>CAM</b> (Zhou et al. 2016). The image features are the spatial mean of layer4's activations
 * {@code A (F, h, w)}, so the image part is exactly the sum of the grid
 * {@code cam[y,x] = (1/(h·w)) Σ_k W_c,k · A_k(y,x)} (7×7 for a 224×224 input).
 *
 * <p><b>Grad-CAM</b> (Selvaraju et al. 2017) at layer {@code l} ∈ {2, 3}, through the backward pass:
 * {@code G = ∂logit_c/∂A^l} (the traced ResNet, eval mode), channel weights
 * {@code α_k = (1/(h_l·w_l)) Σ_{y,x} G_k(y,x)}, map {@code ReLU(Σ_k α_k · A^l_k(y,x))} (not normalised).
 *
 * <p><b>Integrated gradients</b> (Sundararajan et al. 2017) on the embedded tokens {@code x (T, E)},
 * baseline {@code x0} = the baseline id's embedding row at every position (the unknown word, id 0 by
 * default), {@code f(x) = W_c[F:]·lstm_last(x)}, with the midpoint Riemann rule over {@code m} steps:
 * <pre>
 *   α_s = (s + 1/2) / m, s = 0..m−1            x_s = x0 + α_s · (x − x0)   (float32, as written)
 *   IG[t,e] = (x − x0)[t,e] · (1/m) Σ_s ∂f/∂x[t,e] (x_s)      attribution[t] = Σ_e IG[t,e]
 * </pre>
 * The {@code m} points run as one traced LSTM batch. Completeness: {@code Σ_t attribution[t] ≈
 * f(x) − f(x0)}, reported as {@link Explanation#completeness()}. By default {@code m} starts at 64 and
 * is doubled (up to 1024) while the gap exceeds 1 %: on the demo model 64 midpoint steps leave gaps
 * of 15 % to over 100 % on some texts, whose path crosses a steep region of the LSTM's gates;
 * {@link #withSteps(int)} fixes {@code m}. {@link Explanation#steps()} says how many were used.
 *
 * <p><b>Leave-one-out</b>: {@code logit − logit(text with token t replaced by the baseline id)}, which
 * is the change of the text part (the image part and bias do not move).
 *
 * <p>Immutable; uses its model's thread pool; results do not depend on the thread count.
 */
public final class Explainer {
    /** The default number of integrated-gradients steps. */
    public static final int DEFAULT_STEPS = 64;
    /** By default the steps are doubled up to this many while completeness is not met. */
    public static final int DEFAULT_MAX_STEPS = 1024;
    /** The completeness target: {@code |Σ attributions − (f(x) − f(x0))| ≤ 1 %} of the difference. */
    public static final double COMPLETENESS = 0.01;

    private final ResNet18 resnet;
    private final TextEncoder text;   // null for a ResNet classifier
    private final Linear fc;
    private final ComputePool pool;
    private final int steps;
    private final int maxSteps;
    private final int gradCamLayer;
    private final int baselineId;

    private Explainer(ResNet18 resnet, TextEncoder text, Linear fc, ComputePool pool, int steps, int maxSteps,
                      int gradCamLayer, int baselineId) {
        this.resnet = resnet;
        this.text = text;
        this.fc = fc;
        this.pool = pool;
        this.steps = steps;
        this.maxSteps = maxSteps;
        this.gradCamLayer = gradCamLayer;
        this.baselineId = baselineId;
    }

    /** Explains {@code model}: 64 steps refined up to {@link #DEFAULT_MAX_STEPS}, baseline id 0, no Grad-CAM. */
    public static Explainer of(FusionModel model) {
        return new Explainer(model.resnet, model.text, model.fc, model.pool(), DEFAULT_STEPS, DEFAULT_MAX_STEPS, 0,
                Tokenizer.DEFAULT_UNKNOWN_ID);
    }

    /** Explains torchvision's ResNet-18 classifier (weights with {@code fc}): split, CAM and Grad-CAM, no text. */
    public static Explainer of(ResNet18 classifier) {
        if (!classifier.hasClassifier()) {
            throw new IllegalArgumentException("these ResNet weights have no fc classifier: nothing to explain");
        }
        return new Explainer(classifier, null, classifier.fc, classifier.pool(), DEFAULT_STEPS, DEFAULT_MAX_STEPS, 0, 0);
    }

    /** The same explainer with exactly {@code steps} integrated-gradients steps (≥ 1), never refined. */
    public Explainer withSteps(int steps) {
        return withSteps(steps, steps);
    }

    /**
     * The same explainer starting with {@code steps} integrated-gradients steps and doubling them while
     * the completeness gap exceeds {@link #COMPLETENESS} and the count stays within {@code maxSteps}.
     */
    public Explainer withSteps(int steps, int maxSteps) {
        if (steps < 1 || maxSteps < steps) {
            throw new IllegalArgumentException("integrated gradients need 1 <= steps <= maxSteps, got " + steps + " and "
                    + maxSteps);
        }
        return new Explainer(resnet, text, fc, pool, steps, maxSteps, gradCamLayer, baselineId);
    }

    /** The same explainer adding Grad-CAM at {@code layer2} or {@code layer3} ({@code layer} 2 or 3; 0 for none). */
    public Explainer withGradCam(int layer) {
        if (layer != 0 && layer != 2 && layer != 3) {
            throw new IllegalArgumentException("Grad-CAM is computed at layer2 or layer3, got layer " + layer);
        }
        return new Explainer(resnet, text, fc, pool, steps, maxSteps, layer, baselineId);
    }

    /** The same explainer with integrated gradients and leave-one-out against token {@code id} (the unknown word). */
    public Explainer withBaselineId(int id) {
        if (text != null && (id < 0 || id >= text.embedding.weight.dim(0))) {
            throw new IllegalArgumentException("baseline id " + id + " is not a row of embedding.weight ("
                    + text.embedding.weight.dim(0) + " rows)");
        }
        return new Explainer(resnet, text, fc, pool, steps, maxSteps, gradCamLayer, id);
    }

    /**
     * Explains class {@code classIndex} for one (image, text) pair.
     *
     * @param image {@code (1, 3, H, W)}, preprocessed; not modified
     * @param ids   the text's token ids (non-empty; ignored and may be null for a ResNet classifier)
     */
    public Explanation explain(Tensor image, int[] ids, int classIndex) {
        return explain(image, ids, new int[] {classIndex}).get(0);
    }

    /** As {@link #explain(Tensor, int[], int)} for several classes, sharing the forward passes. */
    public List<Explanation> explain(Tensor image, int[] ids, int[] classes) {
        image.requireShape("image (1, 3, H, W)", 1, 3, -1, -1);
        int k = fc.outFeatures();
        for (int c : classes) {
            if (c < 0 || c >= k) {
                throw new IllegalArgumentException("class " + c + " is not in [0, " + k + ")");
            }
        }
        int f = resnet.featureSize();
        ResNet18.Trace trace = resnet.trace(image, false);
        Tensor features = trace.output();
        Tensor textFeatures = null;
        if (text != null) {
            Objects.requireNonNull(ids, "ids");
            if (ids.length == 0) {
                throw new IllegalArgumentException("the text has no tokens");
            }
            int rows = text.embedding.weight.dim(0);
            for (int id : ids) {
                if (id < 0 || id >= rows) {
                    throw new IllegalArgumentException("token id " + id + " is not in [0, " + rows + ") (embedding.weight rows)");
                }
            }
            textFeatures = text.encode(new int[][] {ids}, pool);
        }
        Tensor logits = text == null ? fc.forward(features, pool)
                : fc.forward(FusionModel.concat(features, textFeatures), pool);
        Explanation.Split[] splits = new Explanation.Split[k];
        for (int c = 0; c < k; c++) {
            splits[c] = split(c, features.data(), textFeatures == null ? null : textFeatures.data());
        }
        java.util.Map<Integer, TextContext> contexts = new java.util.HashMap<>(); // one per step count
        List<Explanation> out = new ArrayList<>();
        for (int c : classes) {
            int runnerUp = -1;
            for (int j = 0; j < k; j++) {
                if (j != c && (runnerUp < 0 || logits.data()[j] > logits.data()[runnerUp])) {
                    runnerUp = j;
                }
            }
            Explanation.Split s = splits[c];
            Explanation.Split margin = runnerUp < 0 ? new Explanation.Split(0, 0, 0)
                    : new Explanation.Split(s.image() - splits[runnerUp].image(), s.text() - splits[runnerUp].text(),
                            s.bias() - splits[runnerUp].bias());
            float[] w = fc.weight.data();
            Explanation.Grid cam = cam(trace.stage(4), w, c * fc.inFeatures());
            Explanation.Grid gradCam = gradCamLayer == 0 ? null : gradCam(trace, w, c * fc.inFeatures(), f);
            if (text == null) {
                out.add(new Explanation(c, logits.data()[c], s, runnerUp, margin, cam, gradCam, gradCamLayer,
                        new int[0], new float[0], new float[0], 0, 0, 0));
                continue;
            }
            Explanation e = null;
            for (int m = steps; m <= maxSteps; m *= 2) { // refine while the path integral is not complete
                int mm = m;
                e = contexts.computeIfAbsent(m, k2 -> new TextContext(ids, mm))
                        .explain(c, logits.data()[c], s, runnerUp, margin, cam, gradCam, s.text());
                if (e.completeness() <= COMPLETENESS || m > maxSteps / 2) {
                    break;
                }
            }
            out.add(e);
        }
        return out;
    }

    /** The logits of the pair (the model's forward pass): {@code (classes)}; {@code ids} is ignored for a ResNet classifier. */
    public float[] logits(Tensor image, int[] ids) {
        image.requireShape("image (1, 3, H, W)", 1, 3, -1, -1);
        Tensor features = resnet.features(image);
        if (text == null) {
            return fc.forward(features, pool).data();
        }
        return fc.forward(FusionModel.concat(features, text.encode(new int[][] {ids}, pool)), pool).data();
    }

    /** {@code image = W_c[:F]·img}, {@code text = W_c[F:]·txt}, {@code bias = b_c}, each in double. */
    private Explanation.Split split(int c, float[] img, float[] txt) {
        float[] w = fc.weight.data();
        int in = fc.inFeatures(), row = c * in;
        double image = dot(w, row, img, 0, img.length);
        double t = txt == null ? 0 : dot(w, row + img.length, txt, 0, txt.length);
        double bias = fc.bias == null ? 0 : fc.bias.data()[c];
        return new Explanation.Split(image, t, bias);
    }

    private static double dot(float[] a, int aFrom, float[] b, int bFrom, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) a[aFrom + i] * b[bFrom + i];
        }
        return s;
    }

    /**
     * The class activation map of {@code a (1, F, h, w)} for the class weights {@code w[row .. row+F)}:
     * {@code cam[y,x] = (1/(h·w)) Σ_k w_k · a_k(y,x)}, each cell summed in double.
     */
    static Explanation.Grid cam(Tensor a, float[] w, int row) {
        int ch = a.dim(1), h = a.dim(2), wd = a.dim(3), plane = h * wd;
        float[] ad = a.data();
        float[] out = new float[plane];
        for (int p = 0; p < plane; p++) {
            double s = 0;
            for (int k = 0; k < ch; k++) {
                s += (double) w[row + k] * ad[k * plane + p];
            }
            out[p] = (float) (s / plane);
        }
        return new Explanation.Grid(h, wd, out);
    }

    /** Grad-CAM at {@link #gradCamLayer}: back-propagates {@code d features = W_c[:F]} from layer4 down to that stage. */
    private Explanation.Grid gradCam(ResNet18.Trace trace, float[] w, int row, int f) {
        float[] dFeatures = new float[f];
        System.arraycopy(w, row, dFeatures, 0, f);
        Gradients none = new Gradients(); // nothing tracked: only the activations' gradients are computed
        Tensor d = trace.avgpool().backward(Tensor.of(dFeatures, 1, f, 1, 1), none, pool);
        for (int l = 3; l >= gradCamLayer; l--) { // stage index l (0-based) is layer l+1: stop at layer gradCamLayer's output
            List<BasicBlock.Trace> blocks = trace.blocks().get(l);
            for (int b = blocks.size() - 1; b >= 0; b--) {
                d = blocks.get(b).backward(d, none, pool);
            }
        }
        return gradCam(trace.stage(gradCamLayer), d);
    }

    /**
     * Grad-CAM of activations {@code a (1, C, h, w)} with their gradient {@code g} (same shape):
     * {@code α_k = mean_{y,x} g_k(y,x)}, {@code map = ReLU(Σ_k α_k · a_k(y,x))}, in double.
     */
    static Explanation.Grid gradCam(Tensor a, Tensor g) {
        int ch = a.dim(1), h = a.dim(2), wd = a.dim(3), plane = h * wd;
        float[] ad = a.data(), gd = g.data();
        double[] alpha = new double[ch];
        for (int k = 0; k < ch; k++) {
            double s = 0;
            for (int p = 0; p < plane; p++) {
                s += gd[k * plane + p];
            }
            alpha[k] = s / plane;
        }
        float[] out = new float[plane];
        for (int p = 0; p < plane; p++) {
            double s = 0;
            for (int k = 0; k < ch; k++) {
                s += alpha[k] * ad[k * plane + p];
            }
            out[p] = (float) Math.max(0, s);
        }
        return new Explanation.Grid(h, wd, out);
    }

    /** The class-independent work on the text: the interpolated embeddings' trace, the baseline and leave-one-out features. */
    private final class TextContext {
        final int[] ids;
        final int t, e, hidden, steps;
        final float[] diff;            // (T, E): x − x0
        final LSTM.Trace path;         // the m interpolation points as one batch
        final float[] baselineFeatures;
        final float[] looFeatures;     // (T, H): token t replaced by the baseline id

        TextContext(int[] ids, int steps) {
            this.ids = ids.clone();
            this.steps = steps;
            this.t = ids.length;
            float[] table = text.embedding.weight.data();
            this.e = text.embedding.weight.dim(1);
            this.hidden = text.featureSize();
            diff = new float[t * e];
            float[] x0 = new float[t * e], x = new float[t * e];
            for (int i = 0; i < t; i++) {
                System.arraycopy(table, ids[i] * e, x, i * e, e);
                System.arraycopy(table, baselineId * e, x0, i * e, e);
            }
            for (int i = 0; i < t * e; i++) {
                diff[i] = x[i] - x0[i];
            }
            float[] points = new float[steps * t * e];
            for (int s = 0; s < steps; s++) {
                float alpha = (float) ((s + 0.5) / steps);
                for (int i = 0; i < t * e; i++) {
                    points[s * t * e + i] = x0[i] + alpha * diff[i];
                }
            }
            int[] lengths = new int[steps];
            java.util.Arrays.fill(lengths, t);
            path = text.lstm.trace(Tensor.of(points, steps, t, e), lengths, pool);
            int[] baseline = new int[t];
            java.util.Arrays.fill(baseline, baselineId);
            baselineFeatures = text.encode(new int[][] {baseline}, pool).data();
            int[][] loo = new int[t][];
            for (int i = 0; i < t; i++) {
                loo[i] = ids.clone();
                loo[i][i] = baselineId;
            }
            looFeatures = text.encode(loo, pool).data();
        }

        Explanation explain(int c, float logit, Explanation.Split s, int runnerUp, Explanation.Split margin,
                            Explanation.Grid cam, Explanation.Grid gradCam, double textPart) {
            float[] w = fc.weight.data();
            int wRow = c * fc.inFeatures() + resnet.featureSize();
            // d f / d lstm_out: W_c[F:] at the last step of every interpolation point
            float[] dOut = new float[steps * t * hidden];
            for (int st = 0; st < steps; st++) {
                System.arraycopy(w, wRow, dOut, (st * t + t - 1) * hidden, hidden);
            }
            float[] dx = path.backward(Tensor.of(dOut, steps, t, hidden), new Gradients(), pool).data();
            float[] attributions = new float[t];
            double total = 0;
            for (int i = 0; i < t; i++) {
                double a = 0;
                for (int j = 0; j < e; j++) {
                    double g = 0;
                    for (int st = 0; st < steps; st++) {
                        g += dx[(st * t + i) * e + j];
                    }
                    a += diff[i * e + j] * (g / steps);
                }
                attributions[i] = (float) a;
                total += a;
            }
            double baselinePart = dot(w, wRow, baselineFeatures, 0, hidden);
            double delta = textPart - baselinePart;
            float[] loo = new float[t];
            for (int i = 0; i < t; i++) {
                loo[i] = (float) (textPart - dot(w, wRow, looFeatures, i * hidden, hidden));
            }
            double completeness = Math.abs(total - delta) / Math.max(Math.abs(delta), 1e-6);
            return new Explanation(c, logit, s, runnerUp, margin, cam, gradCam, gradCamLayer, ids.clone(), attributions,
                    loo, delta, completeness, steps);
        }
    }
}
