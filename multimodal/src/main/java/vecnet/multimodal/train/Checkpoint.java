package vecnet.multimodal.train;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vecnet.engine.Tensor;
import vecnet.layers.train.Optimizer;
import vecnet.layers.train.ParamGroup;
import vecnet.multimodal.FusionModel;
import vecnet.weights.SafeTensors;
import vecnet.weights.StateDict;

/**
 * A training checkpoint: one safetensors file holding the model's tensors ({@code model.<key>},
 * running statistics included), the optimizer state ({@code opt.<key>.<i>}, its step count in the
 * metadata), the best epoch's weights ({@code best.<key>}) and the position of the run in the
 * metadata (epoch, step in the epoch, global step, the epoch's running sums). The shuffling's random
 * state is the pair (seed, epoch) (see {@link Trainer}), so nothing else is needed to continue.
 *
 * <p>Written atomically: to a temporary file beside it, forced to disk, then renamed over the old
 * one, so a crash leaves either the previous checkpoint or the new one.
 */
final class Checkpoint {
    static final String FORMAT = "vecnet.checkpoint";

    private Checkpoint() {
    }

    static void write(Path file, FusionModel model, Optimizer optimizer, Map<Tensor, String> names,
                      Trainer.TrainState s, String options) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT + ".1");
        meta.put("options", options);
        meta.put("epoch", Integer.toString(s.epoch));
        meta.put("stepInEpoch", Integer.toString(s.stepInEpoch));
        meta.put("globalStep", Long.toString(s.globalStep));
        meta.put("lossSum", Double.toString(s.lossSum));
        meta.put("correct", Integer.toString(s.correct));
        meta.put("seen", Integer.toString(s.seen));
        meta.put("bestEpoch", Integer.toString(s.bestEpoch));
        meta.put("bestAcc", Double.toString(s.bestAcc));
        model.namedTensors().forEach((k, t) -> tensors.put("model." + k, t));
        for (ParamGroup g : optimizer.groups()) {
            for (Tensor p : g.params()) {
                Optimizer.ParamState st = optimizer.saveState(p);
                if (st != null) {
                    String name = names.get(p);
                    meta.put("opt." + name + ".step", Long.toString(st.step()));
                    for (int i = 0; i < st.buffers().size(); i++) {
                        tensors.put("opt." + name + "." + i, Tensor.of(st.buffers().get(i), p.shape()));
                    }
                }
            }
        }
        if (s.best != null) {
            s.best.forEach((k, v) -> tensors.put("best." + k, Tensor.of(v, v.length)));
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = Channels.newOutputStream(ch);
                SafeTensors.write(out, tensors, meta);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void read(Path file, FusionModel model, Optimizer optimizer, Map<Tensor, String> names,
                     Trainer.TrainState s, String options) throws IOException {
        StateDict sd = StateDict.read(file);
        Map<String, String> meta = sd.metadata();
        if (!meta.getOrDefault("format", "").startsWith(FORMAT)) {
            throw new IOException(file + " is not a vecnet checkpoint");
        }
        if (!options.equals(meta.get("options"))) {
            throw new IOException(file + " was written with other options (" + meta.get("options") + "; now " + options
                    + "): resume with the same ones");
        }
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            String key = "model." + e.getKey();
            if (!sd.contains(key)) {
                throw new IOException(file + ": no tensor " + key + " (a checkpoint of another model?)");
            }
            Tensor t = sd.tensor(key);
            if (t.size() != e.getValue().size()) {
                throw new IOException(file + ": " + key + " has " + t.size() + " values, the model " + e.getValue().size());
            }
            System.arraycopy(t.data(), 0, e.getValue().data(), 0, t.size());
        }
        for (ParamGroup g : optimizer.groups()) {
            for (Tensor p : g.params()) {
                String name = names.get(p);
                String step = meta.get("opt." + name + ".step");
                if (step != null) {
                    List<float[]> buffers = new ArrayList<>();
                    for (int i = 0; sd.contains("opt." + name + "." + i); i++) {
                        buffers.add(sd.tensor("opt." + name + "." + i).data());
                    }
                    optimizer.restoreState(p, new Optimizer.ParamState(Long.parseLong(step), buffers));
                }
            }
        }
        s.epoch = Integer.parseInt(meta.get("epoch"));
        s.stepInEpoch = Integer.parseInt(meta.get("stepInEpoch"));
        s.globalStep = Long.parseLong(meta.get("globalStep"));
        s.lossSum = Double.parseDouble(meta.get("lossSum"));
        s.correct = Integer.parseInt(meta.get("correct"));
        s.seen = Integer.parseInt(meta.get("seen"));
        s.bestEpoch = Integer.parseInt(meta.get("bestEpoch"));
        s.bestAcc = Double.parseDouble(meta.get("bestAcc"));
        s.best = null;
        if (s.bestEpoch > 0) {
            s.best = new LinkedHashMap<>();
            for (String k : model.namedTensors().keySet()) {
                s.best.put(k, sd.tensor("best." + k).data());
            }
        }
        model.weightsChanged();
    }

    /** A copy of every tensor of {@code model}. */
    static Map<String, float[]> snapshot(FusionModel model) {
        Map<String, float[]> m = new LinkedHashMap<>();
        model.namedTensors().forEach((k, t) -> m.put(k, t.data().clone()));
        return m;
    }

    /** Copies a {@link #snapshot} back into {@code model}'s tensors. */
    static void copyInto(Map<String, float[]> snapshot, FusionModel model) {
        model.namedTensors().forEach((k, t) -> System.arraycopy(snapshot.get(k), 0, t.data(), 0, t.size()));
        model.weightsChanged();
    }
}
