package vecnet.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import vecnet.engine.ComputePool;
import vecnet.engine.Kernels;
import vecnet.engine.Tensor;
import vecnet.testing.Check;
import vecnet.testing.LibraryTest;

/**
 * {@link LSTM#projectRows}: an LSTM run on the projected rows of a table gives the bits of the same
 * LSTM run on those rows themselves, on every path (batched samples, both directions, stacked layers,
 * a team of threads), and refuses projections that no longer match its weights.
 */
class ProjectedRowsTest extends LibraryTest {
    private static final ComputePool ONE = ComputePool.sequential();
    private static final ComputePool TWO = ComputePool.create(2);
    private static final Kernels[] KERNELS = {Kernels.scalar(), Kernels.get()};

    @AfterAll
    static void close() {
        TWO.close();
    }

    /** The rows {@code ids} (batch-first {@code (n, steps)}) of {@code table}, laid out as the LSTM's input. */
    private static Tensor rows(Tensor table, int[] ids, int n, int steps, boolean batchFirst) {
        int in = table.dim(1);
        float[] x = new float[ids.length * in];
        for (int s = 0; s < n; s++) {
            for (int t = 0; t < steps; t++) {
                int at = batchFirst ? s * steps + t : t * n + s;
                System.arraycopy(table.data(), ids[s * steps + t] * in, x, at * in, in);
            }
        }
        return batchFirst ? Tensor.of(x, n, steps, in) : Tensor.of(x, steps, n, in);
    }

    private static void identical(String what, LSTM.Result expected, LSTM.Result actual) {
        Check.identical(what + " output", expected.output().data(), actual.output().data());
        Check.identical(what + " h_n", expected.h_n().data(), actual.h_n().data());
        Check.identical(what + " c_n", expected.c_n().data(), actual.c_n().data());
    }

    @Test
    void projectedRowsGiveTheBitsOfTheRowsThemselves() {
        Random r = new Random(41);
        int vocab = 13, in = 11, h = 9, n = 3, steps = 6;
        int[] lengths = {6, 2, 4};
        for (Kernels k : KERNELS) {
            for (int layers : new int[] {1, 2}) {
                for (boolean bidirectional : new boolean[] {false, true}) {
                    for (boolean batchFirst : new boolean[] {true, false}) {
                        boolean bias = layers == 1 || !bidirectional;
                        LSTM lstm = new LSTM(k, in, h, layers, bias, batchFirst, bidirectional);
                        Reference.randomize(lstm, 42 + layers);
                        Tensor table = Reference.random(r, 1f, vocab, in);
                        int[] ids = new int[n * steps];
                        for (int i = 0; i < ids.length; i++) {
                            ids[i] = r.nextInt(vocab);
                        }
                        String what = k.name() + " layers=" + layers + " bidirectional=" + bidirectional
                                + " batchFirst=" + batchFirst + " bias=" + bias;
                        LSTM.InputProjections projected = lstm.projectRows(table, TWO);
                        assertEquals(vocab, projected.rows());
                        assertEquals(4L * vocab * 4 * h * (bidirectional ? 2 : 1), projected.bytes());
                        Tensor x = rows(table, ids, n, steps, batchFirst);
                        for (ComputePool pool : new ComputePool[] {ONE, TWO}) {
                            String on = what + " threads=" + pool.threads();
                            identical(on, lstm.forward(x, lengths, pool), lstm.forward(projected, ids, n, steps, lengths, pool));
                            identical(on + " all steps", lstm.forward(x, null, pool),
                                    lstm.forward(projected, ids, n, steps, null, pool));
                        }
                    }
                }
            }
        }
    }

    @Test
    void projectedRowsOnATeamOfThreads() {
        // one sequence, one direction, 199 units: the units are cut among a team, each member copying
        // its gate rows out of the projected rows; the bits must be one thread's on the rows themselves
        Random r = new Random(43);
        int vocab = 17, in = 11, h = 199, steps = 9;
        for (Kernels k : KERNELS) {
            for (int layers : new int[] {1, 2}) {
                LSTM lstm = new LSTM(k, in, h, layers, true, true, false);
                Reference.randomize(lstm, 44);
                Tensor table = Reference.random(r, 1f, vocab, in);
                int[] ids = new int[steps];
                for (int i = 0; i < steps; i++) {
                    ids[i] = r.nextInt(vocab);
                }
                int[] lengths = {7};
                LSTM.Result one = lstm.forward(rows(table, ids, 1, steps, true), lengths, ONE);
                LSTM.InputProjections projected = lstm.projectRows(table, ONE);
                identical(k.name() + " layers=" + layers + " one thread", one, lstm.forward(projected, ids, 1, steps, lengths, ONE));
                int before = lstm.teamRuns.get();
                // a team forms only if the worker joins in time (see KernelsAndThreadsTest): call until one has
                for (int attempt = 0; attempt < 200 && lstm.teamRuns.get() == before; attempt++) {
                    if (attempt > 0) {
                        KernelsAndThreadsTest.sleep(5);
                    }
                    identical(k.name() + " layers=" + layers + " 2 threads", one,
                            lstm.forward(projected, ids, 1, steps, lengths, TWO));
                }
                assertTrue(lstm.teamRuns.get() > before, k.name() + " layers=" + layers + ": no team in 200 calls");
            }
        }
    }

    @Test
    void staleOrForeignProjectionsAndBadIdsAreRefused() {
        LSTM lstm = new LSTM(Kernels.get(), 5, 4, 1, true, true, false);
        LSTM other = new LSTM(Kernels.get(), 5, 4, 1, true, true, false);
        Reference.randomize(lstm, 45);
        Tensor table = Reference.random(new Random(46), 1f, 6, 5);
        LSTM.InputProjections projected = lstm.projectRows(table, ONE);
        assertTrue(projected.currentFor(lstm));
        int[] ids = {0, 5, 2};
        lstm.forward(projected, ids, 1, 3, null, ONE);
        assertThrows(IllegalStateException.class, () -> other.forward(projected, ids, 1, 3, null, ONE));
        assertThrows(IndexOutOfBoundsException.class, () -> lstm.forward(projected, new int[] {0, 6, 2}, 1, 3, null, ONE));
        assertThrows(IndexOutOfBoundsException.class, () -> lstm.forward(projected, new int[] {0, -1, 2}, 1, 3, null, ONE));
        assertThrows(IllegalArgumentException.class, () -> lstm.forward(projected, ids, 2, 3, null, ONE));
        assertThrows(IllegalArgumentException.class, () -> lstm.projectRows(Tensor.zeros(6, 4), ONE));
        lstm.weightsChanged();
        assertFalse(projected.currentFor(lstm), "weightsChanged makes the projections stale");
        assertThrows(IllegalStateException.class, () -> lstm.forward(projected, ids, 1, 3, null, ONE));
    }
}
