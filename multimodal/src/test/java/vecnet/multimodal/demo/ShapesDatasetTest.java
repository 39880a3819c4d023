package vecnet.multimodal.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import vecnet.multimodal.ImageRgb;
import vecnet.testing.LibraryTest;

/**
 * {@link ShapesDataset} is the Java twin of {@code weights/python/train_demo.py}: the pictures and
 * questions the Python script bundled must come out of the Java generator byte for byte.
 */
class ShapesDatasetTest extends LibraryTest {

    @Test
    void regeneratesTheSamplesPythonBundledByteForByte() throws IOException {
        List<DemoModel.BundledSample> samples = DemoModel.samples();
        assertFalse(samples.isEmpty(), "no bundled samples");
        for (DemoModel.BundledSample b : samples) {
            ShapesDataset.Sample s = new ShapesDataset(b.seed()).sample(b.index());
            assertEquals(b.question(), s.question(), b.file() + " question");
            assertEquals(b.answer(), s.answer(), b.file() + " answer");
            byte[] expected = b.image().toBytes(), actual = s.image().toBytes();
            assertEquals(expected.length, actual.length, b.file() + " size");
            int differing = 0, first = -1;
            for (int i = 0; i < expected.length; i++) {
                if (expected[i] != actual[i]) {
                    differing++;
                    first = first < 0 ? i : first;
                }
            }
            int p = Math.max(first, 0) / 3;
            assertEquals(0, differing, b.file() + ": " + differing + " bytes differ from Python's, first at pixel (y "
                    + p / ShapesDataset.SIZE + ", x " + p % ShapesDataset.SIZE + ")");
        }
    }

    @Test
    void sameSeedAndIndexGiveTheSameSampleAndOthersDiffer() {
        ShapesDataset a = new ShapesDataset(11), b = new ShapesDataset(11), c = new ShapesDataset(12);
        assertEquals(a.sample(5).image(), b.sample(5).image());
        assertFalse(a.sample(5).image().equals(a.sample(6).image()));
        assertFalse(a.sample(5).image().equals(c.sample(5).image()));
    }

    @Test
    void everyAnswerAndQuestionKindOccursAndTheLabelIsTheAskedProperty() {
        ShapesDataset data = new ShapesDataset(99);
        int[] counts = new int[8];
        int colourQuestions = 0, n = 800;
        for (int i = 0; i < n; i++) {
            ShapesDataset.Sample s = data.sample(i);
            counts[s.label()]++;
            if (s.asksColour()) {
                colourQuestions++;
                assertEquals(s.colour(), s.label());
                assertTrue(ShapesDataset.COLOUR_QUESTIONS.contains(s.question()), s.question());
            } else {
                assertEquals(4 + s.shape(), s.label());
                assertTrue(ShapesDataset.SHAPE_QUESTIONS.contains(s.question()), s.question());
            }
        }
        for (int k = 0; k < 8; k++) {
            // 100 expected per class; 60 is more than 4 standard deviations below
            assertTrue(counts[k] > 60, ShapesDataset.LABELS.get(k) + " occurs only " + counts[k] + " times in " + n);
        }
        assertTrue(colourQuestions > 340 && colourQuestions < 460, colourQuestions + " colour questions of " + n);
    }

    @Test
    void theShapeHasTheAskedColourAndStaysInsideTheCentreCrop() {
        ShapesDataset data = new ShapesDataset(5);
        for (int i = 0; i < 40; i++) {
            ShapesDataset.Sample s = data.sample(i);
            ImageRgb img = s.image();
            // pixels far from the background level, by channel sums, mark the shape
            long[] sum = new long[3];
            int count = 0, outsideCrop = 0;
            int bg = img.get(0, 0, 0) + img.get(0, 0, 1) + img.get(0, 0, 2);
            for (int y = 0; y < 256; y++) {
                for (int x = 0; x < 256; x++) {
                    int r = img.get(y, x, 0), g = img.get(y, x, 1), b = img.get(y, x, 2);
                    boolean gray = Math.abs(r - g) < 60 && Math.abs(g - b) < 60 && Math.abs(r - b) < 60;
                    if (!gray) {
                        count++;
                        sum[0] += r;
                        sum[1] += g;
                        sum[2] += b;
                        if (y < 16 || y >= 240 || x < 16 || x >= 240) {
                            outsideCrop++;
                        }
                    }
                }
            }
            assertTrue(count > 300, "sample " + i + ": only " + count + " coloured pixels (background " + bg + ")");
            assertEquals(0, outsideCrop, "sample " + i + ": coloured pixels outside the 224 centre crop");
            double r = sum[0] / (double) count, g = sum[1] / (double) count, b = sum[2] / (double) count;
            String seen = r > 150 && g > 150 ? "yellow" : r > 150 ? "red" : g > 150 ? "green" : "blue";
            assertEquals(ShapesDataset.COLOURS.get(s.colour()), seen, "sample " + i + " mean colour " + r + "," + g + "," + b);
        }
    }
}
