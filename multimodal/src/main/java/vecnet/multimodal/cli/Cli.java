package vecnet.multimodal.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageRgb;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.Progress;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;
import vecnet.weights.Escape;
import vecnet.weights.InputFile;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;

/**
 * The {@code vecnet} command: {@code demo}, {@code predict}, {@code classify}, {@code preprocess}.
 *
 * <p>Everything is printed on the two streams given to the constructor (the tests capture them);
 * only {@link #main} touches {@code System.out}/{@code System.err} and the exit status. A mistake
 * on the command line prints one line and returns 2; a failure (missing or unreadable file, wrong
 * weights, bad image...) prints one line and returns 1; {@code --verbose} adds the stack trace.
 */
public final class Cli {
    static final String USAGE = String.join("\n",
            "Usage: vecnet <command> [options]      (vecnet <command> --help for its options)",
            "",
            "A pure-Java inference engine for a ResNet-18 + LSTM image-and-text model (PyTorch weights).",
            "",
            "Commands:",
            "  demo        run the bundled model on bundled pictures and questions, measure its accuracy",
            "  predict     the seed's fusion model: --weights FILE --vocab FILE --image IMG... --text TEXT",
            "  classify    torchvision's ResNet-18 on ImageNet classes: --weights resnet18.pth --image IMG|DIR...",
            "  preprocess  write the normalized [1,3,224,224] tensor of an image to a safetensors file",
            "",
            "Common options: --threads N (compute threads, default: one per core), --verbose (stack traces),",
            "                --help.");

    static final String DEMO_HELP = String.join("\n",
            "Usage: vecnet demo [--samples N] [--seed S] [--image IMG... --text QUESTION] [--threads N] [--json] [--verbose]",
            "",
            "Runs the bundled demo model (no download): a ResNet-18 with widths 8-16-32-64 and an LSTM of 32,",
            "the seed's topology and key names, trained by weights/python/train_demo.py to answer a question",
            "about a picture of one coloured shape (\"what colour is it\" / \"what shape is it\", in paraphrases).",
            "Prints each bundled sample with the predicted answer, the accuracy on fresh pictures generated",
            "here in Java (with the image zeroed, then the question made of unknown words, to show that both",
            "inputs are used), and the time per stage.",
            "",
            "  --samples N      fresh pictures for the accuracy (default 200; 0 skips it)",
            "  --seed S         data set seed of the fresh pictures (default 2026; training used seed 1)",
            "  --image IMG...   ask about your own pictures instead of the bundled ones (with --text)",
            "  --text QUESTION  the question for --image, e.g. \"what shape is it\"",
            "  --threads N      compute threads (default: one per core)",
            "  --json           one JSON object per sample per line, then one with the accuracies");

    static final String PREDICT_HELP = String.join("\n",
            "Usage: vecnet predict --weights FILE --vocab FILE --image IMG... --text TEXT... [--labels FILE]",
            "                      [--top K] [--batch B] [--threads N] [--json] [--verbose]",
            "",
            "Runs the seed's fusion model (resnet.*, embedding.weight, lstm.*, fc.*) on image and text pairs.",
            "",
            "  --weights FILE   the model's state_dict: a .pth (torch.save) or a .safetensors file",
            "  --vocab FILE     the vocabulary: JSON {token: id} or text (one token per line, id = line number)",
            "  --image IMG...   pictures (PNG, JPEG, GIF, BMP, TIFF) or folders of pictures",
            "  --text TEXT...   one text for every picture, or one per picture; unknown words get id 0",
            "  --labels FILE    class names, one per line (default: class0, class1, ...)",
            "  --top K          how many classes to show (default 3)",
            "  --batch B        pictures per forward pass (default 8)",
            "  --threads N      compute threads (default: one per core)",
            "  --json           one JSON object per picture per line: input, text, logits, probabilities, top",
            "  --allow-nonfinite  load weights holding NaN, ±Inf or a running_var <= 0 (refused by default)");

