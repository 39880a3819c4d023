package vecnet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import vecnet.testing.LibraryTest;

class TensorTest extends LibraryTest {

    @Test
    void rowMajorNchwIndexing() {
        Tensor t = Tensor.zeros(2, 3, 4, 5);
        t.set(7f, 1, 2, 3, 4);
        // x[n,c,h,w] = data[((n*C + c)*H + h)*W + w] = ((1*3 + 2)*4 + 3)*5 + 4 = 119
        assertEquals(7f, t.data()[119]);
        assertEquals(7f, t.get(1, 2, 3, 4));
        assertEquals(120, t.size());
        assertEquals(5, t.dim(-1));
    }

    @Test
    void reshapeSharesDataAndInfers() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor r = t.reshape(3, -1);
        assertArrayEquals(new int[] {3, 2}, r.shape());
        r.data()[0] = 9;
        assertEquals(9f, t.get(0, 0));
    }

    @Test
    void messagesNameTheShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertEquals("shape [2, 3] holds 6 elements but the array has 5", e.getMessage());
        Tensor t = Tensor.zeros(1, 3, 7, 7);
        e = assertThrows(IllegalArgumentException.class, () -> t.requireShape("image", -1, 3, 224, 224));
        assertEquals("image: expected shape [*, 3, 224, 224], got [1, 3, 7, 7]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.reshape(5, -1));
        assertEquals("cannot reshape [1, 3, 7, 7] to [5, -1]", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, 3, 0, 0));
    }

    @Test
    void zeroDimensionalTensorHasOneElement() {
        Tensor s = Tensor.zeros();
        assertEquals(1, s.size());
        assertEquals(0, s.rank());
    }
}
