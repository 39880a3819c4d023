package vecnet.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vecnet.engine.HasStateDict;
import vecnet.engine.Tensor;
import vecnet.weights.internal.Escape;
import vecnet.weights.internal.InputFile;

/**
 * A PyTorch state_dict read from a file: named tensors in file order, like the
 * {@code OrderedDict} that {@code model.state_dict()} returns.
 *
 * <p>{@link #read(Path)} sniffs the format: a PyTorch zip archive ({@code torch.save} since 1.6,
 * see {@link Pth}) or safetensors (see {@link SafeTensors}); anything else is refused with a
 * {@link WeightsFormatException} naming the file and the reason. Tensors keep their file dtype
 * ({@link #dtype}); {@link #tensor} converts any of them to a fresh float32 {@link Tensor}.
 *
 * <p>Immutable and thread-safe: the stored bytes are never written, and every {@link #tensor}
 * call returns a new array the caller may modify. A safetensors file stays memory-mapped while
 * the StateDict is reachable; a {@code .pth} file is read into memory once.
 */
public final class StateDict {
    private final Map<String, StoredTensor> entries;   // unmodifiable, file order
    private final Map<String, String> metadata;        // unmodifiable
    private final boolean checkValues;                 // refuse NaN, ±Inf and running_var <= 0 in loadInto

    StateDict(Map<String, StoredTensor> entries, Map<String, String> metadata) {
        this(entries, metadata, true);
    }

    private StateDict(Map<String, StoredTensor> entries, Map<String, String> metadata, boolean checkValues) {
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.checkValues = checkValues;
    }

    /**
     * The same tensors, whose {@link #loadInto} accepts NaN, ±Inf and a non-positive
     * {@code running_var} (which it refuses by default): for weights known to hold them on purpose.
     */
    public StateDict allowingNonFinite() {
        return new StateDict(entries, metadata, false);
    }

