package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Epilogue;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * {@link Conv2d#forwardMaxPooled}: where the kernels fuse the two steps (ResNet's stem), the same bits
 * as {@link Conv2d#forward} then {@link MaxPool2d#forward}; where they do not, nothing written.
 */
class ConvMaxPooledTest extends LibraryTest {

    private static void fill(Tensor t, SplittableRandom rnd) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
    }

    @Test
    void theStemAndItsPoolingInOnePassOrTwo() {
        SplittableRandom rnd = new SplittableRandom(7);
        MaxPool2d pool = new MaxPool2d(3, 2, 1);
        for (boolean bias : new boolean[] {false, true}) {
            Conv2d conv = new Conv2d(3, 64, 7, 2, 3, bias);
            fill(conv.weight, rnd);
            if (bias) {
                fill(conv.bias, rnd);
            }
            float[] scale = new float[64], shift = new float[64];
            for (int c = 0; c < 64; c++) {
                scale[c] = (float) rnd.nextDouble();
                shift[c] = (float) (rnd.nextDouble() - 0.5);
            }
            Epilogue ep = Epilogue.rowAffine(scale, shift).withRelu();
            Tensor x = Tensor.zeros(2, 3, 61, 46);
            fill(x, rnd);
            try (ComputePool two = ComputePool.create(2)) {
                for (ComputePool threads : new ComputePool[] {ComputePool.sequential(), two}) {
                    Tensor expected = pool.forward(conv.forward(x, threads, ep), threads);
                    for (int call = 0; call < 4; call++) { // the JVM's first calls run the two steps inside
                        Tensor actual = Tensor.zeros(expected.shape());
                        boolean fused = conv.forwardMaxPooled(x, threads, ep, pool, actual);
                        assertTrue(fused || Kernels.get().planConvMaxPool(conv.geometry(), conv.weight.data(), 3, 2, 1) == null,
                                "the vector kernels have a fused pass for the stem");
                        if (fused) {
                            Check.identical("stem then pooling, bias " + bias + ", call " + call, expected.data(), actual.data());
                        }
                    }
                }
            }
        }
    }

    @Test
    void nothingWrittenWhereTheKernelsHaveNoFusedPass() {
        MaxPool2d pool = new MaxPool2d(3, 2, 1);
        Tensor x = Tensor.zeros(1, 8, 20, 20);
        Tensor out = Tensor.zeros(1, 8, 5, 5);
        java.util.Arrays.fill(out.data(), 3f);
        Conv2d scalar = new Conv2d(Kernels.scalar(), new vecnet.engine.ConvGeometry(8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1), false);
        assertFalse(scalar.forwardMaxPooled(x, ComputePool.sequential(), Epilogue.NONE, pool, out));
        Conv2d winograd = new Conv2d(8, 8, 3, 1, 1, false); // a 3×3 stride-1 convolution: Winograd's, never fused
        assertFalse(winograd.forwardMaxPooled(x, ComputePool.sequential(), Epilogue.NONE, pool, Tensor.zeros(1, 8, 10, 10)));
        for (float v : out.data()) {
            assertTrue(v == 3f, "output written");
        }
    }

    @Test
    void aWrongOutputShapeIsRefused() {
        Conv2d conv = new Conv2d(3, 64, 7, 2, 3, false);
        Tensor x = Tensor.zeros(1, 3, 32, 32);
        if (Kernels.get().planConvMaxPool(conv.geometry(), conv.weight.data(), 3, 2, 1) != null) {
            assertThrows(IllegalArgumentException.class,
                    () -> conv.forwardMaxPooled(x, ComputePool.sequential(), Epilogue.NONE, new MaxPool2d(3, 2, 1),
                            Tensor.zeros(1, 64, 16, 16)));
        }
    }
}
