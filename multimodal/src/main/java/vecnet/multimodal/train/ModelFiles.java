package vecnet.multimodal.train;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import vecnet.engine.Tensor;
import vecnet.multimodal.FusionModel;
import vecnet.multimodal.ModelBundle;
import vecnet.multimodal.Vocabulary;
import vecnet.weights.DType;
import vecnet.weights.RawTensor;
import vecnet.weights.SafeTensors;

/**
 * Writes a trained model as a folder that {@link ModelBundle#load}, every {@code vecnet} command and
 * PyTorch read: {@code model.safetensors} and {@code model.pth} (the seed's key names, float32, each
 * {@code num_batches_tracked} int64 as PyTorch keeps it), {@code vocab.json} ({@code {"word": id}},
 * by id) and {@code labels.txt} (one name per line, in class order).
 */
public final class ModelFiles {
    /** The PyTorch pickle beside the safetensors. */
    public static final String PTH_FILE = "model.pth";

    private ModelFiles() {
    }

    /** True when {@code dir} already holds a model (weights of either kind). */
    public static boolean holdsModel(Path dir) {
        return Files.exists(dir.resolve(ModelBundle.WEIGHTS_FILE)) || Files.exists(dir.resolve(PTH_FILE));
    }

    /** The model's tensors as PyTorch stores them (num_batches_tracked as int64). */
    public static Map<String, RawTensor> stateDict(FusionModel model) {
        Map<String, RawTensor> raw = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            Tensor t = e.getValue();
            if (e.getKey().endsWith("num_batches_tracked")) {
                raw.put(e.getKey(), RawTensor.ofLongs(DType.I64, new long[] {(long) t.data()[0]}));
            } else {
                raw.put(e.getKey(), RawTensor.ofFloats(t.data(), t.shape()));
            }
        }
        return raw;
    }

    /** Writes the four files into {@code dir} (created if needed), each through a temporary file and a rename. */
    public static void write(Path dir, FusionModel model, Vocabulary vocabulary, List<String> labels) throws IOException {
        Files.createDirectories(dir);
        Map<String, RawTensor> raw = stateDict(model);
        atomically(dir.resolve(ModelBundle.WEIGHTS_FILE), out -> SafeTensors.writeRaw(out, raw, Map.of()));
        atomically(dir.resolve(PTH_FILE), out -> PthWriter.write(out, raw));
        atomically(dir.resolve(ModelBundle.VOCAB_FILE), out -> out.write(vocabJson(vocabulary).getBytes(StandardCharsets.UTF_8)));
        atomically(dir.resolve(ModelBundle.LABELS_FILE), out -> out.write(
                (String.join("\n", labels) + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code {"word": id, ...}} ordered by id, one entry per line. */
    static String vocabJson(Vocabulary v) {
        TreeMap<Integer, String> byId = new TreeMap<>();
        v.asMap().forEach((w, id) -> byId.put(id, w));
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<Integer, String> e : byId.entrySet()) {
            sb.append(sb.length() > 1 ? ",\n" : "\n").append('"');
            for (char c : e.getValue().toCharArray()) {
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            sb.append("\": ").append(e.getKey());
        }
        return sb.append("\n}\n").toString();
    }

    interface Body {
        void write(OutputStream out) throws IOException;
    }

    static void atomically(Path file, Body body) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16);
            body.write(out);
            out.flush();
            ch.force(true);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
