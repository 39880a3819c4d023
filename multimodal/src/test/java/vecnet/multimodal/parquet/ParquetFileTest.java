package vecnet.multimodal.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vecnet.engine.ComputePool;
import vecnet.multimodal.demo.DemoModel;
import vecnet.multimodal.train.FeaturesFile;
import vecnet.testing.LibraryTest;

/**
 * The Parquet reader against files Apache Spark wrote (committed; {@code spark/write-parquet-fixtures}
 * regenerates them): the same rows in four layouts (snappy with dictionaries, gzip without, many
 * small uncompressed pages and row groups, data pages v2) read back as the formula that made them
 * says; the job's features folder; hand-worked Snappy and RLE cases; hostile files refused by name.
 */
class ParquetFileTest extends LibraryTest {
    static final List<String> LAYOUTS = List.of("snappy-dictionary.parquet", "gzip-plain.parquet",
            "uncompressed-pages.parquet", "v2-pages.parquet");

    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(ParquetFileTest.class.getResource("/vecnet/parquet/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture " + name + " is missing; run spark/write-parquet-fixtures", e);
        }
    }

    /**
     * The rows the fixtures hold: {@code vecnet.spark.ParquetFixtures.awkwardValues(300, 20)}, the
     * same formula written again here (s, f, g per row).
     */
    static List<Object[]> awkwardValues(int n, int maxLength) {
        SplittableRandom r = new SplittableRandom(11);
        String[] words = {"", "a", "naïve ✓ 𝄞", "what colour is the shape", "x,y \"quoted\""};
        float[] specials = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE};
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String s = i % 7 == 3 ? null : words[r.nextInt(words.length)] + (r.nextInt(3) == 0 ? "-" + i : "");
            float[] f = null;
            if (i % 11 != 5) {
                f = new float[i % 13 == 0 ? 0 : 1 + r.nextInt(maxLength)];
                for (int k = 0; k < f.length; k++) {
                    f[k] = r.nextInt(10) == 0 ? specials[r.nextInt(specials.length)] : (float) r.nextGaussian();
                }
            }
            float[] g = i % 5 == 2 ? null : new float[] {i, i % 3};
            rows.add(new Object[] {s, f, g});
        }
        return rows;
    }

    @Test
    void eachLayoutSparkWritesReadsBackAsWritten() throws IOException {
        List<Object[]> want = awkwardValues(300, 20);
        for (String name : LAYOUTS) {
            ParquetFile file = ParquetFile.open(fixture(name));
            assertEquals(300, file.rows(), name);
            assertEquals(List.of("s", "f", "g"), file.columns().stream().map(ParquetFile.Column::field).toList());
            List<String> s = file.strings("s");
            List<float[]> f = file.floatLists("f"), g = file.floatLists("g");
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i)[0], s.get(i), name + ", row " + i);
                for (int c = 1; c <= 2; c++) {
                    float[] w = (float[]) want.get(i)[c], got = (c == 1 ? f : g).get(i);
                    if (w == null) {
                        assertNull(got, name + ", row " + i);
                    } else {
                        assertEquals(w.length, got.length, name + ", row " + i);
                        for (int k = 0; k < w.length; k++) {
                            assertEquals(Float.floatToRawIntBits(w[k]), Float.floatToRawIntBits(got[k]),
                                    name + ", row " + i + " [" + k + "]");
                        }
                    }
                }
            }
        }
        // the many-pages layout did make row groups (and 24 pages, rows across them; else it would test nothing more)
        assertEquals(2, ParquetFile.open(fixture("uncompressed-pages.parquet")).rowGroups());
    }

    @Test
    void theJobsFeaturesFolderGivesItsRowsInPathOrder() throws IOException {
        FeaturesFile f = FeaturesFile.read(fixture("features.parquet"));
        List<String> captions = Files.readAllLines(fixture("features-captions.csv"));
        assertEquals(5, f.rows().size(), f.bad().toString());
        for (int i = 0; i < 5; i++) { // shape_000 .. shape_004, after broken.png in path order
            String[] line = captions.get(1 + i).split(",");
            assertEquals(line[1], f.rows().get(i).text());
            assertEquals(line[2], f.rows().get(i).label());
            assertEquals(64, f.rows().get(i).features().length);
        }
        assertEquals(2, f.bad().size());
        assertTrue(f.bad().get(0).reason().matches(".*/images/broken\\.png: bad image: .*"), f.bad().get(0).toString());
        assertTrue(f.bad().get(1).reason().endsWith("/images/shape_005.png: no text"), f.bad().get(1).toString());
        assertTrue(f.bad().get(0).where().endsWith(".parquet:1"), f.bad().get(0).where());
        // the job recorded which image branch computed them: the bundled demo model's
        assertEquals(FeaturesFile.imageBranchDigest(DemoModel.load(ComputePool.sequential()).model()),
                f.imageBranch().orElseThrow());
    }

    @Test
    void snappyHandWorked() {
        // preamble 9; literal "abc" (tag (3-1)<<2); copy with a 1-byte offset: length 6 = 4 + 2, offset 3 (overlapping)
        byte[] block = {9, 0x08, 'a', 'b', 'c', (byte) (2 << 2 | 1), 3};
        assertEquals("abcabcabc", new String(Snappy.decompress(block, 0, block.length, 9), StandardCharsets.US_ASCII));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Snappy.decompress(block, 0, block.length, 10))
                .getMessage().contains("the page header says 10"));
        byte[] offsetTooFar = {9, 0x08, 'a', 'b', 'c', (byte) (2 << 2 | 1), 4};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Snappy.decompress(offsetTooFar, 0, 7, 9))
                .getMessage().contains("copy offset 4"));
        byte[] bomb = {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x40, 0};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Snappy.decompress(bomb, 0, 5, 1 << 27))
                .getMessage().contains("cannot expand"));
        byte[] shortBlock = {9, 0x08, 'a', 'b', 'c'};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Snappy.decompress(shortBlock, 0, 5, 9))
                .getMessage().contains("ends after 3 of 9"));
    }

    @Test
    void rleHandWorked() {
        // bit width 2: an RLE run of 5 threes (header 5 << 1, value byte 3), then one bit-packed group
        // (header 1 << 1 | 1) of 0,1,2,3,0,1,2,3: each byte 0 | 1 << 2 | 2 << 4 | 3 << 6 = 0xE4
        byte[] in = {10, 3, 3, (byte) 0xE4, (byte) 0xE4};
        int[] out = new int[13];
        assertEquals(5, Rle.decode(in, 0, in.length, 2, out));
        assertArrayEquals(new int[] {3, 3, 3, 3, 3, 0, 1, 2, 3, 0, 1, 2, 3}, out);
        assertEquals(0, Rle.bitWidth(0));
        assertEquals(2, Rle.bitWidth(3));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Rle.decode(new byte[] {10, 4}, 0, 2, 2, new int[5]))
                .getMessage().contains("wider than 2 bits"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Rle.decode(new byte[] {10, 3}, 0, 2, 2, new int[6]))
                .getMessage().contains("ends after 5 of 6"));
    }

    private void refused(byte[] bytes, String reason) throws IOException {
        Path f = dir.resolve("hostile.parquet");
        Files.write(f, bytes);
        ParquetFormatException e = assertThrows(ParquetFormatException.class, () -> {
            ParquetFile p = ParquetFile.open(f);
            p.strings("s");
            p.floatLists("f");
        });
        assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void hostileFilesAreRefusedByName() throws IOException {
        byte[] good = Files.readAllBytes(fixture("snappy-dictionary.parquet"));
        refused("image,text,label\n".getBytes(StandardCharsets.UTF_8), "not a Parquet file");
        refused(Arrays.copyOf(good, good.length - 1), "not a Parquet file");
        byte[] longFooter = good.clone();
        longFooter[good.length - 5] = 0x7f; // the footer length's high byte
        refused(longFooter, "footer of");
        byte[] cut = good.clone();
        int footer = (good[good.length - 8] & 0xff) | (good[good.length - 7] & 0xff) << 8;
        // the footer moved: its first bytes are now data, so the Thrift struct reads garbage or ends early
        System.arraycopy(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, 0, cut, good.length - 8 - footer, 4);
        refused(cut, "bad footer");
        byte[] data = good.clone();
        for (int i = 4; i < 400; i++) {
            data[i] = (byte) 0xA5; // the first column chunk's pages
        }
        refused(data, "column 's', row group 0");
        Path f = dir.resolve("columns.parquet");
        Files.write(f, good);
        assertEquals(f + ": no column 'label'", assertThrows(ParquetFormatException.class,
                () -> ParquetFile.open(f).strings("label")).getMessage());
        assertEquals(f + ": column 'f' holds FLOAT, expected BYTE_ARRAY", assertThrows(ParquetFormatException.class,
                () -> ParquetFile.open(f).strings("f")).getMessage());
        assertTrue(assertThrows(ParquetFormatException.class, () -> FeaturesFile.read(f)).getMessage()
                .contains("no column 'image_features'"));
    }

    @Test
    void thriftNestingAndListSizesAreBounded() {
        byte[] deep = new byte[200];
        Arrays.fill(deep, (byte) 0x1c); // field 1, type struct, again and again
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Thrift(deep, 0, deep.length).struct())
                .getMessage().contains("deeper than"));
        byte[] bigList = {0x19, (byte) 0xf5, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0}; // list<i32> of 2^32-1
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Thrift(bigList, 0, bigList.length).struct())
                .getMessage().contains("elements in"));
    }
}
