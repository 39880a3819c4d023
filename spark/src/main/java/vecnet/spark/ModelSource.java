package vecnet.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where a model's files are, on any file system Hadoop can read ({@code file:}, {@code hdfs:},
 * {@code s3a:}, ...).
 *
 * <p>{@code model} is either a folder or a weights file:
 * <ul>
 * <li>a folder holds exactly one weights file ({@code *.safetensors}, {@code *.pth} or {@code *.pt}), or
 *     is a folder that {@code vecnet train} wrote ({@code model.safetensors}, the same weights as
 *     {@code model.pth}, and {@code checkpoint.safetensors}), whose {@code model.safetensors} is read;
 *     one vocabulary whose name contains {@code vocab} ({@code .json} or {@code .txt}), and at most one
 *     class-name file whose name contains {@code labels} ({@code .txt}, one name per line);</li>
 * <li>a weights file needs {@code vocab} given, and {@code labels} optionally.</li>
 * </ul>
 * {@code vocab} and {@code labels}, when given, override what the folder holds. The three strings
 * are the key of the executors' model cache ({@link ModelCache}).
 */
public record ModelSource(String model, String vocab, String labels) implements Serializable {
    public ModelSource {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("no model path given");
        }
        vocab = vocab == null || vocab.isBlank() ? null : vocab;
        labels = labels == null || labels.isBlank() ? null : labels;
    }

    /** A model folder (or a weights file whose vocabulary is set later). */
    public static ModelSource of(String model) {
        return new ModelSource(model, null, null);
    }

    /** The three files, found as the class comment says; missing ones are reported by name. */
    record Files3(Path weights, Path vocab, Path labels) {
    }

    /** The weights files of a folder that {@code vecnet train} wrote. */
    private static final List<String> VECNET_FOLDER = List.of("model.safetensors", "model.pth", "checkpoint.safetensors");

    Files3 resolve(Configuration conf) throws IOException {
        Path root = new Path(model);
        FileSystem fs = root.getFileSystem(conf);
        FileStatus status;
        try {
            status = fs.getFileStatus(root);
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException("model " + model + " does not exist");
        }
        Path vocabFile = vocab == null ? null : new Path(vocab);
        Path labelsFile = labels == null ? null : new Path(labels);
        if (!status.isDirectory()) {
            if (vocabFile == null) {
                throw new IllegalArgumentException("model " + model + " is a file: give its vocabulary too"
                        + " (vocabPath, --vocab), or give the folder that holds both");
            }
            return new Files3(root, vocabFile, labelsFile);
        }
        FileStatus[] files = fs.listStatus(root);
        Path weights = one(files, n -> n.endsWith(".safetensors") || n.endsWith(".pth") || n.endsWith(".pt"),
                "weights file (*.safetensors, *.pth or *.pt)", true);
        if (vocabFile == null) {
            vocabFile = one(files, n -> n.contains("vocab") && (n.endsWith(".json") || n.endsWith(".txt")),
                    "vocabulary (*vocab*.json or *vocab*.txt)", true);
        }
        if (labelsFile == null) {
            labelsFile = one(files, n -> n.contains("labels") && n.endsWith(".txt"), "class-name file (*labels*.txt)", false);
        }
        return new Files3(weights, vocabFile, labelsFile);
    }

    private Path one(FileStatus[] files, Predicate<String> wanted, String what, boolean required) {
        List<Path> found = new ArrayList<>();
        for (FileStatus f : files) {
            if (f.isFile() && wanted.test(f.getPath().getName().toLowerCase(Locale.ROOT))) {
                found.add(f.getPath());
            }
        }
        List<String> names = found.stream().map(Path::getName).toList();
        if (names.contains("model.safetensors") && VECNET_FOLDER.containsAll(names)) {
            return found.get(names.indexOf("model.safetensors")); // what vecnet train writes: model.pth is the same weights
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("model folder " + model + " holds " + found.size() + " candidates for the "
                    + what + ": " + found + "; keep one or name it explicitly");
        }
        if (found.isEmpty() && required) {
            throw new IllegalArgumentException("model folder " + model + " has no " + what);
        }
        return found.isEmpty() ? null : found.get(0);
    }

    /** Copies the files to a local temporary folder, loads them, and removes the copies. */
    VecnetModel load(Configuration conf) throws IOException {
        Files3 f = resolve(conf);
        java.nio.file.Path dir = Files.createTempDirectory("vecnet-model-");
        try {
            java.nio.file.Path weights = copy(f.weights(), conf, dir);
            java.nio.file.Path vocabulary = copy(f.vocab(), conf, dir);
            java.nio.file.Path names = f.labels() == null ? null : copy(f.labels(), conf, dir);
            return VecnetModel.load(weights, vocabulary, names);
        } finally {
            try (var list = Files.list(dir)) {
                for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) list::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static java.nio.file.Path copy(Path file, Configuration conf, java.nio.file.Path dir) throws IOException {
        java.nio.file.Path target = dir.resolve(file.getName());
        try (InputStream in = file.getFileSystem(conf).open(file)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException("model file " + file + " does not exist");
        }
        return target;
    }

    @Override
    public String toString() {
        return model + (vocab == null ? "" : " (vocabulary " + vocab + ")") + (labels == null ? "" : " (labels " + labels + ")");
    }
}
