package vecnet.multimodal.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import vecnet.engine.ComputePool;
import vecnet.engine.Tensor;
import vecnet.multimodal.Explainer;
import vecnet.multimodal.Explanation;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageRgb;
import vecnet.multimodal.ModelBundle;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.Vocabulary;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.internal.PointingCheck;
import vecnet.multimodal.demo.ShapesDataset;

/**
 * {@code vecnet explain}: which part of the picture and which words decided a prediction (see
 * {@link Explainer}), printed, as JSON lines, and drawn as a PNG ({@link ExplanationPicture}); and
 * {@code vecnet demo --explain DIR}, the same for the bundled samples.
 */
final class ExplainCommand {
    static final String HELP = String.join("\n",
            "Usage: vecnet explain (--model PATH | --weights FILE [--vocab FILE]) --image IMG... [--text TEXT]",
            "                      [--class NAME... | --top K] [--out FILE.png|DIR] [--json] [--layer layer3|layer2]",
            "                      [--steps N] [--labels FILE] [--threads N] [--quiet] [--verbose]",
            "",
            "Explains the fusion model's answer (or, for torchvision's ResNet-18 with fc, the class; no --text then):",
            "  split     logit = image part (W[:F]·image features) + text part (W[F:]·text features) + bias, exactly,",
            "            and the margin over the runner-up split the same way: the larger part 'decided'",
            "  CAM       where in the picture: (1/49)·Σ_k W_k·layer4_k(y, x) on the 7×7 grid, summing to the image part",
            "  Grad-CAM  --layer layer3|layer2: ReLU(Σ_k mean(dlogit/dA_k)·A_k) on that stage's finer grid",
            "  words     integrated gradients from the unknown word's embedding (64 midpoint steps, doubled up to",
            "            1024 while the attributions miss text part − baseline's text part by more than 1 %), and",
            "            the leave-one-out change of the logit when the word is replaced by the unknown word",
            "",
            "  --model PATH     a model folder (model.safetensors, vocab.json, labels.txt) or one safetensors file",
            "  --weights FILE   a state_dict (.pth or .safetensors): the fusion model (with --vocab) or torchvision's",
            "                   ResNet-18 with fc (ImageNet names)",
            "  --vocab FILE     the vocabulary (JSON {token: id} or one token per line)",
            "  --image IMG...   pictures (PNG, JPEG, GIF, BMP, TIFF)",
            "  --text TEXT      the question or text (fusion models)",
            "  --class NAME...  classes to explain, by name or index (default: the predicted class)",
            "  --top K          explain the K highest classes instead",
            "  --out PATH       the PNG to write (for several pictures: a folder, one IMG.explain.png each)",
            "  --json           one JSON line per picture and class: input, text, class, logit, split {image, text,",
            "                   bias}, cam (rows), tokens [{token, id, attribution, leave_one_out}], completeness",
            "                   (|Σ attributions − Δ| / |Δ|), and runner_up, decided_by, margin, steps, gradcam",
            "  --layer L        add Grad-CAM at layer3 (14×14 for 224×224) or layer2 (28×28)",
            "  --steps N        exactly N integrated-gradients steps (no refinement)",
            "  --labels FILE    class names, one per line");

    static final Map<String, Args.Kind> OPTIONS = Map.ofEntries(Map.entry("model", Args.Kind.VALUE),
            Map.entry("weights", Args.Kind.VALUE), Map.entry("vocab", Args.Kind.VALUE), Map.entry("image", Args.Kind.VALUES),
            Map.entry("text", Args.Kind.VALUE), Map.entry("class", Args.Kind.VALUES), Map.entry("top", Args.Kind.VALUE),
            Map.entry("out", Args.Kind.VALUE), Map.entry("json", Args.Kind.FLAG), Map.entry("layer", Args.Kind.VALUE),
            Map.entry("steps", Args.Kind.VALUE), Map.entry("labels", Args.Kind.VALUE), Map.entry("threads", Args.Kind.VALUE),
            Map.entry("quiet", Args.Kind.FLAG), Map.entry("verbose", Args.Kind.FLAG));

    private final PrintStream out;
    private final PrintStream err;
    private final boolean quiet;

    ExplainCommand(PrintStream out, PrintStream err, boolean quiet) {
        this.out = out;
        this.err = err;
        this.quiet = quiet;
    }

    /** The model to explain, whichever kind it is. */
    private record Subject(Explainer explainer, Tokenizer tokenizer, List<String> labels, int classes) {}

