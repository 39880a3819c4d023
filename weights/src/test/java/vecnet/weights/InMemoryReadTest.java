package vecnet.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import vecnet.testing.Check;
import vecnet.testing.Fixtures;
import vecnet.testing.LibraryTest;

/** Issue 15, blocker 3: weights read from a byte[] or an InputStream, with no file, as from a Path. */
class InMemoryReadTest extends LibraryTest {

    @Test
    void safetensorsFromBytesAndFromAStreamMatchTheFile() throws IOException {
        Path file = Fixtures.file("tiny_fusion.safetensors");
        StateDict fromFile = StateDict.read(file);
        byte[] bytes = Files.readAllBytes(file);
        for (StateDict fromMemory : new StateDict[] {StateDict.read(bytes), StateDict.read(new ByteArrayInputStream(bytes))}) {
            assertEquals(fromFile.keys(), fromMemory.keys());
            assertEquals(fromFile.metadata(), fromMemory.metadata());
            for (String k : fromFile.keys()) {
                assertEquals(fromFile.dtype(k), fromMemory.dtype(k), k);
                assertArrayEquals(fromFile.shape(k), fromMemory.shape(k), k);
                Check.identical(k, fromFile.tensor(k).data(), fromMemory.tensor(k).data());
            }
        }
    }

    @Test
    void everyTruncationIsRefusedAsAFormatError() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.file("tiny_fusion.safetensors"));
        for (int n = 0; n < bytes.length; n += Math.max(1, n / 7)) {
            byte[] cut = java.util.Arrays.copyOf(bytes, n);
            assertThrows(WeightsFormatException.class, () -> StateDict.read(cut), "truncated to " + n + " bytes");
        }
    }

    @Test
    void aPthArchiveInMemorySaysToUseAFileOrConvert() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.file("tiny_fusion.pth"));
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> StateDict.read(bytes));
        assertTrue(e.getMessage().contains("export.py"), e.getMessage());
        assertTrue(e.getMessage().startsWith("<stream>: "), e.getMessage());
    }
}