    static final String CLASSIFY_HELP = String.join("\n",
            "Usage: vecnet classify --weights resnet18.pth --image IMG|DIR... [--top K] [--labels FILE]",
            "                       [--batch B] [--threads N] [--json] [--verbose]",
            "",
            "torchvision's ResNet-18 with its fc layer (e.g. the state_dict of resnet18(weights=IMAGENET1K_V1),",
            "or weights/python/make_resnet18.py) on pictures; the 1000 ImageNet class names are bundled.",
            "A folder is searched for pictures (not recursively) and shows a progress bar on stderr.",
            "",
            "  --weights FILE   torchvision ResNet-18 state_dict (.pth or .safetensors) with fc.weight, fc.bias",
            "  --image IMG...   pictures or folders of pictures",
            "  --top K          how many classes to show (default 5)",
            "  --labels FILE    class names, one per line (default: the ImageNet names when there are 1000 classes)",
            "  --batch B        pictures per forward pass (default 8)",
            "  --threads N      compute threads (default: one per core)",
            "  --json           one JSON object per picture per line: input, logits, probabilities, top",
            "  --allow-nonfinite  load weights holding NaN, ±Inf or a running_var <= 0 (refused by default)");

    static final String PREPROCESS_HELP = String.join("\n",
            "Usage: vecnet preprocess --image IMG --out FILE.safetensors [--verbose]",
            "",
            "Decodes IMG as Pillow's Image.open(f).convert('RGB'), then Resize(256), CenterCrop(224), ToTensor,",
            "Normalize(ImageNet) as torchvision does, and writes the float32 tensor [1, 3, 224, 224] under the",
            "key 'image', to compare with torchvision (e.g. safetensors_io.load_file in weights/python/).");

    private static final List<String> IMAGE_SUFFIXES = List.of(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff");

    private final PrintStream out;
    private final PrintStream err;

    /** A CLI that prints results on {@code out} and messages (errors, progress) on {@code err}. */
    public Cli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int status = new Cli(out, System.err).run(args);
        out.flush();
        System.exit(status);
    }