    int run(List<String> argv) throws IOException {
        Args a = Args.parse(argv, OPTIONS);
        int threadCount = a.intValue("threads", 0, 1);
        String model = a.value("model", null), weights = a.value("weights", null);
        if ((model == null) == (weights == null)) {
            throw new Args.UsageException(model == null ? "missing required option --weights (or --model)"
                    : "give --model or --weights, not both");
        }
        Path source = Path.of(model != null ? model : weights);
        if (!Files.exists(source)) {
            throw new NoSuchFileException(source.toString(), null, model != null ? "model" : "weights");
        }
        List<Path> images = Cli.images(a.requiredValues("image"));
        String text = a.value("text", null);
        if (a.flag("class") && a.flag("top")) {
            throw new Args.UsageException("give --class or --top, not both");
        }
        int top = a.intValue("top", 1, 1);
        int gradCam = layer(a.value("layer", null));
        int steps = a.intValue("steps", 0, 1);
        boolean json = a.flag("json");
        Path outPath = a.value("out", null) == null ? null : Path.of(a.value("out", null));
        if (outPath != null && images.size() > 1) {
            Files.createDirectories(outPath);
        }
        Path vocab = a.value("vocab", null) == null ? null : Path.of(a.value("vocab", null));
        Path labelsFile = a.value("labels", null) == null ? null : Cli.existing(Path.of(a.value("labels", null)), "labels");
        ComputePool pool = threadCount > 0 ? ComputePool.create(threadCount) : ComputePool.shared();
        try {
            ModelBundle bundle = ModelBundle.load(source);
            Subject subject = subject(bundle, vocab, labelsFile, pool, source.toString());
            if (subject.tokenizer() != null && text == null) {
                throw new Args.UsageException("the fusion model needs --text");
            }
            if (subject.tokenizer() == null && text != null) {
                throw new Args.UsageException("--text is for fusion models: " + source + " is an image classifier");
            }
            Explainer explainer = subject.explainer().withGradCam(gradCam);
            if (steps > 0) {
                explainer = explainer.withSteps(steps);
            }
            int[] requested = a.flag("class") ? classes(a.values("class"), subject.labels()) : null;
            ImagePreprocessor pre = ImagePreprocessor.imagenet();
            for (Path image : images) {
                ImageRgb picture = pre.decode(image);
                Path png = outPath == null ? null : images.size() > 1
                        ? outPath.resolve(image.getFileName().toString().replaceFirst("\\.[^.]*$", "") + ".explain.png")
                        : outPath;
                explainOne(explainer, subject, pre, image.toString(), picture, text, requested, top, json, png);
            }
            return 0;
        } finally {
            if (threadCount > 0) {
                pool.close();
            }
        }
    }

    /**
     * Explains the bundled samples and writes their pictures into {@code dir} (demo --explain DIR);
     * with {@code samples > 0}, measures on that many fresh pictures where CAM and the words point.
     */
    void demo(DemoModel demo, Path dir, int samples, long seed) throws IOException {
        Files.createDirectories(dir);
        Subject subject = new Subject(Explainer.of(demo.model()), demo.tokenizer(), demo.labels(), demo.labels().size());
        for (DemoModel.BundledSample s : DemoModel.samples()) {
            Path png = dir.resolve(s.file().replaceFirst("\\.[^.]*$", "") + ".explain.png");
            explainOne(subject.explainer().withGradCam(3), subject, demo.preprocessor(), s.file(), s.image(), s.question(),
                    null, 1, false, png);
            out.println();
        }
        if (samples > 0) {
            PointingCheck.Result r = PointingCheck.measure(demo, new ShapesDataset(seed), samples);
            out.printf(Locale.ROOT, "On %d fresh pictures (seed %d), each explained for its predicted class (%d right):%n",
                    r.samples(), seed, r.correct());
            out.printf(Locale.ROOT, "  CAM's highest cell touches the shape %5.1f %% (lies inside it %5.1f %%)%n",
                    100.0 * r.camTouches() / r.samples(), 100.0 * r.camInside() / r.samples());
            out.printf(Locale.ROOT, "  colour questions: \"colour\"/\"color\" comes first %5.1f %% by integrated gradients,"
                    + " %5.1f %% by leave-one-out (%d questions); first words %s%n", 100 * r.colourWordRate(),
                    r.colourQuestions() == 0 ? 0 : 100.0 * r.colourWordTopLeaveOneOut() / r.colourQuestions(),
                    r.colourQuestions(), r.colourTopWords());
            out.printf(Locale.ROOT, "  shape questions: first words %s%n", r.shapeTopWords());
        }
    }

