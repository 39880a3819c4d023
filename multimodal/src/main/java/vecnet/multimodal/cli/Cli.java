package vecnet.multimodal.cli;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
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
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.layers.Conv2d;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImageDecoder;
import vecnet.multimodal.ImageNet;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ImageRgb;
import vecnet.multimodal.ModelBundle;
import vecnet.multimodal.Prediction;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.Vocabulary;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;
import vecnet.multimodal.internal.Csv;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;
import vecnet.weights.internal.Escape;
import vecnet.weights.internal.InputFile;

/**
 * The {@code vecnet} command: {@code demo}, {@code predict}, {@code classify}, {@code preprocess}.
 *
 * <p>Everything is printed on the two streams given to the constructor (the tests capture them);
 * only {@link #main} touches {@code System.out}/{@code System.err} and the exit status. A mistake
 * on the command line prints one line and returns 2; a failure (missing or unreadable file, wrong
 * weights, bad image...) prints one line and returns 1; {@code --verbose} adds the stack trace.
 */
public final class Cli {
    /**
     * Up to this many pictures, {@code --algorithm auto} runs the direct convolutions. A cold run spends
     * most of its time compiling kernels, and the direct algorithm has fewer of them: a cold {@code
     * classify} of one picture took 1.5-1.6 s instead of 2.2-2.8 (JDK 17, 2 cores); past a hundred
     * pictures or so, Winograd's faster passes make up for its compiling (bench/RESULTS.md).
     */
    static final int DIRECT_UP_TO = 100;

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
            "  explain     which part of the picture and which words decided: split, CAM, word attributions, PNG",
            "  train       train the model on your pictures and texts: --data train.csv --out my-model/",
            "",
            "Common options: --threads N (compute threads, default: one per core), --quiet (no progress bar,",
            "                no warnings), --verbose (stack traces), --help. vecnet help <command> shows a command's",
            "                options; vecnet --version the version. A file name '-' means standard input or output.",
            "                --exif-transpose (predict, classify, preprocess) turns photos upright by their EXIF",
            "                orientation, as ImageOps.exif_transpose; by default it is ignored, as Image.open does.");

    static final String DEMO_HELP = String.join("\n",
            "Usage: vecnet demo [--samples N] [--seed S] [--image IMG... --text QUESTION] [--threads N] [--json] [--explain DIR]",
            "                   [--logits none|top|all] [--quiet] [--verbose]",
            "",
            "Runs the bundled demo model (no download): a ResNet-18 with widths 8-16-32-64 and an LSTM of 32,",
            "the seed's topology and key names, trained in Java (vecnet demo --train) to answer a question",
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
            "  --json           one JSON object per sample per line, then one with the accuracies",
            "  --explain DIR    explain each bundled sample instead (vecnet explain): print it and write",
            "                   DIR/sample_<i>.explain.png; with --samples N, also measure on N fresh pictures how",
            "                   often CAM's highest cell touches the shape and which words come first",
            "  --logits WHAT    in --json: all (default: logits and probabilities of every class), top (only",
            "                   the --top classes, each with its logit), none (the top classes' probabilities)",
            "",
            "vecnet demo --train [--steps N] [--out DIR] [--samples N] [--threads N] [--force] trains the demo model",
            "from scratch in Java as train_demo.py does (1500 steps of batch 32, Adam with OneCycleLR at 3e-3, the",
            "whole network), measures it on --samples (default 1000) held-out pictures of seed 2 and writes DIR",
            "(default demo-model/). Exit status 1 when it misses the bar (>= 95 %, each ablation <= 60 %).",
            "vecnet demo --export-shapes DIR [--count N] [--seed S] writes N (default 200) pictures of the demo's",
            "data set with DIR/train.csv (80 %) and DIR/val.csv, a manifest to try vecnet train on.");

    static final String PREDICT_HELP = String.join("\n",
            "Usage: vecnet predict (--model PATH | --weights FILE --vocab FILE) (--image IMG... --text TEXT... | --pairs CSV)",
            "                      [--labels FILE] [--top K] [--batch B] [--threads N] [--json] [--logits none|top|all]",
            "                      [--algorithm auto|direct|fastest] [--fail-fast] [--quiet] [--verbose]",
            "",
            "Runs the seed's fusion model (resnet.*, embedding.weight, lstm.*, fc.*) on image and text pairs.",
            "A picture that cannot be read is reported on stderr and skipped; the run goes on, ends with a",
            "summary, and exits with status 1 if any picture failed (--fail-fast stops at the first one).",
            "",
            "  --model PATH     a model folder (model.safetensors, vocab.json, labels.txt) or one safetensors file",
            "                   carrying its vocabulary and labels in its metadata; '-' reads it from stdin",
            "  --weights FILE   the model's state_dict: a .pth (torch.save) or a .safetensors file",
            "  --vocab FILE     the vocabulary: JSON {token: id} or text (one token per line, id = line number)",
            "  --image IMG...   pictures (PNG, JPEG, GIF, BMP, TIFF) or folders of pictures; '-' reads one from stdin",
            "  --text TEXT...   one text for every picture, or one per picture; unknown words get id 0 (with a",
            "                   warning when no word of a text is known)",
            "  --pairs CSV      many pairs, one 'image,text' line each (a text with commas in \"double quotes\";",
            "                   an optional 'image,text' header); images relative to the CSV's folder; '-' = stdin",
            "  --labels FILE    class names, one per line (default: class0, class1, ...)",
            "  --top K          how many classes to show (default 3)",
            "  --batch B        pictures per forward pass (default 8)",
            "  --threads N      compute threads (default: one per core)",
            "  --json           one JSON object per picture per line: input, text, logits, probabilities, top",
            "  --logits WHAT    in --json: all (default), top (only the --top classes, with their logits) or none",
            "  --algorithm A    how the 3x3 convolutions run: fastest (Winograd's: fewest multiplies, more code to",
            "                   compile), direct (as PyTorch rounds; less to compile, slower once compiled), or auto",
            "                   (default): direct for up to " + DIRECT_UP_TO + " pictures, where compiling costs more than it saves",
            "  --fail-fast      stop at the first picture that cannot be read",
            "  --allow-nonfinite  load weights holding NaN, ±Inf or a running_var <= 0 (refused by default)");

    static final String CLASSIFY_HELP = String.join("\n",
            "Usage: vecnet classify (--weights resnet18.pth | --model PATH) --image IMG|DIR... [--top K] [--labels FILE]",
            "                       [--batch B] [--threads N] [--json] [--logits none|top|all]",
            "                       [--algorithm auto|direct|fastest] [--fail-fast] [--quiet] [--verbose]",
            "",
            "torchvision's ResNet-18 with its fc layer (e.g. the state_dict of resnet18(weights=IMAGENET1K_V1),",
            "or weights/python/make_resnet18.py) on pictures; the 1000 ImageNet class names are bundled.",
            "A folder is searched for pictures (not recursively); on a terminal a progress bar shows on stderr.",
            "A picture that cannot be read is reported on stderr and skipped; the run goes on, ends with a",
            "summary, and exits with status 1 if any picture failed (--fail-fast stops at the first one).",
            "",
            "  --weights FILE   torchvision ResNet-18 state_dict (.pth or .safetensors) with fc.weight, fc.bias",
            "  --model PATH     the same as a model folder or one safetensors file (labels in its metadata); '-' = stdin",
            "  --image IMG...   pictures or folders of pictures",
            "  --top K          how many classes to show (default 5)",
            "  --labels FILE    class names, one per line (default: the ImageNet names when there are 1000 classes)",
            "  --batch B        pictures per forward pass (default 8)",
            "  --threads N      compute threads (default: one per core)",
            "  --json           one JSON object per picture per line: input, top (and logits, probabilities)",
            "  --logits WHAT    in --json: top (default: only the --top classes, with their logits), all (1000",
            "                   logits and probabilities) or none",
            "  --algorithm A    how the 3x3 convolutions run: fastest (Winograd's: fewest multiplies, more code to",
            "                   compile), direct (as PyTorch rounds; less to compile, slower once compiled), or auto",
            "                   (default): direct for up to " + DIRECT_UP_TO + " pictures, where compiling costs more than it saves",
            "  --fail-fast      stop at the first picture that cannot be read",
            "  --allow-nonfinite  load weights holding NaN, ±Inf or a running_var <= 0 (refused by default)");

    static final String PREPROCESS_HELP = String.join("\n",
            "Usage: vecnet preprocess --image IMG|- --out FILE.safetensors|- [--quiet] [--verbose]",
            "",
            "Decodes IMG as Pillow's Image.open(f).convert('RGB'), then Resize(256), CenterCrop(224), ToTensor,",
            "Normalize(ImageNet) as torchvision does, and writes the float32 tensor [1, 3, 224, 224] under the",
            "key 'image', to compare with torchvision (e.g. safetensors_io.load_file in weights/python/).",
            "'-' reads the picture from stdin or writes the tensor to stdout.");

    private static final List<String> IMAGE_SUFFIXES = List.of(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff");

    /** The system property that turns the progress bar on or off, whatever the streams are. */
    static final String PROGRESS_PROPERTY = "vecnet.progress";

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final boolean terminal;
    private boolean quiet;
    private boolean exifTranspose;

    /** A CLI that prints results on {@code out} and messages (errors) on {@code err}; no progress bar, no stdin. */
    public Cli(PrintStream out, PrintStream err) {
        this(out, err, InputStream.nullInputStream(), false);
    }

    /**
     * A CLI reading {@code in} for the file name {@code -}, printing results on {@code out} and
     * messages on {@code err}; {@code terminal} says that {@code err} is a terminal, where a progress
     * bar may be drawn (with carriage returns, which would litter a file).
     */
    public Cli(PrintStream out, PrintStream err, InputStream in, boolean terminal) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int status = new Cli(out, System.err, System.in, onTerminal()).run(args);
        out.flush();
        System.exit(status);
    }

    /**
     * Whether the progress bar may be drawn: {@code -Dvecnet.progress=true|false} when given (the
     * launcher sets it from {@code [ -t 2 ]}), else whether this JVM has an interactive console.
     */
    static boolean onTerminal() {
        String forced = System.getProperty(PROGRESS_PROPERTY);
        if (forced != null) {
            return Boolean.parseBoolean(forced);
        }
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try { // JDK 22+ returns a console for redirected streams too; isTerminal() tells them apart
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 17-21: a console exists only on a terminal
        }
    }

    /** The version of this build ({@code vecnet/version.txt}, written by Maven). */
    static String version() {
        try (InputStream v = Cli.class.getResourceAsStream("/vecnet/version.txt")) {
            return v == null ? "unknown" : new String(v.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String helpOf(String command) {
        return switch (command) {
            case "demo" -> DEMO_HELP;
            case "predict" -> PREDICT_HELP;
            case "classify" -> CLASSIFY_HELP;
            case "preprocess" -> PREPROCESS_HELP;
            case "explain" -> ExplainCommand.HELP;
            case "train" -> TrainCommand.HELP;
            default -> null;
        };
    }

    /** Runs one command; returns the exit status (0 success, 1 failure, 2 command-line mistake). */
    public int run(String... argv) {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        boolean verbose = args.contains("--verbose");
        quiet = args.contains("--quiet");
        exifTranspose = args.contains("--exif-transpose");
        if (!args.isEmpty() && args.get(0).equals("--version")) {
            out.println("vecnet " + version());
            return 0;
        }
        if (args.size() >= 2 && args.get(0).equals("help")) {
            String help = helpOf(args.get(1));
            if (help == null) {
                err.println("vecnet: unknown command '" + args.get(1) + "' (commands: demo, predict, classify, preprocess, explain, train)");
                return 2;
            }
            out.println(help);
            return 0;
        }
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h") || args.get(0).equals("help")) {
            out.println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        String command = args.remove(0);
        String help = helpOf(command);
        if (help == null) {
            err.println("vecnet: unknown command '" + command + "' (commands: demo, predict, classify, preprocess, explain, train;"
                    + " see vecnet --help)");
            return 2;
        }
        if (args.contains("--help") || args.contains("-h")) {
            out.println(help);
            return 0;
        }
        try {
            int status = switch (command) {
                case "demo" -> {
                    if (args.contains("--export-shapes")) {
                        yield new TrainCommand(out, err, terminal && !quiet).exportShapes(args);
                    }
                    if (args.contains("--train")) {
                        yield new TrainCommand(out, err, terminal && !quiet).demo(args);
                    }
                    demo(args);
                    yield 0;
                }
                case "predict" -> predict(args);
                case "classify" -> classify(args);
                case "explain" -> new ExplainCommand(out, err, quiet).run(args);
                case "train" -> new TrainCommand(out, err, terminal && !quiet).run(args);
                default -> {
                    preprocess(args);
                    yield 0;
                }
            };
            out.flush();
            return status;
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
            String what = n.getReason() != null ? n.getReason() + " " : "";
            if (n.getFile() != null && n.getFile().endsWith("/")) {
                return what + "folder not found: " + n.getFile();
            }
            return what + "file not found: " + n.getFile();
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
            "logits", Args.Kind.VALUE, "quiet", Args.Kind.FLAG, "verbose", Args.Kind.FLAG, "explain", Args.Kind.VALUE);

    private void demo(List<String> argv) throws IOException {
        Args a = Args.parse(argv, DEMO_OPTIONS);
        a.intValue("threads", 1, 1); // checked first: a wrong count is a usage error, before any work
        int samples = a.intValue("samples", 200, 0);
        long seed = a.longValue("seed", 2026);
        boolean json = a.flag("json");
        Logits detail = logits(a, Logits.ALL);
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
            if (a.flag("explain")) {
                new ExplainCommand(out, err, quiet).demo(demo, Path.of(a.value("explain", null)),
                        a.flag("samples") ? samples : 0, seed);
                return;
            }
            if (ownText != null && !quiet && demo.tokenizer().knownWords(ownText) == 0) {
                err.println("vecnet demo: warning: no word of \"" + ownText + "\" is in the demo's vocabulary; the model"
                        + " sees only the unknown-word id " + demo.tokenizer().unknownId());
            }

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
            Tensor imageFeatures = model.resnet().features(images);
            long tImage = System.nanoTime();
            Tensor textFeatures = model.text().encode(ids, model.pool());
            long tText = System.nanoTime();
            Tensor logits = model.head(imageFeatures, textFeatures);
            long tHead = System.nanoTime();
            List<Prediction> predictions = Prediction.of(logits);

            if (!json) {
                out.printf(Locale.ROOT, "vecnet demo: %s (%,d parameters), %s kernels, %d thread%s%n", describeModel(model),
                        parameters(model), Kernels.get().name(), threads.pool.threads(), threads.pool.threads() == 1 ? "" : "s");
                out.println("Trained in Java (vecnet demo --train) to answer questions about one coloured shape.");
                out.println();
            }
            int width = names.stream().mapToInt(String::length).max().orElse(0);
            int right = 0;
            for (int i = 0; i < n; i++) {
                Prediction p = predictions.get(i);
                String answer = demo.labels().get(p.label());
                if (json) {
                    out.println(JsonLine.of(names.get(i), questions.get(i), p, demo.labels(), 3, detail));
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
            Tensor imageWarm = model.resnet().features(images);
            long w1 = System.nanoTime();
            Tensor textWarm = model.text().encode(ids, model.pool());
            long w2 = System.nanoTime();
            model.head(imageWarm, textWarm);
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
        int[] widths = model.resnet().widths();
        return "ResNet-18 (widths " + widths[0] + "-" + widths[1] + "-" + widths[2] + "-" + widths[3] + ") + LSTM (hidden " + model.text().featureSize() + ") fusion model";
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

    private static final Map<String, Args.Kind> PREDICT_OPTIONS = Map.ofEntries(Map.entry("weights", Args.Kind.VALUE),
            Map.entry("vocab", Args.Kind.VALUE), Map.entry("model", Args.Kind.VALUE), Map.entry("image", Args.Kind.VALUES),
            Map.entry("text", Args.Kind.VALUES), Map.entry("pairs", Args.Kind.VALUE), Map.entry("labels", Args.Kind.VALUE),
            Map.entry("top", Args.Kind.VALUE), Map.entry("batch", Args.Kind.VALUE), Map.entry("threads", Args.Kind.VALUE),
            Map.entry("algorithm", Args.Kind.VALUE),
            Map.entry("json", Args.Kind.FLAG), Map.entry("logits", Args.Kind.VALUE), Map.entry("fail-fast", Args.Kind.FLAG),
            Map.entry("quiet", Args.Kind.FLAG), Map.entry("verbose", Args.Kind.FLAG),
            Map.entry("exif-transpose", Args.Kind.FLAG), Map.entry("allow-nonfinite", Args.Kind.FLAG));

    /** The model's weights, whose NaN, ±Inf and non-positive running_var are refused unless --allow-nonfinite. */
    private static StateDict weights(Args a, ModelBundle bundle) {
        return a.flag("allow-nonfinite") ? bundle.weights().allowingNonFinite() : bundle.weights();
    }

    private int predict(List<String> argv) throws IOException {
        Args a = Args.parse(argv, PREDICT_OPTIONS);
        a.intValue("threads", 1, 1); // checked first: a wrong count is a usage error, before any work
        Source model = modelSource(a);
        Path vocab = a.value("vocab", null) == null ? null : existing(Path.of(a.value("vocab", null)), "vocabulary");
        if (model.weights() && vocab == null) {
            throw new Args.UsageException("missing required option --vocab (or give --model, a folder or file with"
                    + " the vocabulary)");
        }
        List<Item> items;
        if (a.flag("pairs")) {
            if (a.flag("image") || a.flag("text")) {
                throw new Args.UsageException("--pairs gives the pictures and texts: leave out --image and --text");
            }
            items = pairs(a.value("pairs", null));
        } else {
            List<String> texts = a.requiredValues("text");
            List<Item> pictures = items(a.requiredValues("image"), null);
            if (texts.size() != 1 && texts.size() != pictures.size()) {
                throw new Args.UsageException(pictures.size() + " pictures but " + texts.size()
                        + " texts: give one --text for all, or one per picture");
            }
            items = new ArrayList<>();
            for (int i = 0; i < pictures.size(); i++) {
                items.add(pictures.get(i).withText(texts.get(texts.size() == 1 ? 0 : i)));
            }
        }
        int top = a.intValue("top", 3, 1);
        int batch = a.intValue("batch", 8, 1);
        boolean json = a.flag("json");
        Logits logits = logits(a, Logits.ALL);
        Path labelsFile = a.value("labels", null) == null ? null : existing(Path.of(a.value("labels", null)), "labels");
        Conv2d.Algorithm algorithm = algorithm(a, items.size());
        Thread warming = warmUpFor(algorithm, () -> FusionModel.untrained(1).withPool(ComputePool.sequential()).warmUp());
        try (Threads threads = threads(a)) {
            Tokenizer tokenizer = null;
            if (vocab != null) {
                tokenizer = Tokenizer.load(vocab);
            }
            FutureTask<Decoded> firstBatch = decodeFirstBatch(items, batch);
            ModelBundle bundle = model.load(this);
            if (tokenizer == null) {
                Vocabulary v = bundle.vocabulary().orElseThrow(() -> new IllegalArgumentException("the model " + model.name()
                        + " has no vocabulary: give --vocab FILE"));
                tokenizer = new Tokenizer(v, bundle.unknownId());
            }
            String vocabName = vocab != null ? vocab.toString() : "of " + model.name();
            int[][] ids = new int[items.size()][];
            List<String> warned = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                String text = items.get(i).text();
                try {
                    ids[i] = tokenizer.encode(text);
                } catch (IllegalArgumentException e) {
                    if (!a.flag("pairs")) {
                        throw new IllegalArgumentException("--text '" + text + "': " + e.getMessage(), e);
                    }
                    continue; // reported as this pair's failure below
                }
                if (!quiet && !warned.contains(text) && tokenizer.knownWords(text) == 0) {
                    warned.add(text);
                    err.println("vecnet predict: warning: no word of \"" + text + "\" is in the vocabulary; the model"
                            + " sees only the unknown-word id " + tokenizer.unknownId());
                }
            }
            FusionModel net = FusionModel.fromStateDict(weights(a, bundle)).withPool(threads.pool).withAlgorithm(algorithm);
            int side = preprocessor().cropSize();
            Thread preparing = inBackground(() -> net.prepare(side, side)); // the weights for 224², while the first batch decodes
            int vocabRows = net.vocabularyRows();
            if (tokenizer.vocabulary().maxId() >= vocabRows) {
                throw new IllegalArgumentException("vocabulary " + vocabName + " has ids up to " + tokenizer.vocabulary().maxId()
                        + " but embedding.weight in " + model.name() + " has only " + vocabRows + " rows");
            }
            Optional<String> smaller = tokenizer.vocabulary().fitWarning(vocabRows);
            if (smaller.isPresent() && !quiet) {
                err.println("vecnet predict: warning: " + smaller.get());
            }
            List<String> labels = labels(labelsFile, bundle, net.numClasses(), false);
            join(warming);
            return runAll("predict", items, batch, firstBatch, a.flag("fail-fast"), threads.pool, (images, rows) -> {
                join(preparing); // the first batch is decoded meanwhile
                int[][] part = new int[rows.length][];
                for (int r = 0; r < rows.length; r++) {
                    part[r] = ids[rows[r]];
                    if (part[r] == null) {
                        throw new IllegalStateException("pair " + rows[r] + " has no text");
                    }
                }
                return net.classify(images, part);
            }, i -> ids[i] == null ? new IllegalArgumentException("--pairs line for " + items.get(i).name()
                    + ": the text '" + items.get(i).text() + "' has no word") : null,
                    (item, p) -> print(item.name(), item.text(), p, labels, top, json, logits));
        }
    }

    /** {@code --pairs CSV}: one {@code image,text} line each, images relative to the CSV's folder. */
    private List<Item> pairs(String name) throws IOException {
        String csv;
        Path base;
        if (name.equals("-")) {
            csv = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            base = Path.of("");
        } else {
            Path file = existing(Path.of(name), "pairs");
            csv = Files.readString(file, StandardCharsets.UTF_8);
            base = file.toAbsolutePath().getParent();
        }
        List<Item> items = new ArrayList<>();
        List<String> lines = csv.lines().toList();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank() || (n == 0 && line.strip().equalsIgnoreCase("image,text"))) {
                continue;
            }
            List<String> cells;
            try {
                cells = Csv.cells(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--pairs " + name + " line " + (n + 1) + ": " + e.getMessage(), e);
            }
            if (cells.size() != 2) {
                throw new IllegalArgumentException("--pairs " + name + " line " + (n + 1) + ": expected 'image,text', got "
                        + cells.size() + " field" + (cells.size() == 1 ? "" : "s"));
            }
            Path image = base.resolve(cells.get(0));
            items.add(new Item(cells.get(0), image, cells.get(1)));
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException("--pairs " + name + " has no pairs");
        }
        return items;
    }

    // ------------------------------------------------------------------------------------ classify

    private static final Map<String, Args.Kind> CLASSIFY_OPTIONS = Map.ofEntries(Map.entry("weights", Args.Kind.VALUE),
            Map.entry("model", Args.Kind.VALUE), Map.entry("image", Args.Kind.VALUES), Map.entry("labels", Args.Kind.VALUE),
            Map.entry("top", Args.Kind.VALUE), Map.entry("batch", Args.Kind.VALUE), Map.entry("threads", Args.Kind.VALUE),
            Map.entry("algorithm", Args.Kind.VALUE),
            Map.entry("json", Args.Kind.FLAG), Map.entry("logits", Args.Kind.VALUE), Map.entry("fail-fast", Args.Kind.FLAG),
            Map.entry("quiet", Args.Kind.FLAG), Map.entry("verbose", Args.Kind.FLAG),
            Map.entry("exif-transpose", Args.Kind.FLAG), Map.entry("allow-nonfinite", Args.Kind.FLAG));

    private int classify(List<String> argv) throws IOException {
        Args a = Args.parse(argv, CLASSIFY_OPTIONS);
        a.intValue("threads", 1, 1); // checked first: a wrong count is a usage error, before any work
        Source model = modelSource(a);
        List<Item> items = items(a.requiredValues("image"), null);
        int top = a.intValue("top", 5, 1);
        int batch = a.intValue("batch", 8, 1);
        boolean json = a.flag("json");
        Logits logits = logits(a, Logits.TOP);
        Path labelsFile = a.value("labels", null) == null ? null : existing(Path.of(a.value("labels", null)), "labels");
        Conv2d.Algorithm algorithm = algorithm(a, items.size());
        Thread warming = warmUpFor(algorithm, () -> ResNet18.untrained(1000).withPool(ComputePool.sequential()).warmUp());
        try (Threads threads = threads(a)) {
            FutureTask<Decoded> firstBatch = decodeFirstBatch(items, batch);
            ModelBundle bundle = model.load(this);
            ResNet18 net = ResNet18.fromStateDict(weights(a, bundle)).withPool(threads.pool).withAlgorithm(algorithm);
            if (!net.hasClassifier()) {
                throw new IllegalArgumentException(model.name() + " has no classifier (fc.weight, fc.bias): classify needs"
                        + " torchvision's ResNet-18 state_dict; for the fusion model use vecnet predict");
            }
            int side = preprocessor().cropSize();
            Thread preparing = inBackground(() -> net.prepare(side, side)); // the weights for 224², while the first batch decodes
            List<String> labels = labels(labelsFile, bundle, net.classes(), true);
            join(warming);
            return runAll("classify", items, batch, firstBatch, a.flag("fail-fast"), threads.pool, (images, rows) -> {
                join(preparing); // the first batch is decoded meanwhile
                return Prediction.of(net.classify(images));
            }, i -> null, (item, p) -> print(item.name(), null, p, labels, top, json, logits));
        }
    }

    // ------------------------------------------------------------------------------------ preprocess

    private static final Map<String, Args.Kind> PREPROCESS_OPTIONS = Map.of("image", Args.Kind.VALUE, "out", Args.Kind.VALUE,
            "quiet", Args.Kind.FLAG, "verbose", Args.Kind.FLAG, "exif-transpose", Args.Kind.FLAG);

    private void preprocess(List<String> argv) throws IOException {
        Args a = Args.parse(argv, PREPROCESS_OPTIONS);
        Item image = items(List.of(a.required("image")), null).get(0);
        if (image.path() != null) {
            existing(image.path(), "image");
        }
        String target = a.required("out");
        Path file = target.equals("-") ? null : writable(Path.of(target));
        Tensor x = preprocessor().preprocess(decode(image));
        Map<String, String> meta = Map.of("source", image.path() == null ? "stdin" : image.path().getFileName().toString(),
                "pipeline", "Resize(256) CenterCrop(224) ToTensor Normalize(ImageNet)");
        if (file == null) {
            SafeTensors.write(out, Map.of("image", x), meta);
            out.flush();
            return;
        }
        SafeTensors.write(file, Map.of("image", x), meta);
        if (!quiet) {
            out.println("wrote " + file + ": image " + Arrays.toString(x.shape()) + " F32");
        }
    }

    // ------------------------------------------------------------------------------------ shared

    /** One input: its name as given, its file ({@code null}: the picture comes from stdin), its text (or null). */
    record Item(String name, Path path, String text) {
        Item withText(String t) {
            return new Item(name, path, t);
        }
    }

    /** The model run on one batch: images {@code (n, 3, 224, 224)} of the given item indices. */
    private interface Batch {
        List<Prediction> run(Tensor images, int[] rows);
    }

    /** Why item {@code i} cannot run before its picture is read (e.g. a text with no word), or null. */
    private interface Refusal {
        Exception of(int i);
    }

    private interface Printer {
        void print(Item item, Prediction p);
    }

    /**
     * Runs {@code model} over {@code items}, {@code batch} at a time, printing each result in order.
     * A picture that cannot be read is reported on stderr and skipped, unless {@code failFast} or it
     * is the only one (then the exception is thrown: one error line, as for any failure). Returns the
     * exit status: 1 if any item failed.
     */
    private int runAll(String command, List<Item> items, int batch, FutureTask<Decoded> firstBatch, boolean failFast,
            ComputePool pool, Batch model, Refusal refusal, Printer printer) throws IOException {
        boolean alone = items.size() == 1;
        ProgressBar bar = items.size() > 1 && terminal && !quiet ? new ProgressBar(err, items.size(), "images") : null;
        ImagePreprocessor pre = preprocessor();
        int plane = 3 * pre.cropSize() * pre.cropSize();
        int failed = 0;
        if (bar != null) {
            bar.update(0);
        }
        try {
            for (int from = 0; from < items.size(); from += batch) {
                int to = Math.min(items.size(), from + batch), n = to - from;
                Decoded decoded = from == 0 && firstBatch != null ? result(firstBatch) : decode(items, from, to, refusal, pool);
                float[] pixels = decoded.pixels();
                Exception[] failures = decoded.failures();
                for (int j = 0; j < n; j++) {
                    Exception refused = refusal.of(from + j);
                    if (refused != null) {
                        failures[j] = refused;
                    }
                }
                int good = 0;
                int[] rows = new int[n];
                for (int j = 0; j < n; j++) {
                    if (failures[j] == null) {
                        System.arraycopy(pixels, j * plane, pixels, good * plane, plane);
                        rows[good++] = from + j;
                        continue;
                    }
                    if (alone || failFast) {
                        throw rethrow(failures[j]);
                    }
                    failed++;
                    if (bar != null) {
                        bar.clear();
                    }
                    err.println("vecnet " + command + ": skipped " + items.get(from + j).name() + ": " + describe(failures[j]));
                }
                List<Prediction> ps = good == 0 ? List.of() : model.run(
                        Tensor.of(Arrays.copyOf(pixels, good * plane), good, 3, pre.cropSize(), pre.cropSize()),
                        Arrays.copyOf(rows, good));
                if (bar != null && good > 0) {
                    bar.clear(); // stdout is often the same terminal
                }
                for (int r = 0; r < good; r++) {
                    printer.print(items.get(rows[r]), ps.get(r));
                }
                out.flush();
                if (bar != null) {
                    bar.update(to);
                }
            }
        } catch (Throwable e) { // an OutOfMemoryError too: its error line must not land on the bar
            if (bar != null) {
                bar.clear();
            }
            throw e;
        }
        if (bar != null) {
            bar.finish();
        }
        if (failed > 0) {
            err.println("vecnet " + command + ": " + (items.size() - failed) + " of " + items.size() + " pictures done, "
                    + failed + " failed");
            return 1;
        }
        return 0;
    }

    /** The pictures of a batch, preprocessed one after the other in {@code pixels}; a picture that failed has its exception. */
    private record Decoded(float[] pixels, Exception[] failures) {}

    /** Decodes and preprocesses the pictures of {@code items[from, to)} on {@code pool}, but for those {@code refusal} refuses. */
    private Decoded decode(List<Item> items, int from, int to, Refusal refusal, ComputePool pool) {
        ImagePreprocessor pre = preprocessor();
        int plane = 3 * pre.cropSize() * pre.cropSize(), n = to - from;
        float[] pixels = new float[n * plane];
        Exception[] failures = new Exception[n];
        pool.parallelFor(n, j -> {
            try {
                if (refusal.of(from + j) == null) {
                    System.arraycopy(pre.preprocess(decode(items.get(from + j))).data(), 0, pixels, j * plane, plane);
                }
            } catch (Exception e) {
                failures[j] = e;
            }
        });
        return new Decoded(pixels, failures);
    }

    /**
     * The first batch of {@code items}, decoded on a thread of its own that starts now: a short run reads
     * its weights meanwhile, on the other core. Null (the batch is decoded in its turn) when a picture
     * comes from stdin, which the model may be read from first.
     */
    private FutureTask<Decoded> decodeFirstBatch(List<Item> items, int batch) {
        if (items.stream().anyMatch(item -> item.path() == null)) {
            return null;
        }
        FutureTask<Decoded> task = new FutureTask<>(
                () -> decode(items, 0, Math.min(batch, items.size()), i -> null, ComputePool.sequential()));
        Thread t = new Thread(task, "vecnet-first-batch");
        t.setDaemon(true);
        t.start();
        return task;
    }

    private static Decoded result(FutureTask<Decoded> task) {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the first pictures were decoded", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error; // an OutOfMemoryError, say: as if it had happened here
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static RuntimeException rethrow(Exception e) throws IOException {
        if (e instanceof IOException io) {
            throw io;
        }
        if (e instanceof RuntimeException r) {
            return r;
        }
        return new IllegalStateException(e);
    }

    /** torchvision's ImageNet transform, with EXIF orientation applied when {@code --exif-transpose} is given. */
    private ImagePreprocessor preprocessor() {
        return ImagePreprocessor.builder().exifTranspose(exifTranspose).build();
    }

    /** The picture of {@code item}: its file, or the bytes of stdin. */
    private ImageRgb decode(Item item) throws IOException {
        if (item.path() != null) {
            return preprocessor().decode(existing(item.path(), "image"));
        }
        byte[] bytes = stdin();
        // a memory cache: ImageIO.read(InputStream) would write a cache file in java.io.tmpdir
        BufferedImage image = ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes)));
        if (image == null) {
            throw new IOException("stdin: not a picture ImageIO can read (" + bytes.length + " bytes)");
        }
        return ImageDecoder.toRgb(image);
    }

    private byte[] stdinBytes;

    /** Standard input, read once (several items may name '-'). */
    private synchronized byte[] stdin() throws IOException {
        if (stdinBytes == null) {
            stdinBytes = in.readAllBytes();
        }
        return stdinBytes;
    }

    /** Where the model comes from: {@code --model PATH|-} or {@code --weights FILE}. */
    private record Source(String name, Path path, boolean weights) {
        ModelBundle load(Cli cli) throws IOException {
            return path == null ? ModelBundle.load(cli.in) : ModelBundle.load(path);
        }
    }

    private static Source modelSource(Args a) throws IOException {
        String model = a.value("model", null), weights = a.value("weights", null);
        if (model != null && weights != null) {
            throw new Args.UsageException("give --model or --weights, not both");
        }
        if (model == null && weights == null) {
            throw new Args.UsageException("missing required option --weights (or --model)");
        }
        if (model != null) {
            if (model.equals("-")) {
                return new Source("<stdin>", null, false);
            }
            Path p = Path.of(model);
            if (!Files.exists(p)) {
                throw new NoSuchFileException(model, null, "model");
            }
            return new Source(model, p, false);
        }
        return new Source(weights, existing(Path.of(weights), "weights"), true);
    }

    /** The JSON detail of {@code --logits}. */
    enum Logits { NONE, TOP, ALL }

    private static Logits logits(Args a, Logits fallback) {
        String v = a.value("logits", null);
        if (v == null) {
            return fallback;
        }
        return switch (v) {
            case "none" -> Logits.NONE;
            case "top" -> Logits.TOP;
            case "all" -> Logits.ALL;
            default -> throw new Args.UsageException("--logits must be none, top or all, got '" + v + "'");
        };
    }

    private void print(String input, String text, Prediction p, List<String> labels, int top, boolean json, Logits logits) {
        if (json) {
            out.println(JsonLine.of(input, text, p, labels, top, logits));
            return;
        }
        out.println(text == null ? input : input + "  \"" + text + "\"");
        int[] order = topK(p.probabilities(), top);
        for (int r = 0; r < order.length; r++) {
            int k = order[r];
            out.printf(Locale.ROOT, "  %d. %-30s %6.2f %%   (class %d, logit %.4f)%n", r + 1, labels.get(k),
                    100.0 * p.probability(k), k, p.logit(k));
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

    /**
     * The class names: {@code --labels FILE}, else the model's own, else (for an ImageNet-sized image
     * model) the bundled ImageNet names, else {@code class0, class1, ...}.
     */
    static List<String> labels(Path file, ModelBundle bundle, int classes, boolean imagenet) throws IOException {
        if (file == null) {
            List<String> own = bundle.labels().orElse(null);
            if (own != null) {
                if (own.size() != classes) {
                    throw new IllegalArgumentException("the model's labels name " + own.size() + " classes but it has "
                            + classes);
                }
                return own;
            }
            if (imagenet && classes == 1000) {
                return imagenetClasses();
            }
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

    static Path existing(Path p, String what) throws IOException {
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

    /** A file that may be written: not a folder, in a folder that exists. */
    private static Path writable(Path target) throws IOException {
        if (Files.isDirectory(target)) {
            throw new IllegalArgumentException("--out " + target + " is a folder: give a file name such as image.safetensors");
        }
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("--out " + target + ": the folder " + parent
                    + (Files.exists(parent) ? " is not a folder" : " does not exist") + " (vecnet does not create folders)");
        }
        return target;
    }

    /**
     * The inputs named, with each folder replaced by its pictures (by name, not recursive) and
     * {@code -} by standard input. Missing files are kept: each is reported when its turn comes.
     */
    static List<Item> items(List<String> inputs, String text) throws IOException {
        List<Item> items = new ArrayList<>();
        for (String s : inputs) {
            if (s.equals("-")) {
                items.add(new Item("-", null, text));
                continue;
            }
            Path p = Path.of(s);
            if (Files.isDirectory(p)) {
                try (Stream<Path> list = Files.list(p)) {
                    List<Path> found = list.filter(Files::isRegularFile).filter(Cli::looksLikeImage).sorted().toList();
                    if (found.isEmpty()) {
                        throw new IllegalArgumentException("folder " + p + " has no pictures (" + String.join(", ", IMAGE_SUFFIXES) + ")");
                    }
                    for (Path f : found) {
                        items.add(new Item(f.toString(), f, text));
                    }
                }
            } else if (s.endsWith("/") || s.endsWith(java.io.File.separator)) {
                throw new NoSuchFileException(s, null, "image");
            } else {
                items.add(new Item(s, p, text));
            }
        }
        return items;
    }

    /** The picture files named, folders expanded (see {@link #items}). */
    static List<Path> images(List<String> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Item i : items(inputs, null)) {
            if (i.path() == null) {
                throw new Args.UsageException("'-' (standard input) is not accepted here");
            }
            files.add(existing(i.path(), "image"));
        }
        return files;
    }

    private static boolean looksLikeImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_SUFFIXES.stream().anyMatch(name::endsWith);
    }

    /** The 1000 ImageNet class names in torchvision's order (see {@link ImageNet}). */
    static List<String> imagenetClasses() {
        return ImageNet.classNames();
    }

    /**
     * Runs {@code warmUp} on a daemon thread, started now: it compiles the kernels on an untrained
     * twin of the model (one core) while the weights are read and the pictures decoded, so that a
     * cold run does not spend seconds in interpreted kernels. It only affects speed: a failure in it
     * is ignored (the real run then meets the same problem and reports it).
     */
    static Thread inBackground(Runnable warmUp) {
        Thread t = new Thread(() -> {
            try {
                warmUp.run();
            } catch (RuntimeException | OutOfMemoryError ignored) {
                // speed only; see above
            }
        }, "vecnet-warm-up");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** {@code --algorithm}: auto (by the number of pictures, see {@link #DIRECT_UP_TO}), direct or fastest. */
    static Conv2d.Algorithm algorithm(Args a, int pictures) {
        String value = a.value("algorithm", "auto");
        return switch (value) {
            case "auto" -> pictures <= DIRECT_UP_TO ? Conv2d.Algorithm.DIRECT : Conv2d.Algorithm.FASTEST;
            case "direct" -> Conv2d.Algorithm.DIRECT;
            case "fastest" -> Conv2d.Algorithm.FASTEST;
            default -> throw new Args.UsageException("--algorithm must be auto, direct or fastest, got '" + value + "'");
        };
    }

    /**
     * {@link #inBackground}: for the fastest algorithm, {@code warmUp} (the model's kernels, on small
     * pictures); for the direct algorithm only the micro-kernel ({@link Kernels#warmUp}), its other
     * kernels running their first pass with scalar copies. A whole model's warm-up beside the loading
     * took the other core for longer than it saved (a cold {@code classify} of one picture, 1.6-1.9 s
     * with it, 1.5-1.6 without); the micro-kernel's alone made the first convolution, ResNet-18's 7×7
     * stem, take 40-65 ms instead of 280-450 (JDK 17, 2 cores) and the whole call 0.91-1.15 s instead
     * of 1.08-1.39. Commands start it before anything else they set up (the thread pool, the first
     * batch's decoding): then the micro-kernel's classes are ready 47-88 ms after the command starts
     * instead of 160-200 (the first string concatenation, a stream and the pool's threads came first),
     * though the whole call did not measurably change (bench/RESULTS.md, "A CDS archive for JDK 17's
     * cold calls").
     */
    static Thread warmUpFor(Conv2d.Algorithm algorithm, Runnable warmUp) {
        // Kernels.get() inside the lambda: the Vector API's classes are set up on the background thread
        // (40-50 ms on JDK 17), not on the one about to read the weights
        return inBackground(algorithm == Conv2d.Algorithm.DIRECT ? () -> Kernels.get().warmUp() : warmUp);
    }

    /** Waits for the warm-up before the first forward pass (both would otherwise compete for the cores); null: none. */
    static void join(Thread warming) {
        if (warming == null) {
            return;
        }
        try {
            warming.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
