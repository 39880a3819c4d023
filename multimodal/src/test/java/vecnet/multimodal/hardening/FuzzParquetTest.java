package vecnet.multimodal.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.multimodal.parquet.ParquetFile;
import vecnet.multimodal.parquet.ParquetFormatException;
import vecnet.testing.FuzzHarness;
import vecnet.testing.LibraryTest;

/**
 * Fuzzes the Parquet reader: byte mutations of the files Spark wrote (each layout of
 * {@code vecnet/parquet/}, and the job's features file), every column then read. Property: see
 * {@link FuzzHarness}; the documented refusal is a {@link ParquetFormatException} whose message
 * names the file.
 */
class FuzzParquetTest extends LibraryTest {
    private static final long SEED = FuzzHarness.seed(0x9a29e7L);
    private static final long MAX_ALLOC = 64L << 20;

    @TempDir
    Path dir;

    private static List<byte[]> seeds() throws IOException, URISyntaxException {
        Path folder = Path.of(FuzzParquetTest.class.getResource("/vecnet/parquet/").toURI());
        List<byte[]> out = new ArrayList<>();
        try (Stream<Path> files = Stream.concat(Files.list(folder), Files.list(folder.resolve("features.parquet")))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".parquet") && Files.isRegularFile(p)).sorted().toList()) {
                out.add(Files.readAllBytes(p));
            }
        }
        return out;
    }

    private static void readAll(Path f) throws IOException {
        ParquetFile p = ParquetFile.open(f);
        for (ParquetFile.Column c : p.columns()) {
            if (c.type().equals("FLOAT")) {
                p.floatLists(c.field());
            } else if (c.maxRep() == 0) {
                p.strings(c.field());
            }
        }
    }

    @Test
    void mutatedParquetFiles() throws Exception {
        List<byte[]> seeds = seeds();
        assertEquals(5, seeds.size());
        int n = FuzzHarness.iterations(1500);
        FuzzHarness.Stats s = FuzzHarness.run("parquet-bytes", SEED, n, Duration.ofSeconds(60 + n / 20), MAX_ALLOC,
                t -> t instanceof ParquetFormatException, (i, rnd, label) -> {
                    byte[] bytes = FuzzHarness.mutate(seeds.get(rnd.nextInt(seeds.size())), rnd, label);
                    Path f = dir.resolve("in" + i + ".parquet");
                    Files.write(f, bytes);
                    return new FuzzHarness.Input(bytes, () -> {
                        try {
                            readAll(f);
                        } catch (ParquetFormatException e) {
                            if (!e.getMessage().startsWith(f.toString())) {
                                throw new AssertionError("the message does not name the file: " + e.getMessage(), e);
                            }
                            throw e;
                        } finally {
                            Files.deleteIfExists(f);
                        }
                    });
                });
        assertEquals(n, s.valid + s.refused);
        assertTrue(s.valid > 0 && s.refused > 0, s.toString());
    }
}