    private void explainOne(Explainer explainer, Subject subject, ImagePreprocessor pre, String name, ImageRgb picture,
                            String text, int[] requested, int top, boolean json, Path png) throws IOException {
        Tensor image = pre.preprocess(picture);
        int[] ids = subject.tokenizer() == null ? null : subject.tokenizer().encode(text);
        int[] classes = requested;
        if (classes == null) {
            classes = Cli.topK(explainer.logits(image, ids), Math.min(top, subject.classes()));
        }
        List<Explanation> es = explainer.explain(image, ids, classes);
        List<String> words = text == null ? List.of() : Tokenizer.words(text);
        List<ExplanationPicture.Part> parts = new ArrayList<>();
        for (Explanation e : es) {
            String cls = subject.labels().get(e.classIndex());
            String runnerUp = e.runnerUp() < 0 ? "" : subject.labels().get(e.runnerUp());
            parts.add(new ExplanationPicture.Part(e, cls, runnerUp));
            if (json) {
                out.println(json(name, text, cls, e, words, runnerUp));
            } else {
                print(name, text, cls, e, words, runnerUp);
            }
            if (!quiet && e.steps() > 0 && e.completeness() > Explainer.COMPLETENESS) {
                err.printf(Locale.ROOT, "vecnet explain: warning: %s class %s: the attributions miss the text part's change"
                        + " by %.1f %% after %d steps (try --steps 4096)%n", name, cls, 100 * e.completeness(), e.steps());
            }
        }
        if (png != null) {
            java.awt.image.BufferedImage drawn = ExplanationPicture.render(picture, pre, parts, words);
            ExplanationPicture.write(drawn, png);
            if (!json && !quiet) {
                out.println("  wrote " + png + " (" + drawn.getWidth() + "×" + drawn.getHeight() + " PNG)");
            }
        }
    }

    private void print(String name, String text, String cls, Explanation e, List<String> words, String runnerUp) {
        Explanation.Split s = e.split();
        out.println(name + (text == null ? "" : "  \"" + text + "\""));
        out.printf(Locale.ROOT, "  %s (class %d): logit %.4f = image %.4f + text %.4f + bias %.4f%n", cls, e.classIndex(),
                e.logit(), s.image(), s.text(), s.bias());
        if (e.runnerUp() >= 0) {
            Explanation.Split m = e.margin();
            out.printf(Locale.ROOT, "  decided by the %s: margin %.4f %s %s = image %.4f + text %.4f + bias %.4f%n",
                    e.decidedBy(), m.total(), m.total() >= 0 ? "over" : "behind", runnerUp, m.image(), m.text(), m.bias());
        }
        int[] cell = e.cam().argmax();
        out.printf(Locale.ROOT, "  CAM (layer4 %d×%d, sums to %.4f): highest cell row %d, column %d (%.4f)%n", e.cam().height(),
                e.cam().width(), e.cam().sum(), cell[0], cell[1], e.cam().get(cell[0], cell[1]));
        if (e.gradCam() != null) {
            int[] g = e.gradCam().argmax();
            out.printf(Locale.ROOT, "  Grad-CAM (layer%d %d×%d): highest cell row %d, column %d%n", e.gradCamLayer(),
                    e.gradCam().height(), e.gradCam().width(), g[0], g[1]);
        }
        if (!words.isEmpty()) {
            out.printf(Locale.ROOT, "  words: integrated gradients (%d steps; sum %.4f vs text part − baseline %.4f:"
                    + " completeness gap %.2f %%), leave-one-out%n", e.steps(), sum(e.attributions()), e.textDelta(),
                    100 * e.completeness());
            float max = 1e-12f;
            for (float v : e.attributions()) {
                max = Math.max(max, Math.abs(v));
            }
            for (int t = 0; t < words.size(); t++) {
                float v = e.attributions()[t];
                int len = Math.round(10 * Math.abs(v) / max);
                String bar = v >= 0 ? " ".repeat(10) + "|" + "+".repeat(len) + " ".repeat(10 - len)
                        : " ".repeat(10 - len) + "-".repeat(len) + "|" + " ".repeat(10);
                out.printf(Locale.ROOT, "    %-14s %s %+9.4f   leave-one-out %+9.4f%n", words.get(t), bar, v,
                        e.leaveOneOut()[t]);
            }
        }
    }