    /** Runs one command; returns the exit status (0 success, 1 failure, 2 command-line mistake). */
    public int run(String... argv) {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        boolean verbose = args.contains("--verbose");
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h") || args.get(0).equals("help")) {
            out.println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        String command = args.remove(0);
        String help = switch (command) {
            case "demo" -> DEMO_HELP;
            case "predict" -> PREDICT_HELP;
            case "classify" -> CLASSIFY_HELP;
            case "preprocess" -> PREPROCESS_HELP;
            default -> null;
        };
        if (help == null) {
            err.println("vecnet: unknown command '" + command + "' (commands: demo, predict, classify, preprocess;"
                    + " see vecnet --help)");
            return 2;
        }
        if (args.contains("--help") || args.contains("-h")) {
            out.println(help);
            return 0;
        }
        try {
            switch (command) {
                case "demo" -> demo(args);
                case "predict" -> predict(args);
                case "classify" -> classify(args);
                default -> preprocess(args);
            }
            out.flush();
            return 0;
        } catch (Args.UsageException e) {
            err.println("vecnet " + command + ": " + e.getMessage() + " (see vecnet " + command + " --help)");
            if (verbose) {
                e.printStackTrace(err);
            }
            return 2;
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            err.println("vecnet " + command + ": error: " + describe(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** One line saying what went wrong, without the exception's class name when its message is clear. */
    static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            e = u.getCause();
        }
        if (e instanceof NoSuchFileException n) {
            return (n.getReason() != null ? n.getReason() + " " : "") + "file not found: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof OutOfMemoryError) {
            return "out of memory (give the JVM more with VECNET_JAVA_OPTS=-Xmx4g or use a smaller --batch)";
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return Escape.text(message.replace('\n', ' ').replace('\t', ' '), MAX_MESSAGE);
    }

    /** The longest error line printed: a message quoting a huge value from a file is cut. */
    private static final int MAX_MESSAGE = 2000;

    // ------------------------------------------------------------------------------------ demo

    private static final Map<String, Args.Kind> DEMO_OPTIONS = Map.of("samples", Args.Kind.VALUE, "seed", Args.Kind.VALUE,
            "image", Args.Kind.VALUES, "text", Args.Kind.VALUE, "threads", Args.Kind.VALUE, "json", Args.Kind.FLAG,
            "verbose", Args.Kind.FLAG);

    private void demo(List<String> argv) throws IOException {
        Args a = Args.parse(argv, DEMO_OPTIONS);
        a.intValue("threads", 1, 1); // checked first: a wrong count is a usage error, before any work
        int samples = a.intValue("samples", 200, 0);
        long seed = a.longValue("seed", 2026);
        boolean json = a.flag("json");
        List<Path> ownImages = a.flag("image") ? images(a.values("image")) : List.of();
        String ownText = a.value("text", null);
        if (!ownImages.isEmpty() && ownText == null) {
            throw new Args.UsageException("--image needs --text QUESTION");
        }
        if (ownImages.isEmpty() && ownText != null) {
            throw new Args.UsageException("--text needs --image IMG");
        }
        try (Threads threads = threads(a)) {
            long t0 = System.nanoTime();
            DemoModel demo = DemoModel.load(threads.pool);
            FusionModel model = demo.model();
            long tLoad = System.nanoTime();

            List<String> names = new ArrayList<>(), questions = new ArrayList<>(), expected = new ArrayList<>();
            List<ImageRgb> pictures = new ArrayList<>();
            if (ownImages.isEmpty()) {
                for (DemoModel.BundledSample s : DemoModel.samples()) {
                    names.add(s.file());
                    pictures.add(s.image());
                    questions.add(s.question());
                    expected.add(s.answer());
                }
            } else {
                for (Path p : ownImages) {
                    names.add(p.toString());
                    pictures.add(demo.preprocessor().decode(p));
                    questions.add(ownText);
                    expected.add(null);
                }
            }
            int n = pictures.size();
            ImagePreprocessor pre = demo.preprocessor();
            Tensor images = Tensor.zeros(n, 3, pre.cropSize(), pre.cropSize());
            int plane = 3 * pre.cropSize() * pre.cropSize();
            int[][] ids = new int[n][];
            for (int i = 0; i < n; i++) {
                System.arraycopy(pre.preprocess(pictures.get(i)).data(), 0, images.data(), i * plane, plane);
                ids[i] = demo.tokenizer().encode(questions.get(i));
            }
            long tPre = System.nanoTime();
            Tensor imageFeatures = model.resnet.features(images);
            long tImage = System.nanoTime();
            Tensor textFeatures = model.text.encode(ids, model.pool());
            long tText = System.nanoTime();
            Tensor logits = DemoModel.head(model, imageFeatures, textFeatures);
            long tHead = System.nanoTime();
            List<Prediction> predictions = Prediction.of(logits);

            if (!json) {
                out.printf(Locale.ROOT, "vecnet demo: %s (%,d parameters), %s kernels, %d thread%s%n", describeModel(model),
                        parameters(model), Kernels.get().name(), threads.pool.threads(), threads.pool.threads() == 1 ? "" : "s");
                out.println("Trained by weights/python/train_demo.py to answer questions about one coloured shape.");
                out.println();
            }
            int width = names.stream().mapToInt(String::length).max().orElse(0);
            int right = 0;
            for (int i = 0; i < n; i++) {
                Prediction p = predictions.get(i);
                String answer = demo.labels().get(p.label());
                if (json) {
                    out.println(JsonLine.of(names.get(i), questions.get(i), p, demo.labels(), 3));
                    continue;
                }
                String check = "";
                if (expected.get(i) != null) {
                    boolean ok = expected.get(i).equals(answer);
                    right += ok ? 1 : 0;
                    check = ok ? "  (right)" : "  (WRONG: expected " + expected.get(i) + ")";
                }
                out.printf(Locale.ROOT, "%-" + width + "s  %-48s -> %-8s %5.1f %%%s%n", names.get(i),
                        '"' + questions.get(i) + '"', answer, 100.0 * p.confidence(), check);
            }
            if (!json && ownImages.isEmpty()) {
                out.printf(Locale.ROOT, "%d of %d bundled samples answered right.%n", right, n);
            }

            DemoModel.Evaluation eval = null;
            long tEval0 = System.nanoTime(), tEval1 = tEval0;
            if (samples > 0) {
                eval = demo.evaluate(new ShapesDataset(seed), samples);
                tEval1 = System.nanoTime();
            }
            // the same forward pass again: the first one includes the JIT compiling the kernels
            long w0 = System.nanoTime();
            Tensor imageWarm = model.resnet.features(images);
            long w1 = System.nanoTime();
            Tensor textWarm = model.text.encode(ids, model.pool());
            long w2 = System.nanoTime();
            DemoModel.head(model, imageWarm, textWarm);
            long w3 = System.nanoTime();
            if (json) {
                if (eval != null) {
                    out.printf(Locale.ROOT, "{\"evaluation\":{\"samples\":%d,\"seed\":%d,\"accuracy\":%s,\"image_zeroed\":%s,"
                            + "\"question_unknown\":%s}}%n", eval.samples(), seed, eval.accuracy(), eval.imageZeroed(),
                            eval.questionUnknown());
                }
                return;
            }
            if (eval != null) {
                out.println();
                out.printf(Locale.ROOT, "Accuracy on %d fresh pictures generated in Java (seed %d; training used seed 1):%n",
                        eval.samples(), seed);
                out.printf(Locale.ROOT, "  picture and question       %5.1f %%%n", 100 * eval.accuracy());
                out.printf(Locale.ROOT, "  picture zeroed             %5.1f %%   (the question alone: chance among 4 is 25 %%)%n",
                        100 * eval.imageZeroed());
                out.printf(Locale.ROOT, "  question of unknown words  %5.1f %%   (the picture alone: colour or shape? ~50 %%)%n",
                        100 * eval.questionUnknown());
            }
            out.println();
            out.printf(Locale.ROOT, "Time per stage (%d sample%s in one batch; first run, then again at the end):%n", n,
                    n == 1 ? "" : "s");
            stage("load (weights, vocabulary)", tLoad - t0, -1);
            stage("preprocess (decode, crop, normalize; tokenize)", tPre - tLoad, -1);
            stage("image branch (ResNet-18)", tImage - tPre, w1 - w0);
            stage("text branch (embedding, LSTM)", tText - tImage, w2 - w1);
            stage("head (concatenate, linear)", tHead - tText, w3 - w2);
            if (eval != null) {
                stage("accuracy (" + eval.samples() + " pictures: generate, preprocess, forward)", tEval1 - tEval0, -1);
            }
        }
    }

    private void stage(String what, long nanos, long again) {
        if (again < 0) {
            out.printf(Locale.ROOT, "  %-56s %9.1f ms%n", what, nanos / 1e6);
        } else {
            out.printf(Locale.ROOT, "  %-56s %9.1f ms %9.1f ms%n", what, nanos / 1e6, again / 1e6);
        }
    }

    private static String describeModel(FusionModel model) {
        return "ResNet-18 (widths " + model.resnet.layers.get(0).get(0).conv1.geometry().cout() + "-"
                + model.resnet.layers.get(1).get(0).conv1.geometry().cout() + "-"
                + model.resnet.layers.get(2).get(0).conv1.geometry().cout() + "-"
                + model.resnet.featureSize() + ") + LSTM (hidden " + model.text.featureSize() + ") fusion model";
    }

    private static long parameters(FusionModel model) {
        long n = 0;
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            if (!e.getKey().endsWith("running_mean") && !e.getKey().endsWith("running_var")
                    && !e.getKey().endsWith("num_batches_tracked")) {
                n += e.getValue().size();
            }
        }
        return n;
    }

    // ------------------------------------------------------------------------------------ predict

    private static final Map<String, Args.Kind> PREDICT_OPTIONS = withAllowNonFinite(Map.of("weights", Args.Kind.VALUE,
            "vocab", Args.Kind.VALUE, "image", Args.Kind.VALUES, "text", Args.Kind.VALUES, "labels", Args.Kind.VALUE,
            "top", Args.Kind.VALUE, "batch", Args.Kind.VALUE, "threads", Args.Kind.VALUE, "json", Args.Kind.FLAG,
            "verbose", Args.Kind.FLAG));

    private static Map<String, Args.Kind> withAllowNonFinite(Map<String, Args.Kind> options) {
        Map<String, Args.Kind> m = new java.util.HashMap<>(options);
        m.put("allow-nonfinite", Args.Kind.FLAG);
        return Map.copyOf(m);
    }

    /** The weights file, whose NaN, ±Inf and non-positive running_var are refused unless --allow-nonfinite. */
    private static StateDict weights(Args a, Path file) throws IOException {
        StateDict sd = StateDict.read(file);
        return a.flag("allow-nonfinite") ? sd.allowingNonFinite() : sd;
    }

    private void predict(List<String> argv) throws IOException {
        Args a = Args.parse(argv, PREDICT_OPTIONS);
        a.intValue("threads", 1, 1); // checked first: a wrong count is a usage error, before any work
        Path weights = existing(a.requiredPath("weights"), "weights");
        Path vocab = existing(a.requiredPath("vocab"), "vocabulary");
        List<Path> files = images(a.requiredValues("image"));
        List<String> texts = a.requiredValues("text");
        if (texts.size() != 1 && texts.size() != files.size()) {
            throw new Args.UsageException(files.size() + " pictures but " + texts.size()
                    + " texts: give one --text for all, or one per picture");
        }
        int top = a.intValue("top", 3, 1);
        int batch = a.intValue("batch", 8, 1);
        boolean json = a.flag("json");
        Path labelsFile = a.value("labels", null) == null ? null : existing(Path.of(a.value("labels", null)), "labels");
        try (Threads threads = threads(a)) {
            Tokenizer tokenizer = Tokenizer.load(vocab);
            int[][] ids = new int[files.size()][];
            for (int i = 0; i < ids.length; i++) {
                String text = texts.get(texts.size() == 1 ? 0 : i);
                try {
                    ids[i] = tokenizer.encode(text);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--text '" + text + "': " + e.getMessage(), e);
                }
            }
            FusionModel model = FusionModel.fromStateDict(weights(a, weights)).withPool(threads.pool);
            int vocabRows = model.text.embedding.weight.dim(0);
            if (tokenizer.vocabulary().maxId() >= vocabRows) {
                throw new IllegalArgumentException("vocabulary " + vocab + " has ids up to " + tokenizer.vocabulary().maxId()
                        + " but embedding.weight in " + weights + " has only " + vocabRows + " rows");
            }
            tokenizer.vocabulary().requireFits(vocabRows);   // logs a warning when the vocabulary is smaller
            List<String> labels = labels(labelsFile, model.numClasses());
            ImagePreprocessor pre = ImagePreprocessor.imagenet();
            for (int from = 0; from < files.size(); from += batch) {
                int to = Math.min(files.size(), from + batch);
                Tensor images = pre.preprocess(files.subList(from, to), threads.pool);
                List<Prediction> ps = model.classify(images, Arrays.copyOfRange(ids, from, to));
                for (int i = from; i < to; i++) {
                    String text = texts.get(texts.size() == 1 ? 0 : i);
                    print(files.get(i).toString(), text, ps.get(i - from), labels, top, json);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------ classify

    private static final Map<String, Args.Kind> CLASSIFY_OPTIONS = withAllowNonFinite(Map.of("weights", Args.Kind.VALUE,
            "image", Args.Kind.VALUES, "labels", Args.Kind.VALUE, "top", Args.Kind.VALUE, "batch", Args.Kind.VALUE,
            "threads", Args.Kind.VALUE, "json", Args.Kind.FLAG, "verbose", Args.Kind.FLAG));

    private void classify(List<String> argv) throws IOException {
        Args a = Args.parse(argv, CLASSIFY_OPTIONS);
        a.intValue("threads", 1, 1); // checked first: a wrong count is a usage error, before any work
        Path weights = existing(a.requiredPath("weights"), "weights");
        List<String> inputs = a.requiredValues("image");
        List<Path> files = images(inputs);
        boolean folder = inputs.stream().anyMatch(s -> Files.isDirectory(Path.of(s)));
        int top = a.intValue("top", 5, 1);
        int batch = a.intValue("batch", 8, 1);
        boolean json = a.flag("json");
        Path labelsFile = a.value("labels", null) == null ? null : existing(Path.of(a.value("labels", null)), "labels");
        try (Threads threads = threads(a)) {
            ResNet18 net = ResNet18.fromStateDict(weights(a, weights)).withPool(threads.pool);
            if (!net.hasClassifier()) {
                throw new IllegalArgumentException(weights + " has no classifier (fc.weight, fc.bias): classify needs"
                        + " torchvision's ResNet-18 state_dict; for the fusion model use vecnet predict");
            }
            int classes = net.fc.outFeatures();
            List<String> labels = labelsFile != null ? labels(labelsFile, classes)
                    : classes == 1000 ? imagenetClasses() : labels(null, classes);
            ImagePreprocessor pre = ImagePreprocessor.imagenet();
            ProgressBar bar = folder ? new ProgressBar(err, files.size(), "images") : null;
            if (bar != null) {
                bar.update(0);
            }
            List<Prediction> ps;
            try {
                ps = net.classifyFiles(files, pre, batch, bar == null ? Progress.NONE : (done, total) -> bar.update(done));
            } catch (IOException | RuntimeException | Error e) {
                if (bar != null) {
                    bar.abandon();
                }
                throw e;
            }
            if (bar != null) {
                bar.finish();
            }
            for (int i = 0; i < files.size(); i++) {
                print(files.get(i).toString(), null, ps.get(i), labels, top, json);
            }
        }
    }

    /** The 1000 ImageNet class names in torchvision's order (resource {@code vecnet/imagenet_classes.txt}). */
    static List<String> imagenetClasses() throws IOException {
        try (InputStream in = Cli.class.getResourceAsStream("/vecnet/imagenet_classes.txt")) {
            if (in == null) {
                throw new IOException("the bundled resource vecnet/imagenet_classes.txt is missing");
            }
            List<String> names = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            if (names.size() != 1000) {
                throw new IOException("vecnet/imagenet_classes.txt has " + names.size() + " names, expected 1000");
            }
            return names;
        }
    }

    // ------------------------------------------------------------------------------------ preprocess

    private static final Map<String, Args.Kind> PREPROCESS_OPTIONS = Map.of("image", Args.Kind.VALUE, "out", Args.Kind.VALUE,
            "verbose", Args.Kind.FLAG);

    private void preprocess(List<String> argv) throws IOException {
        Args a = Args.parse(argv, PREPROCESS_OPTIONS);
        Path image = existing(a.requiredPath("image"), "image");
        Path target = a.requiredPath("out");
        if (Files.isDirectory(target)) {
            throw new IllegalArgumentException("--out " + target + " is a folder: give a file name such as image.safetensors");
        }
        Tensor x = ImagePreprocessor.imagenet().preprocess(image);
        SafeTensors.write(target, Map.of("image", x), Map.of("source", image.getFileName().toString(),
                "pipeline", "Resize(256) CenterCrop(224) ToTensor Normalize(ImageNet)"));
        out.println("wrote " + target + ": image " + Arrays.toString(x.shape()) + " F32");
    }

    // ------------------------------------------------------------------------------------ shared

    private void print(String input, String text, Prediction p, List<String> labels, int top, boolean json) {
        if (json) {
            out.println(JsonLine.of(input, text, p, labels, top));
            return;
        }
        out.println(text == null ? input : input + "  \"" + text + "\"");
        int[] order = topK(p.probabilities(), top);
        for (int r = 0; r < order.length; r++) {
            int k = order[r];
            out.printf(Locale.ROOT, "  %d. %-30s %6.2f %%   (class %d, logit %.4f)%n", r + 1, labels.get(k),
                    100.0 * p.probabilities()[k], k, p.logits()[k]);
        }
    }

    /** The indices of the {@code k} largest values, largest first; ties go to the lower index. */
    static int[] topK(float[] values, int k) {
        Integer[] idx = new Integer[values.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (x, y) -> values[x] != values[y] ? Float.compare(values[y], values[x]) : Integer.compare(x, y));
        int[] out = new int[Math.min(k, values.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    private static List<String> labels(Path file, int classes) throws IOException {
        if (file == null) {
            List<String> names = new ArrayList<>(classes);
            for (int i = 0; i < classes; i++) {
                names.add("class" + i);
            }
            return names;
        }
        List<String> names = InputFile.readUtf8(file, "labels", InputFile.MAX_LABELS).lines().map(String::strip).toList();
        List<String> trimmed = new ArrayList<>(names);
        while (!trimmed.isEmpty() && trimmed.get(trimmed.size() - 1).isEmpty()) {
            trimmed.remove(trimmed.size() - 1);
        }
        if (trimmed.size() != classes) {
            throw new IllegalArgumentException("labels file " + file + " has " + trimmed.size() + " lines but the model has "
                    + classes + " classes");
        }
        return trimmed;
    }

    private static Path existing(Path p, String what) throws IOException {
        if (Files.isDirectory(p)) {
            throw new IllegalArgumentException(what + " " + p + " is a folder, not a file");
        }
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(p.toString(), null, what);
        }
        InputFile.requireRegular(p, what, Long.MAX_VALUE);   // a FIFO, a device, a symlink loop: refused by name
        if (!Files.isReadable(p)) {
            throw new AccessDeniedException(p.toString());
        }
        return p;
    }

    /** The files named, with each folder replaced by its pictures (by name, not recursive). */
    static List<Path> images(List<String> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String s : inputs) {
            Path p = Path.of(s);
            if (Files.isDirectory(p)) {
                try (Stream<Path> list = Files.list(p)) {
                    List<Path> found = list.filter(Files::isRegularFile).filter(Cli::looksLikeImage).sorted().toList();
                    if (found.isEmpty()) {
                        throw new IllegalArgumentException("folder " + p + " has no pictures (" + String.join(", ", IMAGE_SUFFIXES) + ")");
                    }
                    files.addAll(found);
                }
            } else {
                files.add(existing(p, "image"));
            }
        }
        return files;
    }

    private static boolean looksLikeImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_SUFFIXES.stream().anyMatch(name::endsWith);
    }

    /** The compute pool of {@code --threads N} (closed after the command), or the shared one. */
    private static Threads threads(Args a) {
        if (a.value("threads", null) == null) {
            return new Threads(ComputePool.shared(), false);
        }
        return new Threads(ComputePool.create(a.intValue("threads", 1, 1)), true);
    }

    private record Threads(ComputePool pool, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                pool.close();
            }
        }
    }
}
