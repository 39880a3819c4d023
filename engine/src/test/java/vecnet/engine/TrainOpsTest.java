package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * The backward pass's elementwise kernels ({@link Kernels#deviationSums}, {@link Kernels#gradientSums},
 * {@link Kernels#affineDeviation}, {@link Kernels#reluBackward}): hand-computed cases, and the Vector
 * API versions against their scalar twins over awkward lengths and offsets.
 */
class TrainOpsTest extends LibraryTest {
    private static final Kernels SCALAR = Kernels.scalar(), VECTOR = VectorKernels.create();

    @Test
    void handComputed() {
        float[] x = {1, 2, 3, 6}, dy = {1, -1, 2, 0.5f};
        for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
            double[] out = {10, 20};   // added to
            k.deviationSums(x, 0, 4, 3f, out);   // d = −2, −1, 0, 3
            assertEquals(10 + 0, out[0], 0, k.name());
            assertEquals(20 + 4 + 1 + 0 + 9, out[1], 0, k.name());
            out = new double[2];
            k.gradientSums(dy, 0, x, 0, 4, 3f, out);   // Σdy = 2.5, Σdy·d = −2 + 1 + 0 + 1.5
            assertEquals(2.5, out[0], 0, k.name());
            assertEquals(0.5, out[1], 0, k.name());
            float[] dx = new float[4];
            k.affineDeviation(dy, 0, x, 0, 4, 3f, 2f, 0.5f, -1f, dx, 0);   // 2·dy + 0.5·d − 1
            Check.identical(k.name() + " affine", new float[] {0, -3.5f, 3, 1.5f}, dx);
            k.reluBackward(new float[] {1, 0, -2, Float.NaN}, 0, dy, 0, dx, 0, 4);   // exactly 0 and NaN: no gradient
            Check.identical(k.name() + " relu", new float[] {1, 0, 0, 0}, dx);
        }
    }

    /** For a sum of {@code len} terms of size up to {@code size}. */
    private static double tolerance(int len, double size) {
        return 1e-7 * Math.sqrt(len) * len * size + 1e-12;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 6, 8, 13, 16, 25, 207, 300, 702, 1024, 4098, 12544})
    void vectorMatchesScalar(int len) {
        SplittableRandom rnd = new SplittableRandom(len);
        float[] x = new float[len + 3], dy = new float[len + 2], y = new float[len + 1];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 4 + 1);   // a mean far from 0: the centring matters
        }
        for (int i = 0; i < dy.length; i++) {
            dy[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 5 == 0 ? 0f : (float) (rnd.nextDouble() * 2 - 1);
        }
        for (float center : new float[] {0f, 3f}) {
            double[] s = new double[2], v = new double[2];
            SCALAR.deviationSums(x, 3, len, center, s);
            VECTOR.deviationSums(x, 3, len, center, v);
            // Float partial sums per lane: the error grows as sqrt(len) times the sum of the terms' sizes.
            assertEquals(s[0], v[0], tolerance(len, 5), "Σd, len " + len);
            assertEquals(s[1], v[1], tolerance(len, 25), "Σd², len " + len);
            s = new double[2];
            v = new double[2];
            SCALAR.gradientSums(dy, 2, x, 3, len, center, s);
            VECTOR.gradientSums(dy, 2, x, 3, len, center, v);
            assertEquals(s[0], v[0], tolerance(len, 1), "Σdy, len " + len);
            assertEquals(s[1], v[1], tolerance(len, 5), "Σdy·d, len " + len);
        }
        float[] a = new float[len + 1], b = new float[len + 1];
        SCALAR.affineDeviation(dy, 2, x, 3, len, 3.1f, 0.7f, -0.3f, 0.01f, a, 1);
        VECTOR.affineDeviation(dy, 2, x, 3, len, 3.1f, 0.7f, -0.3f, 0.01f, b, 1);
        Check.identical("affineDeviation, len " + len, a, b);
        a = new float[len + 2];
        b = new float[len + 2];
        SCALAR.reluBackward(y, 1, dy, 2, a, 2, len);
        VECTOR.reluBackward(y, 1, dy, 2, b, 2, len);
        Check.identical("reluBackward, len " + len, a, b);
    }
}
