package vecnet.multimodal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * The text branch projects its embedding's rows once it has run as many tokens as the vocabulary
 * has rows (see {@link TextEncoder}): its features keep the bits they had before, on one thread and
 * two, and a change of weights drops the table, so the next features see the change.
 */
class TextProjectedRowsTest extends LibraryTest {
    private static final ComputePool TWO = ComputePool.create(2);
    private static final int VOCAB = 40;

    @AfterAll
    static void close() {
        TWO.close();
    }

    private static TextEncoder randomEncoder(Kernels kernels, int hidden, long seed) {
        TextEncoder text = TextEncoder.untrained(kernels, VOCAB, 7, hidden);
        Random r = new Random(seed);
        for (Tensor t : text.namedTensors().values()) {
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (r.nextGaussian() * 0.5);
            }
        }
        text.weightsChanged();
        return text;
    }

    @Test
    void theFeaturesKeepTheirBitsOnceTheRowsAreProjected() {
        int[][] texts = {{3, 17, 39, 0, 5}, {8}, {22, 22, 1}}; // 9 tokens a call
        int[][] single = {{4, 9, 33, 12, 0, 7, 2, 2, 30, 11, 19}}; // one text: the team path where it forms
        for (Kernels k : new Kernels[] {Kernels.scalar(), Kernels.get()}) {
            for (int hidden : new int[] {12, 200}) {
                TextEncoder text = randomEncoder(k, hidden, 51 + hidden);
                String what = k.name() + " H=" + hidden;
                float[] expected = text.encode(texts, ComputePool.sequential()).data();
                float[] expectedSingle = text.encode(single, ComputePool.sequential()).data();
                assertFalse(text.projectsRows(), what + ": 20 tokens of a vocabulary of 40: not yet");
                Check.identical(what + " batch, 2 threads", expected, text.encode(texts, TWO).data());
                Check.identical(what + " batch, 1 thread", expected, text.encode(texts, ComputePool.sequential()).data());
                assertFalse(text.projectsRows(), what + ": 38 tokens");
                Check.identical(what + " batch, 2 threads, projected in that call (47 tokens)", expected,
                        text.encode(texts, TWO).data());
                assertTrue(text.projectsRows(), what + ": 47 tokens ≥ 40");
                for (ComputePool pool : new ComputePool[] {ComputePool.sequential(), TWO}) {
                    for (int call = 0; call < 3; call++) {
                        String on = what + " projected, threads=" + pool.threads();
                        Check.identical(on, expected, text.encode(texts, pool).data());
                        Check.identical(on + " one text", expectedSingle, text.encode(single, pool).data());
                    }
                }
            }
        }
    }

    @Test
    void aChangeOfWeightsDropsTheTable() {
        int[][] texts = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}};
        TextEncoder text = randomEncoder(Kernels.get(), 12, 61);
        float[] before = text.encode(texts, TWO).data();
        text.encode(texts, TWO);
        assertTrue(text.projectsRows());
        text.namedTensors().get("embedding.weight").data()[5 * 7 + 2] += 1f; // token 5's row
        text.weightsChanged();
        assertFalse(text.projectsRows(), "weightsChanged drops the projected rows");
        float[] changed = text.encode(texts, TWO).data();
        assertFalse(Arrays.equals(before, changed), "the changed row is seen");
        text.encode(texts, TWO);
        assertTrue(text.projectsRows(), "projected again after another 40 tokens");
        Check.identical("projected again", changed, text.encode(texts, TWO).data());
        // the LSTM's weights changed through the trainer's path, not the branch's: still not stale
        text.lstm.weightsChanged();
        assertFalse(text.projectsRows(), "projections made before the LSTM's weights changed are not used");
        Check.identical("after the LSTM's weightsChanged", changed, text.encode(texts, TWO).data());
        assertThrows(IndexOutOfBoundsException.class, () -> text.encode(new int[][] {{1, VOCAB}}, TWO));
        text.encode(texts, TWO);
        text.encode(texts, TWO);
        assertTrue(text.projectsRows());
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> text.encode(new int[][] {{1, VOCAB}}, TWO));
        assertTrue(e.getMessage().startsWith("Embedding: id 40 at position 1"), e.getMessage());
    }
}
