package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.testing.LibraryTest;
import vecnet.weights.internal.InputFile;

/**
 * Paths that are not regular files: a FIFO (reading it blocks until a writer comes), a device
 * ({@code /dev/zero} never ends), a folder, a symlink loop, a missing file; and text that is not
 * UTF-8. Each is refused at once with a message naming the file and what it is.
 */
class SpecialFilesTest extends LibraryTest {
    @TempDir
    Path dir;

    private static IOException refused(Path f) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IOException.class, () -> StateDict.read(f)));
    }

    @Test
    void fifo() throws Exception {
        Path fifo = dir.resolve("weights.pth");
        int status;
        try {
            status = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        } catch (IOException e) {
            status = -1;
        }
        assumeTrue(status == 0, "mkfifo is not available on this system");
        IOException e = refused(fifo);
        assertTrue(e instanceof WeightsFormatException && e.getMessage().contains("is a named pipe (FIFO), not a regular file"),
                e.getMessage());
        e = assertThrows(IOException.class, () -> InputFile.readUtf8(fifo, "vocabulary", InputFile.MAX_VOCABULARY));
        assertTrue(e.getMessage().contains("the vocabulary file is a named pipe (FIFO)"), e.getMessage());
    }

    @Test
    void device() {
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero), "no /dev/zero on this system");
        IOException e = refused(zero);
        assertTrue(e.getMessage().contains("/dev/zero: the weights file is a character device"), e.getMessage());
    }

    @Test
    void folder() {
        IOException e = refused(dir);
        assertTrue(e.getMessage().contains("the weights file is a folder"), e.getMessage());
    }

    @Test
    void symlinkLoopIsNotReportedAsMissing() throws IOException {
        Path a = dir.resolve("a.pth"), b = dir.resolve("b.pth");
        try {
            Files.createSymbolicLink(a, b);
            Files.createSymbolicLink(b, a);
        } catch (UnsupportedOperationException | IOException ex) {
            assumeTrue(false, "symbolic links are not available: " + ex);
        }
        IOException e = refused(a);
        assertTrue(e instanceof FileSystemException && !(e instanceof NoSuchFileException), e.toString());
        assertTrue(e.getMessage().contains("symlink loop"), e.getMessage());
    }

    @Test
    void missingFile() {
        IOException e = refused(dir.resolve("absent.pth"));
        assertTrue(e instanceof NoSuchFileException, e.toString());
    }

    @Test
    void sizeCap() throws IOException {
        Path f = dir.resolve("big.txt");
        Files.write(f, new byte[1001]);
        IOException e = assertThrows(IOException.class, () -> InputFile.readUtf8(f, "labels", 1000));
        assertTrue(e.getMessage().contains("has 1001 bytes, more than the limit of 1000"), e.getMessage());
    }

    @Test
    void invalidUtf8NamesTheOffset() throws IOException {
        Path f = dir.resolve("bad.txt");
        byte[] b = "abc\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = new byte[b.length + 2];
        System.arraycopy(b, 0, bad, 0, b.length);
        bad[4] = (byte) 0xc3;      // a lead byte ...
        bad[5] = (byte) 0x28;      // ... followed by no continuation byte
        Files.write(f, bad);
        IOException e = assertThrows(IOException.class, () -> InputFile.readUtf8(f, "vocabulary", 1000));
        assertTrue(e.getMessage().equals(f + ": the vocabulary file is not valid UTF-8 (first bad byte at offset 4)"),
                e.getMessage());
    }
}
