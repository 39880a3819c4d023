package vecnet.weights;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import vecnet.weights.internal.Escape;
import vecnet.weights.internal.InputFile;

/**
 * PyTorch {@code .pth}/{@code .pt} files in the zip format that {@code torch.save} writes since 1.6.
 *
 * <pre>
 * &lt;root&gt;/data.pkl        pickle (protocol 2) of the state_dict; tensors point at storages by key
 * &lt;root&gt;/data/&lt;key&gt;      raw little-endian storage bytes, numel × element size
 * &lt;root&gt;/version         "3\n"
 * </pre>
 *
 * <p>{@code <root>} is the file stem or {@code archive}: it is found as the folder of
 * {@code <root>/data.pkl} (the first such entry), never assumed. Entries are STORED with data descriptors (flag 0x0808), which
 * {@code java.util.zip.ZipInputStream} refuses, so this reads through {@link ZipFile} (the central
 * directory). The pickle runs in the restricted {@link Unpickler}; each referenced storage is
 * memory-mapped, read-only, where the entry is stored uncompressed as torch.save stores it (else read
 * into memory), and shared by all tensors that view it.
 *
 * <p>Unwrapped on the way: a checkpoint dict {@code {'state_dict': ...}} or {@code {'model': ...}},
 * and the {@code module.} prefix that {@code nn.DataParallel} adds to every key. Refused with a
 * {@link WeightsFormatException} naming the file: the legacy pre-1.6 format and the tar format (with
 * how to re-save), TorchScript archives, whole pickled modules, disallowed globals, corrupt data.
 */
public final class Pth {
    private static final System.Logger LOG = System.getLogger(Pth.class.getName());

    /** The start of a legacy (pre-1.6) torch.save file: PROTO 2, LONG1 10 bytes of torch's magic number. */
    static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46,
        (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};

    private static final String RESAVE = "re-save it with torch >= 1.6 in Python:"
            + " torch.save(torch.load(f), f2)";

    private Pth() {
    }

