package vecnet.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.SparkSession;
import vecnet.engine.Tensor;
import vecnet.multimodal.demo.ShapesDataset;
import vecnet.weights.SafeTensors;

/**
 * A measurement, not a test: rows per second of the full-size fusion model (the seed's ResNet-18 +
 * LSTM 256, random seeded weights) on the same rows, in one plain JVM and in Spark.
 *
 * <pre>
 *   plain, T threads   VecnetModel.classify in batches of 16, the rows split in T equal shares, one per thread
 *   Spark local[T]     VecnetSparkJob's plan: binaryFile + captions join + VecnetScorer.predict + Parquet write
 * </pre>
 *
 * Both read the JPEG files and decode them: the work per row is the same, so the ratio is what Spark
 * adds. Each Spark session first runs the job on a few rows (JIT, model load), then the timed run;
 * each configuration is timed {@code rounds} times, interleaved. Run with {@code spark/bench.sh [rows] [rounds]}.
 */
public final class SparkThroughput {
    private static final int BATCH = 16;

    private SparkThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path dir = Files.createTempDirectory("vecnet-spark-bench");
        Path model = writeFullSizeModel(dir.resolve("model"), 11);
        Path images = dir.resolve("images");
        Path captions = dir.resolve("captions.csv");
        writeRows(images, captions, rows, 12);
        Path warmImages = dir.resolve("warm");
        writeRows(warmImages, dir.resolve("warm.csv"), 64, 13);
        System.out.printf(Locale.ROOT, "%d rows of JPEG 256x256 + 16 words; full-size fusion model; %s %s, %d cpus%n", rows,
                System.getProperty("java.vm.name"), System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());

