package vecnet.multimodal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import vecnet.multimodal.Explanation;

/** The picture's two numeric pieces, worked by hand: the colour map and the bilinear upsampling. */
class ExplanationPictureTest {

    @Test
    void colourMapHitsItsStopsAndInterpolatesBetweenThem() {
        assertEquals(0x440154, ExplanationPicture.colour(0));          // (68, 1, 84)
        assertEquals(0xFDE725, ExplanationPicture.colour(1));          // (253, 231, 37)
        assertEquals(0x21918C, ExplanationPicture.colour(0.5));        // (33, 145, 140)
        // halfway between (68, 1, 84) and (59, 82, 139): (63.5, 41.5, 111.5) rounded half up
        assertEquals(64 << 16 | 42 << 8 | 112, ExplanationPicture.colour(0.125));
        assertEquals(ExplanationPicture.colour(1), ExplanationPicture.colour(7), "clamped");
    }

    @Test
    void upsamplesAsPyTorchsBilinearWithoutAlignedCorners() {
        // F.interpolate([[a, b]], size=4, mode='bilinear', align_corners=False) along x reads sources
        // (d + 0.5)·2/4 − 0.5 = −0.25, 0.25, 0.75, 1.25, clamped: a, 0.75a + 0.25b, 0.25a + 0.75b, b
        Explanation.Grid g = new Explanation.Grid(2, 2, new float[] {1, 5, 3, 7});
        double[] row0 = {1, 2, 4, 5};
        for (int x = 0; x < 4; x++) {
            assertEquals(row0[x], ExplanationPicture.sample(g, 4, 0, x), 1e-12);
        }
        assertEquals(0.75 * 2 + 0.25 * 4, ExplanationPicture.sample(g, 4, 1, 1), 1e-12, "rows 1 and 3 at x = 1");
        assertEquals(7, ExplanationPicture.sample(g, 4, 3, 3), 1e-12);
    }
}
