package vecnet.multimodal.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ImagePreprocessor;
import vecnet.multimodal.ModelBundle;
import vecnet.multimodal.ResNet18;
import vecnet.multimodal.Tokenizer;
import vecnet.multimodal.Vocabulary;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.demo.ShapesDataset;
import vecnet.multimodal.internal.ShapesTraining;
import vecnet.multimodal.train.Example;
import vecnet.multimodal.train.FeaturesFile;
import vecnet.multimodal.train.Manifest;
import vecnet.multimodal.train.ModelFiles;
import vecnet.multimodal.train.ModelInit;
import vecnet.multimodal.train.TrainOptions;
import vecnet.multimodal.train.Trainer;
import vecnet.multimodal.train.VocabularyBuilder;
import vecnet.weights.StateDict;

/**
 * {@code vecnet train}: a thin layer over {@link Trainer}. Reads the manifests (or, with
 * {@code --features}, the Parquet of image features the Spark job writes: {@link FeaturesFile}), checks every row
 * before training (bad rows stop the run, or are skipped and counted with {@code --skip-bad}), builds
 * or reads the vocabulary and labels, makes or loads the model, trains with a progress display, and
 * writes the model folder ({@link ModelFiles}) with the best epoch's weights. A checkpoint
 * ({@code checkpoint.safetensors} in the output folder) is written after each epoch and on Ctrl-C.
 */
final class TrainCommand {
    static final String CHECKPOINT = "checkpoint.safetensors";

    static final String HELP = String.join("\n",
            "Usage: vecnet train --data FILE --out DIR [--val-data FILE | --val-fraction F] [--init FILE]",
            "       vecnet train --features FILE --init MODEL --out DIR [--val-features FILE | --val-fraction F]",
            "                    [--vocab FILE | --vocab-size N --min-count N] [--labels FILE] [--epochs N] [--batch N]",
            "                    [--optimizer sgd|adam|adamw] [--lr X] [--momentum X] [--weight-decay X] [--seed N]",
            "                    [--no-shuffle] [--threads N] [--feature-cache DIR] [--train-image-branch [all|layer1..4]]",
            "                    [--image-lr X] [--resume] [--skip-bad] [--force] [--json] [--quiet] [--verbose]",
            "",
            "Trains the fusion model (ResNet-18 image branch + LSTM text branch + linear head) on a manifest:",
            "a CSV (image,text,label; a header line is optional) or JSON Lines file ({\"image\":..,\"text\":..,\"label\":..}),",
            "image paths relative to the manifest. Writes DIR/model.safetensors and DIR/model.pth (the seed's key names;",
            "PyTorch loads both), DIR/vocab.json and DIR/labels.txt; every vecnet command reads DIR as a model.",
            "",
            "  --features FILE       train on image features instead of pictures: the Parquet file (or Spark's output folder)",
            "                        that the Spark job writes with --features, with columns image_features, text and",
            "                        label. --init must be the model whose image branch computed them (the job's --model).",
            "                        The result is the same, bit for bit, as training on the pictures themselves.",
            "  --val-features FILE   validation rows in the same form (or --val-data, a manifest of pictures).",
            "  --val-data FILE       validation manifest (labels must be known); or --val-fraction F of --data, drawn",
            "                        with --seed. Accuracy is reported per epoch and the best epoch's weights are written.",
            "  --init FILE           torchvision resnet18 weights (.pth/.safetensors; fc dropped) for the image branch,",
            "                        or a fusion model (file or model folder) to continue from. Default: PyTorch's",
            "                        initialisation, seeded, at the seed's sizes (ResNet-18, embedding 300, LSTM 256).",
            "  --vocab FILE          the vocabulary (JSON {word: id}); otherwise built from the training texts: ids 1..N",
            "                        by count (ties: first appearance), 0 unknown, N < --vocab-size (default 10000),",
            "                        words seen fewer than --min-count (default 1) times left out.",
            "  --labels FILE         class names, one per line (fixes the order); default: order of first appearance.",
            "  --epochs N (10)  --batch N (32)  --optimizer adam  --lr 0.001  --momentum 0.9 (sgd)  --weight-decay 0",
            "  --seed N (0)          seeds the initial weights, the shuffling and --val-fraction's split.",
            "  --no-shuffle          batches in manifest order, the last one smaller (DataLoader(shuffle=False)).",
            "  --feature-cache DIR   keep image features on disk, keyed by file content and ResNet weights.",
            "  --train-image-branch  fine-tune the ResNet too (all of it, or from layer1..layer4), at --image-lr",
            "                        (default: --lr). Default: frozen in eval mode, features computed once.",
            "  --resume              continue from DIR/checkpoint.safetensors (same options) to the same bits.",
            "  --skip-bad            skip (and count) bad rows instead of stopping before training.",
            "  --force               overwrite a model already in DIR.",
            "  --json                one JSON line per epoch on stdout.",
            "",
            "Ctrl-C finishes the current step and saves the checkpoint; --resume continues from it.");