    /**
     * Reads a weights file, sniffing its format from its first bytes (not its name): a zip
     * ({@code PK\3\4}) is read as a PyTorch archive, a file whose first 8 bytes are a plausible
     * safetensors header length followed by {@code '{'} (or any file named {@code *.safetensors})
     * as safetensors. Legacy pickles, tar archives, TorchScript archives and unknown files are refused.
     */
    public static StateDict read(Path file) throws IOException {
        byte[] head;
        long size = InputFile.requireWeightsFile(file);
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(512);
        }
        if (Pth.isZip(head)) {
            return Pth.read(file);
        }
        Pth.refuseKnownNonZip(file, head);   // legacy pickle, tar, bare pickle: each with its own message
        if (file.getFileName().toString().endsWith(".safetensors") || SafeTensors.looksLikeSafetensors(head, size)) {
            return SafeTensors.read(file);
        }
        throw new WeightsFormatException(file, "not a weights file: neither a PyTorch zip archive (torch.save) nor"
                + " safetensors (first bytes " + hex(head, 8) + ", " + size + " bytes)");
    }

    /**
     * Reads weights held in memory, for example a classpath resource: safetensors (see
     * {@link SafeTensors#read(byte[])}). A PyTorch zip archive is refused with a message: its reader
     * needs a file ({@link #read(Path)}); convert it to safetensors with {@code weights/python/export.py}.
     */
    public static StateDict read(byte[] bytes) throws IOException {
        if (Pth.isZip(bytes)) {
            throw new WeightsFormatException(null, "a PyTorch zip archive (torch.save) can only be read from a file;"
                    + " give its Path, or convert it to safetensors (weights/python/export.py) to read it from memory");
        }
        byte[] head = java.util.Arrays.copyOf(bytes, Math.min(bytes.length, 512));
        if (!SafeTensors.looksLikeSafetensors(head, bytes.length)) {
            throw new WeightsFormatException(null, "not safetensors (first bytes " + hex(head, 8) + ", "
                    + bytes.length + " bytes)");
        }
        return SafeTensors.read(bytes);
    }

    /** {@link #read(byte[])} on everything {@code in} holds (read to its end, not closed). */
    public static StateDict read(InputStream in) throws IOException {
        return read(in.readAllBytes());
    }

    /** A state_dict of float32 tensors (copied), in the map's iteration order. */
    public static StateDict of(Map<String, Tensor> tensors) {
        Map<String, StoredTensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(t.size(), 4)).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(t.data());
            m.put(e.getKey(), StoredTensor.contiguous(DType.F32, t.shape(), b));
        }
        return new StateDict(m, Map.of());
    }

    /** The keys in file order. */
    public List<String> keys() {
        return List.copyOf(entries.keySet());
    }

    public boolean contains(String key) {
        return entries.containsKey(key);
    }

    /** The number of tensors. */
    public int size() {
        return entries.size();
    }

    /** The shape of {@code key} (a copy); {@code []} for a 0-d tensor. */
    public int[] shape(String key) {
        return entry(key).shape.clone();
    }

    /** The element type stored in the file. */
    public DType dtype(String key) {
        return entry(key).dtype;
    }

    /**
     * A fresh float32 tensor holding {@code key}, converted from its file dtype (float64 rounds to
     * nearest, float16/bfloat16 widen exactly, integers and bools become their values). A 0-d tensor
     * gives shape {@code []} with one element. Views (offset, strides) are gathered into C order.
     *
     * @throws IllegalArgumentException when the key is absent, naming it
     */
    public Tensor tensor(String key) {
        StoredTensor st = entry(key);
        float[] data = new float[st.numel()];
        st.readFloats(data);
        return Tensor.of(data, st.shape);
    }

    /** The integer or bool tensor {@code key} as exact longs in C order (bool as 0/1); floats are refused. */
    public long[] longs(String key) {
        return entry(key).readLongs(key);
    }

    /** The tensor {@code key} in its file dtype, gathered into contiguous little-endian bytes. */
    public RawTensor raw(String key) {
        StoredTensor st = entry(key);
        return RawTensor.of(st.dtype, st.readBytes(), st.shape);
    }

    /** The safetensors {@code __metadata__} (empty for a .pth file or {@link #of}). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensors whose key starts with {@code prefix}, with the prefix removed, in the same order. */
    public StateDict withoutPrefix(String prefix) {
        Map<String, StoredTensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, StoredTensor> e : entries.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                m.put(e.getKey().substring(prefix.length()), e.getValue());
            }
        }
        return new StateDict(m, metadata, checkValues);
    }

    /**
     * Copies every tensor into {@code target.namedTensors()} in place, strictly, like PyTorch's
     * {@code load_state_dict(strict=True)}: when any key is missing, unexpected or of another shape,
     * nothing is copied and one {@link StateDictMismatchException} lists all of them by name. Then
     * {@link HasStateDict#weightsChanged() target.weightsChanged()}, so a model that already ran
     * computes with the new values.
     *
     * <p>Then the values are checked (unless {@link #allowingNonFinite}): a NaN or ±Inf anywhere, or a
     * {@code running_var} that is not positive, is refused with an {@link IllegalArgumentException}
     * naming the key, the first bad index and its value; {@code target} is then partly written and
     * should be dropped.
     */
    public void loadInto(HasStateDict target) {
        loadInto(target, "");
    }

    /**
     * {@link #loadInto(HasStateDict)} for a part of a model: the keys of this state_dict that start
     * with {@code prefix} are loaded into {@code target}, whose own keys lack it (for example the
     * {@code lstm.*} keys into an LSTM). Errors name the keys with their prefix, as in the file.
     */
    public void loadInto(HasStateDict target, String prefix) {
        Map<String, Tensor> live = new LinkedHashMap<>();
        target.namedTensors().forEach((k, v) -> live.put(prefix + k, v));
        Map<String, int[]> shapes = new LinkedHashMap<>();
        live.forEach((k, v) -> shapes.put(k, v.shape()));
        requireShapes(target.getClass().getSimpleName(), prefix, shapes);
        for (Map.Entry<String, Tensor> e : live.entrySet()) {
            entries.get(e.getKey()).readFloats(e.getValue().data());
            if (checkValues) {
                checkValues(e.getKey(), e.getValue().data());
            }
        }
        target.weightsChanged(); // packed copies made before this load would hide the new values
    }

    /**
     * Checks, before a model is built, that the keys of this state_dict that start with {@code prefix}
     * are exactly the keys of {@code expected} (full names, with the prefix) with those shapes, as
     * PyTorch's strict {@code load_state_dict} would: a model of a fixed architecture checks its
     * whole structure this way, so that nothing is allocated for a file that does not fit it.
     *
     * @param target the model's name, for the message ({@code "Error(s) in loading state_dict for ResNet18"})
     * @throws StateDictMismatchException listing every missing, unexpected and mis-shaped key
     */
    public void requireShapes(String target, String prefix, Map<String, int[]> expected) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        List<String> sizeLines = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            StoredTensor st = entries.get(e.getKey());
            if (st == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(st.shape, e.getValue())) {
                mismatched.add(e.getKey());
                sizeLines.add("size mismatch for " + Escape.text(e.getKey(), 200) + ": copying a param with shape "
                        + torchSize(st.shape) + " from checkpoint, the shape in current model is "
                        + torchSize(e.getValue()) + ".");
            }
        }
        for (String k : entries.keySet()) {
            if (k.startsWith(prefix) && !expected.containsKey(k)) {
                unexpected.add(k);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            StringBuilder sb = new StringBuilder("Error(s) in loading state_dict for ").append(target).append(':');
            if (!missing.isEmpty()) {
                sb.append("\n\tMissing key(s) in state_dict: ").append(quoted(missing)).append('.');
            }
            if (!unexpected.isEmpty()) {
                sb.append("\n\tUnexpected key(s) in state_dict: ").append(quoted(unexpected)).append('.');
            }
            for (String line : sizeLines.subList(0, Math.min(sizeLines.size(), MAX_LISTED))) {
                sb.append("\n\t").append(line);
            }
            if (sizeLines.size() > MAX_LISTED) {
                sb.append("\n\t... and ").append(sizeLines.size() - MAX_LISTED).append(" more size mismatches.");
            }
            throw new StateDictMismatchException(sb.toString(), missing, unexpected, mismatched);
        }
    }

    /** The most keys named in one message (the exception's lists hold all of them). */
    private static final int MAX_LISTED = 20;

    /** NaN and ±Inf are refused everywhere, and a {@code running_var} must be positive. */
    private static void checkValues(String key, float[] values) {
        boolean variance = key.equals("running_var") || key.endsWith(".running_var");
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (!Float.isFinite(v) || variance && !(v > 0)) {
                throw new IllegalArgumentException("weights " + Escape.quoted(key) + " hold " + v + " at index " + i
                        + " (of " + values.length + ")" + (Float.isFinite(v)
                        ? ": a batch-norm running_var must be positive" : ": NaN and infinite weights are refused")
                        + "; to load them anyway use StateDict.allowingNonFinite() (vecnet: --allow-nonfinite)");
            }
        }
    }

    private StoredTensor entry(String key) {
        StoredTensor st = entries.get(key);
        if (st == null) {
            throw new IllegalArgumentException("no tensor '" + Escape.text(key, 80) + "' in this state_dict (" + entries.size()
                    + " keys" + (entries.isEmpty() ? "" : ", first '" + Escape.text(entries.keySet().iterator().next(), 80) + "'")
                    + ")");
        }
        return st;
    }

    private static String torchSize(int[] shape) {
        return "torch.Size(" + Arrays.toString(shape) + ")";
    }

    private static String quoted(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys.subList(0, Math.min(keys.size(), MAX_LISTED))) {
            sb.append(sb.length() == 0 ? "" : ", ").append(Escape.quoted(k));
        }
        if (keys.size() > MAX_LISTED) {
            sb.append(", ... (").append(keys.size()).append(" keys)");
        }
        return sb.toString();
    }

    static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.length); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "StateDict(" + entries.size() + " tensors)";
    }
}
