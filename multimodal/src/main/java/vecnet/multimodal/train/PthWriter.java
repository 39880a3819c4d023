package vecnet.multimodal.train;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import vecnet.weights.DType;
import vecnet.weights.RawTensor;

/**
 * Writes a state_dict as {@code torch.save} does (the zip format of PyTorch ≥ 1.6), so that
 * {@code torch.load} opens it: an uncompressed zip holding
 * <ul>
 * <li>{@code archive/data.pkl}: a protocol-2 pickle of {@code OrderedDict{key: tensor}}, each tensor
 *     {@code torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())} with the
 *     storage a persistent id {@code ('storage', torch.FloatStorage, '<i>', 'cpu', numel)};</li>
 * <li>{@code archive/data/<i>}: each storage's bytes, little-endian, starting at a multiple of 64 in
 *     the file (padding in the local header's extra field, as torch's writer does);</li>
 * <li>{@code archive/version}: {@code 3}.</li>
 * </ul>
 * Only float32 and int64 tensors, contiguous; no memo (a valid pickle without {@code PUT}). Every
 * entry carries the same fixed time ({@link #ENTRY_TIME}), so the same tensors give the same bytes
 * whenever they are written.
 */
final class PthWriter {
    /** The time of every zip entry: the zip format's earliest, 1980-01-01 00:00, instead of "now". */
    static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private PthWriter() {
    }

    /** Writes {@code tensors} (float32 or int64) in their map order. */
    public static void write(OutputStream target, Map<String, RawTensor> tensors) throws IOException {
        Counting counting = new Counting(target);
        ZipOutputStream zip = new ZipOutputStream(counting);
        zip.setMethod(ZipOutputStream.STORED);
        stored(zip, counting, "archive/data.pkl", pickle(tensors), false);
        int i = 0;
        for (RawTensor t : tensors.values()) {
            stored(zip, counting, "archive/data/" + i++, t.bytes(), true);
        }
        stored(zip, counting, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII), false);
        zip.finish();
        counting.flush();
    }

    private static void stored(ZipOutputStream zip, Counting c, String name, byte[] data, boolean align) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setTimeLocal(ENTRY_TIME);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        if (align) {
            long headerEnd = c.count + 30 + name.getBytes(StandardCharsets.UTF_8).length + 4;
            int pad = (int) ((64 - headerEnd % 64) % 64);
            byte[] extra = new byte[4 + pad];
            extra[0] = 'F';
            extra[1] = 'B';
            extra[2] = (byte) pad;
            extra[3] = (byte) (pad >> 8);
            e.setExtra(extra);
        }
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    static byte[] pickle(Map<String, RawTensor> tensors) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2); // PROTO 2
        global(p, "collections", "OrderedDict");
        p.write(')'); // EMPTY_TUPLE
        p.write('R'); // REDUCE
        p.write('('); // MARK
        int i = 0;
        for (Map.Entry<String, RawTensor> e : tensors.entrySet()) {
            RawTensor t = e.getValue();
            String storage = switch (t.dtype()) {
                case F32 -> "FloatStorage";
                case I64 -> "LongStorage";
                default -> throw new IllegalArgumentException(e.getKey() + ": only float32 and int64 are written, got "
                        + t.dtype());
            };
            string(p, e.getKey());
            global(p, "torch._utils", "_rebuild_tensor_v2");
            p.write('('); // MARK: the arguments
            p.write('('); // MARK: the persistent id
            string(p, "storage");
            global(p, "torch", storage);
            string(p, Integer.toString(i++));
            string(p, "cpu");
            integer(p, t.numel());
            p.write('t'); // TUPLE
            p.write('Q'); // BINPERSID
            integer(p, 0); // storage offset
            int[] shape = t.shape();
            p.write('(');
            for (int d : shape) {
                integer(p, d);
            }
            p.write('t');
            p.write('(');
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int d = shape.length - 1; d >= 0; d--) {
                strides[d] = stride;
                stride *= shape[d];
            }
            for (long s : strides) {
                integer(p, s);
            }
            p.write('t');
            p.write(0x89); // NEWFALSE: requires_grad
            global(p, "collections", "OrderedDict");
            p.write(')');
            p.write('R'); // backward hooks
            p.write('t'); // TUPLE of the arguments
            p.write('R'); // REDUCE
        }
        p.write('u'); // SETITEMS
        p.write('.'); // STOP
        return p.toByteArray();
    }

    private static void global(ByteArrayOutputStream p, String module, String name) {
        p.write('c');
        p.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void string(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X'); // BINUNICODE
        p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        p.writeBytes(b);
    }

    private static void integer(ByteArrayOutputStream p, long v) {
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("integer out of range: " + v);
        }
        p.write('J'); // BININT
        p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    /** Counts the bytes written, to align the storages. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    /** The {@link DType} names this writer accepts. */
    static boolean writable(DType d) {
        return d == DType.F32 || d == DType.I64;
    }
}