    private static final Map<String, Args.Kind> OPTIONS = options();

    private static Map<String, Args.Kind> options() {
        Map<String, Args.Kind> m = new LinkedHashMap<>();
        for (String v : List.of("data", "features", "val-data", "val-features", "val-fraction", "init", "vocab", "labels", "epochs", "batch",
                "optimizer", "lr", "momentum", "weight-decay", "seed", "threads", "out", "vocab-size", "min-count",
                "feature-cache", "image-lr")) {
            m.put(v, Args.Kind.VALUE);
        }
        for (String f : List.of("no-shuffle", "resume", "skip-bad", "force", "json", "quiet", "verbose")) {
            m.put(f, Args.Kind.FLAG);
        }
        m.put("train-image-branch", Args.Kind.VALUES);
        return m;
    }

    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;

    TrainCommand(PrintStream out, PrintStream err, boolean terminal) {
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    /** {@code train-image-branch} may come bare (all) or with a stage; it is a VALUES option so that it can be bare. */
    private static List<String> withBareImageBranch(List<String> argv) {
        List<String> a = new ArrayList<>(argv);
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals("--train-image-branch") && (i + 1 == a.size() || a.get(i + 1).startsWith("--"))) {
                a.add(i + 1, "all");
            }
        }
        return a;
    }

    int run(List<String> argv) throws IOException {
        Args a = Args.parse(withBareImageBranch(argv), OPTIONS);
        int epochs = a.intValue("epochs", 10, 1), batch = a.intValue("batch", 32, 1);
        String optimizer = a.value("optimizer", "adam").toLowerCase(Locale.ROOT);
        if (!List.of("sgd", "adam", "adamw").contains(optimizer)) {
            throw new Args.UsageException("--optimizer must be sgd, adam or adamw, got '" + optimizer + "'");
        }
        double lr = doubleValue(a, "lr", 1e-3), momentum = doubleValue(a, "momentum", 0.9);
        double weightDecay = doubleValue(a, "weight-decay", 0), imageLr = doubleValue(a, "image-lr", Double.NaN);
        long seed = a.longValue("seed", 0);
        int vocabSize = a.intValue("vocab-size", 10000, 2), minCount = a.intValue("min-count", 1, 1);
        double valFraction = doubleValue(a, "val-fraction", 0);
        if (valFraction < 0 || valFraction >= 1) {
            throw new Args.UsageException("--val-fraction must be in [0, 1), got " + valFraction);
        }
        if ((valFraction > 0 ? 1 : 0) + (a.flag("val-data") ? 1 : 0) + (a.flag("val-features") ? 1 : 0) > 1) {
            throw new Args.UsageException("give one of --val-data, --val-features and --val-fraction");
        }
        boolean fromFeatures = a.flag("features");
        if (fromFeatures == a.flag("data")) {
            throw new Args.UsageException("give --data (a manifest of pictures) or --features (a Parquet of image features)"
                    + (fromFeatures ? ", not both" : ""));
        }
        if (fromFeatures && !a.flag("init")) {
            throw new Args.UsageException("--features needs --init: the model whose image branch computed the features"
                    + " (the Spark job's --model)");
        }
        String branch = a.flag("train-image-branch") ? a.values("train-image-branch").get(0) : null;
        if (fromFeatures && (branch != null || a.flag("feature-cache"))) {
            throw new Args.UsageException((branch != null ? "--train-image-branch" : "--feature-cache") + " needs pictures;"
                    + " --features gives image features only");
        }
        if (branch != null && !List.of("all", "layer1", "layer2", "layer3", "layer4").contains(branch)) {
            throw new Args.UsageException("--train-image-branch takes all, layer1, layer2, layer3 or layer4, got '" + branch + "'");
        }
        Path data = a.requiredPath(fromFeatures ? "features" : "data"), outDir = a.requiredPath("out");
        boolean resume = a.flag("resume"), skipBad = a.flag("skip-bad"), json = a.flag("json");
        boolean quiet = a.flag("quiet");
        if (ModelFiles.holdsModel(outDir) && !a.flag("force") && !resume) {
            throw new Args.UsageException(outDir + " already holds a model; use --force to overwrite it or --resume to continue");
        }
        Path checkpoint = outDir.resolve(CHECKPOINT);
        if (resume && !Files.isRegularFile(checkpoint)) {
            throw new Args.UsageException("--resume: no checkpoint " + checkpoint);
        }
        a.intValue("threads", 1, 1);
        // The image branch's kernels compile on an untrained twin (one core) while the manifest is read
        // and the pictures checked, so that the first step starts warm: inference's kernels for a frozen
        // branch (feature extraction), training's for a trained one, and inference's too when a
        // validation set will be scored with it.
        boolean validates = a.flag("val-data") || valFraction > 0;
        Thread warming = fromFeatures ? null : Cli.inBackground(() -> {
            if (branch != null) {
                ResNet18.warmUpTraining(ComputePool.sequential());
            }
            if (branch == null || validates) {
                ResNet18.untrained(0).withPool(ComputePool.sequential()).warmUp();
            }
        });

        // Rows, labels, vocabulary
        Manifest train = fromFeatures ? null : Manifest.read(data);
        FeaturesFile trainFeatures = fromFeatures ? FeaturesFile.read(data) : null;
        Manifest valManifest = a.flag("val-data") ? Manifest.read(Path.of(a.required("val-data"))) : null;
        FeaturesFile valFeatures = a.flag("val-features") ? FeaturesFile.read(Path.of(a.required("val-features"))) : null;
        List<Manifest.Bad> bad = new ArrayList<>(fromFeatures ? trainFeatures.bad() : train.bad());
        if (valManifest != null) {
            bad.addAll(valManifest.bad());
        }
        if (valFeatures != null) {
            bad.addAll(valFeatures.bad());
        }
        List<String> trainTexts = fromFeatures ? trainFeatures.rows().stream().map(FeaturesFile.Row::text).toList()
                : train.rows().stream().map(Manifest.Row::text).toList();
        List<String> trainLabels = fromFeatures ? trainFeatures.rows().stream().map(FeaturesFile.Row::label).toList()
                : train.rows().stream().map(Manifest.Row::label).toList();
        ModelBundle initBundle = null;
        StateDict initWeights = null;
        if (a.flag("init")) {
            Path init = Path.of(a.required("init"));
            if (Files.isDirectory(init)) {
                initBundle = ModelBundle.load(init);
                initWeights = initBundle.weights();
            } else {
                initWeights = StateDict.read(init);
                if (initWeights.contains("resnet.0.weight")) {
                    initBundle = ModelBundle.load(init);
                }
            }
        }
        List<String> labels;
        if (a.flag("labels")) {
            labels = readLabels(Path.of(a.required("labels")));
        } else if (initBundle != null && initBundle.labels().isPresent()) {
            labels = initBundle.labels().get();
        } else {
            List<String> seen = new ArrayList<>();
            for (String l : trainLabels) {
                if (!seen.contains(l)) {
                    seen.add(l);
                }
            }
            labels = seen;
        }
        Map<String, Integer> labelIds = new LinkedHashMap<>();
        for (String l : labels) {
            labelIds.put(l, labelIds.size());
        }
        Vocabulary vocabulary;
        if (a.flag("vocab")) {
            vocabulary = Vocabulary.read(Path.of(a.required("vocab")));
        } else if (initBundle != null && initBundle.vocabulary().isPresent()) {
            vocabulary = initBundle.vocabulary().get();
        } else {
            int rows = initBundle != null ? initWeights.shape("embedding.weight")[0] : vocabSize;
            vocabulary = VocabularyBuilder.build(trainTexts, rows, minCount);
        }
        Tokenizer tokenizer = new Tokenizer(vocabulary);

        try (Threads threads = Threads.of(a)) {
            ComputePool pool = threads.pool;
            ImagePreprocessor pre = ImagePreprocessor.imagenet();
            List<Example> trainSet = fromFeatures
                    ? examples(trainFeatures.rows(), labelIds, tokenizer, bad, "label not in --labels")
                    : examples(train.rows(), labelIds, tokenizer, pre, bad, pool, "label not in --labels");
            String unknown = "label not seen in training (unknown)";
            List<Example> valSet = valManifest != null ? examples(valManifest.rows(), labelIds, tokenizer, pre, bad, pool, unknown)
                    : valFeatures != null ? examples(valFeatures.rows(), labelIds, tokenizer, bad, unknown) : new ArrayList<>();
            if (!bad.isEmpty()) {
                bad.sort(java.util.Comparator.comparing((Manifest.Bad b) -> b.where().substring(0, b.where().lastIndexOf(':')))
                        .thenComparingInt(b -> Integer.parseInt(b.where().substring(b.where().lastIndexOf(':') + 1))));
                for (Manifest.Bad b : bad.subList(0, Math.min(bad.size(), 20))) {
                    err.println("vecnet train: bad row " + b);
                }
                if (bad.size() > 20) {
                    err.println("vecnet train: ... " + (bad.size() - 20) + " more bad rows");
                }
                if (!skipBad) {
                    throw new IOException(bad.size() + " bad row" + (bad.size() == 1 ? "" : "s") + "; fix them or use --skip-bad");
                }
                err.println("vecnet train: skipped " + bad.size() + " bad row" + (bad.size() == 1 ? "" : "s"));
            }
            if (valFraction > 0) {
                int[] order = shuffled(trainSet.size(), seed);
                int nVal = (int) Math.round(valFraction * trainSet.size());
                List<Example> t = new ArrayList<>(), v = new ArrayList<>();
                boolean[] isVal = new boolean[trainSet.size()];
                for (int i = 0; i < nVal; i++) {
                    isVal[order[i]] = true;
                }
                for (int i = 0; i < trainSet.size(); i++) {
                    (isVal[i] ? v : t).add(trainSet.get(i));
                }
                trainSet = t;
                valSet = v;
            }
            if (trainSet.isEmpty()) {
                throw new IOException("no training row left in " + data);
            }

            FusionModel model = makeModel(initWeights, initBundle, vocabulary, vocabSize, labels.size(), seed).withPool(pool);
            // and its weights transformed for the pictures' size meanwhile, not during the first picture
            Thread preparing = fromFeatures || branch != null ? null
                    : Cli.inBackground(() -> model.resnet().prepare(pre.cropSize(), pre.cropSize()));
            for (List<Example> set : List.of(trainSet, valSet)) {
                for (Example e : set) {
                    if (e.features() != null && e.features().length != model.resnet().featureSize()) {
                        throw new IOException(e.source() + ": " + e.features().length + " image features, but the image"
                                + " branch of --init gives " + model.resnet().featureSize() + "; extract them with the model"
                                + " given to --init");
                    }
                }
            }
            for (FeaturesFile f : java.util.Arrays.asList(trainFeatures, valFeatures)) {
                String want = f == null ? null : f.imageBranch().orElse(null);
                if (want != null && !want.equals(FeaturesFile.imageBranchDigest(model))) {
                    throw new IOException("the features were computed by image branch " + want + ", but --init's is "
                            + FeaturesFile.imageBranchDigest(model) + ": give --init the model the Spark job used (--model)");
                }
            }
            int maxId = vocabulary.maxId();
            if (maxId >= model.vocabularyRows()) {
                throw new IOException("the vocabulary has ids up to " + maxId + " but the model's embedding has "
                        + model.vocabularyRows() + " rows");
            }
            TrainOptions options = TrainOptions.defaults().withEpochs(epochs).withBatch(batch)
                    .withOptimizer(optimizer, lr, momentum, weightDecay).withSeed(seed).withShuffle(!a.flag("no-shuffle"))
                    .withImageBranch(branch, imageLr).withCheckpoint(checkpoint)
                    .withFeatureCache(a.flag("feature-cache") ? Path.of(a.required("feature-cache")) : null);
            Trainer trainer = new Trainer(model, options);
            Files.createDirectories(outDir);
            if (resume) {
                trainer.restore(checkpoint);
            }
            if (!quiet && !json) {
                err.printf(Locale.ROOT, "vecnet train: %,d training and %,d validation samples, %d classes, %,d words;"
                                + " image branch %s; %s lr %s, batch %d, %d epoch%s, %d thread%s%n",
                        trainSet.size(), valSet.size(), labels.size(), vocabulary.size(),
                        branch == null ? "frozen" : "trained from " + branch, optimizer, lr, batch, epochs,
                        epochs == 1 ? "" : "s", pool.threads(), pool.threads() == 1 ? "" : "s");
            }
            Display display = new Display(trainer.stepsPerEpoch(trainSet.size()), batch, json, quiet, outDir, vocabulary, labels,
                    model, !valSet.isEmpty());
            Thread main = Thread.currentThread();
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                display.stop = true; // finish the step, save, and return
                try {
                    finished.await(120, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "vecnet-train-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                for (Thread t : java.util.Arrays.asList(warming, preparing)) {
                    if (t != null) {
                        Cli.join(t);
                    }
                }
                trainer.fit(trainSet, valSet, display);
                if (trainer.stopped()) {
                    // said before the hook is released below: once it returns, the JVM may halt at any moment
                    err.println("vecnet train: stopped; checkpoint saved to " + checkpoint + " (continue with --resume)");
                    err.flush();
                }
            } catch (Trainer.DivergedException e) {
                display.abandon();
                throw new IOException(e.getMessage() + "; the last good checkpoint is " + checkpoint
                        + (Files.exists(checkpoint) ? "" : " (none: no epoch finished)"));
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook is running and waits for us
                }
            }
            if (trainer.stopped()) {
                return 130;
            }
            ModelFiles.write(outDir, model, vocabulary, labels);
            if (!quiet && !json) {
                err.println("vecnet train: wrote " + outDir + (valSet.isEmpty() ? "" : " (best epoch " + display.bestEpoch
                        + ", validation accuracy " + percent(display.bestAcc) + ")"));
            }
            if (main.isInterrupted()) {
                return 130;
            }
            return 0;
        }
    }

    /** The model: from --init, or new at the seed's sizes with {@code max(vocabSize, maxId + 1)} embedding rows. */
    private static FusionModel makeModel(StateDict init, ModelBundle bundle, Vocabulary vocabulary, int vocabSize,
                                         int classes, long seed) {
        int rows = Math.max(vocabulary.maxId() + 1, vocabSize);
        if (init == null) {
            return ModelInit.create(ModelInit.Sizes.seed(rows, classes), seed);
        }
        if (bundle != null) {
            FusionModel m = FusionModel.fromStateDict(init, Kernels.get());
            if (m.numClasses() != classes) {
                throw new IllegalArgumentException("--init model has " + m.numClasses() + " classes but the labels are "
                        + classes);
            }
            return m;
        }
        if (init.contains("conv1.weight")) {
            return ModelInit.fromTorchvision(init, ModelInit.Sizes.seed(rows, classes), seed);
        }
        throw new IllegalArgumentException("--init must be torchvision resnet18 weights (conv1.weight...) or a fusion"
                + " model (resnet.0.weight...)");
    }

    /**
     * The examples of {@code rows}: each image decoded once here (in parallel) to find undecodable
     * files before training; the text encoded; the label looked up. Bad rows go to {@code bad}.
     */
    private static List<Example> examples(List<Manifest.Row> rows, Map<String, Integer> labelIds, Tokenizer tokenizer,
                                          ImagePreprocessor pre, List<Manifest.Bad> bad, ComputePool pool,
                                          String unknownLabel) {
        String[] problem = new String[rows.size()];
        String[] keys = new String[rows.size()];
        pool.parallelFor(rows.size(), i -> {
            try {
                byte[] bytes = Files.readAllBytes(rows.get(i).image());
                pre.decoder().decode(rows.get(i).image());
                keys[i] = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            } catch (Exception e) {
                String image = rows.get(i).image().toString();
                problem[i] = "image " + image + ": " + Cli.describe(e).replace(image + ": ", "");
            }
        });
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Manifest.Row r = rows.get(i);
            Integer label = labelIds.get(r.label());
            if (problem[i] != null) {
                bad.add(new Manifest.Bad(r.where(), problem[i]));
            } else if (label == null) {
                bad.add(new Manifest.Bad(r.where(), unknownLabel + ": '" + r.label() + "'"));
            } else if (Tokenizer.words(r.text()).isEmpty()) {
                bad.add(new Manifest.Bad(r.where(), "empty text"));
            } else {
                Path image = r.image();
                out.add(Example.ofImage(() -> pre.preprocess(image), tokenizer.encode(r.text()), label)
                        .withKey(keys[i], r.where()));
            }
        }
        return out;
    }

    /** The examples of Parquet feature rows: the text encoded, the label looked up. Bad rows go to {@code bad}. */
    private static List<Example> examples(List<FeaturesFile.Row> rows, Map<String, Integer> labelIds, Tokenizer tokenizer,
                                          List<Manifest.Bad> bad, String unknownLabel) {
        List<Example> out = new ArrayList<>();
        for (FeaturesFile.Row r : rows) {
            Integer label = labelIds.get(r.label());
            if (label == null) {
                bad.add(new Manifest.Bad(r.where(), unknownLabel + ": '" + r.label() + "'"));
            } else if (Tokenizer.words(r.text()).isEmpty()) {
                bad.add(new Manifest.Bad(r.where(), "empty text"));
            } else {
                out.add(Example.ofFeatures(r.features(), tokenizer.encode(r.text()), label).withKey(null, r.where()));
            }
        }
        return out;
    }

    /** One class name per line (blank lines at the end ignored); a name given twice is refused. */
    static List<String> readLabels(Path file) throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8)) {
            names.add(line.strip());
        }
        while (!names.isEmpty() && names.get(names.size() - 1).isEmpty()) {
            names.remove(names.size() - 1);
        }
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).isEmpty() || names.indexOf(names.get(i)) != i) {
                throw new IOException(file + ":" + (i + 1) + ": " + (names.get(i).isEmpty() ? "empty label" : "label '"
                        + names.get(i) + "' given twice"));
            }
        }
        if (names.isEmpty()) {
            throw new IOException(file + ": no label");
        }
        return names;
    }

    private static int[] shuffled(int n, long seed) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed ^ 0x5EEDL);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    private static double doubleValue(Args a, String name, double fallback) {
        String v = a.value(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--" + name + " must be a number, got '" + v + "'");
        }
    }

    static String percent(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f %%", 100 * x);
    }

    /** The progress display and the writer of the best epoch's model. */
    private final class Display implements Trainer.Listener {
        final int steps, batch;
        final boolean json, quiet, hasVal;
        final Path outDir;
        final Vocabulary vocabulary;
        final List<String> labels;
        final FusionModel model;
        volatile boolean stop;
        int bestEpoch;
        double bestAcc = Double.NaN;
        long epochStart = System.nanoTime();
        boolean drawing;

        Display(int steps, int batch, boolean json, boolean quiet, Path outDir, Vocabulary vocabulary, List<String> labels,
                FusionModel model, boolean hasVal) {
            this.steps = steps;
            this.batch = batch;
            this.json = json;
            this.quiet = quiet;
            this.outDir = outDir;
            this.vocabulary = vocabulary;
            this.labels = labels;
            this.model = model;
            this.hasVal = hasVal;
        }

        private boolean bar() {
            return terminal && !quiet && !json;
        }

        @Override
        public void features(int done, int total) {
            if (bar()) {
                err.print("\rimage features " + done + "/" + total);
                if (done == total) {
                    err.println();
                }
                err.flush();
            }
        }

        @Override
        public void step(Trainer.StepInfo s) {
            if (s.step() == 1) {
                epochStart = System.nanoTime();
            }
            if (!bar()) {
                return;
            }
            double secs = (System.nanoTime() - epochStart) / 1e9;
            double rate = s.epochSamples() / Math.max(secs, 1e-9);
            double eta = (steps - s.step()) * batch / Math.max(rate, 1e-9);
            int width = 24, filled = (int) ((long) width * s.step() / steps);
            StringBuilder sb = new StringBuilder("\repoch ").append(s.epoch()).append(" [");
            for (int i = 0; i < width; i++) {
                sb.append(i < filled ? '=' : i == filled ? '>' : ' ');
            }
            sb.append(String.format(Locale.ROOT, "] %d/%d loss %.4f acc %s %.1f samples/s ETA %ds   ", s.step(), steps,
                    s.epochLoss(), percent(s.epochAccuracy()), rate, Math.round(eta)));
            err.print(sb);
            err.flush();
            drawing = true;
        }

        void abandon() {
            if (drawing) {
                err.println();
                drawing = false;
            }
        }

        @Override
        public void epoch(Trainer.EpochResult r) {
            abandon();
            bestEpoch = r.bestEpoch();
            bestAcc = r.bestValAccuracy();
            if (!hasVal || r.bestEpoch() == r.epoch()) {
                try {
                    ModelFiles.write(outDir, model, vocabulary, labels);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            if (json) {
                out.printf(Locale.ROOT, "{\"epoch\":%d,\"epochs\":%d,\"loss\":%s,\"accuracy\":%s,\"val_accuracy\":%s,"
                                + "\"best_epoch\":%d,\"samples\":%d,\"seconds\":%.3f,\"samples_per_second\":%.1f}%n",
                        r.epoch(), r.epochs(), num(r.loss()), num(r.accuracy()), num(r.valAccuracy()), r.bestEpoch(),
                        r.samples(), r.seconds(), r.samples() / r.seconds());
                out.flush();
            } else if (!quiet) {
                err.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  accuracy %s  validation %s%s  %.1f samples/s  %.1fs%n",
                        r.epoch(), r.epochs(), r.loss(), percent(r.accuracy()), percent(r.valAccuracy()),
                        hasVal && r.bestEpoch() == r.epoch() ? " (best)" : "", r.samples() / r.seconds(), r.seconds());
            }
        }

        @Override
        public boolean stopRequested() {
            return stop;
        }
    }

    private static String num(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    /** {@code vecnet demo --train [--steps N] [--threads N] [--out DIR]}: the demo model trained in Java. */
    int demo(List<String> argv) throws IOException {
        Map<String, Args.Kind> spec = Map.of("train", Args.Kind.FLAG, "steps", Args.Kind.VALUE, "threads",
                Args.Kind.VALUE, "out", Args.Kind.VALUE, "force", Args.Kind.FLAG, "quiet", Args.Kind.FLAG,
                "verbose", Args.Kind.FLAG, "samples", Args.Kind.VALUE);
        Args a = Args.parse(argv, spec);
        int steps = a.intValue("steps", ShapesTraining.STEPS, 1), samples = a.intValue("samples", 1000, 1);
        Path outDir = Path.of(a.value("out", "demo-model"));
        if (ModelFiles.holdsModel(outDir) && !a.flag("force")) {
            throw new Args.UsageException(outDir + " already holds a model; use --force to overwrite it");
        }
        boolean quiet = a.flag("quiet");
        try (Threads threads = Threads.of(a)) {
            long t0 = System.nanoTime();
            FusionModel model = ShapesTraining.train(steps, threads.pool, new Trainer.Listener() {
                @Override
                public void step(Trainer.StepInfo s) {
                    if (!quiet && (s.step() % 50 == 0 || s.step() == 1 || s.step() == s.steps())) {
                        err.printf(Locale.ROOT, "step %4d/%d  loss %.4f  %.0fs%n", s.step(), s.steps(), s.loss(),
                                (System.nanoTime() - t0) / 1e9);
                    }
                }
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            DemoModel.Evaluation e = DemoModel.of(model).evaluate(new ShapesDataset(ShapesTraining.TEST_SEED), samples);
            ModelFiles.write(outDir, model, DemoModel.bundle().vocabulary().orElseThrow(), ShapesDataset.LABELS);
            out.printf(Locale.ROOT, "trained %d steps of batch %d in %.0f s on %d thread%s; held-out (%d samples, seed %d):"
                            + " accuracy %s, image zeroed %s, question unknown %s; wrote %s%n", steps, ShapesTraining.BATCH,
                    seconds, threads.pool.threads(), threads.pool.threads() == 1 ? "" : "s", e.samples(),
                    ShapesTraining.TEST_SEED, percent(e.accuracy()), percent(e.imageZeroed()),
                    percent(e.questionUnknown()), outDir);
            return e.accuracy() >= 0.95 && e.imageZeroed() <= 0.60 && e.questionUnknown() <= 0.60 ? 0 : 1;
        }
    }

    /**
     * {@code vecnet demo --export-shapes DIR [--count N] [--seed S]}: N pictures of the shapes data set
     * as PNG files with {@code train.csv} (the first 80 %) and {@code val.csv} (the rest), a manifest
     * to try {@code vecnet train} on.
     */
    int exportShapes(List<String> argv) throws IOException {
        Map<String, Args.Kind> spec = Map.of("export-shapes", Args.Kind.VALUE, "count", Args.Kind.VALUE, "seed",
                Args.Kind.VALUE, "quiet", Args.Kind.FLAG, "verbose", Args.Kind.FLAG);
        Args a = Args.parse(argv, spec);
        Path dir = Path.of(a.required("export-shapes"));
        int count = a.intValue("count", 200, 2);
        ShapesDataset data = new ShapesDataset(a.longValue("seed", 1));
        Files.createDirectories(dir.resolve("images"));
        StringBuilder train = new StringBuilder("image,text,label\n"), val = new StringBuilder("image,text,label\n");
        int nTrain = count * 4 / 5;
        for (int i = 0; i < count; i++) {
            ShapesDataset.Sample s = data.sample(i);
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(s.image().width(), s.image().height(),
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    img.setRGB(x, y, s.image().get(y, x, 0) << 16 | s.image().get(y, x, 1) << 8 | s.image().get(y, x, 2));
                }
            }
            String name = String.format(Locale.ROOT, "images/shape_%04d.png", i);
            javax.imageio.ImageIO.write(img, "png", dir.resolve(name).toFile());
            (i < nTrain ? train : val).append(name).append(',').append(s.question()).append(',').append(s.answer())
                    .append('\n');
        }
        Files.writeString(dir.resolve("train.csv"), train);
        Files.writeString(dir.resolve("val.csv"), val);
        out.println("wrote " + count + " pictures, " + dir.resolve("train.csv") + " (" + nTrain + " rows) and "
                + dir.resolve("val.csv") + " (" + (count - nTrain) + " rows)");
        return 0;
    }

    /** The compute pool of {@code --threads N} (closed after the command), or the shared one. */
    private record Threads(ComputePool pool, boolean owned) implements AutoCloseable {
        static Threads of(Args a) {
            if (a.value("threads", null) == null) {
                return new Threads(ComputePool.shared(), false);
            }
            return new Threads(ComputePool.create(a.intValue("threads", 1, 1)), true);
        }

        @Override
        public void close() {
            if (owned) {
                pool.close();
            }
        }
    }
}