        VecnetModel vecnet = VecnetModel.load(model.resolve("weights.safetensors"), model.resolve("vocab.json"), null);
        List<Path> files = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(captions).subList(1, rows + 1)) {
            int comma = line.indexOf(',');
            files.add(images.resolve(line.substring(0, comma)));
            texts.add(line.substring(comma + 1));
        }
        plain(vecnet, files.subList(0, 64), texts.subList(0, 64), 2); // JIT warm-up

        Map<String, List<Double>> rates = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (int threads = 1; threads <= 2; threads++) {
                double plain = rows / plain(vecnet, files, texts, threads);
                rates.computeIfAbsent("plain, " + threads + " thread(s)", k -> new ArrayList<>()).add(plain);
                System.out.printf(Locale.ROOT, "round %d  plain JVM, %d thread(s): %.2f rows/s%n", round, threads, plain);
                double spark = rows / spark(threads, model, images, captions, warmImages, dir.resolve("warm.csv"),
                        dir.resolve("out-" + round + "-" + threads));
                rates.computeIfAbsent("Spark local[" + threads + "]", k -> new ArrayList<>()).add(spark);
                System.out.printf(Locale.ROOT, "round %d  Spark local[%d]:          %.2f rows/s%n", round, threads, spark);
            }
        }
        System.out.println("rows/s, best of " + rounds + " rounds (all rounds in brackets):");
        rates.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-22s %7.2f   %s%n", k, best(v), v));
        double p1 = best(rates.get("plain, 1 thread(s)")), p2 = best(rates.get("plain, 2 thread(s)"));
        double s1 = best(rates.get("Spark local[1]")), s2 = best(rates.get("Spark local[2]"));
        System.out.printf(Locale.ROOT, "Spark's overhead: %.1f %% on 1 core, %.1f %% on 2 cores (1 - Spark / plain)%n",
                100 * (1 - s1 / p1), 100 * (1 - s2 / p2));
        System.out.printf(Locale.ROOT, "scaling 1 -> 2 cores: Spark %.2fx, plain %.2fx%n", s2 / s1, p2 / p1);
        System.exit(0);
    }

    private static double best(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** Seconds to read, decode and score all rows in one JVM, the rows split in {@code threads} shares. */
    static double plain(VecnetModel model, List<Path> files, List<String> texts, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long t0 = System.nanoTime();
            List<Future<Integer>> parts = new ArrayList<>();
            int n = files.size();
            for (int t = 0; t < threads; t++) {
                int from = n * t / threads, to = n * (t + 1) / threads;
                parts.add(pool.submit(() -> {
                    int good = 0;
                    for (int i = from; i < to; i += BATCH) {
                        List<VecnetModel.Input> batch = new ArrayList<>();
                        for (int j = i; j < Math.min(to, i + BATCH); j++) {
                            batch.add(new VecnetModel.Input(Files.readAllBytes(files.get(j)), texts.get(j)));
                        }
                        for (VecnetModel.Scored s : model.classify(batch)) {
                            good += s.error() == null ? 1 : 0;
                        }
                    }
                    return good;
                }));
            }
            int good = 0;
            for (Future<Integer> f : parts) {
                good += f.get();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (good != n) {
                throw new IllegalStateException((n - good) + " rows failed in the plain run");
            }
            return seconds;
        } finally {
            pool.shutdown();
        }
    }

    /** Seconds for the job's plan on local[threads], after a warm-up run of the same plan on other rows. */
    static double spark(int threads, Path model, Path images, Path captions, Path warmImages, Path warmCaptions, Path out)
            throws IOException {
        SparkSession spark = SparkSession.builder().appName("vecnet-spark-bench").master("local[" + threads + "]")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.showConsoleProgress", "false")
                .getOrCreate();
        try {
            VecnetSparkJob.scored(spark, options(model, warmImages, warmCaptions, out.resolveSibling(out.getFileName() + "-warm")))
                    .write().parquet(out.resolveSibling(out.getFileName() + "-warm").toString());
            long t0 = System.nanoTime();
            VecnetSparkJob.scored(spark, options(model, images, captions, out)).write().parquet(out.toString());
            double seconds = (System.nanoTime() - t0) / 1e9;
            long bad = spark.read().parquet(out.toString()).where("error IS NOT NULL").count();
            if (bad != 0) {
                throw new IllegalStateException(bad + " rows failed in Spark");
            }
            return seconds;
        } finally {
            spark.stop();
        }
    }

    private static VecnetSparkJob.Options options(Path model, Path images, Path captions, Path out) {
        return VecnetSparkJob.Options.parse("--model", model.toString(), "--images", images + "/*.jpg", "--captions",
                captions.toString(), "--out", out.toString());
    }

    /** {@code n} JPEGs (200 distinct pictures, repeated) and a captions file of 16 random vocabulary words each. */
    static void writeRows(Path images, Path captions, int n, long seed) throws IOException {
        Files.createDirectories(images);
        ShapesDataset data = new ShapesDataset(seed);
        List<byte[]> distinct = new ArrayList<>();
        for (int i = 0; i < Math.min(n, 200); i++) {
            distinct.add(DemoFiles.encode(data.sample(i).image(), "jpg"));
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        StringBuilder csv = new StringBuilder("image,text\n");
        for (int i = 0; i < n; i++) {
            String name = String.format(Locale.ROOT, "row_%05d.jpg", i);
            Files.write(images.resolve(name), distinct.get(i % distinct.size()));
            csv.append(name).append(',');
            for (int w = 0; w < 16; w++) {
                csv.append(w == 0 ? "" : " ").append('w').append(rnd.nextInt(10000));
            }
            csv.append('\n');
        }
        Files.writeString(captions, csv, StandardCharsets.UTF_8);
    }

    /**
     * The seed's fusion model at full size with uniform random weights (Kaiming-like bounds, batch-norm
     * statistics near 1 and 0): ResNet-18 without fc, Embedding(10000, 300), LSTM(300, 256), Linear(768, 10);
     * and a vocabulary {@code w0 .. w9999}.
     */
    static Path writeFullSizeModel(Path folder, long seed) throws IOException {
        Files.createDirectories(folder);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        conv(sd, rnd, "resnet.0", 64, 3, 7);
        norm(sd, rnd, "resnet.1", 64);
        int in = 64;
        int[] widths = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; stage++) {
            for (int block = 0; block < 2; block++) {
                String p = "resnet." + (stage + 4) + "." + block + ".";
                int c = widths[stage], from = block == 0 ? in : c;
                conv(sd, rnd, p + "conv1", c, from, 3);
                norm(sd, rnd, p + "bn1", c);
                conv(sd, rnd, p + "conv2", c, c, 3);
                norm(sd, rnd, p + "bn2", c);
                if (block == 0 && stage > 0) {
                    conv(sd, rnd, p + "downsample.0", c, from, 1);
                    norm(sd, rnd, p + "downsample.1", c);
                }
            }
            in = widths[stage];
        }
        sd.put("embedding.weight", uniform(rnd, 1, 10000, 300));
        double s = 1 / Math.sqrt(256);
        sd.put("lstm.weight_ih_l0", uniform(rnd, s, 1024, 300));
        sd.put("lstm.weight_hh_l0", uniform(rnd, s, 1024, 256));
        sd.put("lstm.bias_ih_l0", uniform(rnd, s, 1024));
        sd.put("lstm.bias_hh_l0", uniform(rnd, s, 1024));
        sd.put("fc.weight", uniform(rnd, 1 / Math.sqrt(768), 10, 768));
        sd.put("fc.bias", uniform(rnd, 1 / Math.sqrt(768), 10));
        SafeTensors.write(folder.resolve("weights.safetensors"), sd, Map.of());
        StringBuilder vocab = new StringBuilder("{");
        for (int i = 0; i < 10000; i++) {
            vocab.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        }
        Files.writeString(folder.resolve("vocab.json"), vocab.append('}'), StandardCharsets.UTF_8);
        return folder;
    }

    private static void conv(Map<String, Tensor> sd, SplittableRandom rnd, String name, int out, int in, int k) {
        sd.put(name + ".weight", uniform(rnd, Math.sqrt(6.0 / (in * k * k)), out, in, k, k));
    }

    private static void norm(Map<String, Tensor> sd, SplittableRandom rnd, String name, int c) {
        sd.put(name + ".weight", around(rnd, 1, 0.5, c));
        sd.put(name + ".bias", uniform(rnd, 0.2, c));
        sd.put(name + ".running_mean", uniform(rnd, 0.2, c));
        sd.put(name + ".running_var", around(rnd, 1, 0.5, c));
        sd.put(name + ".num_batches_tracked", Tensor.zeros());
    }

    private static Tensor uniform(SplittableRandom rnd, double bound, int... shape) {
        return around(rnd, 0, bound, shape);
    }

    /** Uniform in {@code [center - bound, center + bound)}. */
    private static Tensor around(SplittableRandom rnd, double center, double bound, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (center + rnd.nextDouble(-bound, bound));
        }
        return t;
    }
}