    /** Reads the state_dict of a PyTorch zip archive. */
    public static StateDict read(Path file) throws IOException {
        long fileSize = InputFile.requireWeightsFile(file);
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(512);
        }
        if (!isZip(head)) {
            refuseKnownNonZip(file, head);
            throw new WeightsFormatException(file, "not a PyTorch zip archive (first bytes " + StateDict.hex(head, 8) + ")");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new WeightsFormatException(file, "corrupt or truncated zip archive: " + e.getMessage(), e);
        }
        try (zip; FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, zip, channel, fileSize);
        } catch (ZipException | EOFException e) {
            throw new WeightsFormatException(file, "corrupt or truncated zip archive: " + e.getMessage(), e);
        }
    }

    private static StateDict read(Path file, ZipFile zip, FileChannel channel, long fileSize) throws IOException {
        Budget budget = new Budget(file, fileSize);
        String root = null;
        List<String> names = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            String name = en.nextElement().getName();
            names.add(name);
            int slash = name.indexOf('/');
            if (root == null && slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                root = name.substring(0, slash + 1);
            }
        }
        for (String name : names) {
            int slash = name.indexOf('/');
            String rest = slash > 0 ? name.substring(slash + 1) : name;
            if (rest.equals("constants.pkl") || rest.startsWith("code/")) {
                throw new WeightsFormatException(file, "a TorchScript archive (torch.jit.save, entry " + Escape.quoted(name)
                        + "), not a state_dict; in Python save its weights with"
                        + " torch.save(torch.jit.load(f).state_dict(), f2)");
            }
        }
        if (root == null) {
            throw new WeightsFormatException(file, "a zip archive without <root>/data.pkl: not a PyTorch file"
                    + " (" + names.size() + " entries" + (names.isEmpty() ? "" : ", first " + Escape.quoted(names.get(0))) + ")");
        }
        final String prefix = root;
        ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
        if (byteorder != null) {
            byte[] raw = readEntry(file, zip, prefix + "byteorder", -1, budget);
            String order = Escape.text(new String(raw, StandardCharsets.US_ASCII).trim(), 20);
            if (!order.equals("little")) {
                throw new WeightsFormatException(file, "storages are stored '" + order + "'-endian; vecnet reads"
                        + " little-endian files only (re-save on a little-endian machine)");
            }
        }
        byte[] pickle = readEntry(file, zip, prefix + "data.pkl", -1, budget);
        Map<String, Long> dataAt = storedData(channel, fileSize);
        Map<String, ByteBuffer> storages = new HashMap<>();
        Map<String, DType> storageTypes = new HashMap<>();
        Unpickler.StorageLoader loader = (dtype, key, numel) -> {
            ByteBuffer s = storages.get(key);
            if (s == null) {
                long bytes;
                try {
                    bytes = Math.multiplyExact(numel, (long) dtype.size());
                } catch (ArithmeticException e) {
                    throw new WeightsFormatException(file, "storage " + Escape.quoted(key) + " of " + numel + " elements overflows");
                }
                try {
                    s = mapEntry(file, zip, channel, dataAt, prefix + "data/" + key, bytes, budget);
                    if (s == null) {
                        s = ByteBuffer.wrap(readEntry(file, zip, prefix + "data/" + key, bytes, budget));
                    }
                    s.order(ByteOrder.LITTLE_ENDIAN);
                } catch (WeightsFormatException e) {
                    throw e;
                } catch (IOException e) {
                    throw new WeightsFormatException(file, "cannot read storage " + Escape.quoted(prefix + "data/" + key) + ": " + e, e);
                }
                storages.put(key, s);
            } else if (s.capacity() != numel * dtype.size() || storageTypes.get(key) != dtype) {
                throw new WeightsFormatException(file, "storage " + Escape.quoted(key) + " is used with two different types or sizes");
            }
            storageTypes.put(key, dtype);
            return s;
        };
        Object root0 = Unpickler.load(file, prefix + "data.pkl", pickle, loader);
        Map<String, StoredTensor> tensors = stateDict(file, root0);
        long elements = 0;
        for (StoredTensor t : tensors.values()) {
            elements += t.numel();
        }
        long cap = maxElements(fileSize);
        if (elements > cap) {
            throw new WeightsFormatException(file, "its " + tensors.size() + " tensors view " + elements
                    + " elements in all, more than the " + cap + " that a file of " + fileSize + " bytes may"
                    + " materialize (2^24 + 2 per byte): views that repeat their storage (zero strides, shared"
                    + " storages) would allocate far more memory than the file holds");
        }
        return new StateDict(tensors, Map.of());
    }

    /**
     * Entry {@code name} mapped read-only from the file, when {@link ZipFile} says it is stored
     * uncompressed and {@code dataAt} knows where its bytes start; else null, and the caller reads it.
     * The same checks as {@link #readEntry} come first. Mapping leaves the bytes in the page cache,
     * where reading them into the heap first wrote them to fresh memory: on this project's 2-core VMs
     * (fresh pages cost 3-4 s a GB) reading a 45 MB ResNet-18 took 90-150 ms, mapping it 11-15 ms, in
     * a fresh JVM; a cold one-picture {@code vecnet classify} took 0.89-1.09 s instead of 0.96-1.28 (JDK
     * 17, ten interleaved runs each; on JDK 25, within the noise).
     */
    private static ByteBuffer mapEntry(Path file, ZipFile zip, FileChannel channel, Map<String, Long> dataAt, String name,
                                       long expected, Budget budget) throws IOException {
        ZipEntry e = zip.getEntry(name);
        Long at = dataAt.get(name);
        if (e == null || at == null || e.getMethod() != ZipEntry.STORED || e.getSize() != e.getCompressedSize()
                || e.getSize() <= 0 || at + e.getSize() > budget.fileSize) {
            return null;
        }
        checkSize(file, e, expected, budget);
        budget.charge(name, e.getCompressedSize(), e.getSize());
        return channel.map(FileChannel.MapMode.READ_ONLY, at, e.getSize());
    }

    /**
     * Where the data of each uncompressed entry starts in the file: the zip's central directory gives
     * each entry's local header, whose own name and extra field lengths give the data's offset (the
     * local sizes are zero in torch.save's files, which write data descriptors; {@link ZipFile} has
     * the sizes). Read as little as possible and trusted for nothing but offsets: {@link #mapEntry}
     * maps an entry only when ZipFile, which has already checked the archive, agrees it is stored, and
     * within the file. Empty when the archive is not laid out as expected (an end record that does
     * not end the file, zip64's records, a local header whose name differs): then every entry is read
     * through ZipFile; so is an entry past 4 GB.
     */
    static Map<String, Long> storedData(FileChannel ch, long fileSize) throws IOException {
        int tail = (int) Math.min(fileSize, 22 + 0xffff);   // the end record and a comment of up to 65,535 bytes
        ByteBuffer end = readAt(ch, fileSize - tail, tail);
        int eocd = tail - 22;
        while (eocd >= 0 && (end.getInt(eocd) != 0x06054b50 || eocd + 22 + (end.getShort(eocd + 20) & 0xffff) != tail)) {
            eocd--;
        }
        if (eocd < 0) {
            return Map.of();
        }
        long cdSize = end.getInt(eocd + 12) & 0xffffffffL, cdAt = end.getInt(eocd + 16) & 0xffffffffL;
        if (cdSize > Integer.MAX_VALUE - 8 || cdAt > fileSize - cdSize) {   // zip64's markers (0xffffffff) included
            return Map.of();
        }
        ByteBuffer cd = readAt(ch, cdAt, (int) cdSize);
        Map<String, Long> localHeaders = new LinkedHashMap<>();
        for (int at = 0; at + 46 <= cd.limit(); ) {
            int nameLength = cd.getShort(at + 28) & 0xffff, extraLength = cd.getShort(at + 30) & 0xffff;
            int next = at + 46 + nameLength + extraLength + (cd.getShort(at + 32) & 0xffff);
            if (cd.getInt(at) != 0x02014b50 || next > cd.limit()) {
                return Map.of();
            }
            long local = cd.getInt(at + 42) & 0xffffffffL;   // 0xffffffff (zip64, past 4 GB): read through ZipFile
            if ((cd.getShort(at + 10) & 0xffff) == 0 && local != 0xffffffffL) {
                byte[] name = new byte[nameLength];
                cd.get(at + 46, name);
                localHeaders.put(new String(name, StandardCharsets.UTF_8), local);
            }
            at = next;
        }
        Map<String, Long> data = new HashMap<>();
        for (Map.Entry<String, Long> h : localHeaders.entrySet()) {
            byte[] name = h.getKey().getBytes(StandardCharsets.UTF_8);
            long local = h.getValue();
            if (local > cdAt - 30 - name.length) {
                return Map.of();
            }
            ByteBuffer lh = readAt(ch, local, 30 + name.length);
            byte[] localName = new byte[name.length];
            lh.get(30, localName);
            if (lh.getInt(0) != 0x04034b50 || (lh.getShort(26) & 0xffff) != name.length || !Arrays.equals(name, localName)) {
                return Map.of();
            }
            data.put(h.getKey(), local + 30 + name.length + (lh.getShort(28) & 0xffff));
        }
        return data;
    }

    /** {@code length} bytes of the file from {@code at}, little-endian. */
    private static ByteBuffer readAt(FileChannel ch, long at, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new EOFException("the file ends at " + (at + b.position()) + ", before " + (at + length));
            }
        }
        return b.flip();
    }

    /**
     * The most elements all the tensors of a {@code .pth} of {@code fileSize} bytes may have together:
     * {@code 2^24 + 2·fileSize}. A plain file has at most one element per byte; views may repeat a
     * storage (a zero stride, or tensors sharing a storage), but only so far: reading every tensor as
     * float32 then allocates at most {@code 64 MiB + 8 × fileSize}.
     */
    static long maxElements(long fileSize) {
        return StoredTensor.MAX_BROADCAST + 2 * fileSize;
    }

    /** The most bytes all the entries read from a {@code .pth} may inflate to, as a multiple of the file's size. */
    static final int MAX_INFLATION = 16;

    /**
     * What the entries read so far have cost, checked before each one is inflated: their compressed
     * sizes together must fit in the file (entries may not share compressed bytes: a zip bomb of many
     * entries over one deflated blob) and their declared sizes together may not pass
     * {@link #MAX_INFLATION} times the file's size (torch.save stores entries uncompressed).
     */
    private static final class Budget {
        final Path file;
        final long fileSize;
        long compressed, inflated;

        Budget(Path file, long fileSize) {
            this.file = file;
            this.fileSize = fileSize;
        }

        void charge(String name, long compressedSize, long size) throws WeightsFormatException {
            if (compressedSize < 0) {
                throw new WeightsFormatException(file, "entry " + Escape.quoted(name) + " has no compressed size");
            }
            compressed += compressedSize;
            inflated += size;
            if (compressed > fileSize) {
                throw new WeightsFormatException(file, "entries up to " + Escape.quoted(name) + " claim " + compressed
                        + " compressed bytes in a file of " + fileSize + ": entries overlap (a zip bomb?)");
            }
            if (inflated > MAX_INFLATION * fileSize) {
                throw new WeightsFormatException(file, "entries up to " + Escape.quoted(name) + " inflate to " + inflated
                        + " bytes, more than " + MAX_INFLATION + " times the file's " + fileSize + " bytes (a zip bomb?)");
            }
        }
    }

    /** The size entry {@code e} declares, checked: it fits in the file and in an array, and equals {@code expected} if that is >= 0. */
    private static long checkSize(Path file, ZipEntry e, long expected, Budget budget) throws WeightsFormatException {
        long size = e.getSize();
        if (size < 0 || size > budget.fileSize || size > Integer.MAX_VALUE - 8) {
            throw new WeightsFormatException(file, "entry " + Escape.quoted(e.getName()) + " claims " + size
                    + " bytes in a file of " + budget.fileSize);
        }
        if (expected >= 0 && size != expected) {
            throw new WeightsFormatException(file, "entry " + Escape.quoted(e.getName()) + " holds " + size + " bytes but its"
                    + " tensors' storage needs " + expected + " (numel × element size)");
        }
        return size;
    }

    /**
     * The bytes of entry {@code name}. When {@code expected >= 0} the entry must hold exactly that many
     * bytes; in every case its declared size must fit in the file before anything is allocated.
     */
    private static byte[] readEntry(Path file, ZipFile zip, String name, long expected, Budget budget) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new WeightsFormatException(file, "missing entry " + Escape.quoted(name));
        }
        long size = checkSize(file, e, expected, budget);
        budget.charge(name, e.getCompressedSize(), size);
        // One read call per entry: for a STORED entry ZipFile reads straight into the array
        // (InputStream.readNBytes would go through 8 KiB chunks and copy everything twice).
        byte[] out = new byte[(int) size];
        int n = 0;
        try (InputStream in = zip.getInputStream(e)) {
            while (n < out.length) {
                int r = in.read(out, n, out.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
        }
        if (n != size) {
            throw new WeightsFormatException(file, "entry " + Escape.quoted(name) + " is truncated: " + n + " of " + size + " bytes");
        }
        return out;
    }

    /** Finds the tensors in the unpickled object: a dict of tensors, possibly inside a checkpoint dict. */
    private static Map<String, StoredTensor> stateDict(Path file, Object root) throws WeightsFormatException {
        Object obj = root;
        for (int depth = 0; depth < 3 && obj instanceof Map && !hasTensor((Map<?, ?>) obj); depth++) {
            Map<?, ?> m = (Map<?, ?>) obj;
            Object inner = m.get("state_dict") instanceof Map ? m.get("state_dict")
                    : m.get("model") instanceof Map ? m.get("model") : null;
            if (inner == null) {
                break;
            }
            LOG.log(System.Logger.Level.DEBUG, "{0}: reading the state_dict inside a checkpoint of {1} keys", file, m.size());
            obj = inner;
        }
        if (obj instanceof StoredTensor) {
            throw new WeightsFormatException(file, "holds a single tensor, not a state_dict (a dict of tensors)");
        }
        if (!(obj instanceof Map)) {
            throw new WeightsFormatException(file, "holds a " + (obj == null ? "None" : obj.getClass().getSimpleName())
                    + ", not a state_dict (a dict of tensors)");
        }
        Map<?, ?> m = (Map<?, ?>) obj;
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        boolean allModule = !m.isEmpty();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String)) {
                throw new WeightsFormatException(file, "state_dict key " + Unpickler.describe(e.getKey()) + " is not a string");
            }
            String k = (String) e.getKey();
            if (!(e.getValue() instanceof StoredTensor)) {
                throw new WeightsFormatException(file, "entry " + Escape.quoted(k) + " is "
                        + Unpickler.describe(e.getValue()) + ", not a tensor; a state_dict holds only tensors");
            }
            out.put(k, (StoredTensor) e.getValue());
            allModule &= k.startsWith("module.");
        }
        if (allModule) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: removing the DataParallel prefix module.", file);
            Map<String, StoredTensor> stripped = new LinkedHashMap<>();
            out.forEach((k, v) -> stripped.put(k.substring("module.".length()), v));
            return stripped;
        }
        return out;
    }

    private static boolean hasTensor(Map<?, ?> m) {
        for (Object v : m.values()) {
            if (v instanceof StoredTensor) {
                return true;
            }
        }
        return false;
    }

    static boolean isZip(byte[] head) {
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K'
                && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
    }

    /** Throws a specific refusal for the known formats that are not a torch zip: legacy, tar, a bare pickle. */
    static void refuseKnownNonZip(Path file, byte[] head) throws WeightsFormatException {
        if (startsWith(head, LEGACY_MAGIC)) {
            throw new WeightsFormatException(file, "legacy PyTorch format (torch.save before 1.6, or"
                    + " _use_new_zipfile_serialization=False), which vecnet does not read; " + RESAVE);
        }
        if (head.length >= 262 && head[257] == 'u' && head[258] == 's' && head[259] == 't' && head[260] == 'a'
                && head[261] == 'r') {
            throw new WeightsFormatException(file, "a tar archive: the PyTorch format of torch <= 0.3, which vecnet does"
                    + " not read; " + RESAVE);
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            throw new WeightsFormatException(file, "a bare Python pickle, not a torch.save zip archive; save with"
                    + " torch.save(model.state_dict(), f) using torch >= 1.6");
        }
    }

    private static boolean startsWith(byte[] head, byte[] magic) {
        if (head.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (head[i] != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