    private static double sum(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x;
        }
        return s;
    }

    static String json(String input, String text, String cls, Explanation e, List<String> words, String runnerUp) {
        StringBuilder sb = new StringBuilder("{\"input\":");
        JsonLine.string(sb, input);
        sb.append(",\"text\":");
        if (text == null) {
            sb.append("null");
        } else {
            JsonLine.string(sb, text);
        }
        sb.append(",\"class\":");
        JsonLine.string(sb, cls);
        sb.append(",\"logit\":").append(e.logit());
        Explanation.Split s = e.split();
        sb.append(",\"split\":{\"image\":").append(s.image()).append(",\"text\":").append(s.text()).append(",\"bias\":")
                .append(s.bias()).append('}');
        sb.append(",\"cam\":");
        grid(sb, e.cam());
        sb.append(",\"tokens\":[");
        for (int t = 0; t < e.ids().length; t++) {
            sb.append(t == 0 ? "{\"token\":" : ",{\"token\":");
            JsonLine.string(sb, words.get(t));
            sb.append(",\"id\":").append(e.ids()[t]).append(",\"attribution\":").append(e.attributions()[t])
                    .append(",\"leave_one_out\":").append(e.leaveOneOut()[t]).append('}');
        }
        sb.append("],\"completeness\":").append(e.completeness());
        sb.append(",\"class_index\":").append(e.classIndex()).append(",\"runner_up\":");
        if (e.runnerUp() < 0) {
            sb.append("null");
        } else {
            JsonLine.string(sb, runnerUp);
        }
        sb.append(",\"decided_by\":\"").append(e.decidedBy()).append('"');
        Explanation.Split m = e.margin();
        sb.append(",\"margin\":{\"image\":").append(m.image()).append(",\"text\":").append(m.text()).append(",\"bias\":")
                .append(m.bias()).append('}');
        sb.append(",\"steps\":").append(e.steps());
        if (e.gradCam() != null) {
            sb.append(",\"gradcam\":{\"layer\":").append(e.gradCamLayer()).append(",\"grid\":");
            grid(sb, e.gradCam());
            sb.append('}');
        }
        return sb.append('}').toString();
    }

    private static void grid(StringBuilder sb, Explanation.Grid g) {
        sb.append('[');
        for (int y = 0; y < g.height(); y++) {
            sb.append(y == 0 ? "[" : ",[");
            for (int x = 0; x < g.width(); x++) {
                if (x > 0) {
                    sb.append(',');
                }
                sb.append(g.get(y, x));
            }
            sb.append(']');
        }
        sb.append(']');
    }

    private static int layer(String v) {
        if (v == null) {
            return 0;
        }
        return switch (v) {
            case "layer3", "3" -> 3;
            case "layer2", "2" -> 2;
            default -> throw new Args.UsageException("--layer must be layer3 or layer2, got '" + v + "'");
        };
    }

    private static int[] classes(List<String> names, List<String> labels) {
        int[] out = new int[names.size()];
        for (int i = 0; i < out.length; i++) {
            String n = names.get(i);
            int k = labels.indexOf(n);
            if (k < 0 && n.matches("\\d{1,9}")) {
                k = Integer.parseInt(n);
            }
            if (k < 0 || k >= labels.size()) {
                throw new Args.UsageException("--class '" + n + "' is neither a class name nor an index below "
                        + labels.size());
            }
            out[i] = k;
        }
        return out;
    }

    private Subject subject(ModelBundle bundle, Path vocab, Path labelsFile, ComputePool pool, String name)
            throws IOException {
        if (bundle.weights().contains("conv1.weight")) { // torchvision's layout: an image classifier
            ResNet18 net = ResNet18.fromStateDict(bundle.weights()).withPool(pool);
            if (!net.hasClassifier()) {
                throw new IllegalArgumentException(name + " has no classifier (fc.weight, fc.bias): nothing to explain");
            }
            return new Subject(Explainer.of(net), null, Cli.labels(labelsFile, bundle, net.classes(), true), net.classes());
        }
        FusionModel net = FusionModel.fromStateDict(bundle.weights()).withPool(pool);
        Tokenizer tokenizer;
        if (vocab != null) {
            tokenizer = Tokenizer.load(Cli.existing(vocab, "vocabulary"));
        } else {
            Vocabulary v = bundle.vocabulary().orElseThrow(() -> new Args.UsageException("the model " + name
                    + " has no vocabulary: give --vocab FILE"));
            tokenizer = new Tokenizer(v, bundle.unknownId());
        }
        if (tokenizer.vocabulary().maxId() >= net.vocabularyRows()) {
            throw new IllegalArgumentException("the vocabulary has ids up to " + tokenizer.vocabulary().maxId()
                    + " but embedding.weight has only " + net.vocabularyRows() + " rows");
        }
        Explainer explainer = Explainer.of(net).withBaselineId(tokenizer.unknownId());
        return new Subject(explainer, tokenizer, Cli.labels(labelsFile, bundle, net.numClasses(), false), net.numClasses());
    }
}
