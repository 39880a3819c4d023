package vecnet.weights.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import vecnet.weights.WeightsFormatException;

/**
 * The checks every reader makes before it opens a file it was given: the path names a regular
 * file (a FIFO would block forever, {@code /dev/zero} would be read until the memory runs out, a
 * folder cannot be read), of at most a size per kind of file, and text is valid UTF-8.
 *
 * <p>Errors are {@link IOException}s whose message names the file and the reason in one line:
 * {@link NoSuchFileException} for a missing file, {@link FileSystemException} for a symlink loop,
 * a plain IOException otherwise.
 */
public final class InputFile {
    /** The largest weights file read ({@code .pth} or safetensors): 4 GiB. */
    public static final long MAX_WEIGHTS = 4L << 30;
    /** The largest vocabulary file read: 16 MiB (a 10,000-word vocabulary takes about 150 KB, GPT-2's 50,257 tokens 1 MB). */
    public static final long MAX_VOCABULARY = 16L << 20;
    /** The largest labels file read: 16 MiB. */
    public static final long MAX_LABELS = 16L << 20;

    private InputFile() {
    }

    /**
     * The size of {@code file} after checking that it is a regular file (symlinks followed) of at most
     * {@code maxBytes} bytes.
     *
     * @param kind what the file is for, in messages ("weights", "vocabulary", ...)
     */
    public static long requireRegular(Path file, String kind, long maxBytes) throws IOException {
        return check(file, kind, maxBytes, false);
    }

    /** {@link #requireRegular} for a weights file: refusals are {@link WeightsFormatException}s. */
    public static long requireWeightsFile(Path file) throws IOException {
        return check(file, "weights", MAX_WEIGHTS, true);
    }

    private static long check(Path file, String kind, long maxBytes, boolean weights) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, kind);
        } catch (FileSystemException e) {
            String reason = e.getReason() == null ? "" : e.getReason();
            if (reason.toLowerCase(java.util.Locale.ROOT).contains("symbolic links")) {
                throw new FileSystemException(file.toString(), null, kind + " file is a symlink loop (" + reason + ")");
            }
            throw e;
        }
        if (a.isDirectory()) {
            throw refusal(file, "the " + kind + " file is a folder, not a file", weights);
        }
        if (!a.isRegularFile()) {
            throw refusal(file, "the " + kind + " file is " + special(file)
                    + ", not a regular file (refused: reading it could block or never end)", weights);
        }
        if (a.size() > maxBytes) {
            throw refusal(file, "the " + kind + " file has " + a.size() + " bytes, more than the limit of "
                    + maxBytes + " for a " + kind + " file", weights);
        }
        return a.size();
    }

    private static IOException refusal(Path file, String reason, boolean weights) {
        return weights ? new WeightsFormatException(file, reason) : new IOException(file + ": " + reason);
    }

    /**
     * The whole of {@code file} decoded as UTF-8 (a leading byte-order mark is kept), after
     * {@link #requireRegular}; invalid UTF-8 is refused naming the byte offset. Reads at most
     * {@code maxBytes} even if the file grows meanwhile.
     */
    public static String readUtf8(Path file, String kind, long maxBytes) throws IOException {
        requireRegular(file, kind, maxBytes);
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
        }
        if (bytes.length > maxBytes) {
            throw new IOException(file + ": the " + kind + " file grew past the limit of " + maxBytes + " bytes");
        }
        return utf8(file, kind, bytes);
    }

    /** {@code bytes} decoded as UTF-8; invalid input is refused naming the first bad byte. */
    static String utf8(Path file, String kind, byte[] bytes) throws IOException {
        return decodeUtf8(bytes, file.toString(), kind);
    }

    /**
     * {@code bytes} (the contents of {@code name}, a {@code kind} file held in memory) decoded as
     * UTF-8; invalid input is refused naming the first bad byte.
     */
    public static String decodeUtf8(byte[] bytes, String name, String kind) throws IOException {
        long bad = firstInvalidUtf8(bytes);
        if (bad < bytes.length) {
            throw new IOException(name + ": the " + kind + " file is not valid UTF-8 (first bad byte at offset " + bad + ")");
        }
        return new String(bytes, StandardCharsets.UTF_8);   // valid: no replacement happens; ASCII stays 1 byte per char
    }

    /**
     * The offset of the first byte that does not start or continue a valid UTF-8 sequence, or
     * {@code b.length} when all of {@code b} is valid. Decodes through a small buffer, so that
     * validating a 100 MB header does not allocate 200 MB of chars.
     */
    public static long firstInvalidUtf8(byte[] b) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(8192);
        while (true) {
            java.nio.charset.CoderResult r = d.decode(in, out, true);
            if (r.isError()) {
                return in.position();
            }
            if (r.isUnderflow()) {
                out.clear();
                r = d.flush(out);
                return r.isError() ? in.position() : b.length;
            }
            out.clear();
        }
    }

    /** "a named pipe (FIFO)", "a character device", ... from the Unix mode when the platform has it. */
    private static String special(Path file) {
        try {
            int mode = (Integer) Files.getAttribute(file, "unix:mode");
            switch (mode & 0170000) {
                case 0010000: return "a named pipe (FIFO)";
                case 0020000: return "a character device";
                case 0060000: return "a block device";
                case 0140000: return "a socket";
                default: break;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // fall through: the generic description
        }
        return "a special file (device, pipe or socket)";
    }
}
