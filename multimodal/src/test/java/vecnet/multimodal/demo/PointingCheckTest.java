package vecnet.multimodal.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import vecnet.multimodal.internal.PointingCheck;
import vecnet.testing.LibraryTest;

/**
 * The demo model's CAM points at the shape (measured 100 of 100 on seed 7 when written; the issue's
 * target is 80 %). The word rates are measured but not asserted: with the unknown-word baseline,
 * "colour"/"color" tops only about 40 % of colour questions (see {@link PointingCheck} and the report).
 */
class PointingCheckTest extends LibraryTest {
    private static final System.Logger LOG = System.getLogger(PointingCheckTest.class.getName());

    @Test
    void theCamsHighestCellTouchesTheShape() throws IOException {
        PointingCheck.Result r = PointingCheck.measure(DemoModel.load(), new ShapesDataset(7), 60);
        LOG.log(System.Logger.Level.DEBUG, "pointing on 60 fresh pictures: {0}", r);
        assertTrue(r.correct() >= 55, "the demo model answers most fresh pictures right: " + r);
        assertTrue(r.camRate() >= 0.8, "CAM's highest cell touches the shape in " + r.camTouches() + " of 60: " + r);
    }

    @Test
    void theMaskIsThePictureOfTheShape() {
        ShapesDataset d = new ShapesDataset(3);
        for (int i = 0; i < 4; i++) {
            ShapesDataset.Sample s = d.sample(i);
            boolean[] mask = d.mask(i);
            assertEquals(s.image(), d.sample(i).image(), "drawing the mask does not change the picture");
            int inside = 0;
            double[] in = new double[3], out = new double[3];
            for (int p = 0; p < mask.length; p++) {
                inside += mask[p] ? 1 : 0;
                for (int c = 0; c < 3; c++) {
                    (mask[p] ? in : out)[c] += s.image().get(p / 256, p % 256, c);
                }
            }
            assertTrue(inside > 26 * 26, "a shape of circumradius >= 26 covers many pixels: " + inside);
            // the shape is drawn in its colour, the rest in gray: some channel's means differ by much more than the noise
            double most = 0;
            for (int c = 0; c < 3; c++) {
                most = Math.max(most, Math.abs(in[c] / inside - out[c] / (mask.length - inside)));
            }
            assertTrue(most > 30, "sample " + i + ": mean colour inside and outside the mask differ by only " + most);
        }
        assertArrayEquals(d.mask(1), d.mask(1));
    }
}
